/**
 * The host side of the sandbox contract: which labels and taints a node pool must carry so that the
 * RuntimeClasses of its runtimes select it, and which kata-deploy shims it needs. Pure functions over
 * `lib/sandbox`; every host blueprint (AWS, GCP, Azure, bare metal) computes its pool through
 * {@link hostPoolContract}, so a pool and the RuntimeClasses it serves can never disagree.
 */
import { KATA_HOST_LABEL, KataRuntime, NodeTaint, RuntimeToleration, propError } from '../../lib/sandbox';

export { KATA_HOST_LABEL };

/** The CPU architecture of a node pool. */
export class CpuArchitecture {
  /** x86-64 (Intel VT-x or AMD-V). */
  public static readonly AMD64 = new CpuArchitecture('amd64');
  /** 64-bit Arm (AWS Graviton bare metal). */
  public static readonly ARM64 = new CpuArchitecture('arm64');

  private constructor(
    /** The Kubernetes / kata-deploy architecture name. */
    public readonly name: 'amd64' | 'arm64',
  ) {}

  /** The architecture name. */
  public toString(): string {
    return this.name;
  }
}

/** Who installs the Kata runtime on a pool's nodes. */
export class RuntimeInstaller {
  /** The kata-deploy Helm chart (every pool except AKS Pod Sandboxing). */
  public static readonly KATA_DEPLOY = new RuntimeInstaller('kata-deploy');
  /** The platform itself (AKS Pod Sandboxing creates `kata-vm-isolation` and its nodes' labels). */
  public static readonly PLATFORM = new RuntimeInstaller('platform');

  private constructor(
    /** `kata-deploy` or `platform`. */
    public readonly name: string,
  ) {}
}

/** What a host pool must look like to serve a set of runtimes. */
export interface HostPoolContract {
  /** The runtimes the pool serves, in the order given. */
  readonly runtimes: readonly KataRuntime[];
  /**
   * Every label the pool's nodes carry for these runtimes: the union of the runtimes' node
   * selectors, plus {@link KATA_HOST_LABEL} for kata-deploy pools. Keys sorted.
   */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The labels the pool sets itself at node registration: {@link labels} minus those the platform
   * sets (AKS reserves `kubernetes.azure.com/*`). Keys sorted.
   */
  readonly appliedLabels: Readonly<Record<string, string>>;
  /** The taints the pool's nodes carry: the runtimes' `nodeTaints`, deduplicated, sorted by key and effect. */
  readonly taints: readonly NodeTaint[];
  /** Who installs the runtime. */
  readonly installer: RuntimeInstaller;
  /** kata-deploy shim names (`qemu`, `clh`, ...) for the runtimes, sorted; empty for platform pools. */
  readonly kataDeployShims: readonly string[];
  /** The pool's CPU architecture. */
  readonly architecture: CpuArchitecture;
}

/** Options of {@link hostPoolContract}. */
export interface HostPoolContractOptions {
  /**
   * Who installs the runtime on this kind of pool. kata-deploy pools refuse platform-managed runtimes;
   * platform pools accept only those.
   * @default RuntimeInstaller.KATA_DEPLOY
   */
  readonly installer?: RuntimeInstaller;
  /**
   * The pool's CPU architecture. Non-QEMU shims (clh, fc, dragonball) are amd64-only in kata-deploy.
   * @default CpuArchitecture.AMD64
   */
  readonly architecture?: CpuArchitecture;
}

/** Whether a toleration tolerates a taint (the Kubernetes matching rules). */
export function tolerates(toleration: RuntimeToleration, taint: NodeTaint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  if (toleration.key !== taint.key) return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === taint.value;
}

/** The kata-deploy shim of a runtime (`kata-qemu` -> `qemu`), or undefined when the handler is not a kata-deploy one. */
export function kataDeployShim(runtime: KataRuntime): string | undefined {
  return /^kata-[a-z0-9][-a-z0-9]*$/.test(runtime.handler)
    ? runtime.handler.slice('kata-'.length)
    : undefined;
}

/**
 * Computes the labels and taints a host pool needs to serve `runtimes`, and refuses runtimes that no
 * single pool can serve together.
 *
 * @param context where the runtimes were given, for error messages (e.g. `AwsMetalNodePool "kata"`)
 * @throws PropError when the list is empty or holds a non-KataRuntime or a duplicate; when two runtimes'
 *   node selectors give one label two values; when two runtimes taint the same key and effect with
 *   different values; when a runtime does not tolerate a taint another runtime puts on the pool; when a
 *   platform-managed runtime is given to a kata-deploy pool (or the reverse); when a kata-deploy
 *   runtime's handler is not `kata-<shim>`; when a shim does not exist for the pool's architecture.
 */
export function hostPoolContract(
  context: string,
  given: readonly KataRuntime[] | undefined,
  options: HostPoolContractOptions = {},
): HostPoolContract {
  const installer = options.installer ?? RuntimeInstaller.KATA_DEPLOY;
  const architecture = options.architecture ?? CpuArchitecture.AMD64;
  if (!Array.isArray(given) || given.length === 0) {
    throw propError(
      context,
      'runtimes',
      given,
      installer === RuntimeInstaller.PLATFORM
        ? 'at least one platform-managed runtime (e.g. [KataRuntime.AKS_VM_ISOLATION])'
        : 'at least one KataRuntime (e.g. [KataRuntime.QEMU]); a pool that serves no runtime is not a Kata pool',
    );
  }
  const runtimes: readonly KataRuntime[] = given;
  const seen = new Set<string>();
  runtimes.forEach((r: unknown, i) => {
    if (!(r instanceof KataRuntime)) {
      throw propError(context, `runtimes[${i}]`, r, 'a KataRuntime preset or KataRuntime.custom({...})');
    }
    if (seen.has(r.name)) throw propError(context, `runtimes[${i}]`, r.name, 'each runtime once');
    seen.add(r.name);
    if (installer === RuntimeInstaller.KATA_DEPLOY && r.managedByPlatform) {
      throw propError(
        context,
        `runtimes[${i}]`,
        r.name,
        'a runtime kata-deploy installs; platform-managed runtimes (such as kata-vm-isolation) are served only by ' +
          'the platform (AzureKataNodePool for AKS Pod Sandboxing)',
      );
    }
    if (installer === RuntimeInstaller.PLATFORM && !r.managedByPlatform) {
      throw propError(
        context,
        `runtimes[${i}]`,
        r.name,
        'a platform-managed runtime (KataRuntime.AKS_VM_ISOLATION); kata-deploy runtimes need a pool with /dev/kvm ' +
          '(AzureNestedVirtScaleSet on a self-managed cluster)',
      );
    }
  });

  // Labels: the union of node selectors, refusing one key with two values.
  const owner: Record<string, string> = {};
  const labels: Record<string, string> = {};
  const platformLabels = new Set<string>();
  for (const r of runtimes) {
    for (const [key, value] of Object.entries(r.nodeSelector)) {
      if (key in labels && labels[key] !== value) {
        throw propError(
          context,
          'runtimes',
          runtimes.map((x) => x.name),
          `runtimes whose node selectors agree; "${owner[key]}" selects ${key}=${labels[key]} but "${r.name}" ` +
            `selects ${key}=${value}, and one node cannot carry both (put them in separate pools)`,
        );
      }
      labels[key] = value;
      owner[key] = owner[key] ?? r.name;
      if (r.managedByPlatform) platformLabels.add(key);
    }
  }
  if (installer === RuntimeInstaller.KATA_DEPLOY) {
    if (KATA_HOST_LABEL in labels && labels[KATA_HOST_LABEL] !== 'true') {
      throw propError(
        context,
        'runtimes',
        owner[KATA_HOST_LABEL],
        `no node selector on ${KATA_HOST_LABEL} other than "true"`,
      );
    }
    labels[KATA_HOST_LABEL] = 'true';
  }

  // Taints: one per key and effect; every runtime must tolerate all of them.
  const taints: NodeTaint[] = [];
  const taintOwner: Record<string, string> = {};
  for (const r of runtimes) {
    for (const t of r.nodeTaints) {
      const id = `${t.key}:${t.effect}`;
      const existing = taints.find((x) => x.key === t.key && x.effect === t.effect);
      if (existing && existing.value !== t.value) {
        throw propError(
          context,
          'runtimes',
          runtimes.map((x) => x.name),
          `runtimes whose taints agree; "${taintOwner[id]}" taints ${t.key}=${existing.value}:${t.effect} but ` +
            `"${r.name}" taints ${t.key}=${t.value}:${t.effect}`,
        );
      }
      if (!existing) {
        taints.push({ key: t.key, value: t.value, effect: t.effect });
        taintOwner[id] = r.name;
      }
    }
  }
  taints.sort((a, b) => (a.key === b.key ? a.effect.localeCompare(b.effect) : a.key.localeCompare(b.key)));
  for (const r of runtimes) {
    for (const t of taints) {
      if (!r.tolerations.some((tol) => tolerates(tol, t))) {
        throw propError(
          context,
          'runtimes',
          runtimes.map((x) => x.name),
          `runtimes that tolerate each other's taints; "${r.name}" does not tolerate ${t.key}=${t.value}:${t.effect} ` +
            `of "${taintOwner[`${t.key}:${t.effect}`]}", so its pods could never land on this pool`,
        );
      }
    }
  }

  // kata-deploy shims.
  const shims: string[] = [];
  if (installer === RuntimeInstaller.KATA_DEPLOY) {
    runtimes.forEach((r, i) => {
      const shim = kataDeployShim(r);
      if (shim === undefined) {
        throw propError(
          context,
          `runtimes[${i}].handler`,
          r.handler,
          'a kata-deploy handler "kata-<shim>" (kata-deploy names every handler kata-<shim>)',
        );
      }
      if (architecture === CpuArchitecture.ARM64 && !shim.startsWith('qemu')) {
        throw propError(
          context,
          `runtimes[${i}]`,
          r.name,
          `a runtime kata-deploy ships for arm64 (the QEMU shims); ${shim} is amd64-only`,
        );
      }
      if (!shims.includes(shim)) shims.push(shim);
    });
    shims.sort();
  }

  const sortedLabels = sortRecord(labels);
  const applied: Record<string, string> = {};
  for (const [k, v] of Object.entries(sortedLabels)) if (!platformLabels.has(k)) applied[k] = v;
  return {
    runtimes: [...runtimes],
    labels: sortedLabels,
    appliedLabels: applied,
    taints,
    installer,
    kataDeployShims: shims,
    architecture,
  };
}

/** A taint as EKS and GKE APIs spell its effect (`NO_SCHEDULE`, `PREFER_NO_SCHEDULE`, `NO_EXECUTE`). */
export interface CloudTaint {
  /** Key. */
  readonly key: string;
  /** Value. */
  readonly value: string;
  /** Effect in upper snake case. */
  readonly effect: string;
}

/** Converts taints to the EKS / GKE form (`effect: NO_SCHEDULE`). */
export function toCloudTaints(taints: readonly NodeTaint[]): CloudTaint[] {
  return taints.map((t) => ({
    key: t.key,
    value: t.value,
    effect: t.effect.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(),
  }));
}

/** Converts taints to the `key=value:Effect` strings of AKS `nodeTaints` and kubelet `--register-with-taints`. */
export function toTaintStrings(taints: readonly NodeTaint[]): string[] {
  return taints.map((t) => `${t.key}=${t.value}:${t.effect}`);
}

/** Renders labels as kubelet's `--node-labels` value (`k1=v1,k2=v2`, keys sorted). */
export function toNodeLabelsFlag(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** A host pool component as the environment and kata-deploy see it. */
export interface IKataHostPool {
  /** The pool's name (its Pulumi resource name). */
  readonly poolName: string;
  /** The labels, taints and runtimes of the pool. */
  readonly contract: HostPoolContract;
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k];
  return out;
}
