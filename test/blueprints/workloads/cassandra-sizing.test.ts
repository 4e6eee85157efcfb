import { Chart, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import {
  CassandraEngine,
  KataCassandraRing,
  SCYLLA_MIN_MIB_PER_SHARD,
  cassandraDefaultHeap,
  cassandraNewGen,
  scyllaResources,
  validateCassandraHeap,
  validateScyllaResources,
} from '../../../blueprints/workloads/cassandra';

/** cassandra-env.sh `calculate_heap_sizes`, transcribed with shell integer arithmetic. */
function envShHeap(systemMemoryInMb: number, cores: number): { max: number; young: number } {
  let half = Math.trunc(systemMemoryInMb / 2);
  let quarter = Math.trunc(half / 2);
  if (half > 1024) half = 1024;
  if (quarter > 8192) quarter = 8192;
  const max = half > quarter ? half : quarter;
  const sensible = 100 * cores;
  const desired = Math.trunc(max / 4);
  return { max, young: desired > sensible ? sensible : desired };
}

function ring(props: Record<string, unknown>) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
  return new KataCassandraRing(chart, 'ring', { superuserSecret: { name: 'su' }, ...props });
}

describe('Cassandra heap sizing', () => {
  test('matches cassandra-env.sh for known sizes', () => {
    expect(cassandraDefaultHeap(2048, 1)).toEqual({ heapMiB: 1024, newGenMiB: 100 });
    expect(cassandraDefaultHeap(4096, 2)).toEqual({ heapMiB: 1024, newGenMiB: 200 });
    expect(cassandraDefaultHeap(8192, 2)).toEqual({ heapMiB: 2048, newGenMiB: 200 });
    expect(cassandraDefaultHeap(16384, 4)).toEqual({ heapMiB: 4096, newGenMiB: 400 });
    expect(cassandraDefaultHeap(65536, 16)).toEqual({ heapMiB: 8192, newGenMiB: 1600 });
    expect(cassandraDefaultHeap(262144, 64)).toEqual({ heapMiB: 8192, newGenMiB: 2048 });
    expect(cassandraDefaultHeap(1000, 1)).toEqual({ heapMiB: 500, newGenMiB: 100 });
  });

  test('property: equals the script rule for every memory size and core count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 * 1024 * 1024 }),
        fc.integer({ min: 1, max: 256 }),
        (mem, cores) => {
          const expected = envShHeap(mem, cores);
          const got = cassandraDefaultHeap(mem, cores);
          expect(got.heapMiB).toBe(expected.max);
          expect(got.newGenMiB).toBe(expected.young);
          expect(cassandraNewGen(got.heapMiB, cores)).toBe(expected.young);
        },
      ),
    );
  });

  test('property: from 2047Mi up, the default heap leaves room (half at most, 1Gi outside)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2047, max: 4 * 1024 * 1024 }),
        fc.integer({ min: 1, max: 128 }),
        (mem, cores) => {
          const { heapMiB, newGenMiB } = cassandraDefaultHeap(mem, cores);
          expect(validateCassandraHeap(mem, heapMiB)).toBeUndefined();
          expect(heapMiB).toBeLessThanOrEqual(mem / 2);
          expect(mem - heapMiB).toBeGreaterThanOrEqual(1024);
          expect(heapMiB).toBeLessThanOrEqual(8192);
          expect(newGenMiB).toBeGreaterThan(0);
          expect(newGenMiB).toBeLessThanOrEqual(heapMiB / 4);
        },
      ),
    );
  });

  test('property: below 2047Mi the construct refuses the memory, naming the prop and the value', () => {
    // 2047Mi is the smallest limit whose default heap (1023Mi) leaves 1Gi beside it.
    expect(ring({ memory: Size.mebibytes(2047) }).heap).toEqual({ heapMiB: 1023, newGenMiB: 200 });
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 2046 }), (mem) => {
        expect(() => ring({ memory: Size.mebibytes(mem) })).toThrow(
          new RegExp(
            `KataCassandraRing "ring": memory "${mem}Mi" is not allowed; expected a limit that leaves room`,
          ),
        );
      }),
      { numRuns: 40 },
    );
  });

  test('property: an explicit heap above half the limit is refused, at or below half (with 1Gi left) accepted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2048, max: 96 * 1024 }),
        fc.integer({ min: 512, max: 31 * 1024 }),
        (mem, heap) => {
          const reason = validateCassandraHeap(mem, heap);
          if (heap > Math.floor(mem / 2) || mem - heap < 1024) {
            expect(reason).toBeDefined();
            expect(() => ring({ memory: Size.mebibytes(mem), heapSize: Size.mebibytes(heap) })).toThrow(
              /KataCassandraRing "ring": heapSize "\d+Mi" is not allowed/,
            );
          } else {
            expect(reason).toBeUndefined();
            const r = ring({ memory: Size.mebibytes(mem), heapSize: Size.mebibytes(heap) });
            expect(r.heap?.heapMiB).toBe(heap);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test('refuses heaps of 32Gi and more (compressed oops) and tiny heaps', () => {
    expect(validateCassandraHeap(128 * 1024, 32 * 1024)).toMatch(/below 32Gi/);
    expect(validateCassandraHeap(128 * 1024, 31 * 1024)).toBeUndefined();
    expect(validateCassandraHeap(8192, 256)).toMatch(/at least 512Mi/);
    expect(() => ring({ memory: Size.gibibytes(128), heapSize: Size.gibibytes(32) })).toThrow(
      /heapSize "32768Mi" is not allowed; expected a heap below 32Gi/,
    );
  });
});

describe('ScyllaDB sizing', () => {
  test('known sizes: whole cores become shards, Seastar keeps its reserve', () => {
    expect(scyllaResources(16384, 4000)).toEqual({
      smp: 4,
      memoryMiB: 14848,
      reserveMiB: 1536,
      memoryPerShardMiB: 3712,
    });
    expect(scyllaResources(65536, 8000)).toEqual({
      smp: 8,
      memoryMiB: 60948,
      reserveMiB: 4588,
      memoryPerShardMiB: 7618,
    });
    expect(scyllaResources(4096, 1500).smp).toBe(1);
    expect(scyllaResources(4096, 500).smp).toBe(1);
  });

  test('property: memory + reserve is the limit, reserve follows Seastar, and the shard check is exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2048, max: 1024 * 1024 }),
        fc.integer({ min: 100, max: 96000 }),
        (mem, cpu) => {
          const r = scyllaResources(mem, cpu);
          expect(r.memoryMiB + r.reserveMiB).toBe(mem);
          expect(r.reserveMiB).toBe(Math.max(1536, Math.ceil(mem * 0.07)));
          expect(r.smp).toBe(Math.max(1, Math.floor(cpu / 1000)));
          const reason = validateScyllaResources(r, mem);
          if (r.memoryMiB >= SCYLLA_MIN_MIB_PER_SHARD * r.smp) {
            expect(reason).toBeUndefined();
          } else {
            expect(reason).toMatch(/at least 1024Mi per shard/);
            // The limit the message proposes is enough, and one MiB less is not.
            const proposed = Number(/raise memory to at least (\d+)Mi/.exec(reason!)![1]);
            expect(
              validateScyllaResources(scyllaResources(proposed, r.smp * 1000), proposed),
            ).toBeUndefined();
            expect(
              validateScyllaResources(scyllaResources(proposed - 1, r.smp * 1000), proposed - 1),
            ).toBeDefined();
          }
        },
      ),
    );
  });

  test('property: the construct refuses exactly the sizes ScyllaDB would refuse', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2048, max: 64 * 1024 }),
        fc.integer({ min: 1, max: 32 }),
        (mem, cores) => {
          const make = () =>
            ring({ engine: CassandraEngine.SCYLLA, memory: Size.mebibytes(mem), cpu: Cpu.units(cores) });
          const r = scyllaResources(mem, cores * 1000);
          if (r.memoryMiB < 1024 * r.smp) {
            expect(make).toThrow(
              /KataCassandraRing "ring": memory "\d+Mi" is not allowed; expected at least 1024Mi per shard/,
            );
          } else {
            expect(make().scylla).toEqual(r);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
