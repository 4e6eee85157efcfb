/** RuntimeClasses (`node.k8s.io/v1`) for the Kata runtimes a cluster serves. */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { propError } from '../sandbox/errors';
import { KataRuntime } from '../sandbox/runtime';
import { cpuToMillis, memoryToBytes } from '../sandbox/quantity';

/** Props of {@link KataRuntimeClasses}. */
export interface KataRuntimeClassesProps {
  /** The runtimes to create RuntimeClasses for (at least one). */
  readonly runtimes: readonly KataRuntime[];
  /**
   * Also emit classes the platform manages (e.g. AKS `kata-vm-isolation`). Leave off on such
   * platforms: the platform's addon manager owns and reconciles them.
   * @default false
   */
  readonly includePlatformManaged?: boolean;
}

/**
 * One RuntimeClass per Kata runtime, with its handler, `overhead.podFixed` and the scheduling
 * (`nodeSelector`, `tolerations`) that sends its pods to Kata nodes.
 */
export class KataRuntimeClasses extends Construct {
  /** The runtimes served, in the order given. */
  public readonly runtimes: readonly KataRuntime[];
  /** The emitted RuntimeClass objects by name. */
  public readonly runtimeClasses: Readonly<Record<string, k8s.KubeRuntimeClass>>;

  constructor(scope: Construct, id: string, props: KataRuntimeClassesProps) {
    super(scope, id);
    const ctx = `KataRuntimeClasses "${id}"`;
    if (!props || !Array.isArray(props.runtimes) || props.runtimes.length === 0) {
      throw propError(ctx, 'runtimes', props?.runtimes, 'at least one KataRuntime (e.g. [KataRuntime.QEMU])');
    }
    const seen = new Set<string>();
    const out: Record<string, k8s.KubeRuntimeClass> = {};
    props.runtimes.forEach((r, i) => {
      if (!(r instanceof KataRuntime)) {
        throw propError(
          ctx,
          `runtimes[${i}]`,
          r,
          `a KataRuntime preset (${KataRuntime.PRESETS.map((p) => p.name).join(', ')}) or KataRuntime.custom({...})`,
        );
      }
      if (seen.has(r.name)) throw propError(ctx, `runtimes[${i}]`, r.name, 'each runtime once');
      seen.add(r.name);
      if (r.managedByPlatform && !props.includePlatformManaged) return;
      const m = r.toRuntimeClassManifest() as {
        metadata: { name: string; labels: Record<string, string> };
        handler: string;
        scheduling: { nodeSelector: Record<string, string>; tolerations?: k8s.Toleration[] };
      };
      out[r.name] = new k8s.KubeRuntimeClass(this, r.name, {
        metadata: m.metadata,
        handler: m.handler,
        overhead: {
          podFixed: {
            cpu: k8s.Quantity.fromString(r.overhead.cpu),
            memory: k8s.Quantity.fromString(r.overhead.memory),
          },
        },
        scheduling: m.scheduling,
      });
    });
    this.runtimes = [...props.runtimes];
    this.runtimeClasses = out;
  }

  /** Whether a RuntimeClass name is served by this set. */
  public serves(name: string): boolean {
    return this.runtimes.some((r) => r.name === name);
  }
}

/** Compares two overheads: true when `a` is at least `b` in CPU and memory. */
export function overheadCovers(a: KataRuntime, b: KataRuntime): boolean {
  return (
    cpuToMillis(a.overhead.cpu) >= cpuToMillis(b.overhead.cpu) &&
    memoryToBytes(a.overhead.memory) >= memoryToBytes(b.overhead.memory)
  );
}
