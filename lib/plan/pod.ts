/**
 * One pod as the scheduler and the host see it: its effective requests (the scheduler's max rule over init
 * containers, plus the RuntimeClass overhead), its memory limit, the guest memory of its VM, and the
 * scheduling constraints the planner honours (required hostname anti-affinity, zone spread, zone pinning).
 */
import { LabelSelectorLike, labelSelectorMatches } from '../manifest/selector';
import { CriFlavor } from '../sandbox/sandbox';
import { cpuToMillis, memoryToBytes, parseQuantity } from '../sandbox/quantity';
import { SandboxRuntime, LEGACY_UNTRUSTED_RUNTIME } from './vm';
import { PlanPodTemplate } from './workloads';

/** Zone label (well-known). */
export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';
/** Hostname label (well-known). */
export const HOSTNAME_TOPOLOGY_KEY = 'kubernetes.io/hostname';
/** The sandbox key of pods without a RuntimeClass: plain runc. */
export const TRUSTED_SANDBOX = 'trusted';
/** The sandbox key of pods using the pre-RuntimeClass untrusted-workload annotation. */
export const LEGACY_SANDBOX = 'legacy-untrusted';

const DEFAULT_MEMORY_ANNOTATION = 'io.katacontainers.config.hypervisor.default_memory';
const MIB = 2 ** 20;

/** A required pod anti-affinity term on the hostname topology. */
export interface AntiAffinityTerm {
  /** Pods this pod must not share a node with. A missing selector matches no pod. */
  readonly selector?: LabelSelectorLike;
  /** Namespaces the selector applies to; `undefined` means every namespace (an empty `namespaceSelector`). */
  readonly namespaces?: readonly string[];
}

/** A toleration. */
export interface TolerationLike {
  /** Key (empty with `Exists` tolerationsTolerate everything). */
  readonly key?: string;
  /** `Equal` (default) or `Exists`. */
  readonly operator?: string;
  /** Value. */
  readonly value?: string;
  /** Effect (empty matches every effect). */
  readonly effect?: string;
}

/** What one pod of a workload needs. */
export interface PodProfile {
  /** `runtimeClassName`, {@link TRUSTED_SANDBOX} or {@link LEGACY_SANDBOX}. */
  readonly sandbox: string;
  /** The runtime, when the pod runs in a sandbox the planner knows. */
  readonly runtime?: SandboxRuntime;
  /** Requested CPU (millicores), including the RuntimeClass overhead. */
  readonly cpuMillis: number;
  /** Requested memory (bytes), including the RuntimeClass overhead. */
  readonly memoryBytes: number;
  /** Extended resources requested (e.g. `nvidia.com/gpu`). */
  readonly extended: Readonly<Record<string, number>>;
  /** The RuntimeClass overhead included above. */
  readonly overhead: { readonly cpuMillis: number; readonly memoryBytes: number };
  /** The pod's memory limit (max rule over init containers); 0 when no container sets one. */
  readonly memoryLimitBytes: number;
  /** Guest memory of the pod's VM (0 without a VM). */
  readonly guestMemoryBytes: number;
  /** Whether the guest memory is backed by the host's `/dev/shm`. */
  readonly guestMemoryOnShm: boolean;
  /** How the guest memory was computed. */
  readonly guestMemoryFormula?: string;
  /** Pod labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Namespace. */
  readonly namespace: string;
  /** Required hostname anti-affinity terms. */
  readonly antiAffinity: readonly AntiAffinityTerm[];
  /** Whether a zone topology spread constraint with `DoNotSchedule` applies to the pod's own replicas. */
  readonly zoneSpread: boolean;
  /** A single zone the pod is pinned to by node selector or required node affinity. */
  readonly zonePin?: string;
  /** Node selector (for DaemonSet placement). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations (for DaemonSet placement). */
  readonly tolerations: readonly TolerationLike[];
  /** Constraints the planner does not model, one line each. */
  readonly ignored: readonly string[];
  /** Why the pod cannot be placed anywhere regardless of hosts (e.g. an unknown RuntimeClass). */
  readonly error?: string;
}

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Whether a selector matches a label set (Kubernetes semantics: an empty selector matches everything). */
export function podSelectorMatches(
  selector: LabelSelectorLike | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  return selector !== undefined && labelSelectorMatches(selector, labels);
}

/** Whether an anti-affinity term of a pod in `ownNamespace` selects a pod with `labels` in `namespace`. */
export function antiAffinityTermSelects(
  term: AntiAffinityTerm,
  labels: Readonly<Record<string, string>>,
  namespace: string,
): boolean {
  if (term.namespaces !== undefined && !term.namespaces.includes(namespace)) return false;
  return podSelectorMatches(term.selector, labels);
}

/** Whether a toleration list tolerationsTolerate a taint. */
export function tolerationsTolerate(
  tolerations: readonly TolerationLike[],
  taint: { readonly key: string; readonly value?: string; readonly effect: string },
): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

type Amounts = Map<string, number>;

const IGNORED_RESOURCES = ['ephemeral-storage', 'storage'];

function amountsOf(resources: Record<string, unknown>, notes: string[], where: string): Amounts {
  const out: Amounts = new Map();
  for (const [k, v] of Object.entries(resources)) {
    if (IGNORED_RESOURCES.includes(k) || k.startsWith('hugepages-')) continue;
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    try {
      const n =
        k === 'cpu' ? cpuToMillis(v) : k === 'memory' ? memoryToBytes(v) : Math.ceil(parseQuantity(v) - 1e-9);
      out.set(k, n);
    } catch {
      notes.push(`${where}: ${k} ${JSON.stringify(v)} is not a quantity; counted as 0`);
    }
  }
  return out;
}

function add(a: Amounts, b: Amounts): Amounts {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}
function max(a: Amounts, b: Amounts): Amounts {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, Math.max(out.get(k) ?? 0, v));
  return out;
}

/**
 * The pod's effective amounts with the scheduler's rules (`k8s.io/component-helpers/resource` `PodRequests`):
 * sum over app containers; sidecars (init containers with `restartPolicy: Always`) add to it; each regular
 * init container counts with the sidecars started before it; the pod needs the max of the two.
 * `pick` returns the container's value for one resource kind.
 */
function podAmounts(spec: Record<string, unknown>, pick: (c: Record<string, unknown>) => Amounts): Amounts {
  let sum: Amounts = new Map();
  for (const c of arr(spec.containers)) sum = add(sum, pick(rec(c)));
  let sidecars: Amounts = new Map();
  let init: Amounts = new Map();
  for (const c of arr(spec.initContainers)) {
    const cr = rec(c);
    const own = pick(cr);
    if (cr.restartPolicy === 'Always') {
      sum = add(sum, own);
      sidecars = add(sidecars, own);
      init = max(init, sidecars);
    } else {
      init = max(init, add(own, sidecars));
    }
  }
  return max(sum, init);
}

/** Resolves a RuntimeClass name to what the planner knows about it. */
export type RuntimeLookup = (name: string) => SandboxRuntime | undefined;

/**
 * Profiles one pod of a template.
 *
 * - Requests: a container's request, or its limit when the request is unset (the API server's defaulting);
 *   pod-level `spec.resources` wins when set. The RuntimeClass `overhead.podFixed` is added.
 * - Guest memory: by the runtime's {@link VmSizing}; a `default_memory` pod annotation replaces the runtime's
 *   `default_memory` when the runtime allows the annotation.
 */
export function profilePod(
  template: PlanPodTemplate,
  namespace: string,
  lookup: RuntimeLookup,
  where: string,
): PodProfile {
  const spec = rec(template.spec);
  const labels = rec(template.metadata?.labels) as Record<string, string>;
  const annotations = rec(template.metadata?.annotations) as Record<string, string>;
  const ignored: string[] = [];

  const requestsOf = (c: Record<string, unknown>): Amounts => {
    const r = rec(c.resources);
    const limits = amountsOf(rec(r.limits), ignored, where);
    const requests = amountsOf(rec(r.requests), ignored, where);
    return new Map([...limits, ...requests]);
  };
  const limitsOf = (c: Record<string, unknown>): Amounts =>
    amountsOf(rec(rec(c.resources).limits), ignored, where);
  let requests = podAmounts(spec, requestsOf);
  let limits = podAmounts(spec, limitsOf);
  const podLevel = rec(spec.resources);
  if (Object.keys(podLevel).length > 0) {
    const pr = amountsOf(rec(podLevel.requests), ignored, where);
    const pl = amountsOf(rec(podLevel.limits), ignored, where);
    for (const k of ['cpu', 'memory']) {
      const v = pr.get(k) ?? pl.get(k);
      if (v !== undefined) requests = new Map([...requests, [k, v]]);
      const l = pl.get(k);
      if (l !== undefined) limits = new Map([...limits, [k, l]]);
    }
  }

  const runtimeClassName = typeof spec.runtimeClassName === 'string' ? spec.runtimeClassName : undefined;
  const legacy =
    annotations[CriFlavor.CONTAINERD.annotationKey] === CriFlavor.CONTAINERD.annotationValue ||
    annotations[CriFlavor.CRIO.annotationKey] === CriFlavor.CRIO.annotationValue;
  let sandbox = TRUSTED_SANDBOX;
  let runtime: SandboxRuntime | undefined;
  let error: string | undefined;
  if (runtimeClassName) {
    sandbox = runtimeClassName;
    runtime = lookup(runtimeClassName);
    if (!runtime) {
      error =
        `RuntimeClass "${runtimeClassName}" is neither in the input nor a KataRuntime preset ` +
        '(the RuntimeClass admission controller rejects such pods); add the RuntimeClass manifest or pass the runtime';
    }
  } else if (legacy) {
    sandbox = LEGACY_SANDBOX;
    runtime = LEGACY_UNTRUSTED_RUNTIME;
  }

  const overhead = {
    cpuMillis: runtime?.overheadCpuMillis ?? 0,
    memoryBytes: runtime?.overheadMemoryBytes ?? 0,
  };
  const memoryLimitBytes = limits.get('memory') ?? 0;
  let guestMemoryBytes = 0;
  let guestMemoryFormula: string | undefined;
  if (runtime?.vm) {
    let defaultMiB = runtime.defaultMemoryMiB;
    const perPod = annotations[DEFAULT_MEMORY_ANNOTATION];
    if (perPod !== undefined) {
      const allowed = runtime.allowedAnnotations.some((p) => {
        try {
          return new RegExp(`^(?:${p})$`).test('default_memory');
        } catch {
          return p === 'default_memory';
        }
      });
      const n = Number(perPod);
      if (allowed && Number.isInteger(n) && n > 0) defaultMiB = n;
      else if (!allowed)
        ignored.push(`${where}: ${DEFAULT_MEMORY_ANNOTATION} is not allowed by ${runtime.name}; ignored`);
    }
    guestMemoryBytes = runtime.sizing.guestMemoryBytes(memoryLimitBytes, defaultMiB * MIB);
    guestMemoryFormula = runtime.sizing
      .describe()
      .replace('default_memory', `default_memory ${defaultMiB}Mi`);
  }

  const extended: Record<string, number> = {};
  for (const k of [...requests.keys()].sort()) {
    if (k !== 'cpu' && k !== 'memory' && (requests.get(k) ?? 0) > 0) extended[k] = requests.get(k)!;
  }

  // Scheduling constraints.
  const affinity = rec(spec.affinity);
  const antiAffinity: AntiAffinityTerm[] = [];
  for (const t of arr(rec(affinity.podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution)) {
    const term = rec(t);
    const topologyKey = String(term.topologyKey ?? '');
    const selector =
      term.labelSelector === undefined || term.labelSelector === null
        ? undefined
        : (rec(term.labelSelector) as LabelSelectorLike);
    const nsSelector = term.namespaceSelector;
    const hasNsSelector = nsSelector !== undefined && nsSelector !== null;
    const listed = Array.isArray(term.namespaces) ? (term.namespaces as string[]) : [];
    // namespaces + namespaceSelector are a union; an empty namespaceSelector selects every namespace.
    const namespaces = hasNsSelector ? undefined : listed.length > 0 ? listed : [namespace];
    if (hasNsSelector && Object.keys(rec(nsSelector)).length > 0) {
      ignored.push(`${where}: anti-affinity namespaceSelector is treated as "all namespaces"`);
    }
    if (topologyKey === HOSTNAME_TOPOLOGY_KEY) antiAffinity.push({ selector, namespaces });
    else ignored.push(`${where}: required anti-affinity on topology "${topologyKey}" is not modelled`);
  }
  if (rec(affinity.podAffinity).requiredDuringSchedulingIgnoredDuringExecution) {
    ignored.push(`${where}: required pod affinity is not modelled`);
  }
  let zoneSpread = false;
  for (const c of arr(spec.topologySpreadConstraints)) {
    const tsc = rec(c);
    if (tsc.whenUnsatisfiable !== 'DoNotSchedule') continue;
    const selfSelected = podSelectorMatches(rec(tsc.labelSelector) as LabelSelectorLike, labels);
    if (tsc.topologyKey === ZONE_TOPOLOGY_KEY && selfSelected) zoneSpread = true;
    else if (selfSelected)
      ignored.push(`${where}: DoNotSchedule spread on "${String(tsc.topologyKey)}" is not modelled`);
  }
  const nodeSelector = rec(spec.nodeSelector) as Record<string, string>;
  let zonePin: string | undefined =
    typeof nodeSelector[ZONE_TOPOLOGY_KEY] === 'string' ? nodeSelector[ZONE_TOPOLOGY_KEY] : undefined;
  const terms = arr(
    rec(rec(rec(affinity.nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution)).nodeSelectorTerms,
  );
  if (terms.length === 1) {
    for (const e of arr(rec(terms[0]).matchExpressions)) {
      const ex = rec(e);
      const values = arr(ex.values);
      if (ex.key === ZONE_TOPOLOGY_KEY && ex.operator === 'In' && values.length === 1)
        zonePin = String(values[0]);
    }
  }

  return {
    sandbox,
    ...(runtime ? { runtime } : {}),
    cpuMillis: (requests.get('cpu') ?? 0) + overhead.cpuMillis,
    memoryBytes: (requests.get('memory') ?? 0) + overhead.memoryBytes,
    extended,
    overhead,
    memoryLimitBytes,
    guestMemoryBytes,
    guestMemoryOnShm: Boolean(runtime?.vm && runtime.guestMemoryOnShm),
    ...(guestMemoryFormula ? { guestMemoryFormula } : {}),
    labels,
    namespace,
    antiAffinity,
    zoneSpread,
    ...(zonePin !== undefined ? { zonePin } : {}),
    nodeSelector,
    tolerations: arr(spec.tolerations).map((t) => rec(t) as TolerationLike),
    ignored,
    ...(error ? { error } : {}),
  };
}
