import * as k8s from '@pulumi/kubernetes';
import { KATA_NODE_TAINT_KEY, KataRuntime } from '../../../lib/sandbox';
import {
  KATA_DEPLOY_CHART,
  KATA_DEPLOY_CHART_VERSION,
  KATA_HOST_LABEL,
  KataDeployRelease,
  RuntimeInstaller,
  hostPoolContract,
  kataDeployValues,
} from '../../../blueprints/hosts';
import { installMocks, one, ofType, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

describe('kataDeployValues', () => {
  test('enables exactly the pools shims, selects the pools and tolerates their taints', () => {
    const a = hostPoolContract('a', [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR]);
    const b = hostPoolContract('b', [KataRuntime.QEMU_RUNTIME_RS]);
    const values = kataDeployValues('env', [a, b]);
    expect(values).toEqual({
      deploymentMode: 'daemonset',
      k8sDistribution: 'k8s',
      nodeSelector: { [KATA_HOST_LABEL]: 'true' },
      tolerations: [{ key: KATA_NODE_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' }],
      shims: {
        disableAll: true,
        clh: { enabled: true },
        qemu: { enabled: true },
        'qemu-runtime-rs': { enabled: true },
      },
      defaultShim: { amd64: 'clh', arm64: 'qemu', s390x: 'qemu', ppc64le: 'qemu' },
      runtimeClasses: { enabled: false, createDefault: false },
    });
  });

  test('refuses pools that kata-deploy does not serve', () => {
    const aks = hostPoolContract('aks', [KataRuntime.AKS_VM_ISOLATION], {
      installer: RuntimeInstaller.PLATFORM,
    });
    expect(() => kataDeployValues('KataDeployRelease "k"', [aks])).toThrow(
      'KataDeployRelease "k": pools 1 is not allowed; expected at least one pool whose runtimes kata-deploy installs',
    );
  });
});

describe('KataDeployRelease', () => {
  test('a pinned Helm release of the OCI chart in a privileged namespace', async () => {
    const provider = new k8s.Provider('k8s', { kubeconfig: '{}' });
    const pool = { poolName: 'metal', contract: hostPoolContract('metal', [KataRuntime.QEMU]) };
    new KataDeployRelease('kata', { pools: [pool], provider });
    await settle();
    const release = one('kubernetes:helm.sh/v3:Release');
    expect(release.inputs).toMatchObject({
      chart: KATA_DEPLOY_CHART,
      version: '4.1.0',
      namespace: 'kata-system',
      createNamespace: false,
      atomic: true,
    });
    expect(KATA_DEPLOY_CHART).toBe('oci://ghcr.io/kata-containers/kata-deploy-charts/kata-deploy');
    expect(KATA_DEPLOY_CHART_VERSION).toBe('4.1.0');
    expect(release.inputs.values.shims).toEqual({ disableAll: true, qemu: { enabled: true } });
    const ns = one('kubernetes:core/v1:Namespace');
    expect(ns.inputs.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('no namespace of its own when asked, and no pools refused', async () => {
    const provider = new k8s.Provider('k8s2', { kubeconfig: '{}' });
    const pool = { poolName: 'metal', contract: hostPoolContract('metal', [KataRuntime.QEMU]) };
    new KataDeployRelease('kata2', { pools: [pool], provider, createNamespace: false });
    await settle();
    expect(ofType('kubernetes:core/v1:Namespace')).toHaveLength(0);
    expect(() => new KataDeployRelease('kata3', { pools: [], provider })).toThrow(
      /KataDeployRelease "kata3": pools \[\] is not allowed/,
    );
  });
});
