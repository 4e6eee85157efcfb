/**
 * The capacity planner: how many nodes of which host type a set of workloads needs, what they cost, and
 * which pods cannot run anywhere and why.
 */
import { App, Size, SizeRoundingBehavior } from 'cdk8s';
import type { KubeObject, LoadedManifest } from '../manifest/load';
import { propError } from '../sandbox/errors';
import { formatMiB } from '../sandbox/quantity';
import { KATA_NODE_TAINT, KATA_RUNTIME_LABEL, KataRuntime, NodeTaint } from '../sandbox/runtime';
import { HOURS_PER_MONTH, HostType } from './catalog';
import { packGroups, PackGroup, packLowerBound, PackStrategy } from './pack';
import {
  LEGACY_SANDBOX,
  PodProfile,
  profilePod,
  antiAffinityTermSelects,
  tolerationsTolerate,
  TRUSTED_SANDBOX,
} from './pod';
import { NodeReservation, ReservedResources } from './reservation';
import { SandboxRuntime, sandboxRuntimeOf } from './vm';
import { ExtractOptions, PlanWorkload, workloadsFromManifests } from './workloads';

const GIB = 2 ** 30;

/** Which pods a node pool takes. */
export class PoolServes {
  /** Every pod: any RuntimeClass, legacy untrusted pods and trusted (runc) pods. */
  public static readonly ALL = new PoolServes('all', [], true, true, true);
  /** Every sandboxed pod: any RuntimeClass and legacy untrusted pods, but no trusted pods. */
  public static readonly KATA = new PoolServes('kata', [], true, true, false);
  /** Trusted (runc) pods only: pods without a RuntimeClass. */
  public static readonly TRUSTED = new PoolServes('trusted', [], false, false, true);

  /**
   * Pods of these RuntimeClasses only (and, optionally, trusted pods).
   *
   * @param runtimes RuntimeClass names or runtimes
   * @param options `trusted: true` to also take trusted pods (@default false)
   * @throws PropError when the list is empty
   */
  public static runtimes(
    runtimes: ReadonlyArray<string | KataRuntime>,
    options: { readonly trusted?: boolean } = {},
  ): PoolServes {
    const names = (runtimes ?? []).map((r) => (r instanceof KataRuntime ? r.name : String(r)));
    if (names.length === 0)
      throw propError('PoolServes.runtimes', 'runtimes', runtimes, 'at least one RuntimeClass name');
    const sorted = [...new Set(names)].sort();
    const trusted = options.trusted ?? false;
    return new PoolServes(
      [...sorted, ...(trusted ? [TRUSTED_SANDBOX] : [])].join('+'),
      sorted,
      false,
      false,
      trusted,
    );
  }

  /**
   * Parses the CLI form: `all`, `kata`, `trusted`, or RuntimeClass names joined by `+` (with `trusted`
   * and `legacy` as members), e.g. `kata-qemu+kata-clh`.
   *
   * @throws PropError for an empty spec
   */
  public static parse(spec: string): PoolServes {
    const s = String(spec ?? '').trim();
    if (s === '')
      throw propError(
        'PoolServes.parse',
        'serves',
        spec,
        'all, kata, trusted or runtime names joined by "+"',
      );
    if (s === 'all') return PoolServes.ALL;
    if (s === 'kata') return PoolServes.KATA;
    if (s === 'trusted') return PoolServes.TRUSTED;
    const parts = s
      .split('+')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const trusted = parts.includes(TRUSTED_SANDBOX);
    const legacy = parts.includes('legacy');
    const names = [...new Set(parts.filter((p) => p !== TRUSTED_SANDBOX && p !== 'legacy'))].sort();
    return new PoolServes(s, names, false, legacy, trusted);
  }

  private constructor(
    /** How the set is written (`all`, `kata`, `kata-qemu+trusted`...). */
    public readonly description: string,
    /** RuntimeClass names served explicitly. */
    public readonly runtimeNames: readonly string[],
    /** Whether any RuntimeClass is served. */
    public readonly anyRuntime: boolean,
    /** Whether legacy untrusted-annotation pods are served. */
    public readonly legacy: boolean,
    /** Whether trusted (runc) pods are served. */
    public readonly trusted: boolean,
  ) {}

  /** Whether a pod with this sandbox key (RuntimeClass name, `trusted` or `legacy-untrusted`) lands here. */
  public serves(sandbox: string): boolean {
    if (sandbox === TRUSTED_SANDBOX) return this.trusted;
    if (sandbox === LEGACY_SANDBOX) return this.legacy;
    return this.anyRuntime || this.runtimeNames.includes(sandbox);
  }

  /** The description. */
  public toString(): string {
    return this.description;
  }
}

/** The size of the host's `/dev/shm`, which backs QEMU guest memory. */
export class ShmSize {
  /** Half of the host's RAM: the tmpfs default (and systemd's for `/dev/shm`). */
  public static readonly HALF_OF_MEMORY = new ShmSize('half of RAM', (m) => Math.floor(m / 2));
  /** No cap: hugepage-backed guests, or `/dev/shm` remounted as large as RAM and more. */
  public static readonly UNLIMITED = new ShmSize('unlimited', () => Infinity);

  /**
   * A fraction of the host's RAM (`mount -o remount,size=75% /dev/shm`).
   *
   * @throws PropError unless 0 < fraction <= 1
   */
  public static fraction(fraction: number): ShmSize {
    if (!(typeof fraction === 'number' && fraction > 0 && fraction <= 1)) {
      throw propError('ShmSize.fraction', 'fraction', fraction, 'a number > 0 and <= 1');
    }
    return new ShmSize(`${Math.round(fraction * 1000) / 10}% of RAM`, (m) => Math.floor(m * fraction));
  }

  /**
   * A fixed size.
   *
   * @throws PropError unless size > 0
   */
  public static fixed(size: Size): ShmSize {
    const bytes =
      size instanceof Size ? size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024 : NaN;
    if (!(bytes > 0)) throw propError('ShmSize.fixed', 'size', size, 'a Size > 0');
    return new ShmSize(formatMemoryAmount(bytes), () => bytes);
  }

  private constructor(
    /** How the size is chosen. */
    public readonly description: string,
    private readonly bytesOf: (memoryBytes: number) => number,
  ) {}

  /** The size on a host with this much memory, in bytes (Infinity for unlimited). */
  public bytesFor(memoryBytes: number): number {
    return this.bytesOf(memoryBytes);
  }
}

/** A node pool: one host type and the pods it takes. */
export interface NodePoolSpec {
  /**
   * Pool name.
   * @default - the host type name
   */
  readonly name?: string;
  /** The host type. */
  readonly host: HostType;
  /**
   * Which pods the pool takes. Pods go to the first pool (in order) that serves them and fits them.
   * @default PoolServes.ALL
   */
  readonly serves?: PoolServes;
  /**
   * At most this many nodes; pods that do not fit go to the next pool that serves them.
   * @default - unlimited
   */
  readonly maxNodes?: number;
  /**
   * What each node reserves for the system.
   * @default - the host's provider default (EKS, GKE or AKS formula)
   */
  readonly reservation?: NodeReservation;
  /**
   * Size of `/dev/shm`, which caps the guest memory of QEMU VMs on a node.
   * @default ShmSize.HALF_OF_MEMORY
   */
  readonly shm?: ShmSize;
  /**
   * The kubelet's `maxPods`.
   * @default - the host type's maxPods
   */
  readonly maxPods?: number;
  /**
   * Node labels (for DaemonSet node selectors).
   * @default - `katacontainers.io/kata-runtime: "true"` when the pool serves sandboxed pods, plus the served runtimes' node selectors
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Node taints (for DaemonSet tolerations).
   * @default - none when the pool serves trusted pods, otherwise the served runtimes' taints
   */
  readonly taints?: readonly NodeTaint[];
}

/** Options of the planner. */
export interface PlanOptions {
  /** The node pools, in order of preference. At least one. */
  readonly pools: readonly NodePoolSpec[];
  /**
   * Number of availability zones nodes are spread over. Pods with a zone `DoNotSchedule` spread are split
   * evenly over them; pods pinned to a zone land in it.
   * @default 1
   */
  readonly zones?: number;
  /**
   * Runtimes beyond the presets (e.g. `KataRuntime.custom(...)`), looked up by RuntimeClass name. RuntimeClass
   * objects in the input win over these, these win over the presets.
   * @default - none
   */
  readonly runtimes?: readonly KataRuntime[];
}

/** Options of {@link planWorkloads}. */
export interface PlanWorkloadsOptions extends PlanOptions {
  /**
   * RuntimeClasses read from manifests (they win over `runtimes` and the presets).
   * @default - none
   */
  readonly runtimeClasses?: readonly SandboxRuntime[];
  /**
   * Notes to carry into the plan (e.g. from reading manifests).
   * @default - none
   */
  readonly notes?: readonly string[];
}

/** Options of {@link planCapacity} and {@link planApp}. */
export interface PlanCapacityOptions extends PlanOptions, ExtractOptions {}

/** What one node of a pool offers and keeps. */
export interface NodeBudget {
  /** Logical CPUs, in millicores. */
  readonly capacityCpuMillis: number;
  /** Memory, in bytes. */
  readonly capacityMemoryBytes: number;
  /** The reservation formula's name. */
  readonly reservation: string;
  /** What the reservation keeps. */
  readonly reserved: ReservedResources;
  /** `capacity - reserved - eviction`. */
  readonly allocatableCpuMillis: number;
  /** `capacity - reserved - eviction`. */
  readonly allocatableMemoryBytes: number;
  /** `maxPods`. */
  readonly maxPods: number;
  /** `/dev/shm` size in bytes, or null when unlimited. */
  readonly shmBytes: number | null;
  /** How the `/dev/shm` size was chosen. */
  readonly shm: string;
  /** CPU requested by the DaemonSet pods on every node (millicores). */
  readonly daemonSetCpuMillis: number;
  /** Memory requested by the DaemonSet pods on every node (bytes). */
  readonly daemonSetMemoryBytes: number;
  /** DaemonSet pods on every node. */
  readonly daemonSetPods: number;
}

/** One node of a planned pool. */
export interface NodeUsage {
  /** Zone index (0-based). */
  readonly zone: number;
  /** Pods on the node (DaemonSet pods included). */
  readonly pods: number;
  /** Requested CPU (millicores, DaemonSets included). */
  readonly cpuMillis: number;
  /** Requested memory (bytes, DaemonSets included). */
  readonly memoryBytes: number;
  /** Guest memory of QEMU VMs on the node (bytes). */
  readonly shmBytes: number;
}

/** Lower bounds on the nodes of a pool. */
export interface PoolLowerBounds {
  /** `ceil(total CPU / allocatable CPU per node)`. */
  readonly cpu: number;
  /** `ceil(total memory / allocatable memory per node)`. */
  readonly memory: number;
  /** `ceil(pods / maxPods)`. */
  readonly pods: number;
  /** `ceil(total QEMU guest memory / /dev/shm)`. */
  readonly shm: number;
  /** The largest one-per-node (required hostname anti-affinity) workload placed in the pool. */
  readonly antiAffinity: number;
  /** Pods that need more than half a node in one resource (no two share a node). */
  readonly largePods: number;
}

/** The plan for one node pool. */
export interface PoolPlan {
  /** Pool name. */
  readonly name: string;
  /** Host type. */
  readonly host: HostType;
  /** Which pods the pool takes. */
  readonly serves: string;
  /** Nodes needed. */
  readonly nodes: number;
  /** A node count no packing can beat. */
  readonly lowerBound: number;
  /** The bounds that make up {@link lowerBound}. */
  readonly lowerBounds: PoolLowerBounds;
  /** Requested CPU / allocatable CPU over the pool's nodes (0..1). */
  readonly cpuUtilization: number;
  /** Requested memory / allocatable memory over the pool's nodes (0..1). */
  readonly memoryUtilization: number;
  /** Pods / maxPods over the pool's nodes (0..1). */
  readonly podsUtilization: number;
  /** QEMU guest memory / `/dev/shm` over the pool's nodes (0..1), or null when `/dev/shm` is unlimited. */
  readonly shmUtilization: number | null;
  /** The constraint that sets the node count: `cpu`, `memory`, `pods`, `shm`, an extended resource, `anti-affinity` or `none`. */
  readonly bindingResource: string;
  /** Cost per hour, or null without a price. */
  readonly hourlyCost: number | null;
  /** Cost per month (730 h), or null without a price. */
  readonly monthlyCost: number | null;
  /** One node's budget. */
  readonly node: NodeBudget;
  /** DaemonSets running on every node of the pool. */
  readonly daemonSets: readonly string[];
  /** Pods placed in the pool, per workload (input order). */
  readonly workloads: ReadonlyArray<{ readonly id: string; readonly pods: number }>;
  /** Every node, in the order the packing opened them. */
  readonly nodeUsage: readonly NodeUsage[];
  /** The packing strategy that won. */
  readonly strategy: string;
}

/** Why pods cannot be placed. */
export const UnschedulableReason = {
  /** No pool serves the pod's RuntimeClass (or trusted / legacy pods). */
  RUNTIME_NOT_SERVED: 'runtime-not-served',
  /** The pod's RuntimeClass is unknown. */
  UNKNOWN_RUNTIME_CLASS: 'unknown-runtime-class',
  /** The pod needs more CPU, memory, pods or extended resources than a node of any serving pool offers. */
  TOO_LARGE: 'too-large',
  /** The pod's QEMU guest memory exceeds a node's `/dev/shm`. */
  SHM: 'shm',
  /** Every serving pool reached its `maxNodes`. */
  POOL_FULL: 'pool-full',
  /** A DaemonSet whose pod does not fit next to the reservations of a pool it selects. */
  DAEMONSET_DOES_NOT_FIT: 'daemonset-does-not-fit',
} as const;

/** Pods of one workload that cannot be placed. */
export interface UnschedulableWorkload {
  /** Workload id, `namespace/Kind/name`. */
  readonly workload: string;
  /** Where it was read. */
  readonly source?: string;
  /** Pods affected. */
  readonly pods: number;
  /** One of {@link UnschedulableReason}. */
  readonly code: string;
  /** Explanation. */
  readonly reason: string;
}

/** The capacity plan. */
export interface CapacityPlan {
  /** Zones nodes are spread over. */
  readonly zones: number;
  /** One entry per pool, in the order given. */
  readonly pools: readonly PoolPlan[];
  /** Pods that cannot be placed, in input order. */
  readonly unschedulable: readonly UnschedulableWorkload[];
  /** Pods to place (DaemonSet pods excluded). */
  readonly totalPods: number;
  /** Pods placed. */
  readonly placedPods: number;
  /** Sum of the pools' monthly cost, or null when a used pool has no price. */
  readonly monthlyCost: number | null;
  /** Currency of the costs (when every priced pool agrees). */
  readonly currency: string | null;
  /** Assumptions and skipped input, one line each (sorted, de-duplicated). */
  readonly notes: readonly string[];
}

/** Formats bytes as `512Mi`, `1.5Gi`... */
export function formatMemoryAmount(bytes: number): string {
  if (bytes === Infinity) return 'unlimited';
  if (bytes >= GIB) return `${Number((bytes / GIB).toFixed(2))}Gi`;
  return formatMiB(Math.ceil(bytes / 2 ** 20));
}

/** Formats millicores as `250m` / `1.5`. */
export function formatCpuAmount(millis: number): string {
  return millis % 1000 === 0
    ? String(millis / 1000)
    : millis >= 1000
      ? String(Number((millis / 1000).toFixed(3)))
      : `${millis}m`;
}

const round4 = (x: number): number => Math.round(x * 10000) / 10000;
const round2 = (x: number): number => Math.round(x * 100) / 100;

interface Group {
  readonly workload: PlanWorkload;
  readonly profile: PodProfile;
  readonly index: number;
}

interface PoolState {
  readonly spec: NodePoolSpec;
  readonly name: string;
  readonly serves: PoolServes;
  readonly dims: string[];
  readonly capacity: number[]; // per node, after reservations and DaemonSets
  readonly allocatable: number[]; // per node, after reservations only
  readonly daemon: number[]; // DaemonSet demand per node
  readonly daemonSets: string[];
  readonly budget: NodeBudget;
  readonly queue: Group[];
}

const BASE_DIMS = ['cpu', 'memory', 'pods', 'shm'];

function demandOf(p: PodProfile, dims: readonly string[]): number[] {
  return dims.map((d) => {
    switch (d) {
      case 'cpu':
        return p.cpuMillis;
      case 'memory':
        return p.memoryBytes;
      case 'pods':
        return 1;
      case 'shm':
        return p.guestMemoryOnShm ? p.guestMemoryBytes : 0;
      default:
        return p.extended[d] ?? 0;
    }
  });
}

function dimLabel(d: string): string {
  return d === 'shm' ? '/dev/shm' : d;
}

function describeAmount(d: string, v: number): string {
  if (d === 'cpu') return `${formatCpuAmount(v)} CPU`;
  if (d === 'memory' || d === 'shm') return formatMemoryAmount(v);
  if (d === 'pods') return `${v} pods`;
  return `${v} ${d}`;
}

function poolLabels(
  spec: NodePoolSpec,
  serves: PoolServes,
  runtimeByName: (n: string) => KataRuntime | undefined,
): Record<string, string> {
  if (spec.labels) return { ...spec.labels };
  const labels: Record<string, string> = {};
  if (serves.anyRuntime || serves.legacy || serves.runtimeNames.length > 0)
    labels[KATA_RUNTIME_LABEL] = 'true';
  for (const n of serves.runtimeNames) Object.assign(labels, runtimeByName(n)?.nodeSelector ?? {});
  return labels;
}

function poolTaints(
  spec: NodePoolSpec,
  serves: PoolServes,
  runtimeByName: (n: string) => KataRuntime | undefined,
): NodeTaint[] {
  if (spec.taints) return [...spec.taints];
  if (serves.trusted) return [];
  if (serves.anyRuntime || serves.legacy) return [KATA_NODE_TAINT];
  const out: NodeTaint[] = [];
  for (const n of serves.runtimeNames) {
    const taints = runtimeByName(n)?.nodeTaints ?? [KATA_NODE_TAINT];
    for (const t of taints)
      if (!out.some((x) => x.key === t.key && x.effect === t.effect && x.value === t.value)) out.push(t);
  }
  return out;
}

/**
 * Plans pods given as {@link PlanWorkload}s (the form {@link workloadsFromManifests} produces; benchmarks and
 * programs can build them directly).
 *
 * @throws PropError for bad options (no pools, a pool without a host type, zones < 1, maxNodes < 0)
 */
export function planWorkloads(
  workloads: readonly PlanWorkload[],
  options: PlanWorkloadsOptions,
): CapacityPlan {
  const ctx = 'planWorkloads';
  if (!options || !Array.isArray(options.pools) || options.pools.length === 0) {
    throw propError(ctx, 'pools', options?.pools, 'at least one node pool ({ host: HostType.M6I_METAL })');
  }
  const zones = options.zones ?? 1;
  if (!Number.isInteger(zones) || zones < 1) throw propError(ctx, 'zones', zones, 'a whole number >= 1');
  const notes = new Set<string>(options.notes ?? []);

  // Runtime lookup: input RuntimeClasses > options.runtimes > presets.
  const fromInput = new Map((options.runtimeClasses ?? []).map((r) => [r.name, r] as const));
  const extra = new Map((options.runtimes ?? []).map((r) => [r.name, r] as const));
  const kataRuntime = (name: string): KataRuntime | undefined =>
    extra.get(name) ?? KataRuntime.PRESETS.find((r) => r.name === name);
  const lookup = (name: string): SandboxRuntime | undefined => {
    const rc = fromInput.get(name);
    if (rc) return rc;
    const kr = extra.get(name);
    if (kr) return sandboxRuntimeOf(kr, 'option');
    const preset = KataRuntime.PRESETS.find((r) => r.name === name);
    if (preset) {
      notes.add(
        `RuntimeClass "${name}" is not in the input; using the KataRuntime preset (overhead ${preset.overhead.cpu} CPU / ${preset.overhead.memory})`,
      );
      return sandboxRuntimeOf(preset, 'preset');
    }
    return undefined;
  };

  const groups: Group[] = [];
  const daemons: Group[] = [];
  workloads.forEach((w, index) => {
    if (!w || typeof w.id !== 'string' || !w.template || typeof w.template.spec !== 'object') {
      throw propError(
        ctx,
        `workloads[${index}]`,
        w?.id,
        'a PlanWorkload with id, replicas and template.spec',
      );
    }
    if (!w.daemonSet && !(Number.isInteger(w.replicas) && w.replicas >= 0)) {
      throw propError(ctx, `workloads[${index}].replicas`, w.replicas, 'a whole number >= 0');
    }
    const profile = profilePod(w.template, w.namespace, lookup, w.id);
    for (const n of profile.ignored) notes.add(n);
    (w.daemonSet ? daemons : groups).push({ workload: w, profile, index });
  });

  const extNames = new Set<string>();
  for (const g of [...groups, ...daemons]) for (const k of Object.keys(g.profile.extended)) extNames.add(k);
  const unschedulable: UnschedulableWorkload[] = [];
  const pushUnschedulable = (g: Group, pods: number, code: string, reason: string): void => {
    if (pods <= 0) return;
    unschedulable.push({
      workload: g.workload.id,
      ...(g.workload.source ? { source: g.workload.source } : {}),
      pods,
      code,
      reason,
    });
  };

  const pools: PoolState[] = options.pools.map((spec, i) => {
    const pctx = `planWorkloads pools[${i}]`;
    if (!spec || !(spec.host instanceof HostType))
      throw propError(pctx, 'host', spec?.host, 'a HostType (e.g. HostType.I3_METAL)');
    if (spec.maxNodes !== undefined && !(Number.isInteger(spec.maxNodes) && spec.maxNodes >= 0)) {
      throw propError(pctx, 'maxNodes', spec.maxNodes, 'a whole number >= 0');
    }
    if (spec.maxPods !== undefined && !(Number.isInteger(spec.maxPods) && spec.maxPods >= 1)) {
      throw propError(pctx, 'maxPods', spec.maxPods, 'a whole number >= 1');
    }
    const host = spec.host;
    const serves = spec.serves ?? PoolServes.ALL;
    const reservation = spec.reservation ?? host.provider.defaultReservation;
    const maxPods = spec.maxPods ?? host.maxPods;
    const shm = spec.shm ?? ShmSize.HALF_OF_MEMORY;
    const reserved = reservation.reserve({ vcpus: host.vcpus, memoryBytes: host.memoryBytes, maxPods });
    const cpu = Math.round(host.vcpus * 1000);
    const allocCpu = Math.max(0, cpu - reserved.cpuMillis);
    const allocMem = Math.max(0, host.memoryBytes - reserved.memoryBytes - reserved.evictionBytes);
    const shmBytes = shm.bytesFor(host.memoryBytes);
    const dims = [
      ...BASE_DIMS,
      ...[...new Set([...extNames, ...Object.keys(host.extendedResources)])].sort(),
    ];
    const allocatable = dims.map((d) => {
      switch (d) {
        case 'cpu':
          return allocCpu;
        case 'memory':
          return allocMem;
        case 'pods':
          return maxPods;
        case 'shm':
          return shmBytes;
        default:
          return host.extendedResources[d] ?? 0;
      }
    });
    // DaemonSets that land on this pool's nodes.
    const labels = poolLabels(spec, serves, kataRuntime);
    const taints = poolTaints(spec, serves, kataRuntime);
    const daemon = dims.map(() => 0);
    const daemonSets: string[] = [];
    for (const ds of daemons) {
      const p = ds.profile;
      if (p.error) continue;
      const selects = Object.entries(p.nodeSelector).every(([k, v]) => labels[k] === v);
      const tolerated = taints
        .filter((t) => t.effect !== 'PreferNoSchedule')
        .every((t) => tolerationsTolerate(p.tolerations, t));
      const runtimeOk = p.sandbox === TRUSTED_SANDBOX || serves.serves(p.sandbox);
      if (!selects || !tolerated || !runtimeOk) continue;
      daemonSets.push(ds.workload.id);
      demandOf(p, dims).forEach((v, d) => (daemon[d] += v));
    }
    const capacity = allocatable.map((a, d) => a - daemon[d]);
    return {
      spec,
      name: spec.name ?? host.name,
      serves,
      dims,
      capacity,
      allocatable,
      daemon,
      daemonSets,
      queue: [],
      budget: {
        capacityCpuMillis: cpu,
        capacityMemoryBytes: host.memoryBytes,
        reservation: reservation.name,
        reserved,
        allocatableCpuMillis: allocCpu,
        allocatableMemoryBytes: allocMem,
        maxPods,
        shmBytes: shmBytes === Infinity ? null : shmBytes,
        shm: shm.description,
        daemonSetCpuMillis: daemon[0],
        daemonSetMemoryBytes: daemon[1],
        daemonSetPods: daemon[2],
      },
    };
  });
  const poolNames = pools.map((p) => p.name);
  const dup = poolNames.find((n, i) => poolNames.indexOf(n) !== i);
  if (dup !== undefined)
    throw propError(ctx, 'pools', dup, 'unique pool names (set name on pools that share a host type)');

  for (const ds of daemons) {
    if (ds.profile.error) {
      pushUnschedulable(ds, 1, UnschedulableReason.UNKNOWN_RUNTIME_CLASS, ds.profile.error);
      continue;
    }
    const on = pools.filter((p) => p.daemonSets.includes(ds.workload.id));
    if (on.length === 0)
      notes.add(
        `${ds.workload.id}: DaemonSet selects no pool (node selector, taints or runtime); not counted`,
      );
    for (const p of on) {
      const over = p.dims.findIndex((_, d) => p.capacity[d] < 0);
      if (over >= 0) {
        pushUnschedulable(
          ds,
          1,
          UnschedulableReason.DAEMONSET_DOES_NOT_FIT,
          `the DaemonSets on pool "${p.name}" need ${describeAmount(p.dims[over], p.daemon[over])} ${dimLabel(p.dims[over])} per node; ` +
            `a ${p.spec.host.name} node has ${describeAmount(p.dims[over], p.allocatable[over])} allocatable`,
        );
      }
    }
  }

  // Why a pod does not fit an empty node of a pool, or undefined when it does.
  const misfit = (p: PodProfile, pool: PoolState): { code: string; reason: string } | undefined => {
    const demand = demandOf(p, pool.dims);
    for (let d = 0; d < pool.dims.length; d++) {
      if (demand[d] <= pool.capacity[d]) continue;
      const dim = pool.dims[d];
      const host = pool.spec.host.name;
      if (dim === 'shm') {
        return {
          code: UnschedulableReason.SHM,
          reason:
            `guest memory ${formatMemoryAmount(demand[d])} (${p.guestMemoryFormula}) exceeds /dev/shm ` +
            `${formatMemoryAmount(pool.capacity[d])} on ${host} (${pool.budget.shm}${pool.daemon[d] > 0 ? ', after DaemonSets' : ''})`,
        };
      }
      const overhead =
        p.overhead.cpuMillis + p.overhead.memoryBytes > 0 && (dim === 'cpu' || dim === 'memory');
      return {
        code: UnschedulableReason.TOO_LARGE,
        reason:
          `pod requests ${describeAmount(dim, demand[d])}${dim === 'cpu' || dim === 'memory' ? ` ${dim}` : ''}` +
          `${overhead ? ` (incl. ${p.sandbox} overhead ${describeAmount(dim, dim === 'cpu' ? p.overhead.cpuMillis : p.overhead.memoryBytes)})` : ''}; ` +
          `a ${host} node offers ${describeAmount(dim, Math.max(0, pool.capacity[d]))}${pool.daemon[d] > 0 ? ' after DaemonSets' : ''}`,
      };
    }
    return undefined;
  };

  // Assign each workload to the first serving pool that fits one pod.
  for (const g of groups) {
    const p = g.profile;
    const replicas = g.workload.replicas;
    if (replicas === 0) continue;
    if (p.error) {
      pushUnschedulable(g, replicas, UnschedulableReason.UNKNOWN_RUNTIME_CLASS, p.error);
      continue;
    }
    const serving = pools.filter((pool) => pool.serves.serves(p.sandbox));
    if (serving.length === 0) {
      const what =
        p.sandbox === TRUSTED_SANDBOX
          ? 'trusted (runc) pods'
          : p.sandbox === LEGACY_SANDBOX
            ? 'legacy untrusted pods'
            : `RuntimeClass "${p.sandbox}"`;
      pushUnschedulable(
        g,
        replicas,
        UnschedulableReason.RUNTIME_NOT_SERVED,
        `no pool serves ${what} (pools: ${pools.map((x) => `${x.name} serves ${x.serves.description}`).join('; ')})`,
      );
      continue;
    }
    const reasons: Array<{ code: string; reason: string }> = [];
    const target = serving.find((pool) => {
      const m = misfit(p, pool);
      if (m) reasons.push(m);
      return !m;
    });
    if (target) target.queue.push(g);
    else {
      const code = reasons.every((r) => r.code === UnschedulableReason.SHM)
        ? UnschedulableReason.SHM
        : UnschedulableReason.TOO_LARGE;
      pushUnschedulable(g, replicas, code, reasons.map((r) => r.reason).join('; '));
    }
  }

  // Pack pool by pool; overflow (maxNodes) moves on to the next serving pool that fits.
  const planned: PoolPlan[] = [];
  let placedPods = 0;
  pools.forEach((pool, pi) => {
    const queue = pool.queue;
    // Required hostname anti-affinity between workloads of this pool (symmetric, as the scheduler enforces it).
    const conflicts: Array<Set<number>> = queue.map(() => new Set<number>());
    queue.forEach((a, ai) => {
      if (a.profile.antiAffinity.length === 0) return;
      queue.forEach((b, bi) => {
        if (
          a.profile.antiAffinity.some((t) =>
            antiAffinityTermSelects(t, b.profile.labels, b.profile.namespace),
          )
        ) {
          conflicts[ai].add(bi);
          conflicts[bi].add(ai);
        }
      });
    });
    const zoneNames = [
      ...new Set(queue.map((g) => g.profile.zonePin).filter((z): z is string => z !== undefined)),
    ].sort();
    if (zoneNames.length > zones) {
      notes.add(
        `${zoneNames.length} zones are pinned by node affinity (${zoneNames.join(', ')}) but the plan has ${zones}; pinned zones share plan zones`,
      );
    }
    const packGroupsInput: PackGroup[] = queue.map((g, gi) => ({
      demand: demandOf(g.profile, pool.dims),
      count: g.workload.replicas,
      conflicts: [...conflicts[gi]].sort((x, y) => x - y),
      zoneSpread: g.profile.zoneSpread,
      ...(g.profile.zonePin !== undefined ? { zone: zoneNames.indexOf(g.profile.zonePin) } : {}),
    }));
    const bins = {
      capacity: pool.capacity,
      zones,
      ...(pool.spec.maxNodes !== undefined ? { maxBins: pool.spec.maxNodes } : {}),
    };
    const result = packGroupsInput.length > 0 ? packGroups(packGroupsInput, bins) : undefined;
    const placed = result?.placed ?? [];
    // Overflow.
    queue.forEach((g, gi) => {
      const left = result ? result.unplaced[gi] : 0;
      if (left <= 0) return;
      const next = pools
        .slice(pi + 1)
        .find((q) => q.serves.serves(g.profile.sandbox) && !misfit(g.profile, q));
      if (next) {
        next.queue.push({ ...g, workload: { ...g.workload, replicas: left } });
      } else {
        pushUnschedulable(
          g,
          left,
          UnschedulableReason.POOL_FULL,
          `pool "${pool.name}" is at maxNodes ${pool.spec.maxNodes ?? 'unlimited'} and no later pool serves and fits the pod`,
        );
      }
    });
    const nodes = result?.bins.length ?? 0;
    const lb = packLowerBound(packGroupsInput, bins, placed);
    const di = (name: string): number => pool.dims.indexOf(name);
    const lowerBounds: PoolLowerBounds = {
      cpu: lb.byDimension[di('cpu')] ?? 0,
      memory: lb.byDimension[di('memory')] ?? 0,
      pods: lb.byDimension[di('pods')] ?? 0,
      shm: lb.byDimension[di('shm')] ?? 0,
      antiAffinity: lb.antiAffinity,
      largePods: Math.max(0, ...lb.largePods),
    };
    const nodeUsage: NodeUsage[] = (result?.bins ?? []).map((b) => ({
      zone: b.zone,
      pods: b.used[di('pods')] + pool.daemon[di('pods')],
      cpuMillis: b.used[di('cpu')] + pool.daemon[di('cpu')],
      memoryBytes: b.used[di('memory')] + pool.daemon[di('memory')],
      shmBytes: b.used[di('shm')] + pool.daemon[di('shm')],
    }));
    const util = (d: number): number => {
      const total = (result?.bins ?? []).reduce((s, b) => s + b.used[d] + pool.daemon[d], 0);
      const cap = nodes * pool.allocatable[d];
      return cap > 0 && cap !== Infinity ? round4(total / cap) : 0;
    };
    // Binding: the resource with the highest demand share; anti-affinity when it alone forces more nodes.
    let binding = 'none';
    if (nodes > 0) {
      let best = -1;
      pool.dims.forEach((dim, d) => {
        const cap = pool.capacity[d];
        if (cap === Infinity || cap <= 0) return;
        const total = (result?.bins ?? []).reduce((s, b) => s + b.used[d], 0);
        const share = total / cap;
        if (share > best + 1e-12) {
          best = share;
          binding = dim;
        }
      });
      if (lb.antiAffinity > Math.ceil(best - 1e-9)) binding = 'anti-affinity';
    }
    const price = pool.spec.host.price;
    placedPods += placed.reduce((a, b) => a + b, 0);
    const byWorkload = new Map<string, number>();
    queue.forEach((g, gi) =>
      byWorkload.set(g.workload.id, (byWorkload.get(g.workload.id) ?? 0) + (placed[gi] ?? 0)),
    );
    planned.push({
      name: pool.name,
      host: pool.spec.host,
      serves: pool.serves.description,
      nodes,
      lowerBound: lb.bound,
      lowerBounds,
      cpuUtilization: util(di('cpu')),
      memoryUtilization: util(di('memory')),
      podsUtilization: util(di('pods')),
      shmUtilization: pool.budget.shmBytes === null ? null : util(di('shm')),
      bindingResource: binding,
      hourlyCost: price ? round2(nodes * price.perHour) : null,
      monthlyCost: price ? round2(nodes * price.perHour * HOURS_PER_MONTH) : null,
      node: pool.budget,
      daemonSets: pool.daemonSets,
      workloads: queue
        .filter((g, gi) => queue.findIndex((x) => x.workload.id === g.workload.id) === gi)
        .map((g) => ({ id: g.workload.id, pods: byWorkload.get(g.workload.id) ?? 0 }))
        .filter((w) => w.pods > 0),
      nodeUsage,
      strategy: result?.strategy.name ?? PackStrategy.FIRST_FIT.name,
    });
  });

  const used = planned.filter((p) => p.nodes > 0);
  const currencies = [
    ...new Set(used.map((p) => p.host.price?.currency).filter((c): c is string => c !== undefined)),
  ];
  const monthlyCost = used.every((p) => p.monthlyCost !== null)
    ? round2(used.reduce((s, p) => s + (p.monthlyCost ?? 0), 0))
    : null;
  unschedulable.sort((a, b) => {
    const ia = workloads.findIndex((w) => w.id === a.workload);
    const ib = workloads.findIndex((w) => w.id === b.workload);
    return ia - ib || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  });
  return {
    zones,
    pools: planned,
    unschedulable,
    totalPods: groups.reduce((s, g) => s + g.workload.replicas, 0),
    placedPods,
    monthlyCost: currencies.length <= 1 ? monthlyCost : null,
    currency: currencies.length === 1 ? currencies[0] : null,
    notes: [...notes].sort(),
  };
}

/**
 * Plans Kubernetes objects: from `loadManifests(paths).manifests` or in-memory JSON objects.
 *
 * @throws PropError for bad options
 */
export function planCapacity(
  manifests: ReadonlyArray<KubeObject | LoadedManifest>,
  options: PlanCapacityOptions,
): CapacityPlan {
  const extracted = workloadsFromManifests(manifests, options);
  return planWorkloads(extracted.workloads, {
    ...options,
    runtimeClasses: extracted.runtimeClasses,
    notes: extracted.notes,
  });
}

/** Plans a cdk8s app in memory (every chart's objects, as `cdk8s synth` would write them). */
export function planApp(app: App, options: PlanCapacityOptions): CapacityPlan {
  const objects = app.charts.flatMap((c) => c.toJson() as KubeObject[]);
  return planCapacity(objects, options);
}
