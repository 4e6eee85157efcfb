/**
 * KataSparkJob: a Spark application whose driver and every executor run in Kata VMs.
 *
 * Spark does not expose `runtimeClassName` as a configuration key: the driver and executor pod
 * templates (`spark.kubernetes.{driver,executor}.podTemplateFile`) carry it, together with the
 * hardened security context and tolerations. Spark sets the containers' memory request and limit to
 * `memory + memoryOverhead`, which is what the Kata VM is sized from.
 */
import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import { formatMillis } from '../../../lib/sandbox/quantity';
import { constructContext, propError } from '../../../lib/k8s/errors';
import { validateImage } from '../../../lib/k8s/image';
import { componentLabels, defaultName, imageVersion, validateDnsName } from '../../../lib/k8s/labels';
import { containerSpec } from '../../../lib/k8s/container';
import { podTemplateToJson, sandboxedPodTemplate } from '../../../lib/k8s/pod';
import {
  Connections,
  INetworkEndpoint,
  NetworkPeer,
  NetworkPort,
  PodNetworkPolicy,
} from '../../../lib/k8s/network';
import { configFiles, CONFIG_HASH_ANNOTATION } from '../../../lib/k8s/config';
import { cpuMillis, sizeToMiB, durationSeconds, toResourceRequirements } from '../../../lib/k8s/units';
import type { IKafkaEndpoint } from '../kafka/endpoint';
import {
  SparkApplicationType,
  SparkCommonConf,
  SparkExecutorScaling,
  SparkRoleResources,
  containerMemoryMiB,
  renderSparkConf,
  resolveRole,
  sparkSubmitArgs,
  validateCronSchedule,
} from './conf';

/** The default Spark image: the official Apache Spark image (user `spark`, uid 185). */
export const DEFAULT_SPARK_IMAGE = 'apache/spark:3.5.5';
/** uid/gid of the `spark` user in the official image. */
export const SPARK_UID = 185;

/** How the application is submitted. */
export class SparkSubmission {
  /** A Kubernetes Job (or CronJob) that runs `spark-submit` in cluster mode. No operator needed. */
  public static readonly NATIVE = new SparkSubmission('native');
  /** A `SparkApplication` (`sparkoperator.k8s.io/v1beta2`) for clusters running the Kubeflow Spark operator (2.x, pod templates). */
  public static readonly OPERATOR = new SparkSubmission('operator');
  private constructor(
    /** Name. */
    public readonly name: string,
  ) {}
}

/** Driver or executor resources. */
export interface SparkRoleProps {
  /** Cores (`spark.<role>.cores`, the CPU request). @default 1 */
  readonly cores?: number;
  /** CPU limit (`spark.kubernetes.<role>.limit.cores`). @default - equal to cores */
  readonly coreLimit?: Cpu;
  /** JVM memory (`spark.<role>.memory`). @default Size.gibibytes(2) */
  readonly memory?: Size;
  /** Off-heap overhead (`spark.<role>.memoryOverhead`). @default - max(384Mi, 10% of memory; 40% for PySpark) */
  readonly memoryOverhead?: Size;
  /** Upper bound for memory + overhead (the container limit and so the VM size); an error when exceeded. @default - no bound */
  readonly memoryLimit?: Size;
}

/** Dynamic allocation with shuffle tracking. */
export interface SparkDynamicAllocation {
  /** Minimum executors. @default 1 */
  readonly minExecutors?: number;
  /** Maximum executors. */
  readonly maxExecutors: number;
  /** Executors at start. @default minExecutors */
  readonly initialExecutors?: number;
  /** How long executors holding shuffle data are kept. @default - Spark's (infinity) */
  readonly shuffleTrackingTimeout?: Duration;
}

/** Props of {@link KataSparkJob}. */
export interface KataSparkJobProps {
  /** Application file: `local:///opt/spark/...jar`, `s3a://...jar` or a `.py` file. */
  readonly mainApplicationFile: string;
  /** Main class (required for a JVM jar, refused for Python). */
  readonly mainClass?: string;
  /** Application arguments. @default [] */
  readonly args?: string[];
  /** Image of submitter, driver and executors. @default DEFAULT_SPARK_IMAGE */
  readonly image?: string;
  /** Application name (DNS-1123, also the resource name prefix). @default - derived from the construct id */
  readonly name?: string;
  /** Driver resources. @default - 1 core, 2Gi + overhead */
  readonly driver?: SparkRoleProps;
  /** Executor resources. @default - 1 core, 2Gi + overhead */
  readonly executor?: SparkRoleProps;
  /** A fixed number of executors (`spark.executor.instances`). @default 2 (unless dynamicAllocation) */
  readonly executors?: number;
  /** Dynamic allocation instead of a fixed count. @default - off */
  readonly dynamicAllocation?: SparkDynamicAllocation;
  /** Common Spark settings, typed. @default - Spark's defaults */
  readonly conf?: SparkCommonConf;
  /** Free-form Spark configuration, applied last. @default - none */
  readonly sparkConf?: Readonly<Record<string, string>>;
  /** A CronJob schedule (five-field cron or @daily...) for recurring batch. @default - a one-off Job */
  readonly schedule?: string;
  /** Native Job or SparkApplication. @default SparkSubmission.NATIVE */
  readonly submission?: SparkSubmission;
  /** Stream from (or to) this Kafka: bootstrap servers in `KAFKA_BOOTSTRAP_SERVERS` and NetworkPolicy egress. @default - none */
  readonly kafka?: IKafkaEndpoint;
  /** Further egress the job needs (object storage, a metastore) with its ports. @default - none */
  readonly egress?: ReadonlyArray<{ readonly peer: NetworkPeer; readonly ports: readonly NetworkPort[] }>;
  /** CIDR of the Kubernetes API server (the submitter and driver create pods). @default "0.0.0.0/0" */
  readonly apiServerCidr?: string;
  /** Sandbox of submitter, driver and executors. @default Sandbox.kata() */
  readonly sandbox?: Sandbox;
  /** Retries of the submitter Job. @default 1 */
  readonly backoffLimit?: number;
  /** How long a finished Job (and a SparkApplication) is kept. @default Duration.days(1) */
  readonly ttlAfterFinished?: Duration;
  /** Priority class of driver and executors. @default - none */
  readonly priorityClassName?: string;
}

/**
 * A Spark batch or streaming application in Kata VMs: ServiceAccount and Role for the driver, pod
 * templates with the sandbox, and either a spark-submit Job/CronJob or a SparkApplication.
 */
export class KataSparkJob extends Construct implements INetworkEndpoint {
  /** Application name. */
  public readonly name: string;
  /** Connections (driver and executors; no client ports). */
  public readonly connections: Connections;
  /** The resolved driver resources. */
  public readonly driver: SparkRoleResources;
  /** The resolved executor resources. */
  public readonly executor: SparkRoleResources;
  /** The Spark configuration, in order. */
  public readonly sparkConf: ReadonlyArray<readonly [string, string]>;

  constructor(scope: Construct, id: string, props: KataSparkJobProps) {
    super(scope, id);
    const ctx = constructContext('KataSparkJob', id);
    const name = validateDnsName(ctx, 'name', props.name ?? defaultName(id), 40);
    this.name = name;
    const namespace = Chart.of(this).namespace ?? 'default';
    const image = validateImage(ctx, 'image', props.image ?? DEFAULT_SPARK_IMAGE);
    const sandbox = props.sandbox ?? Sandbox.kata();
    const submission = props.submission ?? SparkSubmission.NATIVE;
    if (!(submission instanceof SparkSubmission)) {
      throw propError(ctx, 'submission', submission, 'SparkSubmission.NATIVE or SparkSubmission.OPERATOR');
    }
    if (
      !props.mainApplicationFile ||
      !/^(local|s3a|gs|abfss|hdfs|https?|file):\/\//.test(props.mainApplicationFile)
    ) {
      throw propError(
        ctx,
        'mainApplicationFile',
        props.mainApplicationFile,
        'a URI such as local:///opt/spark/app.jar or s3a://bucket/app.py',
      );
    }
    const type = props.mainApplicationFile.endsWith('.py')
      ? SparkApplicationType.PYTHON
      : SparkApplicationType.JVM;
    if (type === SparkApplicationType.JVM && !props.mainClass) {
      throw propError(ctx, 'mainClass', props.mainClass, 'the main class of the jar (e.g. org.example.Main)');
    }
    if (type === SparkApplicationType.PYTHON && props.mainClass) {
      throw propError(ctx, 'mainClass', props.mainClass, 'no mainClass for a Python application');
    }

    // Resources: the container limit (memory + overhead) sizes the Kata VM.
    const role = (p: SparkRoleProps | undefined, r: 'driver' | 'executor') =>
      resolveRole(
        ctx,
        r,
        {
          cores: p?.cores,
          coreLimitMillis: p?.coreLimit ? cpuMillis(ctx, `${r}.coreLimit`, p.coreLimit) : undefined,
          memoryMiB: sizeToMiB(ctx, `${r}.memory`, p?.memory ?? Size.gibibytes(2)),
          memoryOverheadMiB: p?.memoryOverhead
            ? sizeToMiB(ctx, `${r}.memoryOverhead`, p.memoryOverhead)
            : undefined,
          memoryLimitMiB: p?.memoryLimit ? sizeToMiB(ctx, `${r}.memoryLimit`, p.memoryLimit) : undefined,
        },
        type.overheadFactor,
      );
    this.driver = role(props.driver, 'driver');
    this.executor = role(props.executor, 'executor');
    const scaling = resolveScaling(ctx, props.executors, props.dynamicAllocation);

    const labels = componentLabels('spark', name, 'application', imageVersion(image));
    const poolSelector = { 'app.kubernetes.io/name': 'spark', 'app.kubernetes.io/instance': name };

    // The job's service account: the submitter's and the driver's API identity (Spark docs: the driver
    // creates pods, services and configmaps; PVCs for on-demand claims), and the cloud identity of driver
    // and executors (EKS Pod Identity, GKE Workload Identity, Azure Workload Identity bind it to the
    // object storage). Executors run as it without a token: those mechanisms bring their own credentials
    // (metadata server, or a projected token whose audience the API server refuses), so the Role below
    // stays out of executors' reach.
    const saName = `${name}-spark`;
    new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name: saName, labels: labels.all },
      automountServiceAccountToken: false,
    });
    new k8s.KubeRole(this, 'role', {
      metadata: { name: saName, labels: labels.all },
      rules: [
        {
          apiGroups: [''],
          resources: ['pods', 'services', 'configmaps', 'persistentvolumeclaims'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
        },
      ],
    });
    new k8s.KubeRoleBinding(this, 'binding', {
      metadata: { name: saName, labels: labels.all },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: saName },
      subjects: [{ kind: 'ServiceAccount', name: saName, namespace }],
    });

    const env: Record<string, string> = {};
    if (props.kafka) {
      env.KAFKA_BOOTSTRAP_SERVERS = props.kafka.bootstrapServers;
      env.KAFKA_SECURITY_PROTOCOL = props.kafka.securityProtocol;
    }

    // Pod templates for driver and executors: the sandbox, the hardened contexts, scratch volumes.
    const template = (r: 'driver' | 'executor', res: SparkRoleResources): k8s.PodTemplateSpec => {
      const memoryMiB = containerMemoryMiB(res);
      return sandboxedPodTemplate({
        context: `${ctx} ${r} pod template`,
        sandbox,
        labels: { ...labels.all, 'app.kubernetes.io/component': r },
        containers: [
          {
            name: `spark-kubernetes-${r}`,
            image,
            // What Spark itself sets from the conf: request = cores, limit = limit.cores, memory + overhead.
            resources: toResourceRequirements({
              cpuRequestMillis: res.cores * 1000,
              cpuLimitMillis: res.coreLimitMillis,
              memoryRequestMiB: memoryMiB,
              memoryLimitMiB: memoryMiB,
            }),
            volumeMounts: [
              { name: 'tmp', mountPath: '/tmp' },
              { name: 'work-dir', mountPath: '/opt/spark/work-dir' },
            ],
          },
        ],
        volumes: [
          { name: 'tmp', emptyDir: {} },
          { name: 'work-dir', emptyDir: {} },
        ],
        serviceAccountName: saName,
        serviceAccountToken: r === 'driver',
        securityContext: { runAsUser: SPARK_UID, runAsGroup: SPARK_UID, fsGroup: SPARK_UID },
        priorityClassName: props.priorityClassName,
      });
    };
    const driverTemplate = template('driver', this.driver);
    const executorTemplate = template('executor', this.executor);

    const confInput = {
      appName: name,
      namespace,
      image,
      serviceAccountName: saName,
      driver: this.driver,
      executor: this.executor,
      scaling,
      env,
      common: props.conf,
      extra: props.sparkConf,
    };
    const ttl = durationSeconds(ctx, 'ttlAfterFinished', props.ttlAfterFinished ?? Duration.days(1));
    const schedule =
      props.schedule !== undefined ? validateCronSchedule(ctx, 'schedule', props.schedule) : undefined;

    if (submission === SparkSubmission.NATIVE) {
      const templatesDir = '/opt/spark/pod-templates';
      this.sparkConf = renderSparkConf({
        ...confInput,
        podTemplateFiles: {
          driver: `${templatesDir}/driver.yaml`,
          executor: `${templatesDir}/executor.yaml`,
        },
      });
      const asPod = (t: k8s.PodTemplateSpec) =>
        stringify({ apiVersion: 'v1', kind: 'Pod', ...podTemplateToJson(t) }, { sortMapEntries: false });
      const files = configFiles(
        this,
        'pod-templates',
        `${name}-pod-templates`,
        { 'driver.yaml': asPod(driverTemplate), 'executor.yaml': asPod(executorTemplate) },
        labels.all,
      );
      const submitLabels = { ...labels.all, 'app.kubernetes.io/component': 'submitter' };
      const backoffLimit = props.backoffLimit ?? 1;
      if (!Number.isInteger(backoffLimit) || backoffLimit < 0)
        throw propError(ctx, 'backoffLimit', backoffLimit, 'a whole number >= 0');
      const podTemplate = sandboxedPodTemplate({
        context: `${ctx} submitter`,
        sandbox,
        labels: submitLabels,
        annotations: { [CONFIG_HASH_ANNOTATION]: files.hash },
        restartPolicy: 'Never',
        serviceAccountName: saName,
        serviceAccountToken: true,
        securityContext: { runAsUser: SPARK_UID, runAsGroup: SPARK_UID, fsGroup: SPARK_UID },
        containers: [
          containerSpec({
            context: ctx,
            name: 'spark-submit',
            image,
            command: ['/opt/spark/bin/spark-submit'],
            args: sparkSubmitArgs({
              apiServer: 'https://kubernetes.default.svc:443',
              conf: this.sparkConf,
              mainClass: props.mainClass,
              mainApplicationFile: props.mainApplicationFile,
              args: props.args,
            }),
            resources: {
              cpuRequestMillis: 100,
              cpuLimitMillis: 1000,
              memoryRequestMiB: 512,
              memoryLimitMiB: 1024,
            },
            env: [{ name: 'SPARK_SUBMIT_OPTS', value: '-Xmx512m' }],
            volumeMounts: [
              { name: 'pod-templates', mountPath: templatesDir, readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          }),
        ],
        volumes: [
          { name: 'pod-templates', configMap: { name: files.name } },
          { name: 'tmp', emptyDir: {} },
        ],
      });
      const jobSpec: k8s.JobSpec = { backoffLimit, ttlSecondsAfterFinished: ttl, template: podTemplate };
      if (schedule) {
        new k8s.KubeCronJob(this, 'cronjob', {
          metadata: { name, labels: labels.all },
          spec: {
            schedule,
            // A run still going when the next is due is left alone: two drivers would write the same output.
            concurrencyPolicy: 'Forbid',
            startingDeadlineSeconds: 600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: { metadata: { labels: labels.all }, spec: jobSpec },
          },
        });
      } else {
        new k8s.KubeJob(this, 'job', {
          metadata: { name: `${name}-submit`, labels: labels.all },
          spec: jobSpec,
        });
      }
    } else {
      this.sparkConf = renderSparkConf(confInput);
      const conf: Record<string, string> = {};
      for (const [k, v] of this.sparkConf) conf[k] = v;
      const sparkVersion = imageVersion(image)?.split('-')[0] ?? '3.5.5';
      const podSpec = (res: SparkRoleResources, t: k8s.PodTemplateSpec) => ({
        cores: res.cores,
        coreLimit: formatMillis(res.coreLimitMillis),
        memory: `${res.memoryMiB}m`,
        memoryOverhead: `${res.memoryOverheadMiB}m`,
        serviceAccount: saName,
        template: podTemplateToJson(t),
      });
      const appSpec = {
        type: type.operatorType,
        mode: 'cluster',
        sparkVersion,
        image,
        imagePullPolicy: 'IfNotPresent',
        ...(props.mainClass ? { mainClass: props.mainClass } : {}),
        mainApplicationFile: props.mainApplicationFile,
        ...(props.args && props.args.length ? { arguments: props.args } : {}),
        sparkConf: conf,
        restartPolicy: { type: 'Never' },
        timeToLiveSeconds: ttl,
        driver: podSpec(this.driver, driverTemplate),
        executor: {
          ...podSpec(this.executor, executorTemplate),
          ...(scaling.kind === 'static' ? { instances: scaling.instances } : {}),
        },
        ...(scaling.kind === 'dynamic'
          ? {
              dynamicAllocation: {
                enabled: true,
                shuffleTrackingEnabled: true,
                minExecutors: scaling.minExecutors,
                initialExecutors: scaling.initialExecutors,
                maxExecutors: scaling.maxExecutors,
                ...(scaling.shuffleTrackingTimeoutSeconds !== undefined
                  ? { shuffleTrackingTimeout: scaling.shuffleTrackingTimeoutSeconds * 1000 }
                  : {}),
              },
            }
          : {}),
      };
      if (schedule) {
        new ApiObject(this, 'scheduled-application', {
          apiVersion: 'sparkoperator.k8s.io/v1beta2',
          kind: 'ScheduledSparkApplication',
          metadata: { name, labels: labels.all },
          spec: {
            schedule,
            concurrencyPolicy: 'Forbid',
            successfulRunHistoryLimit: 3,
            failedRunHistoryLimit: 3,
            template: appSpec,
          },
        });
      } else {
        new ApiObject(this, 'application', {
          apiVersion: 'sparkoperator.k8s.io/v1beta2',
          kind: 'SparkApplication',
          metadata: { name, labels: labels.all },
          spec: appSpec,
        });
      }
    }

    // Network: driver, executors and submitter talk to each other on any port (block manager, RPC, shuffle);
    // the submitter and driver call the API server; everything else is explicit.
    const policy = new PodNetworkPolicy(this, 'network-policy', {
      context: ctx,
      name,
      selector: poolSelector,
      labels: labels.all,
    });
    const self = NetworkPeer.pods(poolSelector, namespace);
    policy.allowIngress(self, []);
    policy.allowEgress(self, []);
    policy.allowEgress(NetworkPeer.ipBlock(props.apiServerCidr ?? '0.0.0.0/0'), [
      { port: 443 },
      { port: 6443 },
    ]);
    for (const e of props.egress ?? []) policy.allowEgress(e.peer, e.ports);
    this.connections = new Connections(self, policy, []);
    if (props.kafka) this.connections.allowTo(props.kafka);
  }
}

function resolveScaling(
  ctx: string,
  executors: number | undefined,
  dyn: SparkDynamicAllocation | undefined,
): SparkExecutorScaling {
  if (executors !== undefined && dyn !== undefined) {
    throw propError(ctx, 'executors', executors, 'either executors or dynamicAllocation, not both');
  }
  if (dyn) {
    const min = dyn.minExecutors ?? 1;
    if (!Number.isInteger(min) || min < 0)
      throw propError(ctx, 'dynamicAllocation.minExecutors', min, 'a whole number >= 0');
    if (!Number.isInteger(dyn.maxExecutors) || dyn.maxExecutors < 1) {
      throw propError(ctx, 'dynamicAllocation.maxExecutors', dyn.maxExecutors, 'a whole number >= 1');
    }
    if (min > dyn.maxExecutors) {
      throw propError(
        ctx,
        'dynamicAllocation.minExecutors',
        min,
        `at most maxExecutors (${dyn.maxExecutors})`,
      );
    }
    const initial = dyn.initialExecutors ?? min;
    if (!Number.isInteger(initial) || initial < min || initial > dyn.maxExecutors) {
      throw propError(
        ctx,
        'dynamicAllocation.initialExecutors',
        initial,
        `a whole number from minExecutors (${min}) to maxExecutors (${dyn.maxExecutors})`,
      );
    }
    return {
      kind: 'dynamic',
      minExecutors: min,
      maxExecutors: dyn.maxExecutors,
      initialExecutors: initial,
      shuffleTrackingTimeoutSeconds: dyn.shuffleTrackingTimeout
        ? durationSeconds(ctx, 'dynamicAllocation.shuffleTrackingTimeout', dyn.shuffleTrackingTimeout, 1)
        : undefined,
    };
  }
  const n = executors ?? 2;
  if (!Number.isInteger(n) || n < 1)
    throw propError(ctx, 'executors', n, 'a whole number >= 1 (or dynamicAllocation)');
  return { kind: 'static', instances: n };
}
