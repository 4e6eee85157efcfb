/**
 * What a pod's sandbox costs on the host: the RuntimeClass `overhead.podFixed` the scheduler adds to the
 * pod's requests, and the guest memory of the Kata VM, which on QEMU is a `share=on` file on the host's
 * `/dev/shm` (kata.md §4, KC `docs/how-to/how-to-use-virtio-fs-with-kata.md`).
 */
import { KataRuntime, Hypervisor, ShimImplementation } from '../sandbox/runtime';
import { cpuToMillis, memoryToBytes } from '../sandbox/quantity';

const MIB = 2 ** 20;

/**
 * How the runtime sizes the guest memory of a pod's VM.
 *
 * - Go runtime (`containerd-shim-kata-v2`): the VM boots with `default_memory` and hot-plugs each container's
 *   memory limit, so guest memory = `default_memory` + the pod's memory limit (KC
 *   `src/runtime/virtcontainers/sandbox.go` ~l.2465-2496: `memory = default_memory + sum of container memory
 *   limits`; with `static_sandbox_resource_mgmt` the same sum is added before boot).
 * - runtime-rs with static sizing (the default for QEMU/CLH/Dragonball): guest memory = the pod's memory limit +
 *   `overhead_memory` (32 MiB for QEMU/CLH/DB), or `default_memory` when no container has a memory limit
 *   (KC `docs/how-to/how-to-size-sandbox-overhead-runtime-rs.md`).
 */
export class VmSizing {
  /** The Go runtime: `default_memory` + memory limits. */
  public static readonly GO_HOTPLUG = new VmSizing('go', 0);
  /** runtime-rs static sizing with the QEMU/CLH/Dragonball `overhead_memory` of 32 MiB. */
  public static readonly RUNTIME_RS_STATIC = new VmSizing('runtime-rs', 32);

  /**
   * runtime-rs static sizing with another `overhead_memory` (TEE builds use 128 MiB, NVIDIA 512 MiB).
   *
   * @param overheadMemoryMiB `[runtime] overhead_memory` in MiB
   */
  public static runtimeRsStatic(overheadMemoryMiB: number): VmSizing {
    return new VmSizing('runtime-rs', overheadMemoryMiB);
  }

  /** The sizing of a runtime's shim implementation. */
  public static of(runtime: KataRuntime): VmSizing {
    return runtime.shim === ShimImplementation.RUST ? VmSizing.RUNTIME_RS_STATIC : VmSizing.GO_HOTPLUG;
  }

  private constructor(
    /** `go` or `runtime-rs`. */
    public readonly name: string,
    /** runtime-rs `overhead_memory` in MiB (0 for the Go runtime). */
    public readonly overheadMemoryMiB: number,
  ) {}

  /**
   * Guest memory of a VM, in bytes.
   *
   * @param memoryLimitBytes the pod's memory limit (max rule over init containers), 0 when no container sets one
   * @param defaultMemoryBytes `default_memory`
   */
  public guestMemoryBytes(memoryLimitBytes: number, defaultMemoryBytes: number): number {
    if (this.name === 'go') return defaultMemoryBytes + memoryLimitBytes;
    return memoryLimitBytes > 0 ? memoryLimitBytes + this.overheadMemoryMiB * MIB : defaultMemoryBytes;
  }

  /** Explains the formula, e.g. `default_memory 2048Mi + limit (Go runtime)`. */
  public describe(): string {
    return this.name === 'go'
      ? 'default_memory + memory limit (Go runtime hot-plug)'
      : `memory limit + overhead_memory ${this.overheadMemoryMiB}Mi, or default_memory without a limit (runtime-rs static sizing)`;
  }
}

/** A runtime class as the planner sees it: what it adds to the pod and what its VM uses. */
export interface SandboxRuntime {
  /** RuntimeClass name (or `legacy-untrusted` for the CRI annotation). */
  readonly name: string;
  /** `overhead.podFixed` CPU in millicores (added to the pod's requests by the scheduler). */
  readonly overheadCpuMillis: number;
  /** `overhead.podFixed` memory in bytes. */
  readonly overheadMemoryBytes: number;
  /** Whether pods run in a VM (false for runc/gVisor classes). */
  readonly vm: boolean;
  /** Whether the VM's guest memory is backed by the host's `/dev/shm`. */
  readonly guestMemoryOnShm: boolean;
  /** How the VM's memory is sized. */
  readonly sizing: VmSizing;
  /** `default_memory`, in MiB. */
  readonly defaultMemoryMiB: number;
  /** Hypervisor annotation base names allowed per pod (to honour a `default_memory` annotation). */
  readonly allowedAnnotations: readonly string[];
  /** Where the definition came from: `manifest`, `preset`, `option` or `legacy`. */
  readonly origin: string;
}

/** The planner's view of a {@link KataRuntime}. */
export function sandboxRuntimeOf(runtime: KataRuntime, origin: string): SandboxRuntime {
  return {
    name: runtime.name,
    overheadCpuMillis: cpuToMillis(runtime.overhead.cpu),
    overheadMemoryBytes: memoryToBytes(runtime.overhead.memory),
    vm: true,
    guestMemoryOnShm: runtime.hypervisor.guestMemoryOnShm,
    sizing: VmSizing.of(runtime),
    defaultMemoryMiB: runtime.defaultVmMemoryMiB,
    allowedAnnotations: runtime.allowedAnnotations,
    origin,
  };
}

/**
 * A RuntimeClass object from the input. When a preset of the same name (or handler) exists its hypervisor
 * and shim are kept and the object's overhead wins; otherwise they are inferred from the kata-deploy
 * handler naming (`kata-<shim>`, kata.md §1.2): a handler containing `qemu` runs QEMU (guest memory on
 * `/dev/shm`), one containing `runtime-rs` or `dragonball` runs runtime-rs. A handler without `kata` is not
 * a VM (runc, gVisor...).
 */
export function sandboxRuntimeFromObject(obj: {
  readonly metadata?: { readonly name?: string };
  readonly handler?: unknown;
  readonly overhead?: { readonly podFixed?: Readonly<Record<string, unknown>> };
}): SandboxRuntime | undefined {
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || name === '') return undefined;
  const handler = typeof obj.handler === 'string' ? obj.handler : '';
  const podFixed = obj.overhead?.podFixed ?? {};
  const q = (v: unknown, f: (x: string | number) => number): number => {
    if (typeof v !== 'string' && typeof v !== 'number') return 0;
    try {
      return f(v);
    } catch {
      return 0;
    }
  };
  const overheadCpuMillis = q(podFixed.cpu, cpuToMillis);
  const overheadMemoryBytes = q(podFixed.memory, memoryToBytes);
  const preset =
    KataRuntime.PRESETS.find((r) => r.name === name) ??
    KataRuntime.PRESETS.find((r) => r.handler === handler && handler !== '');
  if (preset) {
    return { ...sandboxRuntimeOf(preset, 'manifest'), name, overheadCpuMillis, overheadMemoryBytes };
  }
  const h = handler.toLowerCase();
  const vm = h.includes('kata');
  const rust = h.includes('runtime-rs') || h.includes('dragonball');
  const qemu = h.includes('qemu');
  return {
    name,
    overheadCpuMillis,
    overheadMemoryBytes,
    vm,
    guestMemoryOnShm: vm && qemu && Hypervisor.QEMU.guestMemoryOnShm,
    sizing: rust ? VmSizing.RUNTIME_RS_STATIC : VmSizing.GO_HOTPLUG,
    defaultMemoryMiB: 2048,
    allowedAnnotations: rust
      ? ShimImplementation.RUST.defaultAllowedAnnotations
      : ShimImplementation.GO.defaultAllowedAnnotations,
    origin: 'manifest',
  };
}

/**
 * The VM behind a pre-RuntimeClass "untrusted workload" annotation: the containerd/CRI-O untrusted runtime,
 * which was the Go runtime with QEMU. No RuntimeClass means no `overhead.podFixed`: the scheduler does not
 * see the VM's cost at all.
 */
export const LEGACY_UNTRUSTED_RUNTIME: SandboxRuntime = {
  name: 'legacy-untrusted',
  overheadCpuMillis: 0,
  overheadMemoryBytes: 0,
  vm: true,
  guestMemoryOnShm: true,
  sizing: VmSizing.GO_HOTPLUG,
  defaultMemoryMiB: 2048,
  allowedAnnotations: ShimImplementation.GO.defaultAllowedAnnotations,
  origin: 'legacy',
};
