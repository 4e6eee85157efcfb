/**
 * KataFlinkJob: a streaming job for the Flink Kubernetes operator (`FlinkDeployment`,
 * `flink.apache.org/v1beta1`) whose JobManager and TaskManagers run in Kata VMs through their pod
 * templates (main container `flink-main-container`).
 */
import { ApiObject, Chart, Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import { constructContext, propError } from '../../../lib/k8s/errors';
import { validateImage } from '../../../lib/k8s/image';
import { componentLabels, defaultName, imageVersion, validateDnsName } from '../../../lib/k8s/labels';
import { podTemplateToJson, sandboxedPodTemplate } from '../../../lib/k8s/pod';
import { podDisruptionBudget } from '../../../lib/k8s/pdb';
import {
  Connections,
  INetworkEndpoint,
  NetworkPeer,
  NetworkPort,
  PodNetworkPolicy,
} from '../../../lib/k8s/network';
import { cpuMillis, sizeToMiB, toResourceRequirements } from '../../../lib/k8s/units';
import type { IKafkaEndpoint } from '../kafka/endpoint';

/** The default Flink image: the official image (user `flink`, uid 9999). */
export const DEFAULT_FLINK_IMAGE = 'flink:1.20.1';
/** uid/gid of the `flink` user in the official image. */
export const FLINK_UID = 9999;

/** The Flink version the operator runs (`spec.flinkVersion`). */
export class FlinkVersion {
  /** Flink 1.18. */
  public static readonly V1_18 = new FlinkVersion('v1_18');
  /** Flink 1.19. */
  public static readonly V1_19 = new FlinkVersion('v1_19');
  /** Flink 1.20 (LTS). */
  public static readonly V1_20 = new FlinkVersion('v1_20');
  private constructor(
    /** The CRD enum value. */
    public readonly value: string,
  ) {}
}

/** How the operator upgrades a running job (`job.upgradeMode`). */
export class FlinkUpgradeMode {
  /** Take a savepoint, stop, start from it. Needs a savepoint directory. The safe default for stateful jobs. */
  public static readonly SAVEPOINT = new FlinkUpgradeMode('savepoint');
  /** Restart from the latest checkpoint recorded in the HA metadata. Needs Kubernetes HA. */
  public static readonly LAST_STATE = new FlinkUpgradeMode('last-state');
  /** Restart without state. */
  public static readonly STATELESS = new FlinkUpgradeMode('stateless');
  private constructor(
    /** The CRD enum value. */
    public readonly value: string,
  ) {}
}

/** JobManager or TaskManager resources. */
export interface FlinkProcessProps {
  /** CPU (request and limit). @default Cpu.units(1) */
  readonly cpu?: Cpu;
  /** Total process memory (`resource.memory`; the container limit and so the VM size). @default Size.gibibytes(2) */
  readonly memory?: Size;
}

/** Props of {@link KataFlinkJob}. */
export interface KataFlinkJobProps {
  /** The job jar, e.g. `local:///opt/flink/usrlib/job.jar` or `s3://bucket/job.jar`. */
  readonly jarURI: string;
  /** Entry class. @default - the jar manifest's */
  readonly entryClass?: string;
  /** Job arguments. @default [] */
  readonly args?: string[];
  /** Image. @default DEFAULT_FLINK_IMAGE */
  readonly image?: string;
  /** Flink version. @default FlinkVersion.V1_20 */
  readonly flinkVersion?: FlinkVersion;
  /** Name (DNS-1123; the FlinkDeployment and prefix of its objects). @default - derived from the construct id */
  readonly name?: string;
  /** Job parallelism. @default 2 */
  readonly parallelism?: number;
  /** Task slots per TaskManager (`taskmanager.numberOfTaskSlots`). @default 1 */
  readonly taskSlots?: number;
  /** JobManager resources. @default - 1 CPU, 2Gi */
  readonly jobManager?: FlinkProcessProps;
  /** JobManager replicas (standbys need HA). @default 1 */
  readonly jobManagerReplicas?: number;
  /** TaskManager resources. @default - 1 CPU, 4Gi */
  readonly taskManager?: FlinkProcessProps;
  /** Upgrade mode. @default FlinkUpgradeMode.SAVEPOINT */
  readonly upgradeMode?: FlinkUpgradeMode;
  /**
   * Durable storage for HA metadata, checkpoints and savepoints, e.g. `s3://bucket/flink/<name>`
   * (`<storageDir>/ha`, `/checkpoints`, `/savepoints`). Required for SAVEPOINT and LAST_STATE.
   * @default - none (only with FlinkUpgradeMode.STATELESS)
   */
  readonly storageDir?: string;
  /** Kubernetes HA (`high-availability.type: kubernetes`). @default true when storageDir is given */
  readonly highAvailability?: boolean;
  /** Checkpoint interval in seconds (`execution.checkpointing.interval`). @default 60 */
  readonly checkpointIntervalSeconds?: number;
  /** Free-form Flink configuration, applied last. @default - none */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
  /** Read from this Kafka: `KAFKA_BOOTSTRAP_SERVERS` env and NetworkPolicy egress. @default - none */
  readonly kafka?: IKafkaEndpoint;
  /** Further egress (object storage...). @default - none */
  readonly egress?: ReadonlyArray<{ readonly peer: NetworkPeer; readonly ports: readonly NetworkPort[] }>;
  /** Namespace of the Flink operator (it calls the JobManager REST API on 8081). @default "flink-operator" */
  readonly operatorNamespace?: string;
  /** CIDR of the API server (the JobManager creates TaskManager pods and HA ConfigMaps). @default "0.0.0.0/0" */
  readonly apiServerCidr?: string;
  /** Sandbox. @default Sandbox.kata() */
  readonly sandbox?: Sandbox;
}

/** A Flink streaming job (FlinkDeployment) with its RBAC, NetworkPolicy and TaskManager PDB. */
export class KataFlinkJob extends Construct implements INetworkEndpoint {
  /** Name of the FlinkDeployment. */
  public readonly name: string;
  /** Connections (no client ports). */
  public readonly connections: Connections;
  /** The Flink configuration. */
  public readonly flinkConfiguration: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: KataFlinkJobProps) {
    super(scope, id);
    const ctx = constructContext('KataFlinkJob', id);
    const name = validateDnsName(ctx, 'name', props.name ?? defaultName(id), 45);
    this.name = name;
    const namespace = Chart.of(this).namespace ?? 'default';
    const image = validateImage(ctx, 'image', props.image ?? DEFAULT_FLINK_IMAGE);
    const sandbox = props.sandbox ?? Sandbox.kata();
    if (!props.jarURI || !/^(local|s3|s3a|gs|abfss|hdfs|https?|file):\/\//.test(props.jarURI)) {
      throw propError(
        ctx,
        'jarURI',
        props.jarURI,
        'a URI such as local:///opt/flink/usrlib/job.jar or s3://bucket/job.jar',
      );
    }
    const parallelism = props.parallelism ?? 2;
    if (!Number.isInteger(parallelism) || parallelism < 1)
      throw propError(ctx, 'parallelism', parallelism, 'a whole number >= 1');
    const slots = props.taskSlots ?? 1;
    if (!Number.isInteger(slots) || slots < 1)
      throw propError(ctx, 'taskSlots', slots, 'a whole number >= 1');
    const upgradeMode = props.upgradeMode ?? FlinkUpgradeMode.SAVEPOINT;
    const storageDir = props.storageDir?.replace(/\/+$/, '');
    const ha = props.highAvailability ?? storageDir !== undefined;
    if (ha && !storageDir)
      throw propError(
        ctx,
        'storageDir',
        props.storageDir,
        'a durable directory (s3://, gs://, abfss://, hdfs://) for Kubernetes HA',
      );
    if (upgradeMode === FlinkUpgradeMode.LAST_STATE && !ha) {
      throw propError(
        ctx,
        'upgradeMode',
        upgradeMode.value,
        'savepoint or stateless without HA: last-state restores from the checkpoint pointer in the HA metadata (set storageDir and highAvailability)',
      );
    }
    if (upgradeMode === FlinkUpgradeMode.SAVEPOINT && !storageDir) {
      throw propError(
        ctx,
        'upgradeMode',
        upgradeMode.value,
        'a storageDir for the savepoints (or FlinkUpgradeMode.STATELESS)',
      );
    }
    const jmReplicas = props.jobManagerReplicas ?? 1;
    if (!Number.isInteger(jmReplicas) || jmReplicas < 1)
      throw propError(ctx, 'jobManagerReplicas', jmReplicas, 'a whole number >= 1');
    if (jmReplicas > 1 && !ha)
      throw propError(
        ctx,
        'jobManagerReplicas',
        jmReplicas,
        '1 without HA (standby JobManagers need Kubernetes HA)',
      );
    const interval = props.checkpointIntervalSeconds ?? 60;
    if (!Number.isInteger(interval) || interval < 1)
      throw propError(ctx, 'checkpointIntervalSeconds', interval, 'a whole number of seconds >= 1');

    const proc = (p: FlinkProcessProps | undefined, prop: string, defMem: number) => ({
      cpuMillis: cpuMillis(ctx, `${prop}.cpu`, p?.cpu ?? Cpu.units(1)),
      memoryMiB: sizeToMiB(ctx, `${prop}.memory`, p?.memory ?? Size.mebibytes(defMem)),
    });
    const jm = proc(props.jobManager, 'jobManager', 2048);
    const tm = proc(props.taskManager, 'taskManager', 4096);
    for (const [prop, r] of [
      ['jobManager', jm],
      ['taskManager', tm],
    ] as const) {
      // Flink needs at least ~1Gi of process memory for JVM metaspace, overhead and network buffers to start.
      if (r.memoryMiB < 1024)
        throw propError(ctx, `${prop}.memory`, `${r.memoryMiB}Mi`, 'at least 1Gi of Flink process memory');
    }

    const conf: Record<string, string> = {
      'taskmanager.numberOfTaskSlots': String(slots),
      'execution.checkpointing.interval': `${interval}s`,
      'execution.checkpointing.mode': 'EXACTLY_ONCE',
      'kubernetes.operator.periodic.savepoint.interval': '6h',
    };
    if (ha) {
      conf['high-availability.type'] = 'kubernetes';
      conf['high-availability.storageDir'] = `${storageDir}/ha`;
    }
    if (storageDir) {
      conf['state.checkpoints.dir'] = `${storageDir}/checkpoints`;
      conf['state.savepoints.dir'] = `${storageDir}/savepoints`;
    }
    if (!storageDir) delete conf['kubernetes.operator.periodic.savepoint.interval'];
    for (const k of Object.keys(props.flinkConfiguration ?? {}).sort())
      conf[k] = props.flinkConfiguration![k];
    const sortedConf: Record<string, string> = {};
    for (const k of Object.keys(conf).sort()) sortedConf[k] = conf[k];
    this.flinkConfiguration = sortedConf;

    const labels = componentLabels('flink', name, 'job', imageVersion(image));
    const selector = { 'app.kubernetes.io/name': 'flink', 'app.kubernetes.io/instance': name };
    const saName = `${name}-flink`;
    new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name: saName, labels: labels.all },
      automountServiceAccountToken: false,
    });
    // Flink operator docs (operations/rbac.md): the JobManager manages TaskManager pods, HA ConfigMaps and its Deployment.
    new k8s.KubeRole(this, 'role', {
      metadata: { name: saName, labels: labels.all },
      rules: [
        {
          apiGroups: [''],
          resources: ['pods', 'configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'deployments/finalizers'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    });
    new k8s.KubeRoleBinding(this, 'binding', {
      metadata: { name: saName, labels: labels.all },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: saName },
      subjects: [{ kind: 'ServiceAccount', name: saName, namespace }],
    });

    const env: k8s.EnvVar[] = props.kafka
      ? [
          { name: 'KAFKA_BOOTSTRAP_SERVERS', value: props.kafka.bootstrapServers },
          { name: 'KAFKA_SECURITY_PROTOCOL', value: props.kafka.securityProtocol },
        ]
      : [];
    const template = (
      component: 'jobmanager' | 'taskmanager',
      r: { cpuMillis: number; memoryMiB: number },
    ) => {
      const t = sandboxedPodTemplate({
        context: `${ctx} ${component} pod template`,
        sandbox,
        labels: { ...labels.all, 'app.kubernetes.io/component': component },
        serviceAccountName: component === 'jobmanager' ? saName : undefined,
        serviceAccountToken: component === 'jobmanager',
        securityContext: { runAsUser: FLINK_UID, runAsGroup: FLINK_UID, fsGroup: FLINK_UID },
        containers: [
          {
            name: 'flink-main-container',
            ...(env.length ? { env } : {}),
            // The operator sets request = limit from `resource`; the template says the same.
            resources: toResourceRequirements({
              cpuRequestMillis: r.cpuMillis,
              cpuLimitMillis: r.cpuMillis,
              memoryRequestMiB: r.memoryMiB,
              memoryLimitMiB: r.memoryMiB,
            }),
            volumeMounts: [
              { name: 'flink-logs', mountPath: '/opt/flink/log' },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          { name: 'flink-logs', emptyDir: {} },
          { name: 'tmp', emptyDir: {} },
        ],
      });
      return { apiVersion: 'v1', kind: 'Pod', ...podTemplateToJson(t) };
    };
    const resource = (r: { cpuMillis: number; memoryMiB: number }) => ({
      cpu: r.cpuMillis / 1000,
      memory: `${r.memoryMiB}m`,
    });

    new ApiObject(this, 'deployment', {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkDeployment',
      metadata: { name, labels: labels.all },
      spec: {
        image,
        imagePullPolicy: 'IfNotPresent',
        flinkVersion: (props.flinkVersion ?? FlinkVersion.V1_20).value,
        serviceAccount: saName,
        flinkConfiguration: sortedConf,
        jobManager: { replicas: jmReplicas, resource: resource(jm), podTemplate: template('jobmanager', jm) },
        taskManager: { resource: resource(tm), podTemplate: template('taskmanager', tm) },
        job: {
          jarURI: props.jarURI,
          ...(props.entryClass ? { entryClass: props.entryClass } : {}),
          ...(props.args && props.args.length ? { args: props.args } : {}),
          parallelism,
          upgradeMode: upgradeMode.value,
          state: 'running',
        },
      },
    });

    // TaskManagers: one at a time during drains (each loss restarts the job from its checkpoint).
    podDisruptionBudget(this, 'taskmanager-pdb', {
      context: ctx,
      name: `${name}-taskmanager`,
      labels: labels.all,
      selector: { ...selector, 'app.kubernetes.io/component': 'taskmanager' },
      maxUnavailable: 1,
    });

    const policy = new PodNetworkPolicy(this, 'network-policy', {
      context: ctx,
      name,
      selector,
      labels: labels.all,
    });
    const self = NetworkPeer.pods(selector, namespace);
    policy.allowIngress(self, []);
    policy.allowEgress(self, []);
    policy.allowIngress(NetworkPeer.namespace(props.operatorNamespace ?? 'flink-operator'), [{ port: 8081 }]);
    policy.allowEgress(NetworkPeer.ipBlock(props.apiServerCidr ?? '0.0.0.0/0'), [
      { port: 443 },
      { port: 6443 },
    ]);
    for (const e of props.egress ?? []) policy.allowEgress(e.peer, e.ports);
    this.connections = new Connections(self, policy, []);
    if (props.kafka) this.connections.allowTo(props.kafka);
  }
}
