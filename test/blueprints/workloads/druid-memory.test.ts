import fc from 'fast-check';
import {
  DRUID_MAX_AUTO_BUFFER_MIB,
  JvmPlan,
  JvmProfile,
  MIB,
  MIN_HEAP_MIB,
  PlanJvmInput,
  checkContainerFit,
  cpuCores,
  defaultNumMergeBuffers,
  defaultNumThreads,
  headroomMiB,
  planJvm,
  planMiddleManager,
  planSingleJvm,
  requiredDirectMemoryMiB,
  segmentCacheBytes,
} from '../../../blueprints/workloads/druid/memory';
import { PropError } from '../../../lib/k8s/errors';

const CTX = 'KataDruidCluster "druid"';
const PROCESSING = [JvmProfile.BROKER, JvmProfile.HISTORICAL, JvmProfile.INDEXER];
const ALL = [...PROCESSING, JvmProfile.MASTER];

/** Runs fn; returns its value, or undefined when it threw a PropError (anything else fails the test). */
function orPropError<T>(fn: () => T): T | undefined {
  try {
    const v = fn();
    planned++;
    return v;
  } catch (e) {
    if (e instanceof PropError) {
      refused++;
      return undefined;
    }
    throw e;
  }
}
let planned = 0;
let refused = 0;
/** Asserts that a property exercised both outcomes (or only plans, when `plansOnly`). */
function expectBothOutcomes(plansOnly = false): void {
  expect(planned).toBeGreaterThan(10);
  if (!plansOnly) expect(refused).toBeGreaterThan(0);
  planned = 0;
  refused = 0;
}

const fits = (plan: JvmPlan, limitMiB: number, jvms = 1) =>
  plan.heapMiB + plan.directMemoryMiB + headroomMiB(limitMiB, jvms) <= limitMiB;

describe("Druid's processing rules", () => {
  test('numThreads is cores - 1, at least 1', () => {
    expect([1, 2, 3, 4, 16].map(defaultNumThreads)).toEqual([1, 1, 2, 3, 15]);
  });

  test('numMergeBuffers is max(2, numThreads / 4)', () => {
    expect([1, 3, 8, 11, 12, 15, 63].map(defaultNumMergeBuffers)).toEqual([2, 2, 2, 2, 3, 3, 15]);
  });

  test('cores follow the JVM container support: ceil(limit)', () => {
    expect([100, 1000, 1001, 2500, 4000].map(cpuCores)).toEqual([1, 1, 2, 3, 4]);
  });

  test('direct memory needed = buffer x (merge + threads + 1)', () => {
    expect(requiredDirectMemoryMiB({ numThreads: 3, numMergeBuffers: 2, bufferSizeMiB: 500 })).toBe(3000);
  });

  test('headroom is 256 MiB per JVM plus 5% of the limit', () => {
    expect(headroomMiB(8192, 1)).toBe(256 + 410);
    expect(headroomMiB(8192, 4)).toBe(1024 + 410);
  });
});

describe('planSingleJvm defaults', () => {
  const plan = (profile: JvmProfile, memoryLimitMiB: number, cpuLimitMillis: number) =>
    planSingleJvm({ context: CTX, prop: 'x', profile, memoryLimitMiB, cpuLimitMillis });

  test('a Historical with 4 cores and 8 GiB: 3 threads, 2 merge buffers, heap 0.5 GiB per core', () => {
    expect(plan(JvmProfile.HISTORICAL, 8192, 4000)).toEqual({
      heapMiB: 2048,
      directMemoryMiB: 376 * 6,
      activeProcessors: 4,
      processing: { numThreads: 3, numMergeBuffers: 2, bufferSizeMiB: 376 },
    });
  });

  test('a big Historical caps buffers at 500 MiB and the heap at 24 GiB', () => {
    const p = plan(JvmProfile.HISTORICAL, 256 * 1024, 64000);
    expect(p.processing).toEqual({ numThreads: 63, numMergeBuffers: 15, bufferSizeMiB: 500 });
    expect(p.heapMiB).toBe(24 * 1024);
    expect(p.directMemoryMiB).toBe(500 * 79);
  });

  test('a Broker has one processing thread, merge buffers like a Historical, and the rest as heap', () => {
    const p = plan(JvmProfile.BROKER, 4096, 2000);
    expect(p.processing).toEqual({ numThreads: 1, numMergeBuffers: 2, bufferSizeMiB: 363 });
    expect(p.directMemoryMiB).toBe(363 * 4);
    expect(p.heapMiB).toBe(2176);
    expect(fits(p, 4096)).toBe(true);
  });

  test('a Router or Coordinator has no processing buffers and a small direct memory', () => {
    const router = plan(JvmProfile.MASTER, 1024, 1000);
    expect(router).toEqual({ heapMiB: 576, directMemoryMiB: 128, activeProcessors: 1 });
    expect(plan(JvmProfile.MASTER, 8192, 2000).directMemoryMiB).toBe(256);
  });

  test('too little memory for any processing buffer is an error naming the memory limit', () => {
    expect(() => plan(JvmProfile.HISTORICAL, 1024, 16000)).toThrow(
      /KataDruidCluster "druid": x\.resources\.memory\.limit .* is not allowed; expected room for 19 processing buffers/,
    );
  });

  test('too little memory for a heap is an error', () => {
    expect(() => plan(JvmProfile.MASTER, 512, 1000)).toThrow(
      /x\.resources\.memory\.limit .*room for a heap of at least 128Mi/,
    );
  });
});

describe('planJvm with given settings', () => {
  const base: PlanJvmInput = {
    context: CTX,
    prop: 'historicals',
    profile: JvmProfile.HISTORICAL,
    budgetMiB: 16000,
    cores: 8,
  };

  test('direct memory below buffer x (merge + threads + 1) is an error with the arithmetic', () => {
    expect(() =>
      planJvm({
        ...base,
        settings: { directMemoryMiB: 1024, bufferSizeMiB: 500, numThreads: 3, numMergeBuffers: 2 },
      }),
    ).toThrow(
      'KataDruidCluster "druid": historicals.directMemory "1024Mi" is not allowed; expected at least buffer.sizeBytes x (numMergeBuffers + numThreads + 1) = 500Mi x (2 + 3 + 1) = 3000Mi',
    );
  });

  test('only the direct memory given: the buffer follows Druid rule, at most 1 GiB', () => {
    const p = planJvm({ ...base, settings: { directMemoryMiB: 4500 } });
    expect(p.processing).toEqual({ numThreads: 7, numMergeBuffers: 2, bufferSizeMiB: 450 });
    expect(p.directMemoryMiB).toBe(4500);
    const big = planJvm({
      ...base,
      budgetMiB: 100000,
      settings: { directMemoryMiB: 20000, numThreads: 3, numMergeBuffers: 2 },
    });
    expect(big.processing!.bufferSizeMiB).toBe(DRUID_MAX_AUTO_BUFFER_MIB);
  });

  test('a given heap leaves the rest of the budget to the buffers', () => {
    const p = planJvm({ ...base, settings: { heapMiB: 12000 } });
    expect(p.heapMiB).toBe(12000);
    expect(p.processing!.bufferSizeMiB).toBe(Math.min(500, Math.floor(4000 / 10)));
  });

  test('out-of-range values name the prop', () => {
    expect(() => planJvm({ ...base, settings: { numThreads: 0 } })).toThrow(
      /historicals\.processing\.numThreads 0/,
    );
    expect(() => planJvm({ ...base, settings: { bufferSizeMiB: 2048 } })).toThrow(
      /historicals\.processing\.bufferSize 2048 .*below 2GiB/,
    );
    expect(() => planJvm({ ...base, settings: { heapMiB: 64 } })).toThrow(
      /historicals\.heap 64 .*at least 128Mi/,
    );
  });

  test('processing settings on a process without processing buffers are refused', () => {
    expect(() =>
      planJvm({ ...base, prop: 'routers', profile: JvmProfile.MASTER, settings: { numThreads: 2 } }),
    ).toThrow(/routers\.processing .*unset: a master has no processing buffers/);
  });
});

describe('memory arithmetic (property tests)', () => {
  test('every derived single-JVM plan fits its limit and meets the direct memory rule', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 256, max: 256 * 1024 }),
        fc.integer({ min: 100, max: 96000 }),
        fc.constantFrom(...ALL),
        (limit, cpu, profile) => {
          const p = orPropError(() =>
            planSingleJvm({ context: CTX, prop: 'x', profile, memoryLimitMiB: limit, cpuLimitMillis: cpu }),
          );
          if (!p) return;
          expect(fits(p, limit)).toBe(true);
          expect(p.heapMiB).toBeGreaterThanOrEqual(MIN_HEAP_MIB);
          expect(p.activeProcessors).toBe(cpuCores(cpu));
          if (profile.processing) {
            const proc = p.processing!;
            expect(p.directMemoryMiB).toBeGreaterThanOrEqual(requiredDirectMemoryMiB(proc));
            expect(proc.bufferSizeMiB).toBeLessThanOrEqual(DRUID_MAX_AUTO_BUFFER_MIB);
            expect(proc.numMergeBuffers).toBeGreaterThanOrEqual(2);
            if (profile !== JvmProfile.BROKER) {
              expect(proc.numThreads).toBe(Math.max(1, cpuCores(cpu) - 1));
              expect(proc.numMergeBuffers).toBe(Math.max(2, Math.floor(proc.numThreads / 4)));
            } else {
              expect(proc.numThreads).toBe(1);
            }
          } else {
            expect(p.processing).toBeUndefined();
          }
        },
      ),
    );
    expectBothOutcomes();
  });

  test('with at least 1 GiB per core a Historical always gets a plan', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1024, max: 4096 }), (cores, perCore) => {
        const limit = Math.max(2048, cores * perCore);
        const p = planSingleJvm({
          context: CTX,
          prop: 'historicals',
          profile: JvmProfile.HISTORICAL,
          memoryLimitMiB: limit,
          cpuLimitMillis: cores * 1000,
        });
        expect(fits(p, limit)).toBe(true);
      }),
    );
  });

  test('given settings either satisfy every rule or are refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 512, max: 64 * 1024 }),
        fc.integer({ min: 1, max: 32 }),
        fc.option(fc.integer({ min: 128, max: 48 * 1024 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 48 * 1024 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 32 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 2047 }), { nil: undefined }),
        (limit, cores, heapMiB, directMemoryMiB, numThreads, numMergeBuffers, bufferSizeMiB) => {
          const settings = { heapMiB, directMemoryMiB, numThreads, numMergeBuffers, bufferSizeMiB };
          const p = orPropError(() =>
            planSingleJvm({
              context: CTX,
              prop: 'historicals',
              profile: JvmProfile.HISTORICAL,
              memoryLimitMiB: limit,
              cpuLimitMillis: cores * 1000,
              settings,
            }),
          );
          if (!p) return;
          expect(fits(p, limit)).toBe(true);
          expect(p.directMemoryMiB).toBeGreaterThanOrEqual(requiredDirectMemoryMiB(p.processing!));
          if (heapMiB !== undefined) expect(p.heapMiB).toBe(heapMiB);
          if (directMemoryMiB !== undefined) expect(p.directMemoryMiB).toBe(directMemoryMiB);
          if (bufferSizeMiB !== undefined) expect(p.processing!.bufferSizeMiB).toBe(bufferSizeMiB);
          if (numThreads !== undefined) expect(p.processing!.numThreads).toBe(numThreads);
        },
      ),
    );
    expectBothOutcomes();
  });

  test('a given direct memory below the processing needs is always refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 1024 }),
        fc.integer({ min: 1, max: 1000 }),
        (numThreads, numMergeBuffers, bufferSizeMiB, short) => {
          const needed = bufferSizeMiB * (numThreads + numMergeBuffers + 1);
          const directMemoryMiB = Math.max(1, needed - short);
          fc.pre(directMemoryMiB < needed);
          expect(() =>
            planJvm({
              context: CTX,
              prop: 'historicals',
              profile: JvmProfile.HISTORICAL,
              budgetMiB: 10 ** 6,
              cores: 8,
              settings: { numThreads, numMergeBuffers, bufferSizeMiB, directMemoryMiB },
            }),
          ).toThrow(/historicals\.directMemory .*Druid refuses to start/);
        },
      ),
    );
  });

  test('a MiddleManager container holds its JVM and every peon with headroom', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 128 * 1024 }),
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 1, max: 16 }),
        (limit, cores, capacity) => {
          const p = orPropError(() =>
            planMiddleManager({
              context: CTX,
              prop: 'middleManagers',
              memoryLimitMiB: limit,
              cpuLimitMillis: cores * 1000,
              capacity,
            }),
          );
          if (!p) return;
          const used =
            p.middleManager.heapMiB +
            p.middleManager.directMemoryMiB +
            capacity * (p.peon.heapMiB + p.peon.directMemoryMiB);
          expect(used + headroomMiB(limit, 1 + capacity)).toBeLessThanOrEqual(limit);
          expect(p.peon.directMemoryMiB).toBeGreaterThanOrEqual(requiredDirectMemoryMiB(p.peon.processing!));
          expect(p.peon.processing!.bufferSizeMiB).toBeLessThanOrEqual(100);
          expect(p.peon.processing!.numThreads).toBeLessThanOrEqual(2);
          expect(p.peon.activeProcessors).toBe(Math.max(1, Math.floor(cores / capacity)));
        },
      ),
    );
    expectBothOutcomes();
  });
});

describe('planMiddleManager', () => {
  test('defaults for 4 cores, 8 GiB and 3 slots follow the tuning guide', () => {
    const p = planMiddleManager({
      context: CTX,
      prop: 'middleManagers',
      memoryLimitMiB: 8192,
      cpuLimitMillis: 4000,
      capacity: 3,
    });
    expect(p.middleManager).toEqual({ heapMiB: 256, directMemoryMiB: 128, activeProcessors: 4 });
    expect(p.peon).toEqual({
      heapMiB: 1024,
      directMemoryMiB: 400,
      activeProcessors: 1,
      processing: { numThreads: 1, numMergeBuffers: 2, bufferSizeMiB: 100 },
    });
  });

  test('peons that do not fit the container are an error with the sum', () => {
    expect(() =>
      planMiddleManager({
        context: CTX,
        prop: 'middleManagers',
        memoryLimitMiB: 4096,
        cpuLimitMillis: 4000,
        capacity: 3,
        peon: { heapMiB: 2048, directMemoryMiB: 400, bufferSizeMiB: 100 },
      }),
    ).toThrow(
      /middleManagers\.resources\.memory\.limit "4096Mi" .*expected at least 8957Mi: middleManager \(heap 256Mi \+ direct 128Mi\) \+ 3 x peon \(heap 2048Mi \+ direct 400Mi\) \+ headroom 1229Mi/,
    );
  });

  test('a peon share too small for its buffers names the container memory limit', () => {
    expect(() =>
      planMiddleManager({
        context: CTX,
        prop: 'middleManagers',
        memoryLimitMiB: 4096,
        cpuLimitMillis: 16000,
        capacity: 12,
      }),
    ).toThrow(/middleManagers\.resources\.memory\.limit .*is not allowed; expected room for/);
  });
});

describe('checkContainerFit', () => {
  test('names the limit, the parts and the headroom', () => {
    expect(() =>
      checkContainerFit(CTX, 'brokers', 2048, [
        { name: 'broker', plan: { heapMiB: 1800, directMemoryMiB: 200, activeProcessors: 1 } },
      ]),
    ).toThrow(
      'KataDruidCluster "druid": brokers.resources.memory.limit "2048Mi" is not allowed; expected at least 2359Mi: broker (heap 1800Mi + direct 200Mi) + headroom 359Mi',
    );
  });
});

describe('segmentCacheBytes', () => {
  test('defaults to 90% of the volume, in bytes', () => {
    expect(segmentCacheBytes(CTX, 'historicals', 102400, undefined)).toBe(92160 * MIB);
  });

  test('a cache larger than 90% of its volume is an error', () => {
    expect(() => segmentCacheBytes(CTX, 'historicals', 102400, 200 * 1024)).toThrow(
      'KataDruidCluster "druid": historicals.segmentCacheSize "204800Mi" is not allowed; expected at most 90% of the 102400Mi volume (92160Mi)',
    );
  });

  test('property: accepted sizes never exceed the volume', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 7 }),
        fc.integer({ min: 1, max: 10 ** 7 }),
        (volume, cache) => {
          const b = orPropError(() => segmentCacheBytes(CTX, 'h', volume, cache));
          if (b === undefined) expect(cache).toBeGreaterThan(volume * 0.9);
          else expect(b).toBeLessThanOrEqual(volume * MIB);
        },
      ),
    );
    expectBothOutcomes();
  });
});
