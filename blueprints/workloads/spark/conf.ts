/**
 * Spark on Kubernetes configuration from typed inputs: memory overhead, the `--conf` entries of a
 * cluster-mode submission and the `spark-submit` argument list. Pure functions, tested alone.
 *
 * Keys and defaults: Spark `docs/running-on-kubernetes.md` and `docs/configuration.md` (3.5).
 */
import { propError } from '../../../lib/k8s/errors';

/** The application language, which decides the default memory overhead factor. */
export class SparkApplicationType {
  /** JVM (Scala or Java) jar with a main class. Overhead factor 0.10. */
  public static readonly JVM = new SparkApplicationType('Scala', 0.1);
  /** PySpark file. Overhead factor 0.40 (non-JVM jobs need more off-heap memory). */
  public static readonly PYTHON = new SparkApplicationType('Python', 0.4);
  private constructor(
    /** The SparkApplication `spec.type`. */
    public readonly operatorType: string,
    /** Default `memoryOverheadFactor` (Spark: 0.10 for JVM jobs, 0.40 for non-JVM jobs). */
    public readonly overheadFactor: number,
  ) {}
}

/** Spark's minimum memory overhead (`MEMORY_OVERHEAD_MIN_MIB`, 384 MiB). */
export const MIN_MEMORY_OVERHEAD_MIB = 384;

/** `spark.{driver,executor}.memoryOverhead` default: max(factor * memory, 384 MiB), in whole MiB. */
export function defaultMemoryOverheadMiB(memoryMiB: number, factor: number): number {
  return Math.max(MIN_MEMORY_OVERHEAD_MIB, Math.ceil(memoryMiB * factor));
}

/** Resolved resources of one Spark role (driver or executor). */
export interface SparkRoleResources {
  /** `spark.<role>.cores` (whole cores; the CPU request). */
  readonly cores: number;
  /** CPU limit in millicores (`spark.kubernetes.<role>.limit.cores`). */
  readonly coreLimitMillis: number;
  /** JVM memory in MiB (`spark.<role>.memory`). */
  readonly memoryMiB: number;
  /** Overhead in MiB (`spark.<role>.memoryOverhead`). */
  readonly memoryOverheadMiB: number;
}

/** The container memory limit Spark sets (and the Kata VM is sized from): memory + overhead. */
export function containerMemoryMiB(r: SparkRoleResources): number {
  return r.memoryMiB + r.memoryOverheadMiB;
}

/**
 * Resolves and validates one role's resources.
 *
 * @throws PropError for cores < 1, a CPU limit below the cores, or memory + overhead above `memoryLimitMiB`
 */
export function resolveRole(
  context: string,
  prop: 'driver' | 'executor',
  given: {
    cores?: number;
    coreLimitMillis?: number;
    memoryMiB: number;
    memoryOverheadMiB?: number;
    memoryLimitMiB?: number;
  },
  factor: number,
): SparkRoleResources {
  const cores = given.cores ?? 1;
  if (!Number.isInteger(cores) || cores < 1)
    throw propError(context, `${prop}.cores`, cores, 'a whole number of cores >= 1');
  const coreLimitMillis = given.coreLimitMillis ?? cores * 1000;
  if (coreLimitMillis < cores * 1000) {
    throw propError(
      context,
      `${prop}.coreLimit`,
      `${coreLimitMillis}m`,
      `at least ${prop}.cores (${cores * 1000}m)`,
    );
  }
  if (!Number.isInteger(given.memoryMiB) || given.memoryMiB < 512) {
    throw propError(
      context,
      `${prop}.memory`,
      `${given.memoryMiB}Mi`,
      'at least 512Mi (the JVM heap of the Spark process)',
    );
  }
  const overhead = given.memoryOverheadMiB ?? defaultMemoryOverheadMiB(given.memoryMiB, factor);
  if (!Number.isInteger(overhead) || overhead < MIN_MEMORY_OVERHEAD_MIB) {
    throw propError(
      context,
      `${prop}.memoryOverhead`,
      `${overhead}Mi`,
      `at least ${MIN_MEMORY_OVERHEAD_MIB}Mi (Spark's minimum)`,
    );
  }
  const r = { cores, coreLimitMillis, memoryMiB: given.memoryMiB, memoryOverheadMiB: overhead };
  if (given.memoryLimitMiB !== undefined && containerMemoryMiB(r) > given.memoryLimitMiB) {
    throw propError(
      context,
      `${prop}.memoryOverhead`,
      `${overhead}Mi`,
      `an overhead that fits the memory limit: ${prop}.memory ${given.memoryMiB}Mi + memoryOverhead ${overhead}Mi = ${containerMemoryMiB(r)}Mi exceeds ${prop}.memoryLimit ${given.memoryLimitMiB}Mi`,
    );
  }
  return r;
}

/** Executor count: a fixed number, or dynamic allocation with shuffle tracking. */
export type SparkExecutorScaling =
  | { readonly kind: 'static'; readonly instances: number }
  | {
      readonly kind: 'dynamic';
      readonly minExecutors: number;
      readonly maxExecutors: number;
      readonly initialExecutors: number;
      readonly shuffleTrackingTimeoutSeconds?: number;
    };

/** Everything that goes into the `--conf` list of a submission. */
export interface SparkConfInput {
  /** Application name (DNS-1123). */
  readonly appName: string;
  /** Namespace of the driver and executors. */
  readonly namespace: string;
  /** Image of driver and executors. */
  readonly image: string;
  /** Service account of the driver and the executors. */
  readonly serviceAccountName: string;
  /** Driver resources. */
  readonly driver: SparkRoleResources;
  /** Executor resources. */
  readonly executor: SparkRoleResources;
  /** Executor scaling. */
  readonly scaling: SparkExecutorScaling;
  /** Pod template file paths (native submission); omitted for the operator, which takes templates inline. */
  readonly podTemplateFiles?: { readonly driver: string; readonly executor: string };
  /** Environment variables for driver and executors (e.g. Kafka bootstrap servers). */
  readonly env?: Readonly<Record<string, string>>;
  /** Typed common settings, rendered after the derived ones. */
  readonly common?: SparkCommonConf;
  /** Free-form entries, last (they may override anything above). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** The common Spark settings, typed. */
export interface SparkCommonConf {
  /** `spark.sql.shuffle.partitions`. @default - Spark's (200) */
  readonly sqlShufflePartitions?: number;
  /** `spark.sql.adaptive.enabled`. @default - Spark's (true since 3.2) */
  readonly adaptiveQueryExecution?: boolean;
  /** `spark.eventLog.enabled` + `spark.eventLog.dir` (e.g. `s3a://bucket/spark-events`). @default - no event log */
  readonly eventLogDir?: string;
  /** `spark.serializer` = Kryo when true. @default false */
  readonly kryoSerializer?: boolean;
  /** `spark.speculation`. @default false */
  readonly speculation?: boolean;
  /** `spark.task.maxFailures`. @default - Spark's (4) */
  readonly taskMaxFailures?: number;
}

/** Ordered `[key, value]` pairs of the Spark configuration. Free-form `extra` keys are sorted and last. */
export function renderSparkConf(i: SparkConfInput): Array<[string, string]> {
  const c: Array<[string, string]> = [
    ['spark.app.name', i.appName],
    ['spark.kubernetes.namespace', i.namespace],
    ['spark.kubernetes.container.image', i.image],
    ['spark.kubernetes.container.image.pullPolicy', 'IfNotPresent'],
    ['spark.kubernetes.authenticate.driver.serviceAccountName', i.serviceAccountName],
    // Spark >= 3.1; named explicitly rather than left to the fallback on the driver's account.
    ['spark.kubernetes.authenticate.executor.serviceAccountName', i.serviceAccountName],
    ['spark.kubernetes.submission.waitAppCompletion', 'true'],
    ['spark.kubernetes.executor.deleteOnTermination', 'true'],
  ];
  if (i.podTemplateFiles) {
    c.push(
      ['spark.kubernetes.driver.podTemplateFile', i.podTemplateFiles.driver],
      ['spark.kubernetes.driver.podTemplateContainerName', 'spark-kubernetes-driver'],
      ['spark.kubernetes.executor.podTemplateFile', i.podTemplateFiles.executor],
      ['spark.kubernetes.executor.podTemplateContainerName', 'spark-kubernetes-executor'],
    );
  }
  for (const [role, r] of [
    ['driver', i.driver],
    ['executor', i.executor],
  ] as const) {
    c.push(
      [`spark.${role}.cores`, String(r.cores)],
      [`spark.kubernetes.${role}.request.cores`, String(r.cores)],
      [`spark.kubernetes.${role}.limit.cores`, formatCores(r.coreLimitMillis)],
      [`spark.${role}.memory`, `${r.memoryMiB}m`],
      [`spark.${role}.memoryOverhead`, `${r.memoryOverheadMiB}m`],
    );
  }
  if (i.scaling.kind === 'static') {
    c.push(
      ['spark.executor.instances', String(i.scaling.instances)],
      ['spark.dynamicAllocation.enabled', 'false'],
    );
  } else {
    c.push(
      ['spark.dynamicAllocation.enabled', 'true'],
      // Kubernetes has no external shuffle service: shuffle tracking keeps executors with shuffle data alive.
      ['spark.dynamicAllocation.shuffleTracking.enabled', 'true'],
      ['spark.dynamicAllocation.minExecutors', String(i.scaling.minExecutors)],
      ['spark.dynamicAllocation.initialExecutors', String(i.scaling.initialExecutors)],
      ['spark.dynamicAllocation.maxExecutors', String(i.scaling.maxExecutors)],
    );
    if (i.scaling.shuffleTrackingTimeoutSeconds !== undefined) {
      c.push([
        'spark.dynamicAllocation.shuffleTracking.timeout',
        `${i.scaling.shuffleTrackingTimeoutSeconds}s`,
      ]);
    }
  }
  for (const k of Object.keys(i.env ?? {}).sort()) {
    c.push([`spark.kubernetes.driverEnv.${k}`, i.env![k]], [`spark.executorEnv.${k}`, i.env![k]]);
  }
  const m = i.common ?? {};
  if (m.sqlShufflePartitions !== undefined)
    c.push(['spark.sql.shuffle.partitions', String(m.sqlShufflePartitions)]);
  if (m.adaptiveQueryExecution !== undefined)
    c.push(['spark.sql.adaptive.enabled', String(m.adaptiveQueryExecution)]);
  if (m.eventLogDir !== undefined)
    c.push(['spark.eventLog.enabled', 'true'], ['spark.eventLog.dir', m.eventLogDir]);
  if (m.kryoSerializer) c.push(['spark.serializer', 'org.apache.spark.serializer.KryoSerializer']);
  if (m.speculation !== undefined) c.push(['spark.speculation', String(m.speculation)]);
  if (m.taskMaxFailures !== undefined) c.push(['spark.task.maxFailures', String(m.taskMaxFailures)]);
  const out = new Map<string, string>(c);
  for (const k of Object.keys(i.extra ?? {}).sort()) out.set(k, i.extra![k]);
  return [...out.entries()];
}

/** Millicores as Spark's `limit.cores` value (`1`, `1.5`, `500m`). */
export function formatCores(millis: number): string {
  return millis % 1000 === 0
    ? String(millis / 1000)
    : millis % 100 === 0
      ? String(millis / 1000)
      : `${millis}m`;
}

/** The `spark-submit` argument list of a cluster-mode submission. */
export function sparkSubmitArgs(o: {
  readonly apiServer: string;
  readonly conf: ReadonlyArray<readonly [string, string]>;
  readonly mainClass?: string;
  readonly mainApplicationFile: string;
  readonly args?: readonly string[];
}): string[] {
  const out = ['--master', `k8s://${o.apiServer}`, '--deploy-mode', 'cluster'];
  if (o.mainClass) out.push('--class', o.mainClass);
  for (const [k, v] of o.conf) out.push('--conf', `${k}=${v}`);
  out.push(o.mainApplicationFile, ...(o.args ?? []));
  return out;
}

/**
 * Validates a Kubernetes CronJob schedule: five fields (minute hour day-of-month month day-of-week)
 * or a descriptor (`@hourly`, `@daily`, ...). Returns the schedule.
 */
export function validateCronSchedule(context: string, prop: string, schedule: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CronExpressionParser } = require('cron-parser') as typeof import('cron-parser');
  const descriptors = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
  const s = typeof schedule === 'string' ? schedule.trim() : '';
  const fields = s.split(/\s+/);
  const ok = descriptors.includes(s) || (fields.length === 5 && isParseable(CronExpressionParser, s));
  if (!ok) {
    throw propError(
      context,
      prop,
      schedule,
      'a cron expression with five fields (minute hour day-of-month month day-of-week, e.g. "0 2 * * *") or @hourly/@daily/@weekly/@monthly/@yearly',
    );
  }
  return s;
}

function isParseable(parser: { parse(expr: string): unknown }, expr: string): boolean {
  try {
    parser.parse(expr);
    return true;
  } catch {
    return false;
  }
}
