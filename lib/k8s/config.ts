/** Generated configuration files in ConfigMaps, with a content hash to roll pods when they change. */
import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/** Annotation that carries the hash of a pod's configuration. */
export const CONFIG_HASH_ANNOTATION = 'kata-blueprints.io/config-hash';

/** SHA-256 (hex, first 16 chars) over the sorted keys and values of a data map. */
export function configHash(...maps: ReadonlyArray<Readonly<Record<string, string>>>): string {
  const h = createHash('sha256');
  for (const data of maps) {
    for (const k of Object.keys(data).sort()) {
      h.update(k);
      h.update('\0');
      h.update(data[k]);
      h.update('\0');
    }
    h.update('\u0001');
  }
  return h.digest('hex').slice(0, 16);
}

/** A ConfigMap of files plus the hash of its contents. */
export interface ConfigFiles {
  /** The L1 ConfigMap. */
  readonly configMap: k8s.KubeConfigMap;
  /** Its name. */
  readonly name: string;
  /** Content hash (put it in the pod annotation {@link CONFIG_HASH_ANNOTATION}). */
  readonly hash: string;
}

/** Creates a ConfigMap with `data` (keys sorted) and returns it with its content hash. */
export function configFiles(
  scope: Construct,
  id: string,
  name: string,
  data: Readonly<Record<string, string>>,
  labels?: Readonly<Record<string, string>>,
): ConfigFiles {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(data).sort()) sorted[k] = data[k];
  const configMap = new k8s.KubeConfigMap(scope, id, {
    metadata: { name, ...(labels ? { labels: { ...labels } } : {}) },
    data: sorted,
  });
  return { configMap, name, hash: configHash(sorted) };
}

/** Java-style `.properties` text from ordered key/value pairs (values escaped as Java expects). */
export function renderProperties(
  entries: ReadonlyArray<readonly [string, string | number | boolean]>,
  header?: string,
): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  const lines = header ? header.split('\n').map((l) => `# ${l}`) : [];
  for (const [k, v] of entries) lines.push(`${k}=${esc(String(v))}`);
  return lines.join('\n') + '\n';
}
