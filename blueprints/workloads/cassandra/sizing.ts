/**
 * Memory and CPU sizing of a ring node, as pure functions of the container limits.
 *
 * Cassandra: the JVM heap follows `calculate_heap_sizes` of `conf/cassandra-env.sh` (apache/cassandra),
 * applied to the container memory limit instead of the memory the (virtual) machine reports, because
 * inside a Kata VM `free -m` sees the whole guest (limit + the VM's default memory) and `/proc/cpuinfo`
 * sees every guest vCPU.
 *
 * ScyllaDB: Seastar takes all the memory it is given and keeps it; `--memory` is the limit minus the
 * reserve Seastar itself would hold back (`resource.cc` `calculate_memory`), and `--smp` is the number of
 * whole cores of the limit.
 */

/** Cassandra never gives the heap more than this share of the memory limit (see {@link validateCassandraHeap}). */
export const CASSANDRA_MAX_HEAP_FRACTION = 0.5;
/** Memory (MiB) a Cassandra node needs beside the heap at the very least (see {@link validateCassandraHeap}). */
export const CASSANDRA_MIN_OFF_HEAP_MIB = 1024;
/** Smallest heap (MiB) the blueprint accepts. */
export const CASSANDRA_MIN_HEAP_MIB = 512;
/** Heaps of 32 GiB and more lose compressed ordinary object pointers and hold fewer objects than 31 GiB. */
export const CASSANDRA_COMPRESSED_OOPS_LIMIT_MIB = 32 * 1024;

/** The heap of a Cassandra node. */
export interface CassandraHeap {
  /** `MAX_HEAP_SIZE` (also the initial heap: cassandra-env.sh sets `-Xms` and `-Xmx` to it), in MiB. */
  readonly heapMiB: number;
  /**
   * `HEAP_NEWSIZE` in MiB: `min(100 MiB x cores, heap / 4)`. cassandra-env.sh turns it into `-Xmn` only
   * with CMS; with G1 (the only choice on the JDK 17 of the 5.0 image, CMS was removed in JDK 14) the
   * young generation is sized by G1 itself.
   */
  readonly newGenMiB: number;
}

/**
 * The heap cassandra-env.sh would pick for a machine with `memoryMiB` of RAM and `cores` CPUs:
 * `max(min(1/2 ram, 1024 MiB), min(1/4 ram, 8192 MiB))`, with the script's integer arithmetic
 * (`expr`: the quarter is the half halved), and a young generation of `min(100 MiB x cores, heap / 4)`.
 *
 * @param memoryMiB the container memory limit, in MiB
 * @param cores whole cores of the CPU limit (at least 1)
 */
export function cassandraDefaultHeap(memoryMiB: number, cores: number): CassandraHeap {
  const half = Math.floor(memoryMiB / 2);
  const quarter = Math.floor(half / 2);
  const heapMiB = Math.max(Math.min(half, 1024), Math.min(quarter, 8192));
  return { heapMiB, newGenMiB: cassandraNewGen(heapMiB, cores) };
}

/** `HEAP_NEWSIZE` for a heap: `min(100 MiB x cores, heap / 4)` (cassandra-env.sh). */
export function cassandraNewGen(heapMiB: number, cores: number): number {
  return Math.min(100 * Math.max(1, Math.floor(cores)), Math.floor(heapMiB / 4));
}

/**
 * Why a heap does not fit a memory limit, or undefined when it does.
 *
 * The rule: the heap is at most half of the limit, and at least 1 GiB of the limit stays outside it.
 * - Half: with `memtable_allocation_type: offheap_objects` the memtables take up to 1/4 of the heap
 *   again off-heap (`memtable_offheap_space`), the chunk cache up to 1/4 of the heap (`file_cache_size`,
 *   at most 512 MiB), and bloom filters, compression offsets, index summaries, network buffers, thread
 *   stacks, metaspace and code cache come on top; what is left is page cache for SSTable reads, which
 *   Cassandra relies on. cassandra-env.sh never goes above half either (its rule tops out at 1/2 RAM).
 * - 1 GiB: the JVM's own non-heap (metaspace, a 240 MiB code cache, hundreds of thread stacks, direct
 *   buffers) needs several hundred MiB before a single SSTable is opened; below 1 GiB a container limit
 *   turns the first compaction into an OOM kill.
 * Together they put the smallest node at 2047 MiB (a 1023 MiB heap). Heaps of 32 GiB and more are refused
 * because they lose compressed oops.
 */
export function validateCassandraHeap(memoryMiB: number, heapMiB: number): string | undefined {
  if (!Number.isInteger(heapMiB) || heapMiB < CASSANDRA_MIN_HEAP_MIB) {
    return `a heap of at least ${CASSANDRA_MIN_HEAP_MIB}Mi in whole MiB`;
  }
  if (heapMiB >= CASSANDRA_COMPRESSED_OOPS_LIMIT_MIB) {
    return `a heap below 32Gi (at 32Gi the JVM loses compressed oops and holds fewer objects than with 31Gi)`;
  }
  const maxHeap = Math.floor(memoryMiB * CASSANDRA_MAX_HEAP_FRACTION);
  if (heapMiB > maxHeap) {
    return (
      `a heap of at most half the memory limit ${memoryMiB}Mi (${maxHeap}Mi): off-heap memtables, chunk cache, ` +
      `bloom filters, JVM non-heap and the page cache need the other half`
    );
  }
  if (memoryMiB - heapMiB < CASSANDRA_MIN_OFF_HEAP_MIB) {
    return (
      `at least ${CASSANDRA_MIN_OFF_HEAP_MIB}Mi of the memory limit ${memoryMiB}Mi outside the heap ` +
      `(JVM non-heap and off-heap structures); raise memory to at least ${heapMiB + CASSANDRA_MIN_OFF_HEAP_MIB}Mi`
    );
  }
  return undefined;
}

/** Seastar's smallest reserve: `1536 * 1024 * 1024` bytes (`resource.cc` `calculate_memory`). */
export const SCYLLA_MIN_RESERVE_MIB = 1536;
/** Seastar's proportional reserve: 7% of the memory it can see. */
export const SCYLLA_RESERVE_FRACTION = 0.07;
/** ScyllaDB refuses to start outside developer mode below 1 GiB per shard (`main.cc` `verify_adequate_memory_per_shard`). */
export const SCYLLA_MIN_MIB_PER_SHARD = 1024;

/** The `--smp`, `--memory` and `--reserve-memory` of a ScyllaDB node. */
export interface ScyllaResources {
  /** `--smp`: shards, one per whole core of the CPU limit (at least 1). */
  readonly smp: number;
  /** `--memory`, in MiB: what Seastar allocates up front and divides among the shards. */
  readonly memoryMiB: number;
  /** `--reserve-memory`, in MiB: left to the kernel and non-Seastar allocations inside the limit. */
  readonly reserveMiB: number;
  /** Memory per shard, in MiB. */
  readonly memoryPerShardMiB: number;
}

/**
 * Shards and memory for a ScyllaDB container: `--smp` = whole cores of the CPU limit (at least 1),
 * reserve = Seastar's default `max(1536 MiB, 7% of the limit)`, `--memory` = limit - reserve.
 *
 * @param memoryLimitMiB the container memory limit, in MiB
 * @param cpuLimitMillis the container CPU limit, in millicores
 */
export function scyllaResources(memoryLimitMiB: number, cpuLimitMillis: number): ScyllaResources {
  const smp = Math.max(1, Math.floor(cpuLimitMillis / 1000));
  const reserveMiB = Math.max(SCYLLA_MIN_RESERVE_MIB, Math.ceil(memoryLimitMiB * SCYLLA_RESERVE_FRACTION));
  const memoryMiB = memoryLimitMiB - reserveMiB;
  return { smp, memoryMiB, reserveMiB, memoryPerShardMiB: Math.floor(memoryMiB / smp) };
}

/** Why ScyllaDB would refuse these resources outside developer mode, or undefined when they fit. */
export function validateScyllaResources(r: ScyllaResources, memoryLimitMiB: number): string | undefined {
  if (r.memoryMiB < SCYLLA_MIN_MIB_PER_SHARD * r.smp) {
    const needed = SCYLLA_MIN_MIB_PER_SHARD * r.smp;
    let minLimit = needed + SCYLLA_MIN_RESERVE_MIB;
    while (scyllaResources(minLimit, r.smp * 1000).memoryMiB < needed) minLimit++;
    return (
      `at least ${SCYLLA_MIN_MIB_PER_SHARD}Mi per shard: ${r.smp} shard(s) get ${r.memoryMiB}Mi of the ${memoryLimitMiB}Mi limit ` +
      `after Seastar's ${r.reserveMiB}Mi reserve, and ScyllaDB stops outside developer mode below 1Gi per shard; ` +
      `raise memory to at least ${minLimit}Mi or lower cpu`
    );
  }
  return undefined;
}
