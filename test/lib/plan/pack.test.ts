import fc from 'fast-check';
import { PackGroup, packGroups, packLowerBound, PackStrategy, packWith } from '../../../lib/plan/pack';

/** A first-fit written independently of the engine: pods in input order, each on the first node it fits. */
function naiveFirstFit(groups: readonly PackGroup[], capacity: readonly number[]): number {
  const conflict = (a: number, b: number): boolean =>
    (groups[a].conflicts ?? []).includes(b) || (groups[b].conflicts ?? []).includes(a);
  const bins: Array<{ used: number[]; members: number[] }> = [];
  groups.forEach((g, gi) => {
    for (let k = 0; k < g.count; k++) {
      let bin = bins.find(
        (b) =>
          b.used.every((u, d) => u + g.demand[d] <= capacity[d]) && !b.members.some((m) => conflict(m, gi)),
      );
      if (!bin) {
        bin = { used: capacity.map(() => 0), members: [] };
        bins.push(bin);
      }
      bin.used = bin.used.map((u, d) => u + g.demand[d]);
      bin.members.push(gi);
    }
  });
  return bins.length;
}

const instance = fc
  .tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 20 }))
  .chain(([c0, c1, c2]) =>
    fc.record({
      capacity: fc.constant([c0, c1, c2]),
      groups: fc.array(
        fc.record({
          demand: fc.tuple(fc.integer({ min: 0, max: c0 }), fc.integer({ min: 0, max: c1 }), fc.constant(1)),
          count: fc.integer({ min: 0, max: 8 }),
          selfAnti: fc.boolean(),
          antiWith: fc.option(fc.nat({ max: 5 }), { nil: undefined }),
          zoneSpread: fc.boolean(),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    }),
  )
  .map(({ capacity, groups }) => ({
    capacity,
    groups: groups.map((g, i): PackGroup => ({
      demand: g.demand,
      count: g.count,
      conflicts: [
        ...(g.selfAnti ? [i] : []),
        ...(g.antiWith !== undefined && g.antiWith < groups.length ? [g.antiWith] : []),
      ],
      zoneSpread: g.zoneSpread,
    })),
  }));

describe('packGroups', () => {
  test('packs a hand-computed case: 4 x (3 CPU, 1Gi) and 2 x (5 CPU, 6Gi) on 8 CPU / 8Gi nodes', () => {
    const groups: PackGroup[] = [
      { demand: [3, 1], count: 4 },
      { demand: [5, 6], count: 2 },
    ];
    // Each big pod needs its own node (5+5 > 8 CPU, 6+6 > 8Gi); a big node has room for one small pod
    // (5+3 = 8 CPU); the two remaining small pods share a third node. 3 nodes, lower bound ceil(22/8) = 3.
    const r = packGroups(groups, { capacity: [8, 8] });
    expect(r.bins).toHaveLength(3);
    expect(r.placed).toEqual([4, 2]);
    expect(packLowerBound(groups, { capacity: [8, 8] }).bound).toBe(3);
  });

  test('first-fit in input order can be beaten by first-fit decreasing', () => {
    // Sizes 2, 2, 4, 4 on capacity 6: in input order [2,2], [4], [4] = 3 nodes; decreasing [4,2], [4,2] = 2.
    const groups: PackGroup[] = [
      { demand: [2], count: 2 },
      { demand: [4], count: 2 },
    ];
    expect(packWith(groups, { capacity: [6] }, PackStrategy.FIRST_FIT).bins).toHaveLength(3);
    expect(packWith(groups, { capacity: [6] }, PackStrategy.FIRST_FIT_DECREASING).bins).toHaveLength(2);
    expect(packGroups(groups, { capacity: [6] }).bins).toHaveLength(2);
  });

  test('one-per-node groups take one node per pod and share nodes with others', () => {
    const groups: PackGroup[] = [
      { demand: [1], count: 5, conflicts: [0] },
      { demand: [1], count: 10 },
    ];
    const r = packGroups(groups, { capacity: [4] });
    expect(r.bins).toHaveLength(5);
    for (const b of r.bins) expect(b.pods.filter((g) => g === 0)).toHaveLength(1);
    expect(packLowerBound(groups, { capacity: [4] }).antiAffinity).toBe(5);
  });

  test('groups that repel each other never share a node (conflicts are symmetric)', () => {
    const groups: PackGroup[] = [
      { demand: [1], count: 3, conflicts: [1] },
      { demand: [1], count: 3 },
    ];
    const r = packGroups(groups, { capacity: [10] });
    for (const b of r.bins) expect(new Set(b.pods).size).toBe(1);
    expect(r.bins).toHaveLength(2);
  });

  test('zone spread splits replicas evenly over zones', () => {
    const r = packGroups([{ demand: [4], count: 3, zoneSpread: true }], { capacity: [8], zones: 3 });
    expect(r.bins).toHaveLength(3);
    expect(r.bins.map((b) => b.zone).sort()).toEqual([0, 1, 2]);
    // Without zones the same pods share nodes.
    expect(packGroups([{ demand: [4], count: 3, zoneSpread: true }], { capacity: [8] }).bins).toHaveLength(2);
  });

  test('pinned pods land in their zone', () => {
    const r = packGroups(
      [
        { demand: [1], count: 2, zone: 1 },
        { demand: [1], count: 2, zone: 0 },
      ],
      { capacity: [8], zones: 2 },
    );
    for (const b of r.bins) for (const g of b.pods) expect(b.zone).toBe(g === 0 ? 1 : 0);
  });

  test('pods larger than a node and pods past maxBins are left out', () => {
    const r = packGroups(
      [
        { demand: [9], count: 2 },
        { demand: [5], count: 3 },
      ],
      { capacity: [8], maxBins: 2 },
    );
    expect(r.unplaced).toEqual([2, 1]);
    expect(r.placed).toEqual([0, 2]);
    expect(r.bins).toHaveLength(2);
  });

  test('property: never more nodes than first-fit, never fewer than the lower bound, nothing over capacity', () => {
    fc.assert(
      fc.property(instance, ({ capacity, groups }) => {
        const r = packGroups(groups, { capacity });
        const total = groups.reduce((s, g) => s + g.count, 0);
        // Every pod fits an empty node by construction: all placed.
        expect(r.placed.reduce((a, b) => a + b, 0)).toBe(total);
        expect(r.unplaced.every((u) => u === 0)).toBe(true);
        expect(r.bins.length).toBeLessThanOrEqual(naiveFirstFit(groups, capacity));
        expect(r.bins.length).toBeGreaterThanOrEqual(packLowerBound(groups, { capacity }).bound);
        for (const b of r.bins) {
          b.used.forEach((u, d) => expect(u).toBeLessThanOrEqual(capacity[d]));
          // Recompute the use from the pods on the node.
          const used = capacity.map((_, d) => b.pods.reduce((s, g) => s + groups[g].demand[d], 0));
          expect(used).toEqual(b.used);
          for (const g of b.pods) {
            for (const c of groups[g].conflicts ?? []) {
              const others = b.pods.filter((x) => x === c);
              expect(others.length).toBeLessThanOrEqual(c === g ? 1 : 0);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('property: with zones, every pod is placed or left out, and spread groups stay balanced', () => {
    fc.assert(
      fc.property(
        instance,
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 6 })),
        (inst, zones, maxBins) => {
          const r = packGroups(inst.groups, {
            capacity: inst.capacity,
            zones,
            ...(maxBins !== null ? { maxBins } : {}),
          });
          inst.groups.forEach((g, i) => expect(r.placed[i] + r.unplaced[i]).toBe(g.count));
          if (maxBins !== null) expect(r.bins.length).toBeLessThanOrEqual(maxBins);
          r.bins.forEach((b) => b.used.forEach((u, d) => expect(u).toBeLessThanOrEqual(inst.capacity[d])));
          inst.groups.forEach((g, i) => {
            if (!g.zoneSpread || zones === 1 || r.unplaced[i] > 0) return;
            const perZone = new Array<number>(zones).fill(0);
            for (const b of r.bins) for (const x of b.pods) if (x === i) perZone[b.zone]++;
            expect(Math.max(...perZone) - Math.min(...perZone)).toBeLessThanOrEqual(1);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
