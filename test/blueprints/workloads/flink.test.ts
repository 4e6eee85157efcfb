import { Chart, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { FlinkUpgradeMode, FlinkVersion, KataFlinkJob } from '../../../blueprints/workloads/spark/flink-job';
import { KataRuntime } from '../../../lib/sandbox/runtime';
import { Sandbox } from '../../../lib/sandbox/sandbox';

type Obj = { kind: string; metadata: { name: string }; spec?: any; rules?: any[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(props: Partial<ConstructorParameters<typeof KataFlinkJob>[2]> = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'c', { namespace: 'analytics' });
  const job = new KataFlinkJob(chart, 'clicks', {
    jarURI: 'local:///opt/flink/usrlib/clicks.jar',
    storageDir: 's3://flink-state/clicks',
    ...props,
  });
  return { job, objs: chart.toJson() as Obj[] };
}

describe('KataFlinkJob', () => {
  test('FlinkDeployment with HA, savepoint upgrades and sandboxed pod templates', () => {
    const { objs } = synth({
      parallelism: 4,
      taskSlots: 2,
      taskManager: { cpu: Cpu.units(2), memory: Size.gibibytes(8) },
      sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR),
    });
    const fd = objs.find((o) => o.kind === 'FlinkDeployment')!;
    expect(fd.spec).toMatchObject({
      image: 'flink:1.20.1',
      flinkVersion: 'v1_20',
      serviceAccount: 'clicks-flink',
      job: {
        jarURI: 'local:///opt/flink/usrlib/clicks.jar',
        parallelism: 4,
        upgradeMode: 'savepoint',
        state: 'running',
      },
      jobManager: { replicas: 1, resource: { cpu: 1, memory: '2048m' } },
      taskManager: { resource: { cpu: 2, memory: '8192m' } },
    });
    expect(fd.spec.flinkConfiguration).toMatchObject({
      'high-availability.type': 'kubernetes',
      'high-availability.storageDir': 's3://flink-state/clicks/ha',
      'state.checkpoints.dir': 's3://flink-state/clicks/checkpoints',
      'state.savepoints.dir': 's3://flink-state/clicks/savepoints',
      'taskmanager.numberOfTaskSlots': '2',
    });
    for (const role of ['jobManager', 'taskManager']) {
      const pt = fd.spec[role].podTemplate;
      expect(pt.kind).toBe('Pod');
      expect(pt.spec.runtimeClassName).toBe('kata-clh');
      expect(pt.spec.containers[0].name).toBe('flink-main-container');
      expect(pt.spec.securityContext).toMatchObject({ runAsUser: 9999, runAsNonRoot: true });
    }
    expect(fd.spec.taskManager.podTemplate.spec.containers[0].resources.limits).toEqual({
      cpu: '2',
      memory: '8Gi',
    });
    expect(fd.spec.jobManager.podTemplate.spec.automountServiceAccountToken).toBe(true);
    expect(fd.spec.taskManager.podTemplate.spec.automountServiceAccountToken).toBe(false);
  });

  test('RBAC, TaskManager PDB and NetworkPolicy', () => {
    const { objs } = synth();
    const role = objs.find((o) => o.kind === 'Role')!;
    expect(role.rules!.map((r: { resources: string[] }) => r.resources)).toEqual([
      ['pods', 'configmaps'],
      ['deployments', 'deployments/finalizers'],
    ]);
    const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(pdb.spec).toMatchObject({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/component': 'taskmanager' } },
    });
    const np = objs.find((o) => o.kind === 'NetworkPolicy')!;
    expect(np.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flink-operator' } } }],
      ports: [{ protocol: 'TCP', port: 8081 }],
    });
  });

  test('last-state with HA and standby JobManagers', () => {
    const { objs } = synth({
      upgradeMode: FlinkUpgradeMode.LAST_STATE,
      jobManagerReplicas: 2,
      flinkVersion: FlinkVersion.V1_19,
    });
    const fd = objs.find((o) => o.kind === 'FlinkDeployment')!;
    expect(fd.spec.job.upgradeMode).toBe('last-state');
    expect(fd.spec.jobManager.replicas).toBe(2);
    expect(fd.spec.flinkVersion).toBe('v1_19');
  });

  test('stateless without storage', () => {
    const { objs } = synth({ storageDir: undefined, upgradeMode: FlinkUpgradeMode.STATELESS });
    const fd = objs.find((o) => o.kind === 'FlinkDeployment')!;
    expect(fd.spec.flinkConfiguration['high-availability.type']).toBeUndefined();
    expect(fd.spec.job.upgradeMode).toBe('stateless');
  });

  test.each([
    [
      { storageDir: undefined, upgradeMode: FlinkUpgradeMode.LAST_STATE },
      /upgradeMode "last-state" is not allowed; expected savepoint or stateless without HA/,
    ],
    [{ highAvailability: false, upgradeMode: FlinkUpgradeMode.LAST_STATE }, /upgradeMode "last-state"/],
    [{ storageDir: undefined }, /upgradeMode "savepoint" is not allowed; expected a storageDir/],
    [
      { highAvailability: false, jobManagerReplicas: 2 },
      /jobManagerReplicas 2 is not allowed; expected 1 without HA/,
    ],
    [
      { storageDir: undefined, upgradeMode: FlinkUpgradeMode.STATELESS, highAvailability: true },
      /storageDir \(unset\)/,
    ],
    [{ parallelism: 0 }, /parallelism 0/],
    [{ taskSlots: 0 }, /taskSlots 0/],
    [{ taskManager: { memory: Size.mebibytes(512) } }, /taskManager.memory "512Mi"/],
    [{ jarURI: 'clicks.jar' }, /jarURI "clicks.jar"/],
    [{ image: 'flink:latest' }, /image "flink:latest"/],
  ])('refuses %#', (props, msg) => {
    expect(() => synth(props as never)).toThrow(msg);
  });
});
