/**
 * JVM memory and processing plans for Druid processes, as pure functions.
 *
 * Druid's rules (docs/configuration/index.md "Processing", docs/operations/basic-cluster-tuning.md):
 * - `druid.processing.numThreads` defaults to the number of cores - 1 (at least 1);
 * - `druid.processing.numMergeBuffers` defaults to max(2, numThreads / 4);
 * - `druid.processing.buffer.sizeBytes` is sized automatically to at most 1 GiB, and must stay below 2 GiB;
 * - a process with processing buffers refuses to start unless
 *   `-XX:MaxDirectMemorySize >= buffer.sizeBytes * (numMergeBuffers + numThreads + 1)` (apache/druid#6588, #7606).
 *
 * On top of heap and direct memory a JVM needs metaspace, code cache, thread stacks and GC structures;
 * the container limit (which sizes the Kata VM) must hold all of it, so every plan keeps a headroom.
 */
import { propError } from '../../../lib/k8s/errors';

/** Bytes in a MiB. */
export const MIB = 1024 * 1024;
/** Largest buffer Druid picks on its own: 1 GiB. */
export const DRUID_MAX_AUTO_BUFFER_MIB = 1024;
/** Largest `druid.processing.buffer.sizeBytes` Druid accepts: less than 2 GiB (a Java ByteBuffer is int-indexed). */
export const DRUID_MAX_BUFFER_MIB = 2047;
/** Non-heap, non-direct memory of one Druid JVM (metaspace, code cache, thread stacks, GC), in MiB. */
export const JVM_NON_HEAP_MIB = 256;
/** Share of the container memory kept free besides the JVMs (page cache for segment files, shell, probes). */
export const CONTAINER_RESERVE_FRACTION = 0.05;
/** Smallest heap of any Druid JVM, in MiB. */
export const MIN_HEAP_MIB = 128;
/** Smallest processing buffer the blueprint derives, in MiB; below it the memory limit is too small. */
export const MIN_DERIVED_BUFFER_MIB = 32;

/** Processing threads and buffers of one JVM. */
export interface ProcessingPlan {
  /** `druid.processing.numThreads`. */
  readonly numThreads: number;
  /** `druid.processing.numMergeBuffers`. */
  readonly numMergeBuffers: number;
  /** `druid.processing.buffer.sizeBytes`, in MiB. */
  readonly bufferSizeMiB: number;
}

/** Heap, direct memory and processing of one JVM. */
export interface JvmPlan {
  /** `-Xms`/`-Xmx`, in MiB. */
  readonly heapMiB: number;
  /** `-XX:MaxDirectMemorySize`, in MiB. */
  readonly directMemoryMiB: number;
  /** `-XX:ActiveProcessorCount`. */
  readonly activeProcessors: number;
  /**
   * Processing settings (historicals, brokers, indexers, peons).
   * @default - none (the process has no processing buffers)
   */
  readonly processing?: ProcessingPlan;
}

/** How defaults are derived for one kind of Druid JVM. */
export class JvmProfile {
  /** Coordinator, Overlord, Router: heap-bound, no processing buffers. */
  public static readonly MASTER = new JvmProfile('master', false, 0, 0, true, () => 0);
  /** Broker: one processing thread, merge buffers for groupBy merging, the rest heap (merges results on heap). */
  public static readonly BROKER = new JvmProfile('broker', true, 0.4, 500, true, () => 0);
  /** Historical: processing threads per core, heap 0.5 GiB per core (at most 24 GiB), memory left for the page cache. */
  public static readonly HISTORICAL = new JvmProfile('historical', true, 0.3, 500, false, (budget, cores) =>
    Math.min(512 * cores, 24 * 1024, Math.floor(budget * 0.4)),
  );
  /** Indexer: tasks as threads of one JVM; half the memory heap. */
  public static readonly INDEXER = new JvmProfile('indexer', true, 0.3, 500, false, (budget) =>
    Math.floor(budget * 0.5),
  );
  /** MiddleManager: a light task launcher (~128 MiB heap per Druid's tuning guide; 256 MiB here). */
  public static readonly MIDDLE_MANAGER = new JvmProfile('middleManager', false, 0, 0, false, () => 256);
  /** Peon: one task; 1 GiB heap and 100 MiB buffers per Druid's tuning guide. */
  public static readonly PEON = new JvmProfile('peon', true, 0.4, 100, false, (budget) =>
    Math.min(1024, Math.floor(budget * 0.6)),
  );

  private constructor(
    /** Name, for messages. */
    public readonly name: string,
    /** Whether the JVM has processing threads and buffers. */
    public readonly processing: boolean,
    /** Share of the budget the derived processing buffers may take. */
    public readonly directFraction: number,
    /** Largest derived buffer, in MiB. */
    public readonly bufferCapMiB: number,
    /** Whether the heap takes whatever the budget leaves after direct memory. */
    public readonly heapTakesRest: boolean,
    /** Default heap (when it does not take the rest), from the budget and cores. */
    public readonly defaultHeapMiB: (budgetMiB: number, cores: number) => number,
  ) {}

  /** Default `numThreads` for this many cores. */
  public defaultNumThreads(cores: number): number {
    return this === JvmProfile.BROKER ? 1 : defaultNumThreads(cores);
  }

  /** Default `numMergeBuffers` for these threads and cores. */
  public defaultNumMergeBuffers(numThreads: number, cores: number): number {
    // The Broker merges groupBy results: as many merge buffers as a historical of the same size would have.
    return defaultNumMergeBuffers(this === JvmProfile.BROKER ? defaultNumThreads(cores) : numThreads);
  }
}

/** Cores a JVM sees for a CPU limit: ceil(limit), as the JVM's container support counts a CPU quota. */
export function cpuCores(cpuLimitMillis: number): number {
  return Math.max(1, Math.ceil(cpuLimitMillis / 1000));
}

/** Druid's default `druid.processing.numThreads`: cores - 1, at least 1. */
export function defaultNumThreads(cores: number): number {
  return Math.max(1, cores - 1);
}

/** Druid's default `druid.processing.numMergeBuffers`: max(2, numThreads / 4). */
export function defaultNumMergeBuffers(numThreads: number): number {
  return Math.max(2, Math.floor(numThreads / 4));
}

/** Direct memory Druid requires for processing: buffer.sizeBytes * (numMergeBuffers + numThreads + 1), in MiB. */
export function requiredDirectMemoryMiB(p: ProcessingPlan): number {
  return p.bufferSizeMiB * (p.numMergeBuffers + p.numThreads + 1);
}

/** Memory a container keeps beside the JVMs' heap and direct memory: 256 MiB per JVM plus 5% of the limit. */
export function headroomMiB(memoryLimitMiB: number, jvms: number): number {
  return jvms * JVM_NON_HEAP_MIB + Math.ceil(memoryLimitMiB * CONTAINER_RESERVE_FRACTION);
}

/** Given settings of one JVM (all optional; what is missing is derived). */
export interface JvmSettings {
  /**
   * Heap, in MiB.
   * @default - derived from the budget
   */
  readonly heapMiB?: number;
  /**
   * Direct memory, in MiB.
   * @default - what the processing buffers need (128-256 MiB without them)
   */
  readonly directMemoryMiB?: number;
  /**
   * Processing threads.
   * @default - cores - 1, at least 1 (1 on Brokers)
   */
  readonly numThreads?: number;
  /**
   * Merge buffers.
   * @default - max(2, numThreads / 4)
   */
  readonly numMergeBuffers?: number;
  /**
   * Processing buffer size, in MiB.
   * @default - derived from the budget or the direct memory
   */
  readonly bufferSizeMiB?: number;
}

/** Input of {@link planJvm}. */
export interface PlanJvmInput {
  /** Construct context for errors. */
  readonly context: string;
  /** The prop the settings come from (e.g. `historicals`, `middleManagers.peon`). */
  readonly prop: string;
  /** Which kind of JVM. */
  readonly profile: JvmProfile;
  /** Memory the defaults are derived from (the limit minus headroom, or a peon's share), in MiB. */
  readonly budgetMiB: number;
  /** Cores the JVM may use. */
  readonly cores: number;
  /**
   * What the user gave.
   * @default - everything derived
   */
  readonly settings?: JvmSettings;
  /**
   * The prop that holds the memory limit the budget comes from, for errors.
   * @default `<prop>.resources.memory.limit`
   */
  readonly limitProp?: string;
}

const roundDown = (mib: number): number => (mib >= 256 ? mib - (mib % 64) : Math.floor(mib));

/**
 * Plans one JVM: processing threads, merge buffers, buffer size, direct memory and heap, each given or
 * derived from the budget, then checked against Druid's direct memory rule.
 *
 * @throws PropError for settings out of range, direct memory below what the processing settings need,
 *   or a budget too small for a heap of 128 MiB or derived buffers of 32 MiB
 */
export function planJvm(i: PlanJvmInput): JvmPlan {
  const { context: ctx, prop, profile } = i;
  const s = i.settings ?? {};
  const budget = Math.floor(i.budgetMiB);
  const cores = Math.max(1, Math.floor(i.cores));
  const limitProp = i.limitProp ?? `${prop}.resources.memory.limit`;
  const wholeAtLeast = (name: string, v: number | undefined, min: number, max: number, what: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
      throw propError(ctx, `${prop}.${name}`, v, what);
    }
  };
  wholeAtLeast(
    'heap',
    s.heapMiB,
    MIN_HEAP_MIB,
    1024 * 1024,
    `a heap of at least ${MIN_HEAP_MIB}Mi in whole MiB`,
  );
  wholeAtLeast(
    'directMemory',
    s.directMemoryMiB,
    1,
    1024 * 1024,
    'a direct memory size of at least 1Mi in whole MiB',
  );

  let processing: ProcessingPlan | undefined;
  let direct = s.directMemoryMiB;
  if (profile.processing) {
    wholeAtLeast('processing.numThreads', s.numThreads, 1, 1024, 'a whole number of threads from 1 to 1024');
    wholeAtLeast('processing.numMergeBuffers', s.numMergeBuffers, 0, 1024, 'a whole number from 0 to 1024');
    wholeAtLeast(
      'processing.bufferSize',
      s.bufferSizeMiB,
      1,
      DRUID_MAX_BUFFER_MIB,
      `a buffer below 2GiB (at most ${DRUID_MAX_BUFFER_MIB}Mi; Druid indexes buffers with an int)`,
    );
    const numThreads = s.numThreads ?? profile.defaultNumThreads(cores);
    const numMergeBuffers = s.numMergeBuffers ?? profile.defaultNumMergeBuffers(numThreads, cores);
    const slots = numThreads + numMergeBuffers + 1;
    let buffer = s.bufferSizeMiB;
    if (buffer === undefined) {
      if (direct !== undefined) {
        // Druid's own rule when only the direct memory is given.
        buffer = Math.min(DRUID_MAX_AUTO_BUFFER_MIB, Math.floor(direct / slots));
      } else {
        const avail =
          s.heapMiB !== undefined ? budget - s.heapMiB : Math.floor(budget * profile.directFraction);
        buffer = Math.min(profile.bufferCapMiB, Math.floor(avail / slots));
      }
      if (buffer < MIN_DERIVED_BUFFER_MIB) {
        throw propError(
          ctx,
          direct !== undefined ? `${prop}.directMemory` : limitProp,
          direct !== undefined ? `${direct}Mi` : `${budget}Mi of budget`,
          `room for ${slots} processing buffers (numThreads ${numThreads} + numMergeBuffers ${numMergeBuffers} + 1) of at least ` +
            `${MIN_DERIVED_BUFFER_MIB}Mi each: raise the memory limit or set ${prop}.processing (fewer threads, a smaller bufferSize)`,
        );
      }
    }
    processing = { numThreads, numMergeBuffers, bufferSizeMiB: buffer };
    const required = requiredDirectMemoryMiB(processing);
    if (direct === undefined) direct = required;
    if (direct < required) {
      throw propError(
        ctx,
        `${prop}.directMemory`,
        `${direct}Mi`,
        `at least buffer.sizeBytes x (numMergeBuffers + numThreads + 1) = ${buffer}Mi x (${numMergeBuffers} + ${numThreads} + 1) = ${required}Mi: ` +
          'Druid refuses to start with less direct memory than its processing buffers need',
      );
    }
  } else {
    if (s.numThreads !== undefined || s.numMergeBuffers !== undefined || s.bufferSizeMiB !== undefined) {
      throw propError(
        ctx,
        `${prop}.processing`,
        { numThreads: s.numThreads, numMergeBuffers: s.numMergeBuffers, bufferSizeMiB: s.bufferSizeMiB },
        `unset: a ${profile.name} has no processing buffers (they apply to historicals, brokers, indexers and peons)`,
      );
    }
    if (direct === undefined) direct = profile === JvmProfile.MIDDLE_MANAGER || budget < 2048 ? 128 : 256;
  }

  let heap = s.heapMiB;
  if (heap === undefined) {
    const rest = budget - direct;
    heap = roundDown(profile.heapTakesRest ? rest : Math.min(profile.defaultHeapMiB(budget, cores), rest));
    if (heap < MIN_HEAP_MIB) {
      throw propError(
        ctx,
        limitProp,
        `${budget}Mi of budget`,
        `room for a heap of at least ${MIN_HEAP_MIB}Mi beside ${direct}Mi of direct memory: raise the memory limit`,
      );
    }
  }
  return {
    heapMiB: heap,
    directMemoryMiB: direct,
    activeProcessors: cores,
    ...(processing ? { processing } : {}),
  };
}

/**
 * Checks that the JVMs of one container fit its memory limit with headroom:
 * sum(heap + direct) + 256 MiB per JVM + 5% of the limit <= limit.
 *
 * @throws PropError naming `<prop>.resources.memory.limit` with the arithmetic
 */
export function checkContainerFit(
  context: string,
  prop: string,
  memoryLimitMiB: number,
  jvms: ReadonlyArray<{ readonly name: string; readonly plan: JvmPlan; readonly count?: number }>,
): void {
  let used = 0;
  let count = 0;
  const parts: string[] = [];
  for (const j of jvms) {
    const n = j.count ?? 1;
    used += n * (j.plan.heapMiB + j.plan.directMemoryMiB);
    count += n;
    parts.push(
      `${n > 1 ? `${n} x ` : ''}${j.name} (heap ${j.plan.heapMiB}Mi + direct ${j.plan.directMemoryMiB}Mi)`,
    );
  }
  const headroom = headroomMiB(memoryLimitMiB, count);
  if (used + headroom > memoryLimitMiB) {
    throw propError(
      context,
      `${prop}.resources.memory.limit`,
      `${memoryLimitMiB}Mi`,
      `at least ${used + headroom}Mi: ${parts.join(' + ')} + headroom ${headroom}Mi ` +
        `(${JVM_NON_HEAP_MIB}Mi per JVM for metaspace, code cache and threads, plus 5% of the limit); ` +
        'raise the limit or lower heap, directMemory or processing',
    );
  }
}

/** Inputs of {@link planMiddleManager}. */
export interface PlanMiddleManagerInput {
  /** Construct context. */
  readonly context: string;
  /** Prop of the workers (e.g. `middleManagers`). */
  readonly prop: string;
  /** Container memory limit, in MiB. */
  readonly memoryLimitMiB: number;
  /** Container CPU limit, in millicores. */
  readonly cpuLimitMillis: number;
  /** Task slots (`druid.worker.capacity`). */
  readonly capacity: number;
  /**
   * The MiddleManager JVM's settings.
   * @default - everything derived
   */
  readonly settings?: JvmSettings;
  /**
   * Every peon's settings.
   * @default - everything derived
   */
  readonly peon?: JvmSettings;
}

/** The MiddleManager JVM and one peon JVM. */
export interface MiddleManagerPlan {
  /** The MiddleManager's own JVM. */
  readonly middleManager: JvmPlan;
  /** One peon (there are `capacity` of them). */
  readonly peon: JvmPlan;
}

/**
 * Plans a MiddleManager container: its own JVM plus `capacity` peons, all in one container (and VM).
 * Peons get an even share of the cores (1 or 2 processing threads, as Druid's tuning guide suggests) and
 * of the memory left after the MiddleManager.
 *
 * @throws PropError as {@link planJvm} and {@link checkContainerFit}
 */
export function planMiddleManager(i: PlanMiddleManagerInput): MiddleManagerPlan {
  const cores = cpuCores(i.cpuLimitMillis);
  const budget = i.memoryLimitMiB - headroomMiB(i.memoryLimitMiB, 1 + i.capacity);
  const mm = planJvm({
    context: i.context,
    prop: i.prop,
    profile: JvmProfile.MIDDLE_MANAGER,
    budgetMiB: budget,
    cores,
    settings: i.settings,
  });
  const peonCores = Math.max(1, Math.floor(cores / i.capacity));
  const peonBudget = Math.floor((budget - mm.heapMiB - mm.directMemoryMiB) / i.capacity);
  const peon = planJvm({
    context: i.context,
    prop: `${i.prop}.peon`,
    limitProp: `${i.prop}.resources.memory.limit`,
    profile: JvmProfile.PEON,
    budgetMiB: peonBudget,
    cores: peonCores,
    settings: {
      ...i.peon,
      numThreads: i.peon?.numThreads ?? Math.min(2, peonCores),
      numMergeBuffers: i.peon?.numMergeBuffers ?? 2,
    },
  });
  checkContainerFit(i.context, i.prop, i.memoryLimitMiB, [
    { name: 'middleManager', plan: mm },
    { name: 'peon', plan: peon, count: i.capacity },
  ]);
  return { middleManager: mm, peon };
}

/** Inputs of {@link planSingleJvm}. */
export interface PlanSingleJvmInput {
  /** Construct context. */
  readonly context: string;
  /** Prop of the node type. */
  readonly prop: string;
  /** Which kind of JVM. */
  readonly profile: JvmProfile;
  /** Container memory limit, in MiB. */
  readonly memoryLimitMiB: number;
  /** Container CPU limit, in millicores. */
  readonly cpuLimitMillis: number;
  /**
   * Given settings.
   * @default - everything derived
   */
  readonly settings?: JvmSettings;
  /**
   * Name of the process in messages (e.g. `coordinator`).
   * @default - the profile's name
   */
  readonly jvmName?: string;
}

/**
 * Plans a container with one Druid JVM and checks that it fits its memory limit with headroom.
 *
 * @throws PropError as {@link planJvm} and {@link checkContainerFit}
 */
export function planSingleJvm(i: PlanSingleJvmInput): JvmPlan {
  const plan = planJvm({
    context: i.context,
    prop: i.prop,
    profile: i.profile,
    budgetMiB: i.memoryLimitMiB - headroomMiB(i.memoryLimitMiB, 1),
    cores: cpuCores(i.cpuLimitMillis),
    settings: i.settings,
  });
  checkContainerFit(i.context, i.prop, i.memoryLimitMiB, [{ name: i.jvmName ?? i.profile.name, plan }]);
  return plan;
}

/** Share of a volume the segment cache may fill: the rest holds the filesystem's reserve and temporary files. */
export const SEGMENT_CACHE_VOLUME_FRACTION = 0.9;

/**
 * The segment cache size (`druid.segmentCache.locations[].maxSize` and `druid.server.maxSize`) for a
 * volume, in bytes: the given size, or 90% of the volume.
 *
 * @throws PropError when the given size exceeds 90% of the volume
 */
export function segmentCacheBytes(
  context: string,
  prop: string,
  volumeMiB: number,
  givenMiB: number | undefined,
): number {
  const maxMiB = Math.floor(volumeMiB * SEGMENT_CACHE_VOLUME_FRACTION);
  if (givenMiB === undefined) return maxMiB * MIB;
  if (!Number.isInteger(givenMiB) || givenMiB < 1) {
    throw propError(context, `${prop}.segmentCacheSize`, givenMiB, 'a whole number of MiB >= 1');
  }
  if (givenMiB > maxMiB) {
    throw propError(
      context,
      `${prop}.segmentCacheSize`,
      `${givenMiB}Mi`,
      `at most 90% of the ${volumeMiB}Mi volume (${maxMiB}Mi): the filesystem's reserved blocks and the JVM's temporary ` +
        'files share it, and a cache that cannot fit makes segment loads fail once the disk is full',
    );
  }
  return givenMiB * MIB;
}
