/**
 * The Kata runtimes a workload can ask for and a node pool can serve: one value carries the
 * RuntimeClass name, the CRI handler, the pod overhead, the scheduling labels and taints, and the
 * per-pod hypervisor annotations the runtime lets through.
 *
 * Values come from kata-deploy 4.1.0 (`tools/packaging/kata-deploy/helm-chart/kata-deploy/
 * templates/runtimeclasses.yaml` and `values.yaml`) and the runtime Makefiles
 * (`src/runtime/Makefile`, `src/runtime-rs/Makefile`) of kata-containers/kata-containers.
 */
import { propError } from './errors';
import { cpuToMillis, formatMiB, formatMillis, isQuantity, memoryToMiB } from './quantity';

/** The node label that kata-deploy sets to `"true"` once a node can run Kata (kata-deploy 4.1 `binary/src/main.rs`). */
export const KATA_RUNTIME_LABEL = 'katacontainers.io/kata-runtime';

/**
 * The label every kata-blueprints host pool that kata-deploy serves carries. kata-deploy's DaemonSet
 * selects on it rather than on `katacontainers.io/kata-runtime`, which kata-deploy itself sets to
 * `false` while it installs (a DaemonSet whose selector stops matching would evict its own installer).
 */
export const KATA_HOST_LABEL = 'kata-blueprints.io/kata-host';

/**
 * The taint that kata-blueprints host pools put on Kata nodes so that only sandboxed pods (which
 * tolerate it through their RuntimeClass) land on the expensive bare-metal / nested-virt hosts.
 */
export const KATA_NODE_TAINT_KEY = 'kata-blueprints.io/kata';

/** A toleration, in the shape Kubernetes uses (`node.k8s.io/v1` RuntimeClass `scheduling.tolerations`). */
export interface RuntimeToleration {
  /** Taint key. */
  readonly key: string;
  /** `Equal` or `Exists`. */
  readonly operator: 'Equal' | 'Exists';
  /** Taint value (with `Equal`). */
  readonly value?: string;
  /** Taint effect, e.g. `NoSchedule`. */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A node taint, as host pools apply it. */
export interface NodeTaint {
  /** Taint key. */
  readonly key: string;
  /** Taint value. */
  readonly value: string;
  /** Taint effect. */
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The toleration every kata-blueprints preset carries, matching {@link KATA_NODE_TAINT}. */
export const KATA_TOLERATION: RuntimeToleration = {
  key: KATA_NODE_TAINT_KEY,
  operator: 'Equal',
  value: 'true',
  effect: 'NoSchedule',
};

/** The taint kata-blueprints host pools put on Kata nodes. */
export const KATA_NODE_TAINT: NodeTaint = { key: KATA_NODE_TAINT_KEY, value: 'true', effect: 'NoSchedule' };

/** The hypervisor (VMM) behind a runtime. */
export class Hypervisor {
  /** QEMU. Guest memory is a shared file on the host's `/dev/shm` when virtio-fs is used without hugepages. */
  public static readonly QEMU = new Hypervisor('qemu', true);
  /** Cloud Hypervisor. */
  public static readonly CLOUD_HYPERVISOR = new Hypervisor('clh', false);
  /** Firecracker (needs the containerd devmapper snapshotter; no virtio-fs). */
  public static readonly FIRECRACKER = new Hypervisor('fc', false);
  /** Dragonball, the VMM built into runtime-rs. */
  public static readonly DRAGONBALL = new Hypervisor('dragonball', false);

  /**
   * A hypervisor that none of the presets names.
   *
   * @param name short name, e.g. `stratovirt`
   * @param guestMemoryOnShm whether guest RAM is backed by the host's `/dev/shm`
   */
  public static of(name: string, guestMemoryOnShm = false): Hypervisor {
    return new Hypervisor(name, guestMemoryOnShm);
  }

  private constructor(
    /** Short name, e.g. `qemu`. */
    public readonly name: string,
    /**
     * Whether guest RAM is a `share=on` file on the host's `/dev/shm` (QEMU with virtio-fs and no
     * hugepages; KC `docs/how-to/how-to-use-virtio-fs-with-kata.md`). `/dev/shm` defaults to half of
     * host RAM, which caps the total guest memory of such VMs on a node.
     */
    public readonly guestMemoryOnShm: boolean,
  ) {}
}

/** The shim implementation: the Go runtime (`containerd-shim-kata-v2`, Go) or runtime-rs (Rust). */
export class ShimImplementation {
  /** The Go runtime. Default `enable_annotations`: enable_iommu, kernel_params, kernel_verity_params (`src/runtime/Makefile:234`). */
  public static readonly GO = new ShimImplementation('go', [
    'enable_iommu',
    'kernel_params',
    'kernel_verity_params',
  ]);
  /** runtime-rs. Adds default_vcpus and default_memory to the Go list (`src/runtime-rs/Makefile:220`). */
  public static readonly RUST = new ShimImplementation('rust', [
    'enable_iommu',
    'kernel_params',
    'kernel_verity_params',
    'default_vcpus',
    'default_memory',
  ]);

  private constructor(
    /** `go` or `rust`. */
    public readonly name: string,
    /** Hypervisor annotation base names allowed by default (`enable_annotations`). */
    public readonly defaultAllowedAnnotations: readonly string[],
  ) {}
}

/** Pod overhead (`overhead.podFixed`) of a runtime class, as Kubernetes quantities. */
export interface PodOverhead {
  /** CPU, e.g. `250m`. */
  readonly cpu: string;
  /** Memory, e.g. `320Mi`. */
  readonly memory: string;
}

/** Everything a runtime is made of; the input of {@link KataRuntime.custom}. */
export interface KataRuntimeProps {
  /** RuntimeClass `metadata.name`, a DNS-1123 subdomain, e.g. `kata-qemu`. */
  readonly name: string;
  /** CRI runtime handler (the containerd `runtimes.<handler>` / CRI-O `runtimes.<handler>` table), e.g. `kata-qemu`. */
  readonly handler: string;
  /**
   * `overhead.podFixed`: what the VM costs on the host on top of the containers' requests.
   * @default - 250m CPU and 320Mi memory (kata-deploy 4.1 QEMU default)
   */
  readonly overhead?: PodOverhead;
  /**
   * `scheduling.nodeSelector` of the RuntimeClass: the labels of nodes that serve it.
   * @default - { 'katacontainers.io/kata-runtime': 'true' }
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * `scheduling.tolerations` of the RuntimeClass: the taints of the nodes that serve it.
   * @default - [ the kata-blueprints Kata node taint toleration ]
   */
  readonly tolerations?: readonly RuntimeToleration[];
  /**
   * Hypervisor annotation base names the runtime accepts per pod (`hypervisor.<name>.enable_annotations`).
   * @default - the shim implementation's defaults
   */
  readonly allowedAnnotations?: readonly string[];
  /**
   * The hypervisor.
   * @default Hypervisor.QEMU
   */
  readonly hypervisor?: Hypervisor;
  /**
   * The shim implementation.
   * @default ShimImplementation.GO
   */
  readonly shim?: ShimImplementation;
  /**
   * Whether the platform (for example AKS Pod Sandboxing) creates and reconciles this RuntimeClass.
   * Such classes are not emitted by `KataRuntimeClasses`, and pods carry their scheduling themselves.
   * @default false
   */
  readonly managedByPlatform?: boolean;
  /**
   * Guest memory, in MiB, of a VM whose pod sets no memory limit (`default_memory`).
   * @default 2048
   */
  readonly defaultVmMemoryMiB?: number;
  /** One line on what the runtime is for. @default - none */
  readonly description?: string;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const DEFAULT_NODE_SELECTOR = { [KATA_RUNTIME_LABEL]: 'true' } as const;

/**
 * A Kata runtime class. Use a preset (`KataRuntime.QEMU`, `KataRuntime.CLOUD_HYPERVISOR`, ...) or
 * `KataRuntime.custom({...})`.
 */
export class KataRuntime {
  /**
   * `kata-qemu`: QEMU with the Go runtime (deprecated upstream in favour of runtime-rs in 4.0, still shipped).
   * Overhead 250m / 320Mi (kata-deploy 4.1 `templates/runtimeclasses.yaml`; 160Mi through 3.32.0).
   */
  public static readonly QEMU = new KataRuntime({
    name: 'kata-qemu',
    handler: 'kata-qemu',
    overhead: { cpu: '250m', memory: '320Mi' },
    hypervisor: Hypervisor.QEMU,
    shim: ShimImplementation.GO,
    description: 'QEMU, Go runtime',
  });

  /** `kata-qemu-runtime-rs`: QEMU with runtime-rs, the kata-deploy 4.x default shim. Overhead 250m / 320Mi (4.1). */
  public static readonly QEMU_RUNTIME_RS = new KataRuntime({
    name: 'kata-qemu-runtime-rs',
    handler: 'kata-qemu-runtime-rs',
    overhead: { cpu: '250m', memory: '320Mi' },
    hypervisor: Hypervisor.QEMU,
    shim: ShimImplementation.RUST,
    description: 'QEMU, runtime-rs (kata-deploy 4.x default)',
  });

  /** `kata-clh`: Cloud Hypervisor with the Go runtime. Overhead 250m / 130Mi (4.1). amd64 only. */
  public static readonly CLOUD_HYPERVISOR = new KataRuntime({
    name: 'kata-clh',
    handler: 'kata-clh',
    overhead: { cpu: '250m', memory: '130Mi' },
    hypervisor: Hypervisor.CLOUD_HYPERVISOR,
    shim: ShimImplementation.GO,
    description: 'Cloud Hypervisor, Go runtime',
  });

  /**
   * `kata-fc`: Firecracker. Overhead 250m / 130Mi (4.1). Needs the containerd devmapper snapshotter
   * (kata-deploy `values.yaml` `fc.containerd.snapshotter: devmapper`); no virtio-fs volumes.
   */
  public static readonly FIRECRACKER = new KataRuntime({
    name: 'kata-fc',
    handler: 'kata-fc',
    overhead: { cpu: '250m', memory: '130Mi' },
    hypervisor: Hypervisor.FIRECRACKER,
    shim: ShimImplementation.GO,
    description: 'Firecracker (devmapper snapshotter required)',
  });

  /** `kata-dragonball`: the Dragonball VMM built into runtime-rs. Overhead 250m / 130Mi (4.1). */
  public static readonly DRAGONBALL = new KataRuntime({
    name: 'kata-dragonball',
    handler: 'kata-dragonball',
    overhead: { cpu: '250m', memory: '130Mi' },
    hypervisor: Hypervisor.DRAGONBALL,
    shim: ShimImplementation.RUST,
    description: 'Dragonball, runtime-rs',
  });

  /**
   * `kata-qemu-nvidia-gpu`: QEMU with GPU passthrough (VFIO cold-plug). Overhead 1 CPU / 10240Mi (4.1);
   * node selector adds `nvidia.com/cc.ready.state: "false"` (kata-deploy `values.yaml`).
   */
  public static readonly QEMU_NVIDIA_GPU = new KataRuntime({
    name: 'kata-qemu-nvidia-gpu',
    handler: 'kata-qemu-nvidia-gpu',
    overhead: { cpu: '1', memory: '10240Mi' },
    nodeSelector: { [KATA_RUNTIME_LABEL]: 'true', 'nvidia.com/cc.ready.state': 'false' },
    hypervisor: Hypervisor.QEMU,
    shim: ShimImplementation.GO,
    description: 'QEMU with NVIDIA GPU passthrough',
  });

  /**
   * `kata-vm-isolation`: AKS Pod Sandboxing (GA; `--workload-runtime KataVmIsolation`, Azure Linux,
   * Cloud Hypervisor on MSHV). AKS creates and reconciles the class (handler `kata`, label
   * `addonmanager.kubernetes.io/mode: Reconcile`), so kata-blueprints never emits it. Nodes carry the
   * label `kubernetes.azure.com/kata-vm-isolation: "true"`. AKS does not publish the overhead; the
   * Cloud Hypervisor default (250m / 130Mi) is used for planning.
   */
  public static readonly AKS_VM_ISOLATION = new KataRuntime({
    name: 'kata-vm-isolation',
    handler: 'kata',
    overhead: { cpu: '250m', memory: '130Mi' },
    nodeSelector: { 'kubernetes.azure.com/kata-vm-isolation': 'true' },
    tolerations: [],
    hypervisor: Hypervisor.CLOUD_HYPERVISOR,
    shim: ShimImplementation.GO,
    managedByPlatform: true,
    description: 'AKS Pod Sandboxing (managed by AKS)',
  });

  /** Every preset, in a stable order. */
  public static get PRESETS(): readonly KataRuntime[] {
    return [
      KataRuntime.QEMU,
      KataRuntime.QEMU_RUNTIME_RS,
      KataRuntime.CLOUD_HYPERVISOR,
      KataRuntime.FIRECRACKER,
      KataRuntime.DRAGONBALL,
      KataRuntime.QEMU_NVIDIA_GPU,
      KataRuntime.AKS_VM_ISOLATION,
    ];
  }

  /**
   * A runtime that none of the presets describes, e.g. kata-deploy with `multiInstallSuffix`, a
   * TEE class, or a hand-configured CRI handler.
   *
   * @throws PropError when the name or handler is missing or not a DNS-1123 name, or a quantity does not parse
   */
  public static custom(props: KataRuntimeProps): KataRuntime {
    return new KataRuntime(props);
  }

  /**
   * The preset with this RuntimeClass name.
   *
   * @throws PropError naming the known presets when there is none
   */
  public static fromName(name: string, context = 'KataRuntime.fromName'): KataRuntime {
    const found = KataRuntime.PRESETS.find((r) => r.name === name);
    if (!found) {
      throw propError(
        context,
        'runtime',
        name,
        `one of ${KataRuntime.PRESETS.map((r) => r.name).join(', ')} (or KataRuntime.custom({...}))`,
      );
    }
    return found;
  }

  /** RuntimeClass name. */
  public readonly name: string;
  /** CRI handler. */
  public readonly handler: string;
  /** `overhead.podFixed`. */
  public readonly overhead: PodOverhead;
  /** Labels of the nodes that serve this runtime (`scheduling.nodeSelector`). */
  public readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations that let pods onto those nodes (`scheduling.tolerations`). */
  public readonly tolerations: readonly RuntimeToleration[];
  /** Hypervisor annotation base names allowed per pod. */
  public readonly allowedAnnotations: readonly string[];
  /** The hypervisor. */
  public readonly hypervisor: Hypervisor;
  /** The shim implementation. */
  public readonly shim: ShimImplementation;
  /** Whether the platform owns the RuntimeClass. */
  public readonly managedByPlatform: boolean;
  /** Guest memory of a VM whose pod has no memory limit, in MiB. */
  public readonly defaultVmMemoryMiB: number;
  /** One line on what the runtime is for. */
  public readonly description?: string;

  private constructor(props: KataRuntimeProps) {
    const ctx = `KataRuntime.custom(${JSON.stringify(props?.name ?? '')})`;
    if (!props || typeof props.name !== 'string' || !props.name) {
      throw propError(ctx, 'name', props?.name, 'a RuntimeClass name (DNS-1123 subdomain, e.g. "kata-qemu")');
    }
    if (!DNS1123_SUBDOMAIN.test(props.name) || props.name.length > 253) {
      throw propError(
        ctx,
        'name',
        props.name,
        'a DNS-1123 subdomain: lower case letters, digits, "-" and "."',
      );
    }
    if (typeof props.handler !== 'string' || !props.handler) {
      throw propError(ctx, 'handler', props.handler, 'the CRI runtime handler name (e.g. "kata-qemu")');
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.handler) || props.handler.length > 63) {
      throw propError(ctx, 'handler', props.handler, 'a DNS-1123 label (lower case letters, digits and "-")');
    }
    const overhead = props.overhead ?? { cpu: '250m', memory: '320Mi' };
    if (!isQuantity(overhead.cpu))
      throw propError(ctx, 'overhead.cpu', overhead.cpu, 'a CPU quantity such as "250m"');
    if (!isQuantity(overhead.memory)) {
      throw propError(ctx, 'overhead.memory', overhead.memory, 'a memory quantity such as "320Mi"');
    }
    const defaultVmMemoryMiB = props.defaultVmMemoryMiB ?? 2048;
    if (!Number.isInteger(defaultVmMemoryMiB) || defaultVmMemoryMiB < 64) {
      throw propError(ctx, 'defaultVmMemoryMiB', defaultVmMemoryMiB, 'a whole number of MiB >= 64');
    }
    const shim = props.shim ?? ShimImplementation.GO;
    this.name = props.name;
    this.handler = props.handler;
    this.overhead = { cpu: overhead.cpu, memory: overhead.memory };
    this.nodeSelector = Object.freeze({ ...(props.nodeSelector ?? DEFAULT_NODE_SELECTOR) });
    this.tolerations = Object.freeze([...(props.tolerations ?? [KATA_TOLERATION])]);
    this.allowedAnnotations = Object.freeze([
      ...(props.allowedAnnotations ?? shim.defaultAllowedAnnotations),
    ]);
    this.hypervisor = props.hypervisor ?? Hypervisor.QEMU;
    this.shim = shim;
    this.managedByPlatform = props.managedByPlatform ?? false;
    this.defaultVmMemoryMiB = defaultVmMemoryMiB;
    this.description = props.description;
  }

  /** Overhead CPU in millicores. */
  public get overheadCpuMillis(): number {
    return cpuToMillis(this.overhead.cpu);
  }

  /** Overhead memory in MiB. */
  public get overheadMemoryMiB(): number {
    return memoryToMiB(this.overhead.memory);
  }

  /**
   * Whether a per-pod hypervisor annotation is allowed. Accepts the full key
   * (`io.katacontainers.config.hypervisor.default_vcpus`) or the base name (`default_vcpus`).
   * Entries of `enable_annotations` are regular expressions of the base name.
   */
  public allowsAnnotation(key: string): boolean {
    const base = key.startsWith(HYPERVISOR_ANNOTATION_PREFIX)
      ? key.slice(HYPERVISOR_ANNOTATION_PREFIX.length)
      : key;
    return this.allowedAnnotations.some((pattern) => {
      try {
        return new RegExp(`^(?:${pattern})$`).test(base);
      } catch {
        return pattern === base;
      }
    });
  }

  /** The taints the nodes serving this runtime carry (derived from the tolerations). */
  public get nodeTaints(): NodeTaint[] {
    return this.tolerations
      .filter((t) => t.effect !== undefined)
      .map((t) => ({ key: t.key, value: t.value ?? 'true', effect: t.effect! }));
  }

  /** The RuntimeClass object (`node.k8s.io/v1`) as plain JSON. */
  public toRuntimeClassManifest(): Record<string, unknown> {
    return {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: {
        name: this.name,
        labels: {
          'app.kubernetes.io/managed-by': 'kata-blueprints',
          'kata-blueprints.io/runtime': this.name,
        },
      },
      handler: this.handler,
      overhead: { podFixed: { cpu: this.overhead.cpu, memory: this.overhead.memory } },
      scheduling: {
        nodeSelector: { ...this.nodeSelector },
        ...(this.tolerations.length > 0 ? { tolerations: this.tolerations.map((t) => ({ ...t })) } : {}),
      },
    };
  }

  /** The RuntimeClass name. */
  public toString(): string {
    return this.name;
  }
}

/** Prefix of the per-pod hypervisor annotations. */
export const HYPERVISOR_ANNOTATION_PREFIX = 'io.katacontainers.config.hypervisor.';

/** Formats a CPU overhead in millicores and memory in MiB as a {@link PodOverhead}. */
export function podOverhead(cpuMillis: number, memoryMiB: number): PodOverhead {
  return { cpu: formatMillis(cpuMillis), memory: formatMiB(memoryMiB) };
}
