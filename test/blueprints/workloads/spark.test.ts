import { Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import fc from 'fast-check';
import { parse } from 'yaml';
import { KataSparkJob, SparkSubmission } from '../../../blueprints/workloads/spark/spark-job';
import {
  MIN_MEMORY_OVERHEAD_MIB,
  defaultMemoryOverheadMiB,
  renderSparkConf,
  resolveRole,
  sparkSubmitArgs,
  validateCronSchedule,
} from '../../../blueprints/workloads/spark/conf';
import { KataRuntime } from '../../../lib/sandbox/runtime';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import { Connections, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';
import type { IKafkaEndpoint } from '../../../blueprints/workloads/kafka/endpoint';

type Obj = {
  kind: string;
  metadata: { name: string };
  spec?: any;
  data?: Record<string, string>;
  rules?: any[];
}; // eslint-disable-line @typescript-eslint/no-explicit-any

const JAR = 'local:///opt/spark/examples/jars/spark-examples_2.12-3.5.5.jar';

function synth(props: Partial<ConstructorParameters<typeof KataSparkJob>[2]> = {}, ns = 'analytics') {
  const app = Testing.app();
  const chart = new Chart(app, 'c', { namespace: ns });
  const job = new KataSparkJob(chart, 'pi', {
    mainApplicationFile: JAR,
    mainClass: 'org.apache.spark.examples.SparkPi',
    ...props,
  });
  return { job, objs: chart.toJson() as Obj[] };
}

function fakeKafka(): IKafkaEndpoint {
  const app = Testing.app();
  const chart = new Chart(app, 'k', { namespace: 'kafka' });
  const policy = new PodNetworkPolicy(chart, 'p', {
    context: 'k',
    name: 'events',
    selector: { app: 'kafka' },
  });
  return {
    bootstrapServers: 'events-kafka-bootstrap.kafka.svc.cluster.local:9092',
    securityProtocol: 'PLAINTEXT',
    connections: new Connections(NetworkPeer.pods({ app: 'kafka' }, 'kafka'), policy, [{ port: 9092 }]),
  };
}

describe('Spark configuration (pure)', () => {
  test('overhead: max(384Mi, factor * memory)', () => {
    expect(defaultMemoryOverheadMiB(1024, 0.1)).toBe(384);
    expect(defaultMemoryOverheadMiB(8192, 0.1)).toBe(820);
    expect(defaultMemoryOverheadMiB(2048, 0.4)).toBe(820);
    fc.assert(
      fc.property(fc.integer({ min: 512, max: 1 << 20 }), fc.constantFrom(0.1, 0.4), (m, f) => {
        const o = defaultMemoryOverheadMiB(m, f);
        return o >= MIN_MEMORY_OVERHEAD_MIB && o >= m * f && o < m * f + 1 + MIN_MEMORY_OVERHEAD_MIB;
      }),
    );
  });

  test('the container limit is memory + overhead; an overhead that does not fit the limit is refused', () => {
    const r = resolveRole('T', 'executor', { memoryMiB: 4096, memoryLimitMiB: 4096 + 410 }, 0.1);
    expect(r.memoryOverheadMiB).toBe(410);
    expect(() =>
      resolveRole(
        'KataSparkJob "x"',
        'executor',
        { memoryMiB: 4096, memoryOverheadMiB: 1024, memoryLimitMiB: 4608 },
        0.1,
      ),
    ).toThrow(
      /KataSparkJob "x": executor.memoryOverhead "1024Mi" is not allowed; expected an overhead that fits the memory limit: executor.memory 4096Mi \+ memoryOverhead 1024Mi = 5120Mi exceeds executor.memoryLimit 4608Mi/,
    );
    expect(() => resolveRole('T', 'driver', { memoryMiB: 1024, memoryOverheadMiB: 100 }, 0.1)).toThrow(
      /at least 384Mi/,
    );
    expect(() => resolveRole('T', 'driver', { cores: 0, memoryMiB: 1024 }, 0.1)).toThrow(/driver.cores 0/);
    expect(() =>
      resolveRole('T', 'driver', { cores: 2, coreLimitMillis: 1000, memoryMiB: 1024 }, 0.1),
    ).toThrow(/driver.coreLimit "1000m"/);
  });

  test('renderSparkConf: derived keys, typed keys, free-form keys last and sorted', () => {
    const role = { cores: 2, coreLimitMillis: 2000, memoryMiB: 4096, memoryOverheadMiB: 410 };
    const conf = renderSparkConf({
      appName: 'etl',
      namespace: 'analytics',
      image: 'apache/spark:3.5.5',
      serviceAccountName: 'etl-spark',
      driver: role,
      executor: role,
      scaling: { kind: 'dynamic', minExecutors: 1, maxExecutors: 10, initialExecutors: 2 },
      env: { KAFKA_BOOTSTRAP_SERVERS: 'k:9092' },
      common: { sqlShufflePartitions: 64, eventLogDir: 's3a://logs/spark', kryoSerializer: true },
      extra: { 'spark.z': '1', 'spark.a': '2' },
    });
    const m = new Map(conf);
    expect(m.get('spark.kubernetes.authenticate.driver.serviceAccountName')).toBe('etl-spark');
    expect(m.get('spark.kubernetes.authenticate.executor.serviceAccountName')).toBe('etl-spark');
    expect(m.get('spark.executor.memoryOverhead')).toBe('410m');
    expect(m.get('spark.kubernetes.executor.limit.cores')).toBe('2');
    expect(m.get('spark.dynamicAllocation.shuffleTracking.enabled')).toBe('true');
    expect(m.get('spark.dynamicAllocation.maxExecutors')).toBe('10');
    expect(m.get('spark.executorEnv.KAFKA_BOOTSTRAP_SERVERS')).toBe('k:9092');
    expect(m.get('spark.kubernetes.driverEnv.KAFKA_BOOTSTRAP_SERVERS')).toBe('k:9092');
    expect(m.get('spark.sql.shuffle.partitions')).toBe('64');
    expect(m.get('spark.serializer')).toBe('org.apache.spark.serializer.KryoSerializer');
    expect(m.has('spark.executor.instances')).toBe(false);
    expect(conf.slice(-2)).toEqual([
      ['spark.a', '2'],
      ['spark.z', '1'],
    ]);
  });

  test('spark-submit arguments', () => {
    expect(
      sparkSubmitArgs({
        apiServer: 'https://k:443',
        conf: [['a', 'b']],
        mainClass: 'M',
        mainApplicationFile: JAR,
        args: ['100'],
      }),
    ).toEqual([
      '--master',
      'k8s://https://k:443',
      '--deploy-mode',
      'cluster',
      '--class',
      'M',
      '--conf',
      'a=b',
      JAR,
      '100',
    ]);
  });

  test.each(['0 2 * * *', '*/15 * * * 1-5', '@daily', '30 4 1 JAN *'])('accepts schedule %s', (s) => {
    expect(validateCronSchedule('T', 'schedule', s)).toBe(s);
  });
  test.each(['', 'every day', '61 * * * *', '0 0 2 * * *', '* * *'])('refuses schedule %j', (s) => {
    expect(() => validateCronSchedule('KataSparkJob "x"', 'schedule', s)).toThrow(
      /KataSparkJob "x": schedule .* expected a cron expression with five fields/,
    );
  });
});

describe('KataSparkJob (native submission)', () => {
  test('RBAC for the driver: pods, services, configmaps, PVCs', () => {
    const { objs } = synth();
    const role = objs.find((o) => o.kind === 'Role')!;
    expect(role.rules![0].resources).toEqual(['pods', 'services', 'configmaps', 'persistentvolumeclaims']);
    expect(role.rules![0].verbs).toContain('create');
    const rb = objs.find((o) => o.kind === 'RoleBinding')!;
    expect((rb as any).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'pi-spark', namespace: 'analytics' },
    ]); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  test('driver and executor pod templates carry the runtime class, hardened contexts and limits incl. overhead', () => {
    const { objs } = synth({
      executor: { cores: 2, memory: Size.gibibytes(4) },
      sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR),
    });
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    const driver = parse(cm.data!['driver.yaml']);
    const executor = parse(cm.data!['executor.yaml']);
    for (const pod of [driver, executor]) {
      expect(pod.kind).toBe('Pod');
      expect(pod.spec.runtimeClassName).toBe('kata-clh');
      expect(pod.metadata.labels['kata-blueprints.io/sandbox']).toBe('kata');
      expect(pod.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 185,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.spec.containers[0].securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
    }
    expect(driver.spec.containers[0].name).toBe('spark-kubernetes-driver');
    expect(driver.spec.automountServiceAccountToken).toBe(true);
    expect(driver.spec.serviceAccountName).toBe('pi-spark');
    // Executors run as the job's account (its cloud identity for object storage) without its token.
    expect(executor.spec.serviceAccountName).toBe('pi-spark');
    expect(executor.spec.automountServiceAccountToken).toBe(false);
    // 4096Mi + max(384, 410) = 4506Mi
    expect(executor.spec.containers[0].resources.limits).toEqual({ cpu: '2', memory: '4506Mi' });
  });

  test('the submitter Job runs spark-submit in cluster mode with the templates mounted', () => {
    const { objs, job } = synth({ args: ['1000'], executors: 4 });
    const j = objs.find((o) => o.kind === 'Job')!;
    const pod = j.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.runtimeClassName).toBe('kata-qemu');
    expect(pod.serviceAccountName).toBe('pi-spark');
    expect(pod.automountServiceAccountToken).toBe(true);
    const c = pod.containers[0];
    expect(c.command).toEqual(['/opt/spark/bin/spark-submit']);
    expect(c.args.slice(0, 6)).toEqual([
      '--master',
      'k8s://https://kubernetes.default.svc:443',
      '--deploy-mode',
      'cluster',
      '--class',
      'org.apache.spark.examples.SparkPi',
    ]);
    expect(c.args).toContain(
      'spark.kubernetes.executor.podTemplateFile=/opt/spark/pod-templates/executor.yaml',
    );
    expect(c.args).toContain('spark.executor.instances=4');
    expect(c.args).toContain('spark.kubernetes.authenticate.executor.serviceAccountName=pi-spark');
    expect(c.args.slice(-2)).toEqual([JAR, '1000']);
    expect(c.volumeMounts).toContainEqual({
      name: 'pod-templates',
      mountPath: '/opt/spark/pod-templates',
      readOnly: true,
    });
    expect(j.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(new Map(job.sparkConf).get('spark.kubernetes.namespace')).toBe('analytics');
  });

  test('schedule: a CronJob that never overlaps runs', () => {
    const { objs } = synth({ schedule: '0 3 * * *' });
    expect(objs.some((o) => o.kind === 'Job')).toBe(false);
    const cj = objs.find((o) => o.kind === 'CronJob')!;
    expect(cj.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid' });
    expect(cj.spec.jobTemplate.spec.template.spec.runtimeClassName).toBe('kata-qemu');
  });

  test('Kafka streaming: bootstrap servers in the conf, egress to Kafka, ingress on Kafka', () => {
    const kafka = fakeKafka();
    const { objs, job } = synth({ kafka });
    expect(new Map(job.sparkConf).get('spark.executorEnv.KAFKA_BOOTSTRAP_SERVERS')).toBe(
      kafka.bootstrapServers,
    );
    const np = objs.find((o) => o.kind === 'NetworkPolicy')!;
    expect(np.spec.egress).toContainEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka' } },
          podSelector: { matchLabels: { app: 'kafka' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 9092 }],
    });
    const kafkaPolicy = (kafka.connections.policy.node.scope as Chart).toJson()[0];
    expect(
      kafkaPolicy.spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'],
    ).toBe('analytics');
  });

  test('NetworkPolicy: intra-job traffic, API server, nothing else', () => {
    const { objs } = synth();
    const np = objs.find((o) => o.kind === 'NetworkPolicy')!;
    expect(np.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'spark',
      'app.kubernetes.io/instance': 'pi',
    });
    expect(np.spec.ingress).toEqual([
      {
        from: [
          {
            podSelector: {
              matchLabels: { 'app.kubernetes.io/name': 'spark', 'app.kubernetes.io/instance': 'pi' },
            },
          },
        ],
      },
    ]);
    expect(np.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: [
        { protocol: 'TCP', port: 443 },
        { protocol: 'TCP', port: 6443 },
      ],
    });
  });

  test('PySpark: 40% overhead, no main class', () => {
    const { job } = synth({
      mainApplicationFile: 's3a://jobs/etl.py',
      mainClass: undefined,
      driver: { memory: Size.gibibytes(2) },
    });
    expect(job.driver.memoryOverheadMiB).toBe(820);
  });
});

describe('KataSparkJob (operator)', () => {
  test('SparkApplication with the same pod templates and dynamic allocation', () => {
    const { objs } = synth({
      submission: SparkSubmission.OPERATOR,
      dynamicAllocation: { minExecutors: 1, maxExecutors: 8, shuffleTrackingTimeout: Duration.minutes(10) },
      executor: { cores: 2, coreLimit: Cpu.millis(2500), memory: Size.gibibytes(8) },
    });
    expect(objs.some((o) => o.kind === 'Job')).toBe(false);
    const app = objs.find((o) => o.kind === 'SparkApplication')!;
    expect(app.spec).toMatchObject({
      type: 'Scala',
      mode: 'cluster',
      sparkVersion: '3.5.5',
      mainClass: 'org.apache.spark.examples.SparkPi',
      restartPolicy: { type: 'Never' },
      dynamicAllocation: {
        enabled: true,
        shuffleTrackingEnabled: true,
        minExecutors: 1,
        maxExecutors: 8,
        shuffleTrackingTimeout: 600000,
      },
      executor: { cores: 2, coreLimit: '2500m', memory: '8192m', memoryOverhead: '820m' },
      driver: { serviceAccount: 'pi-spark' },
    });
    expect(app.spec.executor.serviceAccount).toBe('pi-spark');
    expect(app.spec.executor.template.spec.serviceAccountName).toBe('pi-spark');
    expect(app.spec.executor.template.spec.automountServiceAccountToken).toBe(false);
    expect(app.spec.sparkConf['spark.kubernetes.authenticate.executor.serviceAccountName']).toBe('pi-spark');
    expect(app.spec.driver.template.spec.runtimeClassName).toBe('kata-qemu');
    expect(app.spec.executor.template.spec.runtimeClassName).toBe('kata-qemu');
    expect(app.spec.sparkConf['spark.kubernetes.driver.podTemplateFile']).toBeUndefined();
  });

  test('schedule with the operator: ScheduledSparkApplication', () => {
    const { objs } = synth({ submission: SparkSubmission.OPERATOR, schedule: '@hourly' });
    const s = objs.find((o) => o.kind === 'ScheduledSparkApplication')!;
    expect(s.spec).toMatchObject({
      schedule: '@hourly',
      concurrencyPolicy: 'Forbid',
      template: { type: 'Scala' },
    });
  });
});

describe('KataSparkJob errors', () => {
  test.each([
    [{ executors: 0 }, /executors 0 is not allowed; expected a whole number >= 1/],
    [
      { dynamicAllocation: { minExecutors: 5, maxExecutors: 2 } },
      /dynamicAllocation.minExecutors 5 is not allowed; expected at most maxExecutors \(2\)/,
    ],
    [{ executors: 2, dynamicAllocation: { maxExecutors: 4 } }, /either executors or dynamicAllocation/],
    [{ dynamicAllocation: { maxExecutors: 4, initialExecutors: 9 } }, /initialExecutors 9/],
    [{ schedule: '0 0 31 2 * extra' }, /schedule "0 0 31 2 \* extra"/],
    [
      {
        executor: {
          memory: Size.gibibytes(4),
          memoryOverhead: Size.gibibytes(1),
          memoryLimit: Size.gibibytes(4),
        },
      },
      /executor.memoryOverhead "1024Mi" is not allowed; expected an overhead that fits the memory limit/,
    ],
    [{ driver: { memory: Size.mebibytes(256) } }, /driver.memory "256Mi"/],
    [{ mainClass: undefined }, /mainClass \(unset\) is not allowed; expected the main class/],
    [{ mainApplicationFile: 'spark-examples.jar' }, /mainApplicationFile "spark-examples.jar"/],
    [
      { mainApplicationFile: 's3a://b/a.py' },
      /mainClass "org.apache.spark.examples.SparkPi" is not allowed; expected no mainClass for a Python application/,
    ],
    [{ image: 'apache/spark' }, /image "apache\/spark"/],
    [{ name: 'Bad_Name' }, /name "Bad_Name"/],
    [{ submission: 'operator' as never }, /submission "operator"/],
  ])('refuses %#', (props, msg) => {
    expect(() => synth(props as never)).toThrow(msg);
  });
});
