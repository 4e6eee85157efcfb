/**
 * What a node keeps for itself: kube-reserved and system-reserved CPU and memory plus the kubelet's hard
 * eviction threshold. `allocatable = capacity - reserved - eviction threshold`, and the scheduler only
 * hands out `allocatable` (https://kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources/).
 *
 * The managed-Kubernetes formulas are cited per preset. They are what the provider's node image configures
 * by default; a pool that overrides kubelet settings should use {@link NodeReservation.fixed}.
 */
import { propError } from '../sandbox/errors';
import { cpuToMillis, memoryToBytes } from '../sandbox/quantity';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/** What a node reserves, in scheduler units. */
export interface ReservedResources {
  /** kube-reserved + system-reserved CPU, in millicores. */
  readonly cpuMillis: number;
  /** kube-reserved + system-reserved memory, in bytes (without the eviction threshold). */
  readonly memoryBytes: number;
  /** The kubelet hard eviction threshold `memory.available`, in bytes. */
  readonly evictionBytes: number;
}

/** A node's size as the reservation formulas read it. */
export interface NodeShape {
  /** Logical CPUs. */
  readonly vcpus: number;
  /** Memory, in bytes. */
  readonly memoryBytes: number;
  /** The kubelet's `maxPods`. */
  readonly maxPods: number;
}

type Formula = (shape: NodeShape) => ReservedResources;

/**
 * Applies a marginal-rate table: `bands` are the upper bounds of each band (ascending, the last may be
 * Infinity), `rates` the fraction reserved inside each band.
 */
function banded(total: number, bands: readonly number[], rates: readonly number[]): number {
  let reserved = 0;
  let lower = 0;
  for (let i = 0; i < bands.length; i++) {
    if (total <= lower) break;
    const upper = Math.min(total, bands[i]);
    reserved += (upper - lower) * rates[i];
    lower = bands[i];
  }
  return reserved;
}

/**
 * The CPU table GKE documents and the EKS AL2023 `nodeadm` implements: 6% of the first core, 1% of the
 * second, 0.5% of the third and fourth, 0.25% of every core above four. Computed in millicores with the
 * integer division of `getResourceToReserveInRange` (awslabs/amazon-eks-ami `nodeadm/internal/kubelet/config.go`).
 */
export function tieredCpuReservationMillis(vcpus: number): number {
  const total = Math.round(vcpus * 1000);
  const ranges = [0, 1000, 2000, 4000, Math.max(total, 4000)];
  const perTenThousand = [600, 100, 50, 25];
  let reserved = 0;
  for (let i = 0; i < perTenThousand.length; i++) {
    const start = ranges[i];
    if (total <= start) break;
    const end = Math.min(total, ranges[i + 1]);
    reserved += Math.floor(((end - start) * perTenThousand[i]) / 10000);
  }
  return reserved;
}

/**
 * GKE's memory reservation: 255 MiB below 1 GiB of memory; otherwise 25% of the first 4 GiB, 20% of the
 * next 4 GiB, 10% of the next 8 GiB, 6% of the next 112 GiB and 2% of everything above 128 GiB
 * (https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_and_cpu_reservations).
 */
export function gkeMemoryReservationBytes(memoryBytes: number): number {
  if (memoryBytes < GIB) return 255 * MIB;
  return Math.ceil(
    banded(memoryBytes, [4 * GIB, 8 * GIB, 16 * GIB, 128 * GIB, Infinity], [0.25, 0.2, 0.1, 0.06, 0.02]),
  );
}

/**
 * The AKS CPU table (MicrosoftDocs/azure-aks-docs `articles/aks/node-resource-reservations.md`):
 * 1 core 60m, 2: 100m, 4: 140m, 8: 180m, 16: 260m, 32: 420m, 64: 740m. Between the published points the
 * reservation is interpolated linearly; above 64 cores it grows by the table's last slope (10m per core).
 */
export function aksCpuReservationMillis(vcpus: number): number {
  const points: ReadonlyArray<readonly [number, number]> = [
    [1, 60],
    [2, 100],
    [4, 140],
    [8, 180],
    [16, 260],
    [32, 420],
    [64, 740],
  ];
  if (vcpus <= 1) return 60;
  for (let i = 1; i < points.length; i++) {
    const [c1, m1] = points[i];
    if (vcpus <= c1) {
      const [c0, m0] = points[i - 1];
      return Math.ceil(m0 + ((vcpus - c0) * (m1 - m0)) / (c1 - c0));
    }
  }
  return Math.ceil(740 + (vcpus - 64) * 10);
}

/** How a node pool reserves CPU and memory for the OS, the kubelet and the container runtime. */
export class NodeReservation {
  /**
   * GKE: the tiered CPU table and the tiered memory table of
   * https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_and_cpu_reservations,
   * plus the 100 MiB hard eviction threshold GKE adds on every node.
   */
  public static readonly GKE = new NodeReservation(
    'GKE',
    'GKE kube-reserved: tiered CPU (6%/1%/0.5%/0.25%) and memory (25%/20%/10%/6%/2%) + 100Mi eviction',
    (s) => ({
      cpuMillis: tieredCpuReservationMillis(s.vcpus),
      memoryBytes: gkeMemoryReservationBytes(s.memoryBytes),
      evictionBytes: 100 * MIB,
    }),
  );

  /**
   * EKS (Amazon Linux 2023 `nodeadm`, awslabs/amazon-eks-ami `nodeadm/internal/kubelet/config.go`):
   * kube-reserved CPU from the same tiered table, kube-reserved memory `11 MiB * maxPods + 255 MiB`, no
   * system-reserved, and `evictionHard: memory.available<100Mi`. `maxPods` is the ENI limit of the
   * instance type (`eni-max-pods.txt`).
   */
  public static readonly EKS = new NodeReservation(
    'EKS',
    'EKS nodeadm kube-reserved: tiered CPU, memory 11Mi x maxPods + 255Mi, + 100Mi eviction',
    (s) => ({
      cpuMillis: tieredCpuReservationMillis(s.vcpus),
      memoryBytes: (11 * s.maxPods + 255) * MIB,
      evictionBytes: 100 * MIB,
    }),
  );

  /**
   * AKS 1.29 and later (MicrosoftDocs/azure-aks-docs `articles/aks/node-resource-reservations.md`): the
   * AKS CPU table, memory `min(20 MB * maxPods + 50 MB, 25% of memory)` (MB read as MiB), and the 100 Mi
   * hard eviction threshold.
   */
  public static readonly AKS = new NodeReservation(
    'AKS',
    'AKS (>= 1.29) kube-reserved: CPU table, memory min(20Mi x maxPods + 50Mi, 25%) + 100Mi eviction',
    (s) => ({
      cpuMillis: aksCpuReservationMillis(s.vcpus),
      memoryBytes: Math.min((20 * s.maxPods + 50) * MIB, Math.floor(0.25 * s.memoryBytes)),
      evictionBytes: 100 * MIB,
    }),
  );

  /** Nothing reserved and no eviction threshold: the kubelet's own defaults without any reservation flags. */
  public static readonly NONE = new NodeReservation('none', 'no reservation', () => ({
    cpuMillis: 0,
    memoryBytes: 0,
    evictionBytes: 0,
  }));

  /**
   * Fixed reservations, as a kubelet configured by hand (`kubeReserved` + `systemReserved` + `evictionHard`).
   *
   * @param reserved CPU and memory quantities (`cpu: "500m"`, `memory: "2Gi"`) and the eviction threshold
   *   (`eviction: "100Mi"`, @default 100Mi)
   * @throws PropError when a quantity does not parse or is negative
   */
  public static fixed(reserved: {
    readonly cpu: string;
    readonly memory: string;
    readonly eviction?: string;
  }): NodeReservation {
    const ctx = 'NodeReservation.fixed';
    const parse = (prop: string, v: string, f: (q: string) => number): number => {
      let n: number;
      try {
        n = f(v);
      } catch {
        throw propError(ctx, prop, v, 'a Kubernetes quantity such as "500m" or "2Gi"');
      }
      if (!(n >= 0)) throw propError(ctx, prop, v, 'a quantity >= 0');
      return n;
    };
    const cpuMillis = parse('cpu', reserved?.cpu, cpuToMillis);
    const memoryBytes = parse('memory', reserved?.memory, memoryToBytes);
    const evictionBytes = parse('eviction', reserved?.eviction ?? '100Mi', memoryToBytes);
    return new NodeReservation(
      'fixed',
      `fixed: ${reserved.cpu} CPU, ${reserved.memory} memory + ${reserved.eviction ?? '100Mi'} eviction`,
      () => ({ cpuMillis, memoryBytes, evictionBytes }),
    );
  }

  private constructor(
    /** Short name: `GKE`, `EKS`, `AKS`, `none`, `fixed`. */
    public readonly name: string,
    /** One line describing the formula. */
    public readonly description: string,
    private readonly formula: Formula,
  ) {}

  /** The reservation of a node of this shape. */
  public reserve(shape: NodeShape): ReservedResources {
    return this.formula(shape);
  }

  /** The short name. */
  public toString(): string {
    return this.name;
  }
}
