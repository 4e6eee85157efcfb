/**
 * Multi-dimensional bin packing of pod groups onto identical nodes, with one-per-node conflicts (required
 * hostname anti-affinity), zone spread and zone pinning. Pure numbers in, pure numbers out: the planner
 * turns manifests into {@link PackGroup}s, and benchmarks can call {@link packGroups} directly.
 *
 * Several greedy strategies run and the best result is kept (fewest pods left out, then fewest nodes). Plain
 * first-fit in input order is one of them, so the result never uses more nodes than first-fit.
 */

/** A set of identical pods. */
export interface PackGroup {
  /** What one pod needs, per dimension (same order as the bin capacity). Whole numbers. */
  readonly demand: readonly number[];
  /** How many pods. */
  readonly count: number;
  /**
   * Indices of groups whose pods cannot share a node with this group's pods (required hostname
   * anti-affinity). Include the group's own index for "at most one per node". Conflicts are symmetric.
   * @default - none
   */
  readonly conflicts?: readonly number[];
  /**
   * Spread the pods evenly over the zones (`DoNotSchedule`, max skew 1).
   * @default false
   */
  readonly zoneSpread?: boolean;
  /**
   * Pin every pod to this zone index (taken modulo the number of zones).
   * @default - any zone
   */
  readonly zone?: number;
}

/** The nodes pods are packed onto: all alike. */
export interface PackBins {
  /** What one node offers, per dimension (Infinity for an unbounded dimension). */
  readonly capacity: readonly number[];
  /**
   * Number of zones nodes are spread over.
   * @default 1
   */
  readonly zones?: number;
  /**
   * At most this many nodes.
   * @default - unlimited
   */
  readonly maxBins?: number;
}

/** A packing strategy. */
export class PackStrategy {
  /** First-fit decreasing: biggest dominant share first, each pod on the first node it fits. */
  public static readonly FIRST_FIT_DECREASING = new PackStrategy('first-fit-decreasing', true, false, false);
  /** Best-fit decreasing: biggest first, each pod on the node it leaves the least room on. */
  public static readonly BEST_FIT_DECREASING = new PackStrategy('best-fit-decreasing', true, true, false);
  /** One-per-node groups first (largest count first), then first-fit decreasing. */
  public static readonly ANTI_AFFINITY_FIRST = new PackStrategy('anti-affinity-first', true, false, true);
  /** First-fit in input order. */
  public static readonly FIRST_FIT = new PackStrategy('first-fit', false, false, false);

  /** Every strategy, in the order ties are broken. */
  public static get ALL(): readonly PackStrategy[] {
    return [
      PackStrategy.FIRST_FIT_DECREASING,
      PackStrategy.BEST_FIT_DECREASING,
      PackStrategy.ANTI_AFFINITY_FIRST,
      PackStrategy.FIRST_FIT,
    ];
  }

  private constructor(
    /** Name, e.g. `first-fit-decreasing`. */
    public readonly name: string,
    /** Sort pods by decreasing size. */
    public readonly decreasing: boolean,
    /** Best fit instead of first fit. */
    public readonly bestFit: boolean,
    /** One-per-node groups first. */
    public readonly antiAffinityFirst: boolean,
  ) {}

  /** The name. */
  public toString(): string {
    return this.name;
  }
}

/** One node of a packing. */
export interface PackedBin {
  /** Zone index. */
  readonly zone: number;
  /** Sum of the demand of the pods on it, per dimension. */
  readonly used: number[];
  /** The group index of every pod on it, in placement order. */
  readonly pods: number[];
}

/** The result of packing. */
export interface PackResult {
  /** The nodes, in the order they were opened. */
  readonly bins: PackedBin[];
  /** Pods placed, per group. */
  readonly placed: number[];
  /** Pods that could not be placed, per group (too large for a node, or the node limit was reached). */
  readonly unplaced: number[];
  /** The strategy that produced this result. */
  readonly strategy: PackStrategy;
}

/** Lower bounds on the number of nodes that no packing can beat. */
export interface PackLowerBound {
  /** The largest of the bounds below. */
  readonly bound: number;
  /** Per dimension: `ceil(total demand / node capacity)`. */
  readonly byDimension: number[];
  /** Per dimension: pods needing more than half a node in that dimension (no two share a node). */
  readonly largePods: number[];
  /** The largest one-per-node group. */
  readonly antiAffinity: number;
}

interface Pod {
  readonly g: number;
  readonly zone: number; // -1: any
  readonly order: number;
}

function fitsEmpty(demand: readonly number[], capacity: readonly number[]): boolean {
  for (let d = 0; d < capacity.length; d++) if ((demand[d] ?? 0) > capacity[d]) return false;
  return true;
}

function symmetricConflicts(groups: readonly PackGroup[]): number[][] {
  const sets = groups.map(() => new Set<number>());
  groups.forEach((g, i) => {
    for (const j of g.conflicts ?? []) {
      if (j < 0 || j >= groups.length) continue;
      sets[i].add(j);
      sets[j].add(i);
    }
  });
  return sets.map((s) => [...s].sort((a, b) => a - b));
}

/** Expands groups into pods in input order, assigning zones to spread and pinned pods. */
function expand(groups: readonly PackGroup[], zones: number): Pod[] {
  const pods: Pod[] = [];
  let cursor = 0;
  groups.forEach((g, gi) => {
    for (let k = 0; k < g.count; k++) {
      let zone = -1;
      if (g.zone !== undefined) zone = ((g.zone % zones) + zones) % zones;
      else if (g.zoneSpread && zones > 1) zone = (cursor + k) % zones;
      pods.push({ g: gi, zone, order: pods.length });
    }
    if (g.zone === undefined && g.zoneSpread && zones > 1) cursor = (cursor + g.count) % zones;
  });
  return pods;
}

function dominantShare(demand: readonly number[], capacity: readonly number[]): [number, number] {
  let maxShare = 0;
  let sum = 0;
  for (let d = 0; d < capacity.length; d++) {
    const c = capacity[d];
    const s = c === Infinity || c <= 0 ? 0 : (demand[d] ?? 0) / c;
    if (s > maxShare) maxShare = s;
    sum += s;
  }
  return [maxShare, sum];
}

function ordered(
  strategy: PackStrategy,
  pods: Pod[],
  groups: readonly PackGroup[],
  capacity: readonly number[],
  conflicts: number[][],
): Pod[] {
  if (!strategy.decreasing) return pods;
  const shares = groups.map((g) => dominantShare(g.demand, capacity));
  const selfConflict = groups.map((_, i) => conflicts[i].includes(i));
  return [...pods].sort((a, b) => {
    if (strategy.antiAffinityFirst) {
      const sa = selfConflict[a.g] ? 1 : 0;
      const sb = selfConflict[b.g] ? 1 : 0;
      if (sa !== sb) return sb - sa;
      if (sa === 1 && groups[a.g].count !== groups[b.g].count) return groups[b.g].count - groups[a.g].count;
    }
    const [ma, ta] = shares[a.g];
    const [mb, tb] = shares[b.g];
    if (ma !== mb) return mb - ma;
    if (ta !== tb) return tb - ta;
    if (a.g !== b.g) return a.g - b.g;
    return a.order - b.order;
  });
}

interface Bin {
  zone: number;
  used: number[];
  pods: number[];
  counts: Map<number, number>;
}

function run(
  strategy: PackStrategy,
  groups: readonly PackGroup[],
  spec: PackBins,
  pods: Pod[],
  conflicts: number[][],
): PackResult {
  const capacity = spec.capacity;
  const dims = capacity.length;
  const zones = Math.max(1, spec.zones ?? 1);
  const maxBins = spec.maxBins ?? Infinity;
  const bins: Bin[] = [];
  const binsPerZone = new Array<number>(zones).fill(0);
  const placed = new Array<number>(groups.length).fill(0);
  const unplaced = new Array<number>(groups.length).fill(0);
  const tracked = conflicts.map((c) => c.length > 0);
  // For first fit: the first node index that can still take a pod of (group, zone). Nodes only fill up and
  // conflicts only grow, so a node that refused a pod refuses its identical successors.
  const start = new Map<number, number>();
  const selfConflict = groups.map((_, i) => conflicts[i].includes(i));

  const fits = (bin: Bin, g: number): boolean => {
    const demand = groups[g].demand;
    for (let d = 0; d < dims; d++) if (bin.used[d] + (demand[d] ?? 0) > capacity[d]) return false;
    for (const c of conflicts[g]) if ((bin.counts.get(c) ?? 0) > 0) return false;
    return true;
  };
  const slack = (bin: Bin, g: number): number => {
    const demand = groups[g].demand;
    let s = 0;
    for (let d = 0; d < dims; d++) {
      const c = capacity[d];
      if (c === Infinity || c <= 0) continue;
      s += (c - bin.used[d] - (demand[d] ?? 0)) / c;
    }
    return s;
  };
  const place = (bin: Bin, g: number): void => {
    const demand = groups[g].demand;
    for (let d = 0; d < dims; d++) bin.used[d] += demand[d] ?? 0;
    bin.pods.push(g);
    if (tracked[g]) bin.counts.set(g, (bin.counts.get(g) ?? 0) + 1);
  };

  for (const pod of pods) {
    const g = pod.g;
    if (!fitsEmpty(groups[g].demand, capacity)) {
      unplaced[g]++;
      continue;
    }
    let chosen = -1;
    const key = g * (zones + 1) + (pod.zone + 1);
    if (strategy.bestFit) {
      let best = Infinity;
      for (let i = 0; i < bins.length; i++) {
        const bin = bins[i];
        if (pod.zone >= 0 && bin.zone !== pod.zone) continue;
        if (!fits(bin, g)) continue;
        const s = slack(bin, g);
        if (s < best) {
          best = s;
          chosen = i;
        }
      }
    } else {
      for (let i = start.get(key) ?? 0; i < bins.length; i++) {
        const bin = bins[i];
        if (pod.zone >= 0 && bin.zone !== pod.zone) continue;
        if (fits(bin, g)) {
          chosen = i;
          break;
        }
      }
    }
    if (chosen < 0) {
      if (bins.length >= maxBins) {
        unplaced[g]++;
        continue;
      }
      let zone = pod.zone;
      if (zone < 0) {
        zone = 0;
        for (let z = 1; z < zones; z++) if (binsPerZone[z] < binsPerZone[zone]) zone = z;
      }
      bins.push({ zone, used: new Array<number>(dims).fill(0), pods: [], counts: new Map() });
      binsPerZone[zone]++;
      chosen = bins.length - 1;
    }
    place(bins[chosen], g);
    placed[g]++;
    if (!strategy.bestFit) start.set(key, selfConflict[g] ? chosen + 1 : chosen);
  }
  return {
    bins: bins.map((b) => ({ zone: b.zone, used: b.used, pods: b.pods })),
    placed,
    unplaced,
    strategy,
  };
}

/**
 * Packs with one strategy.
 *
 * @param groups the pod groups, in input order
 * @param bins the node shape, zones and node limit
 * @param strategy the strategy
 */
export function packWith(groups: readonly PackGroup[], bins: PackBins, strategy: PackStrategy): PackResult {
  const zones = Math.max(1, Math.floor(bins.zones ?? 1));
  const conflicts = symmetricConflicts(groups);
  const pods = expand(groups, zones);
  return run(
    strategy,
    groups,
    { ...bins, zones },
    ordered(strategy, pods, groups, bins.capacity, conflicts),
    conflicts,
  );
}

/**
 * Packs with every {@link PackStrategy} and keeps the best: fewest pods left out, then fewest nodes, then the
 * strategy order. Never uses more nodes than {@link PackStrategy.FIRST_FIT} when every pod fits.
 */
export function packGroups(groups: readonly PackGroup[], bins: PackBins): PackResult {
  let best: PackResult | undefined;
  const total = (r: PackResult): number => r.unplaced.reduce((a, b) => a + b, 0);
  for (const s of PackStrategy.ALL) {
    const r = packWith(groups, bins, s);
    if (!best || total(r) < total(best) || (total(r) === total(best) && r.bins.length < best.bins.length))
      best = r;
  }
  return best!;
}

/**
 * Lower bounds on the node count for placing `counts[i]` pods of each group (default: every pod):
 * per dimension `ceil(sum / capacity)`, the number of pods that need more than half a node in one dimension,
 * and the largest one-per-node group.
 */
export function packLowerBound(
  groups: readonly PackGroup[],
  bins: PackBins,
  counts?: readonly number[],
): PackLowerBound {
  const capacity = bins.capacity;
  const conflicts = symmetricConflicts(groups);
  const byDimension = capacity.map((c, d) => {
    let sum = 0;
    groups.forEach((g, i) => {
      sum += (g.demand[d] ?? 0) * (counts ? counts[i] : g.count);
    });
    if (sum === 0) return 0;
    if (c === Infinity) return 0;
    return c <= 0 ? Infinity : Math.ceil(sum / c);
  });
  const largePods = capacity.map((c, d) => {
    let n = 0;
    groups.forEach((g, i) => {
      if ((g.demand[d] ?? 0) * 2 > c) n += counts ? counts[i] : g.count;
    });
    return n;
  });
  let antiAffinity = 0;
  groups.forEach((g, i) => {
    if (conflicts[i].includes(i)) antiAffinity = Math.max(antiAffinity, counts ? counts[i] : g.count);
  });
  const bound = Math.max(0, antiAffinity, ...byDimension, ...largePods);
  return { bound, byDimension, largePods, antiAffinity };
}
