import * as k8s from '@pulumi/kubernetes';
import { KataRuntime } from '../../../lib/sandbox';
import { KataWorkloads, hostPoolContract } from '../../../blueprints/hosts';
import { deployment, manifestDir, namespace, runtimeClass } from './fixtures';
import { installMocks, one, ofType, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

let providers = 0;
const provider = () => new k8s.Provider(`k8s-${providers++}`, { kubeconfig: '{}' });
const pool = (runtimes: KataRuntime[]) => ({
  poolName: 'metal',
  contract: hostPoolContract('metal', runtimes),
});

describe('KataWorkloads', () => {
  test('creates RuntimeClasses the manifests use but do not define, and kata-deploy with its own namespace', async () => {
    const dir = manifestDir({
      'a.k8s.yaml': [
        namespace('apps'),
        runtimeClass('kata-qemu'),
        deployment('web', 'apps', 'kata-qemu'),
        deployment('api', 'apps', 'kata-clh'),
      ],
    });
    const w = new KataWorkloads('platform', {
      provider: provider(),
      pools: [pool([KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR])],
      manifestsDir: dir,
    });
    await settle();
    const rc = one('kubernetes:node.k8s.io/v1:RuntimeClass');
    expect(rc.name).toBe('platform-rc-kata-clh');
    expect(rc.inputs).toMatchObject({
      handler: 'kata-clh',
      overhead: { podFixed: { cpu: '250m', memory: '130Mi' } },
      scheduling: { nodeSelector: { 'katacontainers.io/kata-runtime': 'true' } },
    });
    expect(rc.inputs.scheduling.tolerations[0].key).toBe('kata-blueprints.io/kata');
    expect(one('kubernetes:core/v1:Namespace').inputs.metadata.name).toBe('kata-system');
    expect(one('kubernetes:helm.sh/v3:Release').inputs.values.shims).toEqual({
      disableAll: true,
      clh: { enabled: true },
      qemu: { enabled: true },
    });
    expect(
      one('kubernetes:yaml/v2:ConfigGroup', 'platform-workloads').inputs.objs.map(
        (o: { metadata: { name: string } }) => o.metadata.name,
      ),
    ).toEqual(['web', 'api']);
    expect(w.runtimeClassUses.map((u) => u.runtimeClassName)).toEqual(['kata-clh', 'kata-qemu']);
  });

  test('kata-deploy from the manifests: installed once, and it must reach the pools', async () => {
    const ds = (spec: Record<string, unknown>) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kata-deploy', namespace: 'kata-system' },
      spec: {
        template: {
          spec: {
            ...spec,
            containers: [{ name: 'kube-kata', image: 'quay.io/kata-containers/kata-deploy:3.21.0' }],
          },
        },
      },
    });
    const reaching = ds({
      nodeSelector: { 'katacontainers.io/kata-runtime': 'true' },
      tolerations: [{ key: 'kata-blueprints.io/kata', operator: 'Exists', effect: 'NoSchedule' }],
    });
    const dir = manifestDir({
      'a.k8s.yaml': [namespace('kata-system'), reaching, deployment('web', 'apps', 'kata-qemu')],
    });
    expect(
      () =>
        new KataWorkloads('twice', {
          provider: provider(),
          pools: [pool([KataRuntime.QEMU])],
          manifestsDir: dir,
          installKataDeploy: true,
        }),
    ).toThrow(
      'KataWorkloads "twice": installKataDeploy true is not allowed; expected false when the manifests install kata-deploy themselves (DaemonSet kata-system/kata-deploy); install it once',
    );
    await settle();
    resetRegistered();
    new KataWorkloads('once', { provider: provider(), pools: [pool([KataRuntime.QEMU])], manifestsDir: dir });
    await settle();
    expect(ofType('kubernetes:helm.sh/v3:Release')).toHaveLength(0);
    expect(
      ofType('kubernetes:yaml/v2:ConfigGroup')
        .map((g) => g.name)
        .sort(),
    ).toEqual(['once-foundation', 'once-workloads']);

    const untolerating = manifestDir({ 'a.k8s.yaml': [ds({}), deployment('web', 'apps', 'kata-qemu')] });
    expect(
      () =>
        new KataWorkloads('away', {
          provider: provider(),
          pools: [pool([KataRuntime.QEMU])],
          manifestsDir: untolerating,
        }),
    ).toThrow(
      /KataWorkloads "away": DaemonSet kata-system\/kata-deploy tolerations \[\] is not allowed; expected a toleration for kata-blueprints.io\/kata=true:NoSchedule, the taint of pool metal/,
    );
    const elsewhere = manifestDir({
      'a.k8s.yaml': [
        ds({ nodeSelector: { 'node-role/kata': 'yes' }, tolerations: [{ operator: 'Exists' }] }),
        deployment('web', 'apps', 'kata-qemu'),
      ],
    });
    expect(
      () =>
        new KataWorkloads('else', {
          provider: provider(),
          pools: [pool([KataRuntime.QEMU])],
          manifestsDir: elsewhere,
        }),
    ).toThrow(
      /DaemonSet kata-system\/kata-deploy nodeSelector "node-role\/kata=yes" is not allowed; expected a selector the pool metal matches/,
    );
    await settle();
  });

  test('refuses no pools', () => {
    expect(() => new KataWorkloads('none', { provider: provider(), pools: [] })).toThrow(
      /KataWorkloads "none": pools \[\] is not allowed/,
    );
  });
});
