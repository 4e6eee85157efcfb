/**
 * How a workload runs: in a Kata VM through a RuntimeClass (the default), in a Kata VM through the
 * pre-RuntimeClass "untrusted workload" annotations of old clusters, or trusted on plain runc.
 */
import { propError } from './errors';
import { HYPERVISOR_ANNOTATION_PREFIX, KATA_RUNTIME_LABEL, KATA_TOLERATION, KataRuntime } from './runtime';

/** The label every pod template carries to say how it is sandboxed: `kata`, `legacy` or `trusted`. */
export const SANDBOX_LABEL = 'kata-blueprints.io/sandbox';

/** The CRI implementation of a legacy (pre-RuntimeClass) cluster. */
export class CriFlavor {
  /**
   * containerd (1.1 - 1.7): the pod annotation `io.kubernetes.cri.untrusted-workload: "true"` selects the
   * `untrusted_workload_runtime`. Deprecated in containerd 1.2, removed in 2.0 (containerd `RELEASES.md`).
   */
  public static readonly CONTAINERD = new CriFlavor(
    'containerd',
    'io.kubernetes.cri.untrusted-workload',
    'true',
  );
  /**
   * CRI-O (up to 1.13): `io.kubernetes.cri-o.TrustedSandbox: "false"` selects `runtime_untrusted_workload`.
   * Removed in CRI-O 1.14 (cri-o/cri-o PR #2153).
   */
  public static readonly CRIO = new CriFlavor('cri-o', 'io.kubernetes.cri-o.TrustedSandbox', 'false');

  private constructor(
    /** `containerd` or `cri-o`. */
    public readonly name: string,
    /** The pod annotation that marks the pod untrusted. */
    public readonly annotationKey: string,
    /** Its value. */
    public readonly annotationValue: string,
  ) {}
}

/** Something with a size in mebibytes; cdk8s `Size` fits. */
export interface MebibytesLike {
  /** The size in MiB. */
  toMebibytes(): number;
}

/** Options of {@link Sandbox.kata}. */
export interface KataSandboxOptions {
  /**
   * vCPUs the VM boots with (`io.katacontainers.config.hypervisor.default_vcpus`). Only runtimes
   * that allow the annotation accept it (runtime-rs presets by default).
   * @default - the runtime's configuration (1 vCPU, plus hot-plugged CPUs for container limits on the Go runtime)
   */
  readonly vcpus?: number;
  /**
   * Memory the VM boots with (`io.katacontainers.config.hypervisor.default_memory`, in MiB).
   * Only runtimes that allow the annotation accept it.
   * @default - the runtime's configuration (2048 MiB, plus container limits)
   */
  readonly memory?: MebibytesLike;
  /**
   * Further per-pod Kata annotations (`io.katacontainers.config.hypervisor.*` keys are checked
   * against the runtime's allow list).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The three ways a pod can be run. */
export class SandboxKind {
  /** In a Kata VM selected by RuntimeClass. */
  public static readonly KATA = new SandboxKind('kata');
  /** In a Kata VM selected by a legacy CRI annotation. */
  public static readonly LEGACY = new SandboxKind('legacy');
  /** On the node's default runtime (runc), outside any VM. */
  public static readonly TRUSTED = new SandboxKind('trusted');
  private constructor(
    /** The value of the {@link SANDBOX_LABEL} label. */
    public readonly label: string,
  ) {}
}

/** How a workload is isolated. Every blueprint takes one as its `sandbox` prop. */
export class Sandbox {
  /**
   * Run the pods in Kata VMs through a RuntimeClass.
   *
   * @param runtime the runtime class. @default KataRuntime.QEMU
   * @throws PropError when VM sizing or annotations are not allowed by the runtime
   */
  public static kata(runtime: KataRuntime = KataRuntime.QEMU, options: KataSandboxOptions = {}): Sandbox {
    const ctx = `Sandbox.kata(${runtime.name})`;
    const annotations: Record<string, string> = {};
    if (options.vcpus !== undefined) {
      if (!(options.vcpus > 0) || !Number.isFinite(options.vcpus)) {
        throw propError(ctx, 'vcpus', options.vcpus, 'a number of vCPUs > 0');
      }
      annotations[`${HYPERVISOR_ANNOTATION_PREFIX}default_vcpus`] = String(options.vcpus);
    }
    if (options.memory !== undefined) {
      const mib = options.memory.toMebibytes();
      if (!Number.isInteger(mib) || mib < 64) {
        throw propError(ctx, 'memory', `${mib}MiB`, 'a whole number of MiB >= 64');
      }
      annotations[`${HYPERVISOR_ANNOTATION_PREFIX}default_memory`] = String(mib);
    }
    for (const [k, v] of Object.entries(options.annotations ?? {})) {
      if (!k.startsWith('io.katacontainers.')) {
        throw propError(ctx, `annotations["${k}"]`, v, 'keys under io.katacontainers.*');
      }
      annotations[k] = v;
    }
    for (const key of Object.keys(annotations).sort()) {
      if (key.startsWith(HYPERVISOR_ANNOTATION_PREFIX) && !runtime.allowsAnnotation(key)) {
        const allowed = runtime.allowedAnnotations.length ? runtime.allowedAnnotations.join(', ') : 'none';
        throw propError(
          ctx,
          key === `${HYPERVISOR_ANNOTATION_PREFIX}default_vcpus`
            ? 'vcpus'
            : key === `${HYPERVISOR_ANNOTATION_PREFIX}default_memory`
              ? 'memory'
              : `annotations["${key}"]`,
          annotations[key],
          `an annotation the runtime ${runtime.name} allows (enable_annotations: ${allowed}); ` +
            'use a runtime-rs runtime such as KataRuntime.QEMU_RUNTIME_RS, or a KataRuntime.custom with allowedAnnotations',
        );
      }
    }
    return new Sandbox(SandboxKind.KATA, runtime, undefined, annotations);
  }

  /**
   * Run the pods in Kata VMs on a cluster from before RuntimeClass: the CRI's untrusted-workload
   * annotation, the `katacontainers.io/kata-runtime: "true"` node selector and the Kata node
   * toleration, and no `runtimeClassName` (containerd refuses both together: "untrusted workload
   * with explicit runtime handler is not allowed").
   */
  public static legacyUntrusted(cri: CriFlavor): Sandbox {
    if (!(cri instanceof CriFlavor)) {
      throw propError('Sandbox.legacyUntrusted', 'cri', cri, 'CriFlavor.CONTAINERD or CriFlavor.CRIO');
    }
    return new Sandbox(SandboxKind.LEGACY, undefined, cri, { [cri.annotationKey]: cri.annotationValue });
  }

  /** Run the pods on the node's default runtime (runc): for the trusted half of a mixed cluster. */
  public static trusted(): Sandbox {
    return new Sandbox(SandboxKind.TRUSTED, undefined, undefined, {});
  }

  private constructor(
    /** Which of the three ways. */
    public readonly kind: SandboxKind,
    /** The runtime (kata only). */
    public readonly runtime: KataRuntime | undefined,
    /** The CRI flavour (legacy only). */
    public readonly cri: CriFlavor | undefined,
    /** Pod annotations the sandbox adds. */
    public readonly annotations: Readonly<Record<string, string>>,
  ) {}

  /** True for kata and legacy: the pod runs in a VM. */
  public get isolated(): boolean {
    return this.kind !== SandboxKind.TRUSTED;
  }

  /** `runtimeClassName` for the pod, if any. */
  public get runtimeClassName(): string | undefined {
    return this.kind === SandboxKind.KATA ? this.runtime!.name : undefined;
  }

  /**
   * Node selector the pod itself must carry. RuntimeClass-scheduled runtimes carry none (the
   * RuntimeClass admission adds it); platform-managed classes and legacy mode carry it on the pod.
   */
  public get podNodeSelector(): Record<string, string> {
    if (this.kind === SandboxKind.LEGACY) return { [KATA_RUNTIME_LABEL]: 'true' };
    if (this.kind === SandboxKind.KATA && this.runtime!.managedByPlatform)
      return { ...this.runtime!.nodeSelector };
    return {};
  }

  /** Tolerations the pod itself must carry (see {@link podNodeSelector}). */
  public get podTolerations(): Array<Record<string, string>> {
    if (this.kind === SandboxKind.LEGACY) return [{ ...KATA_TOLERATION } as Record<string, string>];
    if (this.kind === SandboxKind.KATA && this.runtime!.managedByPlatform) {
      return this.runtime!.tolerations.map((t) => ({ ...t }) as Record<string, string>);
    }
    return [];
  }

  /** A short description, e.g. `kata(kata-qemu)`, `legacy(containerd)`, `trusted`. */
  public toString(): string {
    if (this.kind === SandboxKind.KATA) return `kata(${this.runtime!.name})`;
    if (this.kind === SandboxKind.LEGACY) return `legacy(${this.cri!.name})`;
    return 'trusted';
  }
}
