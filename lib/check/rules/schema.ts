/**
 * Schema rules: every built-in kind is validated against the Kubernetes OpenAPI schema shipped
 * (as precompiled validators) in `kubernetes-models` 4.x (Kubernetes up to 1.33, removed APIs kept).
 * Those validators do not reject unknown fields, so the validator runs over a proxy that records
 * which fields it reads: a field of a structured object that the schema never looks at is unknown.
 */
import type { KubeObject } from '../../manifest/load';
import { CheckContext, Entry } from '../context';
import { Json, obj, str } from '../model';
import { RuleFamily, RuleInfo, Severity } from '../types';

const KUBERNETES_MODELS =
  'kubernetes-models (tommy351/kubernetes-models-ts) 4.5, precompiled OpenAPI validators for Kubernetes 1.15-1.33';

/** The schema rules. */
export const SCHEMA_RULES = {
  notKubernetes: {
    id: 'schema/not-kubernetes',
    family: RuleFamily.SCHEMA,
    severity: Severity.ERROR,
    title: 'The object has an apiVersion and a kind.',
    why: 'The API server cannot route an object without apiVersion and kind (API conventions, "Types (Kinds)").',
    fix: 'Add apiVersion and kind, or remove the document.',
    sources: [
      'https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
    ],
  },
  invalid: {
    id: 'schema/invalid',
    family: RuleFamily.SCHEMA,
    severity: Severity.ERROR,
    title: 'The object matches the Kubernetes OpenAPI schema of its kind (types, required fields, enums).',
    why: 'The API server rejects objects that do not decode into their type; kubeconform and kube-linter `schema-validation` check the same OpenAPI schema.',
    fix: 'Correct the field named in the message (type, required field or allowed value).',
    sources: [KUBERNETES_MODELS, 'yannh/kubeconform pkg/validator/validator.go'],
  },
  unknownField: {
    id: 'schema/unknown-field',
    family: RuleFamily.SCHEMA,
    severity: Severity.ERROR,
    title: 'Every field is one the schema of the kind defines.',
    why:
      'An unknown field is usually a typo or a field at the wrong level, and it is silently dropped unless the API server runs strict field validation ' +
      '(kubectl --validate=strict, the default since 1.25, rejects it); kubeconform -strict rejects it too.',
    fix: 'Fix the spelling or the indentation of the field, or remove it.',
    sources: [
      KUBERNETES_MODELS,
      'https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation',
    ],
  },
  removedApi: {
    id: 'schema/removed-api',
    family: RuleFamily.SCHEMA,
    severity: Severity.ERROR,
    title: 'The apiVersion still exists in Kubernetes 1.28.',
    why: 'The API server no longer serves removed API versions; the object cannot be created (Kubernetes deprecated API migration guide; kube-linter `no-extensions-v1beta`).',
    fix: 'Move the object to the replacement apiVersion named in the message.',
    sources: ['https://kubernetes.io/docs/reference/using-api/deprecation-guide/'],
  },
  duplicate: {
    id: 'schema/duplicate-object',
    family: RuleFamily.SCHEMA,
    severity: Severity.ERROR,
    title: 'No two objects have the same kind, namespace and name.',
    why: 'The second object silently replaces the first on `kubectl apply`; only one of them reaches the cluster.',
    fix: 'Rename one of the objects or remove the duplicate.',
    sources: ['https://kubernetes.io/docs/concepts/overview/working-with-objects/names/'],
  },
  skipped: {
    id: 'schema/skipped',
    family: RuleFamily.SCHEMA,
    severity: Severity.INFO,
    title: 'Kinds without a known schema (custom resources) are reported as not validated.',
    why: 'The schema of a custom resource lives in its CustomResourceDefinition in the cluster; without it nothing was checked, which is not the same as valid.',
    fix: 'Validate custom resources against their CRD (e.g. kubectl apply --dry-run=server), or ignore this note.',
    sources: ['yannh/kubeconform Readme.md (-ignore-missing-schemas)'],
  },
} satisfies Record<string, RuleInfo>;

/** API versions removed by Kubernetes 1.28: apiVersion -> [kinds or '*', removed in, replacement]. */
const REMOVED_APIS: ReadonlyArray<readonly [string, readonly string[] | '*', string, string]> = [
  [
    'extensions/v1beta1',
    '*',
    '1.16/1.22',
    'apps/v1 (workloads), networking.k8s.io/v1 (Ingress, NetworkPolicy)',
  ],
  ['apps/v1beta1', '*', '1.16', 'apps/v1'],
  ['apps/v1beta2', '*', '1.16', 'apps/v1'],
  ['networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], '1.22', 'networking.k8s.io/v1'],
  [
    'admissionregistration.k8s.io/v1beta1',
    ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    '1.22',
    'admissionregistration.k8s.io/v1',
  ],
  ['apiextensions.k8s.io/v1beta1', '*', '1.22', 'apiextensions.k8s.io/v1'],
  ['apiregistration.k8s.io/v1beta1', '*', '1.22', 'apiregistration.k8s.io/v1'],
  ['authentication.k8s.io/v1beta1', '*', '1.22', 'authentication.k8s.io/v1'],
  ['authorization.k8s.io/v1beta1', '*', '1.22', 'authorization.k8s.io/v1'],
  ['certificates.k8s.io/v1beta1', '*', '1.22', 'certificates.k8s.io/v1'],
  ['coordination.k8s.io/v1beta1', '*', '1.22', 'coordination.k8s.io/v1'],
  ['rbac.authorization.k8s.io/v1beta1', '*', '1.22', 'rbac.authorization.k8s.io/v1'],
  ['rbac.authorization.k8s.io/v1alpha1', '*', '1.22', 'rbac.authorization.k8s.io/v1'],
  ['scheduling.k8s.io/v1beta1', '*', '1.22', 'scheduling.k8s.io/v1'],
  [
    'storage.k8s.io/v1beta1',
    ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
    '1.22',
    'storage.k8s.io/v1',
  ],
  ['storage.k8s.io/v1beta1', ['CSIStorageCapacity'], '1.27', 'storage.k8s.io/v1'],
  ['batch/v1beta1', '*', '1.25', 'batch/v1'],
  ['batch/v2alpha1', '*', '1.21', 'batch/v1'],
  ['discovery.k8s.io/v1beta1', '*', '1.25', 'discovery.k8s.io/v1'],
  ['events.k8s.io/v1beta1', '*', '1.25', 'events.k8s.io/v1'],
  ['autoscaling/v2beta1', '*', '1.25', 'autoscaling/v2'],
  ['autoscaling/v2beta2', '*', '1.26', 'autoscaling/v2'],
  [
    'policy/v1beta1',
    '*',
    '1.25',
    'policy/v1 (PodDisruptionBudget); PodSecurityPolicy has no replacement (Pod Security admission)',
  ],
  ['node.k8s.io/v1beta1', '*', '1.25', 'node.k8s.io/v1'],
  ['node.k8s.io/v1alpha1', '*', '1.16', 'node.k8s.io/v1'],
  ['flowcontrol.apiserver.k8s.io/v1beta1', '*', '1.26', 'flowcontrol.apiserver.k8s.io/v1'],
];

type ValidateFn = (this: unknown) => void;

const validators = new Map<string, ValidateFn | null>();
const API_GROUP = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const API_VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/**
 * The validator of a built-in kind (cached; null when kubernetes-models has none, i.e. a custom resource).
 */
export function validatorFor(apiVersion: string, kind: string): ValidateFn | null {
  const key = `${apiVersion}/${kind}`;
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  let fn: ValidateFn | null = null;
  const parts = apiVersion.split('/');
  const [group, version] = parts.length === 2 ? parts : ['', parts[0]];
  if (
    parts.length <= 2 &&
    (group === '' || API_GROUP.test(group)) &&
    API_VERSION.test(version) &&
    KIND.test(kind)
  ) {
    const modulePath = group
      ? `kubernetes-models/${group}/${version}/${kind}`
      : `kubernetes-models/${version}/${kind}`;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(modulePath) as Record<
        string,
        { apiVersion?: string; kind?: string; prototype: { validate: ValidateFn } }
      >;
      const model = mod[kind];
      if (
        model &&
        model.apiVersion === apiVersion &&
        model.kind === kind &&
        typeof model.prototype.validate === 'function'
      ) {
        fn = model.prototype.validate;
      }
    } catch {
      fn = null;
    }
  }
  validators.set(key, fn);
  return fn;
}

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/** Result of validating one object. */
export interface SchemaResult {
  /** Whether a schema was found. */
  readonly known: boolean;
  /** Schema violations as `path: message`. */
  readonly errors: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  /** JSON paths of unknown fields. */
  readonly unknownFields: readonly string[];
}

/** Validates an object against the schema of its kind and finds unknown fields. */
export function validateSchema(o: KubeObject): SchemaResult {
  const fn = validatorFor(o.apiVersion, o.kind);
  if (!fn) return { known: false, errors: [], unknownFields: [] };
  const read = new WeakMap<object, Set<string>>();
  const proxies = new WeakMap<object, object>();
  const wrap = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const target = v as object;
    const existing = proxies.get(target);
    if (existing) return existing;
    const keys = new Set<string>();
    read.set(target, keys);
    const p = new Proxy(target, {
      get(t, k) {
        if (typeof k === 'string') keys.add(k);
        return wrap(Reflect.get(t, k));
      },
      has(t, k) {
        if (typeof k === 'string') keys.add(k);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        keys.add('\u0000*');
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(target, p);
    return p;
  };
  let ajvErrors: AjvError[] = [];
  try {
    fn.call(wrap(o));
  } catch (e) {
    const errs = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errs)) throw e;
    ajvErrors = errs;
  }
  const errors: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  for (const err of ajvErrors) {
    const path = pointerToPath(err.instancePath);
    if (isGeneratorGap(path)) continue;
    // int-or-string and nullable unions report each branch; the first message per path is the useful one
    if (seen.has(path)) continue;
    seen.add(path);
    errors.push({ path: path || '(root)', message: describeAjvError(err) });
  }
  const unknownFields: string[] = [];
  const visit = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, `${path}[${i}]`));
      return;
    }
    const keys = read.get(v);
    const structured = keys !== undefined && keys.size > 0 && !keys.has('\u0000*');
    for (const [k, child] of Object.entries(v as Json)) {
      const childPath = path ? `${path}.${k}` : k;
      // the generated validators drop every property named `description` (PriorityClass.description, CRD column and
      // JSONSchemaProps descriptions) and the x-kubernetes-* extensions of CRD schemas: they are real fields
      if (k === 'description' || k.startsWith('x-kubernetes-')) continue;
      if (structured && !keys!.has(k)) {
        unknownFields.push(childPath);
        continue;
      }
      visit(child, childPath);
    }
  };
  visit(o, '');
  return { known: true, errors, unknownFields };
}

/**
 * JSONSchemaProps fields that the OpenAPI spec types as "schema or bool/array" (additionalProperties,
 * additionalItems, items, dependencies) but the generated validators accept only as objects.
 */
function isGeneratorGap(path: string): boolean {
  if (!path.includes('openAPIV3Schema')) return false;
  return /\.(additionalProperties|additionalItems|items)$/.test(path) || /\.dependencies\.[^.]+$/.test(path);
}

function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function describeAjvError(err: AjvError): string {
  if (err.keyword === 'required' && err.params?.missingProperty !== undefined) {
    return `required field "${String(err.params.missingProperty)}" is missing`;
  }
  if (err.keyword === 'enum' && Array.isArray(err.params?.allowedValues)) {
    return `must be one of ${(err.params!.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
  }
  return err.message ?? err.keyword;
}

/** Runs the schema rules. */
export function runSchemaRules(ctx: CheckContext): void {
  const r = SCHEMA_RULES;
  const seen = new Map<string, Entry>();
  for (const e of ctx.entries) {
    const o = e.object;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !o.apiVersion || !o.kind) {
      ctx.report(r.notKubernetes, e, 'missing apiVersion or kind');
      continue;
    }
    const removed = REMOVED_APIS.find(
      ([av, kinds]) => av === o.apiVersion && (kinds === '*' || kinds.includes(o.kind)),
    );
    if (removed) {
      ctx.report(r.removedApi, e, `${o.apiVersion} ${o.kind} was removed in Kubernetes ${removed[2]}`, {
        path: 'apiVersion',
        fix: `Use ${removed[3]}.`,
      });
    }
    if (ctx.enabled(r.invalid) || ctx.enabled(r.unknownField) || ctx.enabled(r.skipped)) {
      const result = validateSchema(o);
      if (!result.known) {
        ctx.report(r.skipped, e, `no schema for ${o.apiVersion} ${o.kind} (custom resource?): not validated`);
      } else {
        for (const err of result.errors.slice(0, 10))
          ctx.report(r.invalid, e, `${err.path}: ${err.message}`, { path: err.path });
        if (result.errors.length > 10)
          ctx.report(r.invalid, e, `${result.errors.length - 10} more schema errors`);
        for (const f of result.unknownFields) {
          ctx.report(r.unknownField, e, `unknown field "${f}" in ${o.apiVersion} ${o.kind}`, { path: f });
        }
      }
    }
    const name = str(obj(o.metadata)?.name);
    if (name) {
      const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
      const key = `${group}\u0000${o.kind}\u0000${e.namespace ?? ''}\u0000${name}`;
      const first = seen.get(key);
      if (first) {
        ctx.report(
          r.duplicate,
          e,
          `${o.kind} ${e.namespace ? `${e.namespace}/` : ''}${name} is also defined at ${first.file}${first.line ? `:${first.line}` : ''}`,
        );
      } else {
        seen.set(key, e);
      }
    }
  }
}
