/**
 * Reading the synthesized cdk8s output and checking it against the host pools: every runtime class a
 * pod asks for must be served by a pool, RuntimeClass objects must agree with the pools' runtimes, and
 * kata-deploy must be installed once. Pure functions (the directory read aside), tested alone.
 */
import { readFileSync, readdirSync, statSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { KataRuntime, propError } from '../../lib/sandbox';
import { HostPoolContract } from './contract';

/** A Kubernetes object as read from YAML. */
export interface ManifestObject {
  /** apiVersion. */
  readonly apiVersion?: string;
  /** kind. */
  readonly kind?: string;
  /** metadata. */
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly [key: string]: unknown;
  };
  /** Everything else. */
  readonly [key: string]: unknown;
}

/** The objects of a manifest directory, in file order. */
export interface LoadedManifests {
  /** The YAML files read, sorted. */
  readonly files: readonly string[];
  /** Their objects (`List` items flattened, empty documents dropped). */
  readonly objects: readonly ManifestObject[];
}

/**
 * Reads every `*.yaml` / `*.yml` file directly in `dir` (not recursively: `dist/examples/` holds other
 * apps' output), sorted by name.
 *
 * @throws PropError when the directory is missing, holds no YAML file or no object, or a file does not parse
 */
export function loadManifestDirectory(context: string, dir: string): LoadedManifests {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    throw propError(
      context,
      'manifestsDir',
      dir,
      'a directory of synthesized manifests (run `npm run synth` first)',
    );
  }
  if (names.length === 0) {
    throw propError(
      context,
      'manifestsDir',
      dir,
      'a directory with *.yaml manifests (run `npm run synth` first)',
    );
  }
  const files = names.map((n) => join(dir, n));
  const objects: ManifestObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) {
        throw propError(
          context,
          'manifestsDir',
          file,
          `valid YAML (${doc.errors[0].message.split('\n')[0]})`,
        );
      }
      const value = doc.toJS() as unknown;
      for (const o of flattenList(value)) objects.push(o);
    }
  }
  if (objects.length === 0)
    throw propError(context, 'manifestsDir', dir, 'manifests with at least one object');
  return { files, objects };
}

function flattenList(value: unknown): ManifestObject[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const o = value as ManifestObject;
  if (o.kind === 'List' && Array.isArray(o.items)) return (o.items as unknown[]).flatMap(flattenList);
  return [o];
}

/** Names an object for messages: `StatefulSet kafka/events`. */
export function describeObject(o: ManifestObject): string {
  const name = o.metadata?.name ?? '(unnamed)';
  return `${o.kind ?? '(no kind)'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${name}`;
}

/** A runtime class and the objects whose pods ask for it. */
export interface RuntimeClassUse {
  /** The `runtimeClassName`. */
  readonly runtimeClassName: string;
  /** The objects (and ConfigMap keys) that ask for it, sorted. */
  readonly usedBy: readonly string[];
}

/**
 * Every `runtimeClassName` in the objects, wherever a pod spec sits: Pods, workload templates
 * (Deployment, StatefulSet, DaemonSet, Job, CronJob `jobTemplate`), custom resources (SparkApplication,
 * FlinkDeployment pod templates) and pod templates stored as YAML in ConfigMap data (Spark).
 */
export function runtimeClassUses(objects: readonly ManifestObject[]): RuntimeClassUse[] {
  const uses = new Map<string, Set<string>>();
  const record = (name: string, where: string): void => {
    if (!uses.has(name)) uses.set(name, new Set());
    uses.get(name)!.add(where);
  };
  for (const o of objects) {
    const where = describeObject(o);
    walk(o, (name) => record(name, where));
    if (o.kind === 'ConfigMap' && o.data && typeof o.data === 'object') {
      for (const [key, text] of Object.entries(o.data as Record<string, unknown>)) {
        if (typeof text !== 'string' || !text.includes('runtimeClassName')) continue;
        for (const doc of parseAllDocuments(text)) {
          if (doc.errors.length > 0) continue;
          walk(doc.toJS(), (name) => record(name, `${where} data["${key}"]`));
        }
      }
    }
  }
  return [...uses.keys()]
    .sort()
    .map((name) => ({ runtimeClassName: name, usedBy: [...uses.get(name)!].sort() }));
}

function walk(node: unknown, found: (runtimeClassName: string) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, found);
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'runtimeClassName' && typeof v === 'string') found(v);
      else walk(v, found);
    }
  }
}

/** A pool as the check sees it. */
export interface PoolRuntimes {
  /** The pool's name. */
  readonly poolName: string;
  /** Its contract. */
  readonly contract: HostPoolContract;
}

/**
 * Checks that every runtime class the manifests use is served by one of the pools.
 *
 * @returns the uses, sorted by runtime class
 * @throws PropError naming the runtime class, the objects that use it and what the pools serve
 */
export function checkRuntimeClassesServed(
  context: string,
  objects: readonly ManifestObject[],
  pools: readonly PoolRuntimes[],
): RuntimeClassUse[] {
  const uses = runtimeClassUses(objects);
  const served = servedRuntimes(pools);
  for (const use of uses) {
    if (!served.has(use.runtimeClassName)) {
      const offered = [...served.entries()].map(([n, s]) => `${n} (pool ${s.pools.join(', ')})`).join(', ');
      const shown =
        use.usedBy.slice(0, 5).join(', ') +
        (use.usedBy.length > 5 ? `, and ${use.usedBy.length - 5} more` : '');
      throw propError(
        context,
        'runtimeClassName',
        use.runtimeClassName,
        `a runtime class served by one of the node pools (${offered || 'none'}); used by ${shown}. ` +
          `Add a pool whose runtimes include ${use.runtimeClassName}, or choose a served runtime in the workload's sandbox`,
      );
    }
  }
  return uses;
}

/** The runtimes the pools serve, by RuntimeClass name, with the pools that serve each. */
export function servedRuntimes(
  pools: readonly PoolRuntimes[],
): Map<string, { runtime: KataRuntime; pools: string[] }> {
  const served = new Map<string, { runtime: KataRuntime; pools: string[] }>();
  for (const p of pools) {
    for (const r of p.contract.runtimes) {
      const s = served.get(r.name) ?? { runtime: r, pools: [] };
      s.pools.push(p.poolName);
      served.set(r.name, s);
    }
  }
  return new Map([...served.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Checks the RuntimeClass objects of the manifests against the pools' runtimes and returns the runtimes
 * that are used but have no RuntimeClass object (platform-managed ones excepted): the environment
 * creates those from the sandbox contract.
 *
 * @throws PropError when a RuntimeClass of the manifests names a pool runtime with another handler
 */
export function missingRuntimeClasses(
  context: string,
  objects: readonly ManifestObject[],
  pools: readonly PoolRuntimes[],
  uses: readonly RuntimeClassUse[],
): KataRuntime[] {
  const defined = new Map<string, ManifestObject>();
  for (const o of objects) if (o.kind === 'RuntimeClass' && o.metadata?.name) defined.set(o.metadata.name, o);
  const served = servedRuntimes(pools);
  for (const [name, { runtime }] of served) {
    const rc = defined.get(name);
    if (rc && rc.handler !== runtime.handler) {
      throw propError(
        context,
        `RuntimeClass "${name}" handler`,
        rc.handler,
        `the handler the pools install for ${name} ("${runtime.handler}")`,
      );
    }
  }
  const missing: KataRuntime[] = [];
  for (const use of uses) {
    const s = served.get(use.runtimeClassName);
    if (s && !s.runtime.managedByPlatform && !defined.has(use.runtimeClassName)) missing.push(s.runtime);
  }
  return missing;
}

/** The objects that install kata-deploy themselves (a workload running the kata-deploy image). */
export function kataDeployWorkloads(objects: readonly ManifestObject[]): ManifestObject[] {
  return objects.filter((o) => {
    let hit = false;
    const visit = (n: unknown): void => {
      if (hit) return;
      if (Array.isArray(n)) n.forEach(visit);
      else if (n !== null && typeof n === 'object') {
        for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
          if (k === 'image' && typeof v === 'string' && /(^|\/)kata-containers\/kata-deploy(:|@|$)/.test(v))
            hit = true;
          else visit(v);
        }
      }
    };
    visit(o.spec);
    return hit;
  });
}

/** {@link kataDeployWorkloads}, described (`DaemonSet kata-system/kata-deploy`), sorted. */
export function kataDeployInstalls(objects: readonly ManifestObject[]): string[] {
  return kataDeployWorkloads(objects).map(describeObject).sort();
}

interface LooseToleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

/**
 * Checks that a kata-deploy workload of the manifests runs on every pool it must install Kata on: its
 * pod `nodeSelector` is a subset of each pool's labels and its tolerations tolerate each pool's taints.
 *
 * @throws PropError naming the workload, the pool and the label or taint that keeps it away
 */
export function checkKataDeployReachesPools(
  context: string,
  workload: ManifestObject,
  pools: readonly PoolRuntimes[],
): void {
  const where = describeObject(workload);
  const spec = workload.spec as {
    template?: { spec?: { nodeSelector?: Record<string, string>; tolerations?: LooseToleration[] } };
  };
  const podSpec = spec?.template?.spec ?? {};
  const selector = podSpec.nodeSelector ?? {};
  const tolerations = podSpec.tolerations ?? [];
  for (const p of pools) {
    for (const [k, v] of Object.entries(selector)) {
      if (p.contract.labels[k] !== v) {
        throw propError(
          context,
          `${where} nodeSelector`,
          `${k}=${v}`,
          `a selector the pool ${p.poolName} matches (its labels: ${Object.entries(p.contract.labels)
            .map(([a, b]) => `${a}=${b}`)
            .join(', ')}); otherwise kata-deploy never installs Kata there`,
        );
      }
    }
    for (const t of p.contract.taints) {
      const ok = tolerations.some(
        (tol) =>
          (tol.effect === undefined || tol.effect === '' || tol.effect === t.effect) &&
          ((tol.operator === 'Exists' && (tol.key === undefined || tol.key === '' || tol.key === t.key)) ||
            (tol.key === t.key && (tol.value ?? '') === t.value)),
      );
      if (!ok) {
        throw propError(
          context,
          `${where} tolerations`,
          tolerations,
          `a toleration for ${t.key}=${t.value}:${t.effect}, the taint of pool ${p.poolName}; otherwise kata-deploy never runs there`,
        );
      }
    }
  }
}

/** Kinds applied before kata-deploy and the workloads: namespaces, CRDs, RuntimeClasses, priority and storage classes. */
export const FOUNDATION_KINDS: readonly string[] = [
  'Namespace',
  'CustomResourceDefinition',
  'RuntimeClass',
  'PriorityClass',
  'StorageClass',
];

/** Splits objects into the foundation (applied first) and the rest. */
export function splitFoundation(objects: readonly ManifestObject[]): {
  foundation: ManifestObject[];
  workloads: ManifestObject[];
} {
  const foundation = objects.filter((o) => FOUNDATION_KINDS.includes(o.kind ?? ''));
  const workloads = objects.filter((o) => !FOUNDATION_KINDS.includes(o.kind ?? ''));
  return { foundation, workloads };
}
