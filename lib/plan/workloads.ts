/**
 * From Kubernetes objects to the pods a cluster must hold at once: every controller with its replica count
 * (HPA minimum or maximum, Job parallelism, one concurrent CronJob run) and its pod template; DaemonSets as
 * per-node pods; RuntimeClass objects as sandbox definitions.
 */
import type { KubeObject, LoadedManifest } from '../manifest/load';
import { sandboxRuntimeFromObject, SandboxRuntime } from './vm';

/** A pod template as the planner reads it (plain JSON, as in manifests). */
export interface PlanPodTemplate {
  /** Labels and annotations of the pods. */
  readonly metadata?: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  /** The pod spec (`containers`, `initContainers`, `runtimeClassName`, `affinity`, ...). */
  readonly spec: Readonly<Record<string, unknown>>;
}

/** A set of identical pods that must run at the same time. The unit the planner packs. */
export interface PlanWorkload {
  /** Unique id, `namespace/Kind/name`. */
  readonly id: string;
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Kind of the owning object (`Deployment`, `StatefulSet`, `Job`...). */
  readonly kind: string;
  /** Name of the owning object. */
  readonly name: string;
  /** How many pods run at once (ignored for DaemonSets, which run one pod per node). */
  readonly replicas: number;
  /**
   * One pod on every node the DaemonSet selects.
   * @default false
   */
  readonly daemonSet?: boolean;
  /** The pod template. */
  readonly template: PlanPodTemplate;
  /**
   * Where the workload was read (`file:line`), for messages.
   * @default - none
   */
  readonly source?: string;
}

/** Which replica count of an autoscaled workload to plan for. */
export class HpaSizing {
  /** The HPA's `minReplicas` (default 1): the steady-state footprint. */
  public static readonly MIN_REPLICAS = new HpaSizing('min', 'HPA minReplicas');
  /** The HPA's `maxReplicas`: the peak the autoscaler may reach. */
  public static readonly MAX_REPLICAS = new HpaSizing('max', 'HPA maxReplicas');

  /**
   * `min` or `max`.
   *
   * @throws Error for other names
   */
  public static fromName(name: string): HpaSizing {
    if (name === 'min') return HpaSizing.MIN_REPLICAS;
    if (name === 'max') return HpaSizing.MAX_REPLICAS;
    throw new Error(`HPA sizing ${JSON.stringify(name)} is not allowed; expected "min" or "max"`);
  }

  private constructor(
    /** `min` or `max`. */
    public readonly name: string,
    /** Display text. */
    public readonly description: string,
  ) {}
}

/** What {@link workloadsFromManifests} found. */
export interface ExtractedWorkloads {
  /** Pod sets in input order. */
  readonly workloads: PlanWorkload[];
  /** RuntimeClass objects found in the input. */
  readonly runtimeClasses: SandboxRuntime[];
  /** What was skipped or assumed, one line each. */
  readonly notes: string[];
}

/** Options of {@link workloadsFromManifests}. */
export interface ExtractOptions {
  /**
   * Replica count for workloads an HPA scales.
   * @default HpaSizing.MIN_REPLICAS
   */
  readonly hpa?: HpaSizing;
}

/** Controllers whose pods the planner counts from their own object. */
const CONTROLLER_KINDS = [
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'DaemonSet',
  'Job',
  'CronJob',
  'Pod',
];

/** Custom resources known to create pods the planner cannot see in the manifest. */
const POD_CREATING_CRDS: Readonly<Record<string, string>> = {
  FlinkSessionJob: 'its TaskManagers run in the session FlinkDeployment it targets',
  Kafka: 'the Strimzi operator creates the broker pods',
  KafkaNodePool: 'the Strimzi operator creates the broker pods',
  CassandraDatacenter: 'cass-operator creates the Cassandra pods',
  Druid: 'the Druid operator creates the pods',
};

const MIB = 2 ** 20;

/**
 * A JVM-style memory string as Spark and Flink read it (`512m`, `2g`, `2048mb`, `1.5gb`; no unit = MiB
 * for Spark), or a Kubernetes quantity (`2Gi`). Returns bytes, or undefined when it does not parse.
 */
export function jvmMemoryBytes(v: unknown, defaultUnit: 'b' | 'm' = 'm'): number | undefined {
  if (typeof v === 'number') return defaultUnit === 'm' ? v * MIB : v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const k8s = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)$/.exec(s);
  if (k8s)
    return Math.ceil(Number(k8s[1]) * { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[k8s[2] as 'Ki']);
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(s);
  if (!m) return undefined;
  const unit = (m[2] || defaultUnit).toLowerCase();
  const mult: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  return Math.ceil(Number(m[1]) * mult[unit]);
}

/** Replaces the resources of the first container of a template (the one the operator sizes). */
function sized(template: PlanPodTemplate, resources: Record<string, unknown>): PlanPodTemplate {
  const containers = Array.isArray(template.spec.containers)
    ? [...(template.spec.containers as unknown[])]
    : [];
  containers[0] = { ...rec(containers[0]), name: rec(containers[0]).name ?? 'main', resources };
  return { ...template, spec: { ...template.spec, containers } };
}

/** A template for an operator-created pod: the given pod template (or an empty one) with sized resources. */
function operatorTemplate(base: unknown, resources: Record<string, unknown>): PlanPodTemplate {
  const t = rec(base);
  const spec = rec(t.spec);
  const meta = rec(t.metadata);
  const template: PlanPodTemplate = {
    metadata: {
      labels: rec(meta.labels) as Record<string, string>,
      annotations: rec(meta.annotations) as Record<string, string>,
    },
    spec: {
      ...spec,
      containers:
        Array.isArray(spec.containers) && spec.containers.length > 0 ? spec.containers : [{ name: 'main' }],
    },
  };
  return sized(template, resources);
}

/**
 * The driver and executor pods of a SparkApplication (`sparkoperator.k8s.io/v1beta2`): requests `cores` CPU
 * and `memory + memoryOverhead` memory (overhead default max(384 MiB, 10%)), limits `coreLimit` CPU and the
 * same memory, as Spark on Kubernetes sizes its pods; the role's `template` supplies runtimeClassName,
 * labels and affinity.
 */
function sparkRoles(
  spec: Record<string, unknown>,
): Array<{ role: string; replicas: number; template: PlanPodTemplate }> {
  const role = (
    name: 'driver' | 'executor',
  ): { role: string; replicas: number; template: PlanPodTemplate } => {
    const r = rec(spec[name]);
    const memory = jvmMemoryBytes(r.memory) ?? 1024 * MIB;
    const overhead = jvmMemoryBytes(r.memoryOverhead) ?? Math.max(384 * MIB, Math.ceil(memory * 0.1));
    const cores = typeof r.cores === 'number' && r.cores > 0 ? r.cores : 1;
    const mem = `${Math.ceil((memory + overhead) / MIB)}Mi`;
    const limits: Record<string, unknown> = { memory: mem };
    if (typeof r.coreLimit === 'string' || typeof r.coreLimit === 'number') limits.cpu = r.coreLimit;
    const replicas = name === 'driver' ? 1 : count(r.instances, 1);
    return {
      role: name,
      replicas,
      template: operatorTemplate(r.template, { requests: { cpu: String(cores), memory: mem }, limits }),
    };
  };
  return [role('driver'), role('executor')];
}

/**
 * The JobManager and TaskManager pods of a FlinkDeployment (`flink.apache.org/v1beta1`): each role's
 * `resource.cpu` / `resource.memory` as requests and limits, over the top-level and role `podTemplate`s.
 * TaskManagers: `taskManager.replicas`, else `ceil(job.parallelism / taskmanager.numberOfTaskSlots)`.
 */
function flinkRoles(
  spec: Record<string, unknown>,
  notes: string[],
  id: string,
): Array<{ role: string; replicas: number; template: PlanPodTemplate }> {
  const top = rec(spec.podTemplate);
  const role = (
    name: 'jobManager' | 'taskManager',
    replicas: number,
  ): { role: string; replicas: number; template: PlanPodTemplate } => {
    const r = rec(spec[name]);
    const own = rec(r.podTemplate);
    const merged = {
      metadata: {
        ...rec(top.metadata),
        ...rec(own.metadata),
        labels: { ...rec(rec(top.metadata).labels), ...rec(rec(own.metadata).labels) },
      },
      spec: { ...rec(top.spec), ...rec(own.spec) },
    };
    const res = rec(r.resource);
    const memory = jvmMemoryBytes(res.memory, 'b');
    const cpu = typeof res.cpu === 'number' || typeof res.cpu === 'string' ? String(res.cpu) : undefined;
    const amounts: Record<string, unknown> = {
      ...(cpu ? { cpu } : {}),
      ...(memory ? { memory: `${Math.ceil(memory / MIB)}Mi` } : {}),
    };
    const template =
      Object.keys(amounts).length > 0
        ? operatorTemplate(merged, { requests: amounts, limits: amounts })
        : operatorTemplate(merged, rec(rec(arr(rec(merged.spec).containers)[0]).resources));
    return { role: name, replicas, template };
  };
  const jm = count(rec(spec.jobManager).replicas, 1);
  const tmSpec = rec(spec.taskManager);
  let tm: number;
  if (tmSpec.replicas !== undefined) tm = count(tmSpec.replicas, 1);
  else {
    const job = rec(spec.job);
    const slots = Number(rec(spec.flinkConfiguration)['taskmanager.numberOfTaskSlots'] ?? 1) || 1;
    const parallelism = count(job.parallelism, 0);
    tm = Math.ceil(parallelism / slots);
    if (!spec.job)
      notes.push(
        `${id}: session cluster without taskManager.replicas; TaskManagers are started on demand and not counted`,
      );
  }
  return [role('jobManager', jm), role('taskManager', tm)];
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isLoaded(x: KubeObject | LoadedManifest): x is LoadedManifest {
  return (
    typeof x === 'object' &&
    x !== null &&
    'object' in x &&
    typeof (x as LoadedManifest).file === 'string' &&
    typeof (x as LoadedManifest).object === 'object'
  );
}

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function count(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : dflt;
}

function ownedByController(obj: KubeObject, kinds: readonly string[]): boolean {
  const owners = rec(obj.metadata).ownerReferences;
  return (
    Array.isArray(owners) &&
    owners.some((o) => kinds.includes(String(rec(o).kind)) && rec(o).controller !== false)
  );
}

function podTemplate(v: unknown): PlanPodTemplate | undefined {
  const t = rec(v);
  const spec = rec(t.spec);
  if (!Array.isArray(spec.containers)) return undefined;
  const meta = rec(t.metadata);
  return {
    metadata: {
      labels: rec(meta.labels) as Record<string, string>,
      annotations: rec(meta.annotations) as Record<string, string>,
    },
    spec,
  };
}

/** Job pods running at once: `parallelism` (default 1), never more than `completions`. */
function jobPods(spec: Record<string, unknown>): number {
  const parallelism = count(spec.parallelism, 1);
  const completions =
    spec.completions === undefined || spec.completions === null ? undefined : count(spec.completions, 1);
  return completions === undefined ? parallelism : Math.min(parallelism, completions);
}

/**
 * Finds every pod set in a list of Kubernetes objects (from `loadManifests` or in memory).
 *
 * - Deployment, StatefulSet, ReplicaSet, ReplicationController: `spec.replicas` (default 1); an HPA targeting
 *   the object replaces it with its `minReplicas` (default 1) or, with {@link HpaSizing.MAX_REPLICAS}, its `maxReplicas`.
 * - Job: `parallelism` capped by `completions`; CronJob: one concurrent run of its job template.
 * - Pod: 1. DaemonSet: one pod per node.
 * - Objects owned by a controller (a live cluster dump) are skipped: their owner is counted.
 * - Any other object with `spec.template.spec.containers` is counted with `spec.replicas` (noted).
 */
export function workloadsFromManifests(
  input: ReadonlyArray<KubeObject | LoadedManifest>,
  options: ExtractOptions = {},
): ExtractedWorkloads {
  const hpa = options.hpa ?? HpaSizing.MIN_REPLICAS;
  const items = input.map((x) =>
    isLoaded(x)
      ? { obj: x.object, source: `${x.file}:${x.line}` }
      : { obj: x, source: undefined as string | undefined },
  );
  const notes: string[] = [];
  const runtimeClasses: SandboxRuntime[] = [];
  const hpaTargets = new Map<string, { replicas: number; hpa: string }>();
  for (const { obj } of items) {
    if (obj.kind !== 'HorizontalPodAutoscaler') continue;
    const spec = rec(obj.spec);
    const target = rec(spec.scaleTargetRef);
    const ns = obj.metadata?.namespace ?? 'default';
    const replicas = hpa === HpaSizing.MAX_REPLICAS ? count(spec.maxReplicas, 1) : count(spec.minReplicas, 1);
    hpaTargets.set(`${ns}/${String(target.kind)}/${String(target.name)}`, {
      replicas,
      hpa: obj.metadata?.name ?? '',
    });
  }
  const workloads: PlanWorkload[] = [];
  const seen = new Set<string>();
  for (const { obj, source } of items) {
    const kind = obj.kind;
    const name = obj.metadata?.name ?? '(unnamed)';
    const namespace = obj.metadata?.namespace ?? 'default';
    const id = `${namespace}/${kind}/${name}`;
    const spec = rec(obj.spec);
    const push = (replicas: number, template: PlanPodTemplate | undefined, daemonSet = false): void => {
      if (!template) {
        notes.push(`${id}: no pod template with containers; not counted`);
        return;
      }
      if (seen.has(id)) {
        notes.push(`${id}: appears more than once in the input; counted once`);
        return;
      }
      seen.add(id);
      workloads.push({
        id,
        namespace,
        kind,
        name,
        replicas,
        template,
        ...(daemonSet ? { daemonSet } : {}),
        ...(source ? { source } : {}),
      });
    };
    if (kind === 'RuntimeClass') {
      const rc = sandboxRuntimeFromObject(obj as Parameters<typeof sandboxRuntimeFromObject>[0]);
      if (rc) runtimeClasses.push(rc);
      continue;
    }
    if (CONTROLLER_KINDS.includes(kind) && ownedByController(obj, CONTROLLER_KINDS)) continue;
    switch (kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'ReplicaSet':
      case 'ReplicationController': {
        const scaled = hpaTargets.get(id);
        const replicas = scaled ? scaled.replicas : count(spec.replicas, 1);
        if (scaled)
          notes.push(
            `${id}: ${replicas} replicas from HorizontalPodAutoscaler "${scaled.hpa}" (${hpa.description})`,
          );
        push(replicas, podTemplate(spec.template));
        break;
      }
      case 'DaemonSet':
        push(0, podTemplate(spec.template), true);
        break;
      case 'Job':
        push(jobPods(spec), podTemplate(spec.template));
        break;
      case 'CronJob': {
        const jobSpec = rec(rec(spec.jobTemplate).spec);
        push(jobPods(jobSpec), podTemplate(jobSpec.template));
        break;
      }
      case 'Pod':
        push(1, podTemplate({ metadata: obj.metadata, spec: obj.spec }));
        break;
      case 'SparkApplication':
      case 'ScheduledSparkApplication':
      case 'FlinkDeployment': {
        const appSpec = kind === 'ScheduledSparkApplication' ? rec(spec.template) : spec;
        const roles = kind === 'FlinkDeployment' ? flinkRoles(appSpec, notes, id) : sparkRoles(appSpec);
        for (const r of roles) {
          const roleId = `${id}/${r.role}`;
          if (seen.has(roleId)) continue;
          seen.add(roleId);
          workloads.push({
            id: roleId,
            namespace,
            kind,
            name: `${name}/${r.role}`,
            replicas: r.replicas,
            template: r.template,
            ...(source ? { source } : {}),
          });
        }
        break;
      }
      default: {
        const template = podTemplate(spec.template);
        if (template) {
          notes.push(
            `${id}: ${kind} is not a built-in controller; counted as spec.replicas (${count(spec.replicas, 1)}) pods of spec.template`,
          );
          push(count(spec.replicas, 1), template);
        } else if (POD_CREATING_CRDS[kind]) {
          notes.push(
            `${id}: not counted (${POD_CREATING_CRDS[kind]}; add their pod sizes with planWorkloads)`,
          );
        }
      }
    }
  }
  for (const [target, h] of [...hpaTargets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!seen.has(target))
      notes.push(`HorizontalPodAutoscaler "${h.hpa}" targets ${target}, which is not in the input`);
  }
  return { workloads, runtimeClasses, notes };
}
