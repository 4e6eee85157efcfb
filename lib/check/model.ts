/**
 * Read-only views over plain Kubernetes objects: where a workload keeps its pod template, how a
 * label selector matches, what a container asks for. Tolerant of malformed input (the schema rules
 * report that); nothing here throws on odd shapes.
 */
import { labelSelectorMatches } from '../manifest/selector';
import { parseQuantity } from '../sandbox/quantity';
import type { KubeObject } from '../manifest/load';

/** A plain JSON object. */
export type Json = Record<string, unknown>;

/** Returns `v` when it is a plain object, else undefined. */
export function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

/** Returns `v` when it is an array of plain objects (non-objects dropped), else []. */
export function objs(v: unknown): Json[] {
  return Array.isArray(v) ? (v.filter((x) => obj(x) !== undefined) as Json[]) : [];
}

/** Returns `v` when it is a string, else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A string map (labels, annotations, selectors): non-string values are dropped. */
export function strMap(v: unknown): Record<string, string> {
  const o = obj(v);
  const out: Record<string, string> = {};
  if (!o) return out;
  for (const [k, val] of Object.entries(o)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  }
  return out;
}

/** Kinds that carry a pod template, and where. */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  PodTemplate: ['template'],
};

/** Workload kinds whose pods run to completion. */
export const BATCH_KINDS: ReadonlySet<string> = new Set(['Job', 'CronJob']);

/** Workload kinds with a replica count. */
export const REPLICATED_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
]);

/** Core and apps API groups the workload kinds above must come from (CRDs may reuse kind names). */
const WORKLOAD_API_VERSIONS: ReadonlySet<string> = new Set([
  'v1',
  'apps/v1',
  'apps/v1beta1',
  'apps/v1beta2',
  'extensions/v1beta1',
  'batch/v1',
  'batch/v1beta1',
  'batch/v2alpha1',
]);

/** A pod (or pod template) of an object. */
export interface PodView {
  /** Pod metadata (template metadata for workloads). */
  readonly metadata: Json;
  /** Pod spec. */
  readonly spec: Json;
  /** JSON path of the pod spec inside the object, e.g. `spec.template.spec`. */
  readonly specPath: string;
  /** JSON path of the pod metadata inside the object. */
  readonly metadataPath: string;
}

/** The pod an object runs, if it is a Pod or a workload with a pod template. */
export function podOf(o: KubeObject): PodView | undefined {
  if (!WORKLOAD_API_VERSIONS.has(o.apiVersion)) return undefined;
  if (o.kind === 'Pod') {
    const spec = obj(o.spec);
    return spec
      ? { metadata: obj(o.metadata) ?? {}, spec, specPath: 'spec', metadataPath: 'metadata' }
      : undefined;
  }
  const path = POD_TEMPLATE_PATHS[o.kind];
  if (!path) return undefined;
  let cur: unknown = o;
  for (const p of path) cur = obj(cur)?.[p];
  const template = obj(cur);
  const spec = obj(template?.spec);
  if (!template || !spec) return undefined;
  const base = path.join('.');
  return {
    metadata: obj(template.metadata) ?? {},
    spec,
    specPath: `${base}.spec`,
    metadataPath: `${base}.metadata`,
  };
}

/** A container with its kind (`containers`, `initContainers`, `ephemeralContainers`) and JSON path. */
export interface ContainerView {
  /** The container. */
  readonly container: Json;
  /** Container name (or `#<index>`). */
  readonly name: string;
  /** Which list it is in. */
  readonly list: 'containers' | 'initContainers' | 'ephemeralContainers';
  /** JSON path inside the object. */
  readonly path: string;
}

/** Every container of a pod, in the order the Pod Security admission visits them (init, regular, ephemeral). */
export function containersOf(pod: PodView): ContainerView[] {
  const out: ContainerView[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const arr = pod.spec[list];
    if (!Array.isArray(arr)) continue;
    arr.forEach((c, i) => {
      const co = obj(c);
      if (!co) return;
      out.push({ container: co, name: str(co.name) ?? `#${i}`, list, path: `${pod.specPath}.${list}[${i}]` });
    });
  }
  return out;
}

/** The regular (long-running) containers only. */
export function appContainersOf(pod: PodView): ContainerView[] {
  return containersOf(pod).filter((c) => c.list === 'containers');
}

/**
 * Sidecar init containers (`restartPolicy: Always`, Kubernetes 1.28+) run for the pod's lifetime and
 * are sized like regular containers.
 */
export function isSidecar(c: ContainerView): boolean {
  return c.list === 'initContainers' && c.container.restartPolicy === 'Always';
}

/** A label selector (`matchLabels` + `matchExpressions`), or a plain map (Service). */
export interface LabelSelector {
  /** Equality requirements. */
  readonly matchLabels: Readonly<Record<string, string>>;
  /** Set-based requirements. */
  readonly matchExpressions: ReadonlyArray<{
    readonly key: string;
    readonly operator: string;
    readonly values: readonly string[];
  }>;
}

/** Parses a `metav1.LabelSelector`. undefined for a missing (null) selector. */
export function parseSelector(v: unknown): LabelSelector | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const matchExpressions = objs(o.matchExpressions).map((e) => ({
    key: str(e.key) ?? '',
    operator: str(e.operator) ?? '',
    values: Array.isArray(e.values) ? e.values.map(String) : [],
  }));
  return { matchLabels: strMap(o.matchLabels), matchExpressions };
}

/** A plain equality selector (Service `spec.selector`, ReplicationController). */
export function mapSelector(v: unknown): LabelSelector | undefined {
  const o = obj(v);
  if (!o) return undefined;
  return { matchLabels: strMap(o), matchExpressions: [] };
}

/** Whether a selector has no requirements (selects everything, for NetworkPolicy/PDB). */
export function isEmptySelector(s: LabelSelector): boolean {
  return Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0;
}

/** Whether `labels` satisfy `selector` (Kubernetes semantics; unknown operators never match). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return labelSelectorMatches(selector, labels);
}

/** Renders a selector for messages, e.g. `app=web,tier in (a,b)`. */
export function formatSelector(s: LabelSelector): string {
  const parts = Object.entries(s.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${e.values.join(',')})`);
  }
  return parts.length ? parts.join(',') : '(everything)';
}

/** Parses a quantity; undefined when missing or malformed. */
export function quantity(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return parseQuantity(v);
  } catch {
    return undefined;
  }
}

/** A container resource value (`requests` or `limits`, `cpu` or `memory`), parsed; undefined when unset. */
export function resourceOf(c: Json, kind: 'requests' | 'limits', resource: string): number | undefined {
  return quantity(obj(obj(c.resources)?.[kind])?.[resource]);
}

/** Whether a container sets a resource value (even one that does not parse). */
export function hasResource(c: Json, kind: 'requests' | 'limits', resource: string): boolean {
  const v = obj(obj(c.resources)?.[kind])?.[resource];
  return v !== undefined && v !== null && v !== '';
}

/**
 * The pod's effective memory or CPU as the scheduler sees it: the larger of the sum over regular
 * (and sidecar) containers and the largest plain init container (Kubernetes "effective request").
 */
export function podResource(pod: PodView, kind: 'requests' | 'limits', resource: string): number {
  let sum = 0;
  let initMax = 0;
  for (const c of containersOf(pod)) {
    if (c.list === 'ephemeralContainers') continue;
    const v =
      resourceOf(c.container, kind, resource) ??
      (kind === 'requests' ? resourceOf(c.container, 'limits', resource) : undefined) ??
      0;
    if (c.list === 'containers' || isSidecar(c)) sum += v;
    else initMax = Math.max(initMax, v);
  }
  return Math.max(sum, initMax);
}

/** Image tag check: `untagged`, `latest`, or undefined when pinned (tag other than latest, or digest). */
export function imagePinProblem(image: string): 'untagged' | 'latest' | undefined {
  if (image.includes('@sha256:') || image.includes('@sha512:')) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const lastSegment = image.slice(lastSlash + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'untagged';
  const tag = lastSegment.slice(colon + 1);
  if (tag === '') return 'untagged';
  return tag === 'latest' ? 'latest' : undefined;
}

/** `"a", "b"` for messages. */
export function quoteList(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(', ');
}

/** `container`/`containers` for messages. */
export function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** Formats bytes as MiB for messages. */
export function mib(bytes: number): string {
  const v = bytes / 2 ** 20;
  return `${Number.isInteger(v) ? v : v.toFixed(1)}Mi`;
}

/** Formats cores as millicores for messages. */
export function millicores(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}
