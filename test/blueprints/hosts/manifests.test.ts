import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { KataRuntime } from '../../../lib/sandbox';
import {
  RuntimeInstaller,
  checkRuntimeClassesServed,
  hostPoolContract,
  kataDeployInstalls,
  loadManifestDirectory,
  missingRuntimeClasses,
  runtimeClassUses,
  splitFoundation,
} from '../../../blueprints/hosts';
import { deployment, manifestDir, namespace, runtimeClass } from './fixtures';

const pool = (poolName: string, runtimes: KataRuntime[]) => ({
  poolName,
  contract: hostPoolContract(poolName, runtimes),
});

describe('runtimeClassUses', () => {
  test('finds runtimeClassName in workloads, CronJobs, custom resources and ConfigMap pod templates', () => {
    const objects = [
      deployment('web', 'apps', 'kata-qemu'),
      deployment('plain', 'apps'),
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'compact', namespace: 'druid' },
        spec: {
          jobTemplate: { spec: { template: { spec: { runtimeClassName: 'kata-clh', containers: [] } } } },
        },
      },
      {
        apiVersion: 'sparkoperator.k8s.io/v1beta2',
        kind: 'SparkApplication',
        metadata: { name: 'etl', namespace: 'analytics' },
        spec: { driver: { template: { spec: { runtimeClassName: 'kata-qemu' } } } },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'spark-templates', namespace: 'analytics' },
        data: {
          'executor.yaml': stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            spec: { runtimeClassName: 'kata-fc' },
          }),
          other: 'x: [',
        },
      },
    ];
    expect(runtimeClassUses(objects)).toEqual([
      { runtimeClassName: 'kata-clh', usedBy: ['CronJob druid/compact'] },
      { runtimeClassName: 'kata-fc', usedBy: ['ConfigMap analytics/spark-templates data["executor.yaml"]'] },
      { runtimeClassName: 'kata-qemu', usedBy: ['Deployment apps/web', 'SparkApplication analytics/etl'] },
    ]);
  });
});

describe('checkRuntimeClassesServed', () => {
  const objects = [deployment('web', 'apps', 'kata-qemu'), deployment('db', 'data', 'kata-fc')];

  test('passes when every used class is served', () => {
    const uses = checkRuntimeClassesServed('env', [objects[0]], [pool('metal', [KataRuntime.QEMU])]);
    expect(uses.map((u) => u.runtimeClassName)).toEqual(['kata-qemu']);
  });

  test('fails naming the class, the objects and what the pools serve', () => {
    expect(() =>
      checkRuntimeClassesServed('AwsKataEnvironment "prod"', objects, [
        pool('metal', [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR]),
      ]),
    ).toThrow(
      'AwsKataEnvironment "prod": runtimeClassName "kata-fc" is not allowed; expected a runtime class served by one of the ' +
        'node pools (kata-clh (pool metal), kata-qemu (pool metal)); used by Deployment data/db.',
    );
  });

  test('fails with no pools at all', () => {
    expect(() => checkRuntimeClassesServed('env', objects, [])).toThrow(
      /served by one of the node pools \(none\)/,
    );
  });
});

describe('missingRuntimeClasses', () => {
  test('returns used runtimes without a RuntimeClass object, skipping platform-managed ones', () => {
    const pools = [
      pool('metal', [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR]),
      {
        poolName: 'aks',
        contract: hostPoolContract('aks', [KataRuntime.AKS_VM_ISOLATION], {
          installer: RuntimeInstaller.PLATFORM,
        }),
      },
    ];
    const objects = [
      runtimeClass('kata-qemu'),
      deployment('a', 'apps', 'kata-qemu'),
      deployment('b', 'apps', 'kata-clh'),
      deployment('c', 'apps', 'kata-vm-isolation'),
    ];
    const uses = checkRuntimeClassesServed('env', objects, pools);
    expect(missingRuntimeClasses('env', objects, pools, uses).map((r) => r.name)).toEqual(['kata-clh']);
  });

  test('refuses a RuntimeClass whose handler differs from the pool runtime', () => {
    const pools = [pool('metal', [KataRuntime.QEMU])];
    const objects = [runtimeClass('kata-qemu', 'kata-qemu-runtime-rs'), deployment('a', 'apps', 'kata-qemu')];
    expect(() => missingRuntimeClasses('env', objects, pools, [])).toThrow(
      'env: RuntimeClass "kata-qemu" handler "kata-qemu-runtime-rs" is not allowed; expected the handler the pools install for kata-qemu ("kata-qemu")',
    );
  });
});

describe('loadManifestDirectory', () => {
  test('reads YAML files in name order, flattens Lists, skips subdirectories and empty documents', () => {
    const dir = manifestDir({
      'b.k8s.yaml': [namespace('b')],
      'a.k8s.yaml': [{ apiVersion: 'v1', kind: 'List', items: [namespace('a1'), namespace('a2')] }],
    });
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    mkdirSync(join(dir, 'examples'));
    writeFileSync(join(dir, 'examples', 'other.k8s.yaml'), stringify(namespace('other')));
    writeFileSync(join(dir, 'c.yaml'), '---\n---\n');
    const loaded = loadManifestDirectory('env', dir);
    expect(loaded.files.map((f) => f.slice(dir.length + 1))).toEqual(['a.k8s.yaml', 'b.k8s.yaml', 'c.yaml']);
    expect(loaded.objects.map((o) => o.metadata?.name)).toEqual(['a1', 'a2', 'b']);
  });

  test('refuses a missing directory, one without YAML, and broken YAML', () => {
    expect(() => loadManifestDirectory('env', '/nonexistent/dist')).toThrow(
      'env: manifestsDir "/nonexistent/dist" is not allowed; expected a directory of synthesized manifests (run `npm run synth` first)',
    );
    const empty = mkdtempSync(join(tmpdir(), 'kata-empty-'));
    expect(() => loadManifestDirectory('env', empty)).toThrow(/a directory with \*\.yaml manifests/);
    writeFileSync(join(empty, 'bad.yaml'), 'kind: [');
    expect(() => loadManifestDirectory('env', empty)).toThrow(
      /bad.yaml" is not allowed; expected valid YAML/,
    );
  });
});

describe('kataDeployInstalls and splitFoundation', () => {
  test('finds a workload running the kata-deploy image', () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kata-deploy', namespace: 'kata-system' },
      spec: {
        template: {
          spec: { containers: [{ name: 'kube-kata', image: 'quay.io/kata-containers/kata-deploy:4.1.0' }] },
        },
      },
    };
    expect(kataDeployInstalls([ds, deployment('web', 'apps')])).toEqual([
      'DaemonSet kata-system/kata-deploy',
    ]);
  });

  test('puts namespaces, CRDs and RuntimeClasses first', () => {
    const { foundation, workloads } = splitFoundation([
      deployment('web', 'apps'),
      namespace('apps'),
      runtimeClass('kata-qemu'),
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'x.example.com' },
      },
    ]);
    expect(foundation.map((o) => o.kind)).toEqual(['Namespace', 'RuntimeClass', 'CustomResourceDefinition']);
    expect(workloads.map((o) => o.kind)).toEqual(['Deployment']);
  });
});
