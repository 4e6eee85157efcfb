import { ApiObject, App, Chart } from 'cdk8s';
import { join } from 'path';
import { loadManifests } from '../../../lib/manifest/load';
import {
  HostType,
  HpaSizing,
  jvmMemoryBytes,
  planApp,
  planCapacity,
  workloadsFromManifests,
} from '../../../lib/plan';
import { KataRuntimeClasses } from '../../../lib/cluster';
import { KataRuntime } from '../../../lib/sandbox';
import { corpusDir } from '../check/corpus';

const CORPUS = join(corpusDir(), 'kata-workloads');
const MI = 2 ** 20;

const tmpl = (labels: Record<string, string> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '1Gi' } } }] },
});

describe('workloadsFromManifests', () => {
  test('counts replicas, HPA minimum or maximum, Job parallelism and one CronJob run', () => {
    const objects = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'apps' },
        spec: { replicas: 2, template: tmpl() },
      },
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web', namespace: 'apps' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 3,
          maxReplicas: 9,
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'apps' },
        spec: { template: tmpl() },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        spec: { parallelism: 4, completions: 2, template: tmpl() },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'cj' },
        spec: { schedule: '@daily', jobTemplate: { spec: { parallelism: 3, template: tmpl() } } },
      },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: tmpl().spec },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'owned', ownerReferences: [{ kind: 'ReplicaSet', name: 'x', controller: true }] },
        spec: tmpl().spec,
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: 'kube-system' },
        spec: { template: tmpl() },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: {} },
    ];
    const min = workloadsFromManifests(objects);
    expect(min.workloads.map((w) => [w.id, w.replicas, Boolean(w.daemonSet)])).toEqual([
      ['apps/Deployment/web', 3, false],
      ['apps/StatefulSet/db', 1, false],
      ['default/Job/j', 2, false],
      ['default/CronJob/cj', 3, false],
      ['default/Pod/p', 1, false],
      ['kube-system/DaemonSet/agent', 0, true],
    ]);
    expect(min.notes).toContain(
      'apps/Deployment/web: 3 replicas from HorizontalPodAutoscaler "web" (HPA minReplicas)',
    );
    const max = workloadsFromManifests(objects, { hpa: HpaSizing.MAX_REPLICAS });
    expect(max.workloads[0].replicas).toBe(9);
  });

  test('reads the operator pods of SparkApplication and FlinkDeployment', () => {
    const spark = {
      apiVersion: 'sparkoperator.k8s.io/v1beta2',
      kind: 'SparkApplication',
      metadata: { name: 'etl', namespace: 'analytics' },
      spec: {
        driver: {
          cores: 1,
          coreLimit: '1200m',
          memory: '2g',
          template: { spec: { runtimeClassName: 'kata-qemu', containers: [] } },
        },
        executor: { cores: 2, instances: 5, memory: '4096m', memoryOverhead: '1g' },
      },
    };
    const flink = {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkDeployment',
      metadata: { name: 'sess', namespace: 'analytics' },
      spec: {
        flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '2' },
        podTemplate: {
          spec: { runtimeClassName: 'kata-clh', containers: [{ name: 'flink-main-container' }] },
        },
        job: { parallelism: 5 },
        jobManager: { resource: { cpu: 1, memory: '2048m' } },
        taskManager: { resource: { cpu: 2, memory: '4g' } },
      },
    };
    const { workloads } = workloadsFromManifests([spark, flink]);
    const by = Object.fromEntries(workloads.map((w) => [w.id, w]));
    const driver = by['analytics/SparkApplication/etl/driver'];
    expect(driver.replicas).toBe(1);
    expect(driver.template.spec.runtimeClassName).toBe('kata-qemu');
    // 2g + max(384Mi, 10%) = 2048 + 384 MiB.
    expect((driver.template.spec.containers as Array<{ resources: unknown }>)[0].resources).toEqual({
      requests: { cpu: '1', memory: '2432Mi' },
      limits: { cpu: '1200m', memory: '2432Mi' },
    });
    const exec = by['analytics/SparkApplication/etl/executor'];
    expect(exec.replicas).toBe(5);
    expect(
      (exec.template.spec.containers as Array<{ resources: { requests: unknown } }>)[0].resources.requests,
    ).toEqual({ cpu: '2', memory: '5120Mi' });
    expect(by['analytics/FlinkDeployment/sess/jobManager'].replicas).toBe(1);
    // ceil(parallelism 5 / 2 slots) = 3 TaskManagers.
    const tm = by['analytics/FlinkDeployment/sess/taskManager'];
    expect(tm.replicas).toBe(3);
    expect(tm.template.spec.runtimeClassName).toBe('kata-clh');
    expect((tm.template.spec.containers as Array<{ resources: unknown }>)[0].resources).toEqual({
      requests: { cpu: '2', memory: '4096Mi' },
      limits: { cpu: '2', memory: '4096Mi' },
    });
  });

  test('JVM memory strings', () => {
    expect(jvmMemoryBytes('512m')).toBe(512 * MI);
    expect(jvmMemoryBytes('2g')).toBe(2048 * MI);
    expect(jvmMemoryBytes('1536')).toBe(1536 * MI);
    expect(jvmMemoryBytes('2Gi')).toBe(2048 * MI);
    expect(jvmMemoryBytes('1.5gb')).toBe(1536 * MI);
    expect(jvmMemoryBytes('lots')).toBeUndefined();
  });

  test('plans the upstream Kata test manifests with their own RuntimeClass overhead', () => {
    const loaded = loadManifests([
      join(CORPUS, 'kata-runtimeclass.yaml'),
      join(CORPUS, 'pod-quota-deployment.yaml'),
      join(CORPUS, 'job.yaml'),
      join(CORPUS, 'cron-job.yaml'),
    ]);
    expect(loaded.errors).toEqual([]);
    const extracted = workloadsFromManifests(loaded.manifests);
    expect(extracted.runtimeClasses.map((r) => [r.name, r.overheadCpuMillis, r.overheadMemoryBytes])).toEqual(
      [['kata', 250, 160 * MI]],
    );
    expect(extracted.workloads.map((w) => [w.kind, w.replicas])).toEqual([
      ['Deployment', 2],
      ['Job', 1],
      ['CronJob', 1],
    ]);
    expect(extracted.workloads[0].source).toMatch(/pod-quota-deployment.yaml:\d+$/);
    const plan = planCapacity(loaded.manifests, { pools: [{ host: HostType.C8I_2XLARGE }] });
    expect(plan.unschedulable).toEqual([]);
    expect(plan.pools[0].nodes).toBe(1);
    // Pods without requests cost only the RuntimeClass overhead: 4 x 250m on the node.
    expect(plan.pools[0].nodeUsage[0].cpuMillis).toBe(1000);
  });

  test('plans a cdk8s app in memory', () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    new KataRuntimeClasses(chart, 'rc', { runtimes: [KataRuntime.CLOUD_HYPERVISOR] });
    new ApiObject(chart, 'd', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        replicas: 4,
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { runtimeClassName: 'kata-clh', containers: tmpl().spec.containers },
        },
      },
    });
    const plan = planApp(app, { pools: [{ host: HostType.C8I_2XLARGE }] });
    expect(plan.totalPods).toBe(4);
    expect(plan.pools[0].nodeUsage.reduce((s, n) => s + n.cpuMillis, 0)).toBe(4 * 1250);
    expect(plan.notes.some((n) => n.includes('not in the input'))).toBe(false);
  });
});
