import { Size } from 'cdk8s';
import fc from 'fast-check';
import {
  HostType,
  NodeReservation,
  PlanWorkload,
  planWorkloads,
  PoolServes,
  ShmSize,
  UnschedulableReason,
  VmSizing,
} from '../../../lib/plan';
import { KATA_NODE_TAINT, KataRuntime } from '../../../lib/sandbox';

const GI = 2 ** 30;
const MI = 2 ** 20;

/** 8 vCPU / 32 GiB, no reservation: allocatable 8000m / 32Gi, /dev/shm 16Gi, $1.50/h. */
const BOX = HostType.custom({
  name: 'box',
  vcpus: 8,
  memory: Size.gibibytes(32),
  maxPods: 110,
  price: { perHour: 1.5, currency: 'USD', region: 'lab', date: '2026-12-01', source: 'test' },
});
const pool = (extra: object = {}) => ({ host: BOX, reservation: NodeReservation.NONE, ...extra });

function workload(
  name: string,
  replicas: number,
  spec: Record<string, unknown>,
  labels: Record<string, string> = { app: name },
  extra: Partial<PlanWorkload> = {},
): PlanWorkload {
  return {
    id: `apps/Deployment/${name}`,
    namespace: 'apps',
    kind: 'Deployment',
    name,
    replicas,
    template: { metadata: { labels }, spec },
    ...extra,
  };
}
const container = (cpu: string, memory: string, name = 'c') => ({
  name,
  resources: { requests: { cpu, memory }, limits: { cpu, memory } },
});

describe('planWorkloads: hand-computed cases', () => {
  test('QEMU on the Go runtime is bound by /dev/shm: guest = default_memory 2Gi + limit 2Gi', () => {
    // Per pod: CPU 1 + 250m overhead; memory 2Gi + 320Mi; guest 4Gi. Per node: CPU 6, memory 13, shm 16/4 = 4.
    const plan = planWorkloads(
      [workload('web', 10, { runtimeClassName: 'kata-qemu', containers: [container('1', '2Gi')] })],
      {
        pools: [pool()],
      },
    );
    const p = plan.pools[0];
    expect(p.nodes).toBe(3);
    expect(p.lowerBounds.shm).toBe(3); // 40Gi / 16Gi
    expect(p.lowerBounds.cpu).toBe(2); // 12.5 / 8
    expect(p.lowerBound).toBe(3);
    expect(p.bindingResource).toBe('shm');
    expect(p.shmUtilization).toBeCloseTo(40 / 48, 4);
    expect(p.cpuUtilization).toBeCloseTo(12.5 / 24, 4);
    expect(p.monthlyCost).toBe(3 * 1.5 * 730);
  });

  test('QEMU on runtime-rs sizes the guest as limit + 32Mi, so CPU binds instead', () => {
    // Guest 2Gi + 32Mi = 2080Mi: 7 per node by shm; CPU 1250m: 6 per node. 10 pods -> 2 nodes.
    const plan = planWorkloads(
      [
        workload('web', 10, {
          runtimeClassName: 'kata-qemu-runtime-rs',
          containers: [container('1', '2Gi')],
        }),
      ],
      { pools: [pool()] },
    );
    expect(plan.pools[0].nodes).toBe(2);
    expect(plan.pools[0].bindingResource).toBe('cpu');
    expect(plan.pools[0].nodeUsage[0].shmBytes).toBe(6 * 2080 * MI);
  });

  test('Cloud Hypervisor does not use /dev/shm', () => {
    const plan = planWorkloads(
      [workload('web', 10, { runtimeClassName: 'kata-clh', containers: [container('1', '2Gi')] })],
      {
        pools: [pool()],
      },
    );
    expect(plan.pools[0].nodes).toBe(2);
    expect(plan.pools[0].nodeUsage.every((n) => n.shmBytes === 0)).toBe(true);
  });

  test('RuntimeClass overhead from the input wins over the preset', () => {
    const plan = planWorkloads(
      [workload('web', 1, { runtimeClassName: 'kata-qemu', containers: [container('1', '1Gi')] })],
      {
        pools: [pool()],
        runtimeClasses: [
          {
            name: 'kata-qemu',
            overheadCpuMillis: 500,
            overheadMemoryBytes: 1 * GI,
            vm: true,
            guestMemoryOnShm: true,
            sizing: VmSizing.GO_HOTPLUG,
            defaultMemoryMiB: 2048,
            allowedAnnotations: [],
            origin: 'manifest',
          },
        ],
      },
    );
    expect(plan.pools[0].nodeUsage[0].cpuMillis).toBe(1500);
    expect(plan.pools[0].nodeUsage[0].memoryBytes).toBe(2 * GI);
    expect(plan.notes.some((n) => n.includes('not in the input'))).toBe(false);
  });

  test('init containers follow the max rule; sidecars add to the app containers', () => {
    const plan = planWorkloads(
      [
        workload('init', 1, {
          containers: [container('1', '1Gi')],
          initContainers: [container('3', '512Mi', 'init')],
        }),
        workload('sidecar', 1, {
          containers: [container('1', '1Gi')],
          initContainers: [{ ...container('500m', '256Mi', 'proxy'), restartPolicy: 'Always' }],
        }),
      ],
      { pools: [pool()] },
    );
    // init: max(1, 3) CPU, max(1Gi, 512Mi) memory. sidecar: 1 + 0.5 CPU, 1Gi + 256Mi. Together 4.5 CPU on one node.
    expect(plan.pools[0].nodes).toBe(1);
    expect(plan.pools[0].nodeUsage[0].cpuMillis).toBe(4500);
    expect(plan.pools[0].nodeUsage[0].memoryBytes).toBe(2 * GI + 256 * MI);
  });

  test('requests default to limits', () => {
    const plan = planWorkloads(
      [workload('w', 2, { containers: [{ name: 'c', resources: { limits: { cpu: '3', memory: '1Gi' } } }] })],
      {
        pools: [pool()],
      },
    );
    expect(plan.pools[0].nodeUsage[0].cpuMillis).toBe(6000);
  });

  test('required hostname anti-affinity puts one replica per node', () => {
    const spec = {
      containers: [container('100m', '128Mi')],
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'zk' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    };
    const plan = planWorkloads([workload('zk', 5, spec)], { pools: [pool()] });
    expect(plan.pools[0].nodes).toBe(5);
    expect(plan.pools[0].lowerBound).toBe(5);
    expect(plan.pools[0].lowerBounds.antiAffinity).toBe(5);
    expect(plan.pools[0].bindingResource).toBe('anti-affinity');
  });

  test('a zone DoNotSchedule spread over 3 zones needs a node per zone', () => {
    const spec = {
      containers: [container('4', '1Gi')],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'db' } },
        },
      ],
    };
    expect(planWorkloads([workload('db', 3, spec)], { pools: [pool()] }).pools[0].nodes).toBe(2);
    const zoned = planWorkloads([workload('db', 3, spec)], { pools: [pool()], zones: 3 });
    expect(zoned.zones).toBe(3);
    expect(zoned.pools[0].nodes).toBe(3);
    expect(zoned.pools[0].nodeUsage.map((n) => n.zone).sort()).toEqual([0, 1, 2]);
  });

  test('DaemonSets take room on every node they select and tolerate', () => {
    const ds = workload(
      'agent',
      0,
      { tolerations: [{ operator: 'Exists' }], containers: [container('1', '1Gi')] },
      { app: 'agent' },
      {
        id: 'kube-system/DaemonSet/agent',
        kind: 'DaemonSet',
        daemonSet: true,
      },
    );
    const picky = workload(
      'picky',
      0,
      { containers: [container('1', '1Gi')] },
      { app: 'picky' },
      {
        id: 'kube-system/DaemonSet/picky',
        kind: 'DaemonSet',
        daemonSet: true,
      },
    );
    const trusted7 = workload('w', 7, { containers: [container('1', '1Gi')] });
    // 7000m left per node: 7 pods of 1 CPU fit one node, 8 need two.
    expect(planWorkloads([ds, trusted7], { pools: [pool()] }).pools[0].nodes).toBe(1);
    const eight = planWorkloads([ds, { ...trusted7, replicas: 8 }], { pools: [pool()] });
    expect(eight.pools[0].nodes).toBe(2);
    expect(eight.pools[0].nodeUsage[0].cpuMillis).toBe(8000);
    expect(eight.pools[0].daemonSets).toEqual(['kube-system/DaemonSet/agent']);
    // A Kata-only pool is tainted: the DaemonSet without a toleration stays off it.
    const kata = planWorkloads(
      [picky, workload('k', 1, { runtimeClassName: 'kata-clh', containers: [container('1', '1Gi')] })],
      {
        pools: [pool({ serves: PoolServes.KATA })],
      },
    );
    expect(kata.pools[0].daemonSets).toEqual([]);
    expect(kata.notes.some((n) => n.includes('kube-system/DaemonSet/picky: DaemonSet selects no pool'))).toBe(
      true,
    );
    const tolerating = planWorkloads(
      [
        {
          ...picky,
          template: {
            spec: { ...picky.template.spec, tolerations: [{ ...KATA_NODE_TAINT, operator: 'Equal' }] },
          },
        },
      ],
      { pools: [pool({ serves: PoolServes.KATA })] },
    );
    expect(tolerating.pools[0].daemonSets).toEqual(['kube-system/DaemonSet/picky']);
  });

  test('reports what cannot run anywhere and why', () => {
    const plan = planWorkloads(
      [
        workload('huge', 2, { containers: [container('10', '1Gi')] }),
        workload('vm-too-big', 1, { runtimeClassName: 'kata-qemu', containers: [container('1', '15Gi')] }),
        workload('gvisor', 1, { runtimeClassName: 'gvisor', containers: [container('1', '1Gi')] }),
        workload('fine', 1, { containers: [container('1', '1Gi')] }),
      ],
      { pools: [pool()] },
    );
    const by = Object.fromEntries(plan.unschedulable.map((u) => [u.workload, u]));
    expect(by['apps/Deployment/huge'].code).toBe(UnschedulableReason.TOO_LARGE);
    expect(by['apps/Deployment/huge'].pods).toBe(2);
    expect(by['apps/Deployment/huge'].reason).toContain('10 CPU');
    // 15Gi + 2Gi default_memory = 17Gi of guest memory > 16Gi /dev/shm.
    expect(by['apps/Deployment/vm-too-big'].code).toBe(UnschedulableReason.SHM);
    expect(by['apps/Deployment/vm-too-big'].reason).toContain('guest memory 17Gi');
    expect(by['apps/Deployment/gvisor'].code).toBe(UnschedulableReason.UNKNOWN_RUNTIME_CLASS);
    expect(plan.placedPods).toBe(1);
    expect(plan.totalPods).toBe(5);
  });

  test('pods go to the first pool that serves them; full pools overflow to the next', () => {
    const big = HostType.custom({ name: 'big', vcpus: 64, memory: Size.gibibytes(256) });
    const plan = planWorkloads(
      [
        workload('kata', 12, { runtimeClassName: 'kata-clh', containers: [container('750m', '1Gi')] }),
        workload('plain', 3, { containers: [container('1', '1Gi')] }),
      ],
      {
        pools: [
          { host: BOX, reservation: NodeReservation.NONE, serves: PoolServes.KATA, maxNodes: 1 },
          { host: big, reservation: NodeReservation.NONE, serves: PoolServes.ALL, shm: ShmSize.UNLIMITED },
        ],
      },
    );
    // 1000m per kata pod: 8 fit the capped box pool, 4 overflow to "big" with the 3 trusted pods.
    expect(plan.pools[0].nodes).toBe(1);
    expect(plan.pools[0].workloads).toEqual([{ id: 'apps/Deployment/kata', pods: 8 }]);
    expect(plan.pools[1].workloads).toEqual([
      { id: 'apps/Deployment/plain', pods: 3 },
      { id: 'apps/Deployment/kata', pods: 4 },
    ]);
    expect(plan.pools[1].monthlyCost).toBeNull();
    expect(plan.monthlyCost).toBeNull();
    expect(plan.unschedulable).toEqual([]);
  });

  test('a pool that serves only some runtimes leaves the others unschedulable', () => {
    const plan = planWorkloads(
      [workload('q', 1, { runtimeClassName: 'kata-qemu', containers: [container('1', '1Gi')] })],
      {
        pools: [pool({ serves: PoolServes.runtimes([KataRuntime.CLOUD_HYPERVISOR], { trusted: true }) })],
      },
    );
    expect(plan.unschedulable[0].code).toBe(UnschedulableReason.RUNTIME_NOT_SERVED);
    expect(plan.unschedulable[0].reason).toContain('no pool serves RuntimeClass "kata-qemu"');
    expect(plan.pools[0].nodes).toBe(0);
    expect(plan.pools[0].bindingResource).toBe('none');
  });

  test('the default_memory annotation changes the guest size only where the runtime allows it', () => {
    const spec = (rc: string) => ({ runtimeClassName: rc, containers: [container('100m', '1Gi')] });
    const annotated = (rc: string): PlanWorkload => ({
      ...workload('a', 1, spec(rc)),
      template: {
        metadata: { annotations: { 'io.katacontainers.config.hypervisor.default_memory': '512' } },
        spec: spec(rc),
      },
    });
    // runtime-rs allows it but sizes from the limit anyway (1Gi + 32Mi); the Go runtime ignores it (1Gi + 2Gi).
    expect(
      planWorkloads([annotated('kata-qemu-runtime-rs')], { pools: [pool()] }).pools[0].nodeUsage[0].shmBytes,
    ).toBe(1056 * MI);
    const go = planWorkloads([annotated('kata-qemu')], { pools: [pool()] });
    expect(go.pools[0].nodeUsage[0].shmBytes).toBe(3 * GI);
    expect(go.notes.some((n) => n.includes('is not allowed by kata-qemu'))).toBe(true);
  });

  test('rejects bad options with the prop and the value', () => {
    expect(() => planWorkloads([], { pools: [] })).toThrow(
      /pools .* is not allowed; expected at least one node pool/,
    );
    expect(() => planWorkloads([], { pools: [pool()], zones: 0 })).toThrow(/zones 0 is not allowed/);
    expect(() => planWorkloads([], { pools: [{ host: 'i3.metal' as unknown as HostType }] })).toThrow(
      /host "i3.metal" is not allowed/,
    );
  });
});

describe('planWorkloads: properties', () => {
  const arbWorkload = fc.record({
    replicas: fc.integer({ min: 0, max: 12 }),
    cpuMillis: fc.integer({ min: 0, max: 12000 }),
    memoryMi: fc.integer({ min: 0, max: 40000 }),
    runtime: fc.constantFrom('kata-qemu', 'kata-qemu-runtime-rs', 'kata-clh', undefined),
    anti: fc.boolean(),
  });

  test('every pod is placed or reported unschedulable, no node over its allocatable, never below the lower bound', () => {
    fc.assert(
      fc.property(
        fc.array(arbWorkload, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        (ws, zones) => {
          const workloads = ws.map((w, i) =>
            workload(`w${i}`, w.replicas, {
              ...(w.runtime ? { runtimeClassName: w.runtime } : {}),
              containers: [container(`${w.cpuMillis}m`, `${w.memoryMi}Mi`)],
              ...(w.anti
                ? {
                    affinity: {
                      podAntiAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: [
                          {
                            labelSelector: { matchLabels: { app: `w${i}` } },
                            topologyKey: 'kubernetes.io/hostname',
                          },
                        ],
                      },
                    },
                  }
                : {}),
            }),
          );
          const plan = planWorkloads(workloads, { pools: [pool()], zones });
          const unplaced = plan.unschedulable.reduce((s, u) => s + u.pods, 0);
          expect(plan.placedPods + unplaced).toBe(plan.totalPods);
          for (const p of plan.pools) {
            expect(p.nodes).toBeGreaterThanOrEqual(p.lowerBound);
            for (const n of p.nodeUsage) {
              expect(n.cpuMillis).toBeLessThanOrEqual(p.node.allocatableCpuMillis);
              expect(n.memoryBytes).toBeLessThanOrEqual(p.node.allocatableMemoryBytes);
              expect(n.shmBytes).toBeLessThanOrEqual(p.node.shmBytes ?? Infinity);
              expect(n.pods).toBeLessThanOrEqual(p.node.maxPods);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
