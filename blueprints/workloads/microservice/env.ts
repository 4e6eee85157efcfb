/** Environment variables of a service: literal values, Secret and ConfigMap keys, pod fields, and whole ConfigMaps/Secrets. */
import { k8s } from 'cdk8s-plus-28';
import { propError } from '../../../lib/k8s/errors';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Environment variable names Kubernetes accepts up to 1.33 (`IsEnvVarName`). */
export const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/**
 * Names whose literal value is a credential and belongs in a Secret: names ending in PASSWORD,
 * PASSWD, SECRET, PRIVATE_KEY, API_KEY, SECRET_KEY, ACCESS_KEY or _TOKEN (`DB_PASSWORD`,
 * `STRIPE_SECRET_KEY`, `GITHUB_TOKEN`; not `VAULT_SECRET_PATH` or `TOKEN_TTL`).
 */
export const SECRET_LIKE_ENV_NAME =
  /(PASSWORD|PASSWD|SECRET|PRIVATE_?KEY|API_?KEY|SECRET_?KEY|ACCESS_?KEY|_TOKEN)$/i;

const FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.podIP',
] as const;

function checkObjectName(context: string, prop: string, name: unknown): string {
  if (typeof name !== 'string' || !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
    throw propError(
      context,
      prop,
      name,
      'an object name (DNS-1123 subdomain: lower case letters, digits, "-" and ".")',
    );
  }
  return name;
}

function checkKey(context: string, key: unknown): string {
  if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253) {
    throw propError(context, 'key', key, 'a data key (letters, digits, "-", "_" and ".")');
  }
  return key;
}

/** Options of {@link EnvRef.secret} and {@link EnvRef.configMap}. */
export interface EnvRefOptions {
  /**
   * Start the pod even when the object or key does not exist.
   * @default false
   */
  readonly optional?: boolean;
}

/** An environment variable taken from somewhere else than a literal. */
export class EnvRef {
  /** A key of a Secret (`valueFrom.secretKeyRef`). */
  public static secret(secretName: string, key: string, options: EnvRefOptions = {}): EnvRef {
    checkObjectName('EnvRef.secret', 'secretName', secretName);
    checkKey('EnvRef.secret', key);
    return new EnvRef({
      secretKeyRef: { name: secretName, key, ...(options.optional ? { optional: true } : {}) },
    });
  }

  /** A key of a ConfigMap (`valueFrom.configMapKeyRef`). */
  public static configMap(configMapName: string, key: string, options: EnvRefOptions = {}): EnvRef {
    checkObjectName('EnvRef.configMap', 'configMapName', configMapName);
    checkKey('EnvRef.configMap', key);
    return new EnvRef({
      configMapKeyRef: { name: configMapName, key, ...(options.optional ? { optional: true } : {}) },
    });
  }

  /**
   * A field of the pod (downward API `fieldRef`): `metadata.name`, `metadata.namespace`,
   * `metadata.uid`, `spec.nodeName`, `spec.serviceAccountName`, `status.hostIP` or `status.podIP`.
   */
  public static field(fieldPath: string): EnvRef {
    if (!(FIELD_PATHS as readonly string[]).includes(fieldPath)) {
      throw propError('EnvRef.field', 'fieldPath', fieldPath, `one of ${FIELD_PATHS.join(', ')}`);
    }
    return new EnvRef({ fieldRef: { fieldPath, apiVersion: 'v1' } });
  }

  private constructor(
    /** The `valueFrom` source. */
    public readonly valueFrom: k8s.EnvVarSource,
  ) {}
}

/** A whole ConfigMap or Secret as environment variables (`envFrom`). */
export class EnvFrom {
  /** Every key of a ConfigMap, optionally prefixed. */
  public static configMap(configMapName: string, prefix?: string, options: EnvRefOptions = {}): EnvFrom {
    checkObjectName('EnvFrom.configMap', 'configMapName', configMapName);
    return new EnvFrom({
      ...(prefix !== undefined ? { prefix: checkPrefix('EnvFrom.configMap', prefix) } : {}),
      configMapRef: { name: configMapName, ...(options.optional ? { optional: true } : {}) },
    });
  }

  /** Every key of a Secret, optionally prefixed. */
  public static secret(secretName: string, prefix?: string, options: EnvRefOptions = {}): EnvFrom {
    checkObjectName('EnvFrom.secret', 'secretName', secretName);
    return new EnvFrom({
      ...(prefix !== undefined ? { prefix: checkPrefix('EnvFrom.secret', prefix) } : {}),
      secretRef: { name: secretName, ...(options.optional ? { optional: true } : {}) },
    });
  }

  private constructor(
    /** The L1 `envFrom` entry. */
    public readonly source: k8s.EnvFromSource,
  ) {}
}

function checkPrefix(context: string, prefix: string): string {
  if (typeof prefix !== 'string' || !ENV_NAME.test(prefix)) {
    throw propError(context, 'prefix', prefix, 'a valid environment variable name prefix, e.g. "DB_"');
  }
  return prefix;
}

/**
 * Renders `env` in name order. Literal values of credential-like names ({@link SECRET_LIKE_ENV_NAME})
 * are refused: they would sit in plain text in the Deployment; use `EnvRef.secret`.
 */
export function renderEnv(
  context: string,
  env: Readonly<Record<string, string | EnvRef>> | undefined,
): k8s.EnvVar[] {
  const out: k8s.EnvVar[] = [];
  for (const name of Object.keys(env ?? {}).sort()) {
    const v = env![name];
    if (!ENV_NAME.test(name)) {
      throw propError(
        context,
        `env["${name}"]`,
        name,
        'an environment variable name: letters, digits, "_", "-" and ".", not starting with a digit',
      );
    }
    if (v instanceof EnvRef) {
      out.push({ name, valueFrom: v.valueFrom });
    } else if (typeof v === 'string') {
      if (v !== '' && SECRET_LIKE_ENV_NAME.test(name)) {
        throw propError(
          context,
          `env["${name}"]`,
          '(a literal value)',
          'a credential from a Secret: EnvRef.secret(secretName, key), not a literal in the manifest',
        );
      }
      out.push({ name, value: v });
    } else {
      throw propError(
        context,
        `env["${name}"]`,
        v,
        'a string or an EnvRef (EnvRef.secret, EnvRef.configMap, EnvRef.field)',
      );
    }
  }
  return out;
}
