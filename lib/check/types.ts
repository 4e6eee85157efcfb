/** The vocabulary of the manifest checks: severities, rule metadata, findings and options. */

/** How bad a finding is. `error` fails the check (CLI exit code 1, cdk8s synth validation failure). */
export enum Severity {
  /** The object is rejected, cannot run as written, or breaks an invariant the rule family guarantees. */
  ERROR = 'error',
  /** The object runs but is not production-grade, or behaves differently than it reads. */
  WARNING = 'warning',
  /** Something the checks could not verify (e.g. a custom resource without a schema). */
  INFO = 'info',
}

/** Rule families; every rule id starts with its family and a slash (`pss/privileged`). */
export enum RuleFamily {
  /** Kubernetes OpenAPI schema validation. */
  SCHEMA = 'schema',
  /** Pod Security Standards (upstream Pod Security admission, policy version 1.28). */
  PSS = 'pss',
  /** What runs differently, or not at all, inside a Kata Containers VM. */
  KATA = 'kata',
  /** Production readiness, where kube-linter, Polaris, kube-score and Checkov agree. */
  PROD = 'prod',
}

/** Pod Security Standards levels. */
export enum PodSecurityLevel {
  /** No restrictions. */
  PRIVILEGED = 'privileged',
  /** Prevents known privilege escalations. */
  BASELINE = 'baseline',
  /** Current pod hardening best practice (includes baseline). */
  RESTRICTED = 'restricted',
}

/** What a rule is, why it exists and how to fix a finding; the rule documentation is generated from it. */
export interface RuleInfo {
  /** Rule id, family-prefixed, e.g. `kata/host-network`. */
  readonly id: string;
  /** The family. */
  readonly family: RuleFamily;
  /** Default severity (some rules raise or lower it for a specific case; the message says why). */
  readonly severity: Severity;
  /** What is checked, in one sentence. */
  readonly title: string;
  /** Why it matters, with the source it rests on. */
  readonly why: string;
  /** How to fix a finding. */
  readonly fix: string;
  /** Citations: upstream files, documentation pages, issues. */
  readonly sources: readonly string[];
}

/** One finding: which rule, where, and what to do. */
export interface Finding {
  /** Rule id, e.g. `pss/privileged`. */
  readonly rule: string;
  /** Severity. */
  readonly severity: Severity;
  /** File the object came from (or an in-memory label such as `chart:apps`). */
  readonly file: string;
  /** 0-based YAML document index in the file, when known. */
  readonly documentIndex?: number;
  /** 1-based line where the object's document starts, when known. */
  readonly line?: number;
  /** apiVersion of the object. */
  readonly apiVersion: string;
  /** Kind of the object. */
  readonly kind: string;
  /** Namespace of the object (absent for cluster-scoped objects). */
  readonly namespace?: string;
  /** Name of the object. */
  readonly name: string;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
  /** JSON path of the offending field inside the object, when there is one. */
  readonly path?: string;
}

/** Options of `checkManifests`. */
export interface CheckOptions {
  /**
   * Pod Security level for objects whose namespace has no Namespace object with a
   * `pod-security.kubernetes.io/enforce` label in the input.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly level?: PodSecurityLevel;
  /**
   * RuntimeClasses that exist in the target cluster besides those in the input, as `name` or
   * `name=handler` (without a handler, the handler is taken to be the name, as kata-deploy names them).
   * @default - none declared: only RuntimeClasses in the input are known
   */
  readonly runtimeClasses?: readonly string[];
  /**
   * Rule families to run.
   * @default - all families
   */
  readonly families?: readonly RuleFamily[];
  /**
   * Rule ids to skip.
   * @default - none
   */
  readonly disabledRules?: readonly string[];
  /**
   * Namespace of namespaced objects that set none (what `kubectl apply` without `-n` would use).
   * @default "default"
   */
  readonly defaultNamespace?: string;
}

/** Counts of a set of findings. */
export interface FindingSummary {
  /** Number of objects checked. */
  readonly objects: number;
  /** Error findings. */
  readonly errors: number;
  /** Warning findings. */
  readonly warnings: number;
  /** Info findings. */
  readonly infos: number;
  /** Findings per rule id (sorted by id). */
  readonly byRule: Readonly<Record<string, number>>;
}
