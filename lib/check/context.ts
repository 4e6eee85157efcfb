/**
 * The index the rules run against: every object with its source, the pods they run, namespaces and
 * their Pod Security level, RuntimeClasses, and selector lookups. Built once per check, in linear time.
 */
import type { KubeObject } from '../manifest/load';
import { KataRuntime } from '../sandbox/runtime';
import {
  BATCH_KINDS,
  Json,
  LabelSelector,
  REPLICATED_KINDS,
  obj,
  objs,
  podOf,
  PodView,
  quantity,
  selectorMatches,
  str,
  strMap,
} from './model';
import { CheckOptions, Finding, PodSecurityLevel, RuleFamily, RuleInfo, Severity } from './types';

/** Label a Namespace carries to enforce a Pod Security level. */
export const PSS_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

/** Pod annotation of containerd's pre-RuntimeClass untrusted-workload runtime. */
export const CONTAINERD_UNTRUSTED_ANNOTATION = 'io.kubernetes.cri.untrusted-workload';

/** Pod annotation of CRI-O's pre-1.14 trusted/untrusted sandbox choice. */
export const CRIO_TRUSTED_ANNOTATION = 'io.kubernetes.cri-o.TrustedSandbox';

/** Kinds that are not namespaced (a `metadata.namespace` on them is ignored by the API server). */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
  'ClusterIssuer',
]);

/** An object with where it came from; `LoadedManifest` (from `loadManifests`) is one. */
export interface SourcedObject {
  /** The object. */
  readonly object: KubeObject;
  /** File the object came from, or a label such as `chart:apps`. */
  readonly file: string;
  /** 0-based document index in the file, when known. */
  readonly documentIndex?: number;
  /** 1-based start line, when known. */
  readonly line?: number;
}

/** What the checks accept: plain objects, or objects with their source. */
export type CheckInput = KubeObject | SourcedObject;

/** One input object with where it came from. */
export interface Entry {
  /** The object. */
  readonly object: KubeObject;
  /** File or in-memory label. */
  readonly file: string;
  /** Document index, when known. */
  readonly documentIndex?: number;
  /** Start line, when known. */
  readonly line?: number;
  /** Effective namespace; undefined for cluster-scoped kinds. */
  readonly namespace?: string;
  /** metadata.name (or `(unnamed)`). */
  readonly name: string;
  /** Position in the input. */
  readonly index: number;
}

/** A RuntimeClass the checks know about. */
export interface KnownRuntimeClass {
  /** metadata.name. */
  readonly name: string;
  /** CRI handler. */
  readonly handler: string;
  /** Whether the handler is a Kata Containers runtime. */
  readonly kata: boolean;
  /** overhead.podFixed.cpu in cores, when known. */
  readonly overheadCpu?: number;
  /** overhead.podFixed.memory in bytes, when known. */
  readonly overheadMemory?: number;
  /** Where the checks learnt of it. */
  readonly source: 'input' | 'declared' | 'preset';
  /** The matching kata-blueprints preset, if any (knows the default hypervisor annotation allow-list). */
  readonly preset?: KataRuntime;
}

/** How a pod is isolated, as far as the manifests tell. */
export interface SandboxInfo {
  /** The pod runs in a Kata VM. */
  readonly sandboxed: boolean;
  /** `spec.runtimeClassName`, if set. */
  readonly runtimeClassName?: string;
  /** The RuntimeClass it names, if known. */
  readonly runtimeClass?: KnownRuntimeClass;
  /** The legacy untrusted-workload annotation key, if the pod carries one that selects the untrusted runtime. */
  readonly legacyAnnotation?: string;
}

/** A pod the input runs (a Pod, or the template of a workload) with everything the rules need. */
export interface PodUnit {
  /** The object that carries the pod. */
  readonly entry: Entry;
  /** The pod view (metadata, spec, JSON paths). */
  readonly pod: PodView;
  /** Pod labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Pod annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Namespace (always set for pods). */
  readonly namespace: string;
  /** Replicas: spec.replicas (default 1), raised to an HPA's minReplicas; undefined for non-replicated kinds. */
  readonly replicas?: number;
  /** Job or CronJob. */
  readonly batch: boolean;
  /** DaemonSet. */
  readonly daemon: boolean;
  /** Sandbox. */
  readonly sandbox: SandboxInfo;
  /** Effective Pod Security level of the namespace. */
  readonly level: PodSecurityLevel;
}

const RUNTIME_CLASS_API_VERSIONS = new Set(['node.k8s.io/v1', 'node.k8s.io/v1beta1', 'node.k8s.io/v1alpha1']);

/** Whether a handler (or a class name standing for one) is a Kata Containers runtime. */
export function isKataHandler(handler: string): boolean {
  return handler.toLowerCase().startsWith('kata');
}

/** Whether a RuntimeClass object comes from the input. */
export function isRuntimeClass(o: KubeObject): boolean {
  return o.kind === 'RuntimeClass' && RUNTIME_CLASS_API_VERSIONS.has(o.apiVersion);
}

/** The indexed input plus the finding sink. */
export class CheckContext {
  /** Every input object. */
  public readonly entries: readonly Entry[];
  /** Every pod the input runs. */
  public readonly pods: readonly PodUnit[];
  /** Pod Security level per namespace from Namespace objects in the input. */
  public readonly namespaceLevels: ReadonlyMap<string, PodSecurityLevel>;
  /** RuntimeClasses from the input and the declared cluster. */
  public readonly runtimeClasses: ReadonlyMap<string, KnownRuntimeClass>;
  /** Whether the set of RuntimeClasses is known (the input or the options declare at least one). */
  public readonly runtimeClassesKnown: boolean;
  /** Options. */
  public readonly options: CheckOptions;
  /** Findings so far. */
  public readonly findings: Finding[] = [];

  private readonly families: ReadonlySet<string>;
  private readonly disabled: ReadonlySet<string>;
  private readonly podsByNamespace = new Map<string, PodUnit[]>();
  private readonly podsByLabel = new Map<string, PodUnit[]>();
  private limitRanges?: Map<string, { limits: Set<string>; requests: Set<string> }>;

  constructor(inputs: readonly CheckInput[], options: CheckOptions = {}) {
    this.options = options;
    this.families = new Set(options.families ?? Object.values(RuleFamily));
    this.disabled = new Set(options.disabledRules ?? []);
    const defaultNamespace = options.defaultNamespace ?? 'default';

    const entries: Entry[] = [];
    inputs.forEach((input, index) => {
      const loaded = isSourced(input) ? input : undefined;
      const object = normalize(loaded ? loaded.object : input);
      const md = obj(object.metadata) ?? {};
      const clusterScoped = CLUSTER_SCOPED_KINDS.has(object.kind);
      entries.push({
        object,
        file: loaded?.file ?? '<memory>',
        documentIndex: loaded ? loaded.documentIndex : index,
        line: loaded?.line,
        namespace: clusterScoped ? undefined : (str(md.namespace) ?? defaultNamespace),
        name: str(md.name) ?? str(md.generateName) ?? '(unnamed)',
        index,
      });
    });
    this.entries = entries;

    const levels = new Map<string, PodSecurityLevel>();
    const classes = new Map<string, KnownRuntimeClass>();
    for (const e of entries) {
      if (e.object.kind === 'Namespace' && e.object.apiVersion === 'v1') {
        const lvl = strMap(obj(e.object.metadata)?.labels)[PSS_ENFORCE_LABEL];
        if (lvl && (Object.values(PodSecurityLevel) as string[]).includes(lvl))
          levels.set(e.name, lvl as PodSecurityLevel);
      }
      if (isRuntimeClass(e.object)) classes.set(e.name, runtimeClassFromObject(e.object, e.name));
    }
    for (const decl of options.runtimeClasses ?? []) {
      const [name, handler] = decl.split('=').map((s) => s.trim());
      if (!name || classes.has(name)) continue;
      const preset = KataRuntime.PRESETS.find(
        (p) => p.name === name && (handler === undefined || p.handler === handler),
      );
      const h = handler || name;
      classes.set(name, {
        name,
        handler: h,
        kata: isKataHandler(h) || preset !== undefined,
        overheadCpu: preset ? quantity(preset.overhead.cpu) : undefined,
        overheadMemory: preset ? quantity(preset.overhead.memory) : undefined,
        source: 'declared',
        preset,
      });
    }
    this.namespaceLevels = levels;
    this.runtimeClassesKnown = classes.size > 0;
    this.runtimeClasses = classes;

    const hpaMin = new Map<string, number>();
    for (const e of entries) {
      if (e.object.kind !== 'HorizontalPodAutoscaler' || !e.object.apiVersion.startsWith('autoscaling/'))
        continue;
      const spec = obj(e.object.spec);
      const ref = obj(spec?.scaleTargetRef);
      const min = typeof spec?.minReplicas === 'number' ? spec.minReplicas : 1;
      if (ref) hpaMin.set(`${e.namespace}\u0000${str(ref.kind)}\u0000${str(ref.name)}`, min);
    }

    const pods: PodUnit[] = [];
    for (const e of entries) {
      const pod = podOf(e.object);
      if (!pod) continue;
      const namespace = e.namespace ?? defaultNamespace;
      const spec = obj(e.object.spec) ?? {};
      let replicas: number | undefined;
      if (REPLICATED_KINDS.has(e.object.kind)) {
        replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
        const min = hpaMin.get(`${namespace}\u0000${e.object.kind}\u0000${e.name}`);
        if (min !== undefined) replicas = Math.max(replicas, min);
      }
      const labels = strMap(pod.metadata.labels);
      const annotations = strMap(pod.metadata.annotations);
      const unit: PodUnit = {
        entry: e,
        pod,
        labels,
        annotations,
        namespace,
        replicas,
        batch: BATCH_KINDS.has(e.object.kind),
        daemon: e.object.kind === 'DaemonSet',
        sandbox: this.sandboxOf(pod.spec, annotations),
        level: levels.get(namespace) ?? options.level ?? PodSecurityLevel.RESTRICTED,
      };
      pods.push(unit);
      if (e.object.kind === 'PodTemplate') continue; // a PodTemplate runs nothing by itself: no selector matches it
      push(this.podsByNamespace, namespace, unit);
      for (const [k, v] of Object.entries(labels))
        push(this.podsByLabel, `${namespace}\u0000${k}\u0000${v}`, unit);
    }
    this.pods = pods;
  }

  /** Whether a rule family runs under the options. */
  public familyEnabled(family: RuleFamily): boolean {
    return this.families.has(family);
  }

  /** Whether a rule runs under the options (family enabled, rule not disabled). */
  public enabled(rule: RuleInfo): boolean {
    return this.families.has(rule.family) && !this.disabled.has(rule.id);
  }

  /**
   * Records a finding.
   *
   * @param rule the rule
   * @param entry the object concerned
   * @param message what is wrong
   * @param extra field path, a severity other than the rule's default, a more specific fix
   */
  public report(
    rule: RuleInfo,
    entry: Entry,
    message: string,
    extra: { path?: string; severity?: Severity; fix?: string } = {},
  ): void {
    if (!this.enabled(rule)) return;
    this.findings.push({
      rule: rule.id,
      severity: extra.severity ?? rule.severity,
      file: entry.file,
      ...(entry.documentIndex !== undefined ? { documentIndex: entry.documentIndex } : {}),
      ...(entry.line !== undefined ? { line: entry.line } : {}),
      apiVersion: entry.object.apiVersion,
      kind: entry.object.kind,
      ...(entry.namespace !== undefined ? { namespace: entry.namespace } : {}),
      name: entry.name,
      message,
      fix: extra.fix ?? rule.fix,
      ...(extra.path ? { path: extra.path } : {}),
    });
  }

  /** Pods (not PodTemplates) of `namespace` that `selector` selects. */
  public podsSelectedBy(namespace: string, selector: LabelSelector): PodUnit[] {
    const pairs = Object.entries(selector.matchLabels);
    let candidates: PodUnit[] | undefined;
    if (pairs.length > 0) {
      for (const [k, v] of pairs) {
        const list = this.podsByLabel.get(`${namespace}\u0000${k}\u0000${v}`) ?? [];
        if (!candidates || list.length < candidates.length) candidates = list;
        if (list.length === 0) break;
      }
    } else {
      candidates = this.podsByNamespace.get(namespace) ?? [];
    }
    return (candidates ?? []).filter((p) => selectorMatches(selector, p.labels));
  }

  /** Pods of a namespace (not PodTemplates). */
  public podsIn(namespace: string): readonly PodUnit[] {
    return this.podsByNamespace.get(namespace) ?? [];
  }

  /**
   * Resources a namespace's LimitRanges (type Container) default: `limits` from `default`, `requests`
   * from `defaultRequest` (and from `default`, since a request defaults to the limit).
   */
  public limitRangeDefaults(namespace: string): {
    readonly limits: ReadonlySet<string>;
    readonly requests: ReadonlySet<string>;
  } {
    if (!this.limitRanges) {
      const m = new Map<string, { limits: Set<string>; requests: Set<string> }>();
      for (const e of this.entries) {
        if (e.object.kind !== 'LimitRange' || e.object.apiVersion !== 'v1' || !e.namespace) continue;
        for (const l of objs(obj(e.object.spec)?.limits)) {
          if (l.type !== 'Container') continue;
          const d = m.get(e.namespace) ?? { limits: new Set<string>(), requests: new Set<string>() };
          for (const k of Object.keys(obj(l.default) ?? {})) {
            d.limits.add(k);
            d.requests.add(k);
          }
          for (const k of Object.keys(obj(l.defaultRequest) ?? {})) d.requests.add(k);
          m.set(e.namespace, d);
        }
      }
      this.limitRanges = m;
    }
    return this.limitRanges.get(namespace) ?? { limits: new Set(), requests: new Set() };
  }

  /** The RuntimeClass a name refers to: from the input or declared, else a kata-blueprints preset. */
  public runtimeClass(name: string): KnownRuntimeClass | undefined {
    const known = this.runtimeClasses.get(name);
    if (known) return known;
    const preset = KataRuntime.PRESETS.find((p) => p.name === name);
    if (!preset) return undefined;
    return {
      name,
      handler: preset.handler,
      kata: true,
      overheadCpu: quantity(preset.overhead.cpu),
      overheadMemory: quantity(preset.overhead.memory),
      source: 'preset',
      preset,
    };
  }

  private sandboxOf(spec: Json, annotations: Readonly<Record<string, string>>): SandboxInfo {
    const runtimeClassName = str(spec.runtimeClassName);
    let legacyAnnotation: string | undefined;
    if (annotations[CONTAINERD_UNTRUSTED_ANNOTATION] === 'true')
      legacyAnnotation = CONTAINERD_UNTRUSTED_ANNOTATION;
    else if (annotations[CRIO_TRUSTED_ANNOTATION] === 'false') legacyAnnotation = CRIO_TRUSTED_ANNOTATION;
    if (runtimeClassName) {
      const runtimeClass = this.runtimeClass(runtimeClassName);
      const kata = runtimeClass ? runtimeClass.kata : isKataHandler(runtimeClassName);
      return {
        sandboxed: kata || legacyAnnotation !== undefined,
        runtimeClassName,
        runtimeClass,
        legacyAnnotation,
      };
    }
    return { sandboxed: legacyAnnotation !== undefined, legacyAnnotation };
  }
}

function runtimeClassFromObject(o: KubeObject, name: string): KnownRuntimeClass {
  const alpha = o.apiVersion === 'node.k8s.io/v1alpha1';
  const body = alpha ? (obj(o.spec) ?? {}) : (o as Json);
  const handler = str(alpha ? body.runtimeHandler : body.handler) ?? '';
  const podFixed = obj(obj(body.overhead)?.podFixed);
  const preset = KataRuntime.PRESETS.find((p) => p.name === name && p.handler === handler);
  return {
    name,
    handler,
    kata: isKataHandler(handler),
    overheadCpu: quantity(podFixed?.cpu),
    overheadMemory: quantity(podFixed?.memory),
    source: 'input',
    preset,
  };
}

function isSourced(x: CheckInput): x is SourcedObject {
  const o = obj(x);
  return (
    o !== undefined && obj(o.object) !== undefined && typeof o.file === 'string' && o.apiVersion === undefined
  );
}

/** Guarantees string apiVersion/kind so that rules can compare them (the schema rules report the gap). */
function normalize(x: unknown): KubeObject {
  const o = obj(x) ?? {};
  if (typeof o.apiVersion === 'string' && typeof o.kind === 'string') return o as KubeObject;
  return { ...o, apiVersion: str(o.apiVersion) ?? '', kind: str(o.kind) ?? '' } as KubeObject;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
