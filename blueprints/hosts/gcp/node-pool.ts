/**
 * `GcpNestedVirtNodePool`: a GKE Standard node pool with nested virtualization (Intel VT-x exposed to
 * the node VM), Ubuntu containerd nodes, shielded VMs and optional local NVMe SSDs.
 */
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import { HostPoolContract, IKataHostPool, hostPoolContract, toCloudTaints } from '../contract';
import { DEFAULT_POOL_RUNTIMES, componentContext, requireWholeNumber, scalingBounds } from '../validate';

/**
 * Intel series with nested virtualization that GKE node pools accept: general purpose N1, N2, N4 and
 * compute-optimized C2, C3, C4 (Compute Engine: no AMD or Arm VMs, no E2, no memory-optimized series).
 */
export const GCP_NESTED_VIRT_SERIES: readonly string[] = ['n1', 'n2', 'n4', 'c2', 'c3', 'c4'];

const AMD_SERIES = ['n2d', 'c2d', 't2d', 'c3d', 'c4d', 'n4d', 'h4d'];
const ARM_SERIES = ['t2a', 'c4a', 'n4a'];
const MEMORY_SERIES = ['m1', 'm2', 'm3', 'm4', 'x4'];

/**
 * The machine series of a GKE machine type, refusing those without nested virtualization.
 *
 * @throws PropError naming the machine type and why it cannot run Kata
 */
export function checkGcpMachineType(context: string, machineType: string): string {
  const allowed = `an Intel machine type with nested virtualization (series ${GCP_NESTED_VIRT_SERIES.join(', ')}; e.g. "n2-standard-8")`;
  if (typeof machineType !== 'string' || !/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/.test(machineType)) {
    throw propError(context, 'machineType', machineType, allowed);
  }
  const series = machineType.startsWith('custom-') ? 'n1' : machineType.split('-')[0];
  if (GCP_NESTED_VIRT_SERIES.includes(series)) return series;
  const why = AMD_SERIES.includes(series)
    ? 'AMD VMs have no nested virtualization on Compute Engine'
    : ARM_SERIES.includes(series)
      ? 'Arm VMs have no nested virtualization on Compute Engine'
      : series === 'e2' || series === 'f1' || series === 'g1'
        ? 'E2 and shared-core VMs have no nested virtualization'
        : MEMORY_SERIES.includes(series)
          ? 'memory-optimized VMs have no nested virtualization'
          : `series ${series} is not one GKE offers nested virtualization on`;
  throw propError(context, 'machineType', machineType, `${allowed}; ${why}`);
}

/** Local NVMe SSDs of a GKE node. */
export class GkeLocalSsd {
  /**
   * Raw NVMe block devices (`localNvmeSsdBlockConfig`), for the local-static-provisioner (375 GB each).
   *
   * @throws PropError when count is not 1..24
   */
  public static rawBlock(count: number): GkeLocalSsd {
    return new GkeLocalSsd('raw-block', requireWholeNumber('GkeLocalSsd.rawBlock', 'count', count, 1, 24));
  }

  /**
   * Node ephemeral storage (kubelet root, container images, emptyDir) on local SSD
   * (`ephemeralStorageLocalSsdConfig`).
   *
   * @throws PropError when count is not 1..24
   */
  public static ephemeralStorage(count: number): GkeLocalSsd {
    return new GkeLocalSsd(
      'ephemeral-storage',
      requireWholeNumber('GkeLocalSsd.ephemeralStorage', 'count', count, 1, 24),
    );
  }

  private constructor(
    /** `raw-block` or `ephemeral-storage`. */
    public readonly kind: string,
    /** Number of 375 GB local SSDs. */
    public readonly count: number,
  ) {}
}

/** Props of {@link GcpNestedVirtNodePool}. */
export interface GcpNestedVirtNodePoolProps {
  /** The GKE Standard cluster (name or id). */
  readonly cluster: pulumi.Input<string>;
  /** The cluster's location (region or zone). */
  readonly location: pulumi.Input<string>;
  /** An Intel machine type with nested virtualization (N1, N2, N4, C2, C3, C4), e.g. `n2-standard-16`. */
  readonly machineType: string;
  /** Nodes per zone of the pool (GKE counts per zone for regional clusters). */
  readonly nodeCount: number;
  /**
   * The runtimes the pool serves; its labels and taints follow from them.
   * @default [KataRuntime.QEMU]
   */
  readonly runtimes?: readonly KataRuntime[];
  /**
   * Minimum nodes per zone with the cluster autoscaler.
   * @default - no autoscaling
   */
  readonly minNodeCount?: number;
  /**
   * Maximum nodes per zone with the cluster autoscaler.
   * @default - no autoscaling
   */
  readonly maxNodeCount?: number;
  /**
   * Local NVMe SSDs.
   * @default - none
   */
  readonly localSsd?: GkeLocalSsd;
  /**
   * Threads per core; 1 turns SMT off, which shuts a class of cross-VM side channels between tenants.
   * @default 2
   */
  readonly threadsPerCore?: number;
  /**
   * The node service account (least privilege: logging, monitoring and artifact reads).
   * @default - the Compute Engine default service account
   */
  readonly serviceAccount?: pulumi.Input<string>;
  /**
   * Boot disk size in GB.
   * @default 100
   */
  readonly diskSizeGb?: number;
  /**
   * Boot disk type.
   * @default "pd-balanced"
   */
  readonly diskType?: string;
  /**
   * Cloud KMS key for the boot disk.
   * @default - Google-managed encryption
   */
  readonly bootDiskKmsKey?: pulumi.Input<string>;
  /**
   * Zones of the pool.
   * @default - the cluster's zones
   */
  readonly nodeLocations?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * GKE node version.
   * @default - the cluster's version
   */
  readonly version?: pulumi.Input<string>;
}

/**
 * A GKE node pool whose nodes can run Kata VMs: `advancedMachineFeatures.enableNestedVirtualization`,
 * the `UBUNTU_CONTAINERD` image (COS is read-only and blocks kata-deploy's installer), Secure Boot and
 * integrity monitoring, GKE metadata server, auto-repair and auto-upgrade, labelled and tainted for the
 * RuntimeClasses of its runtimes.
 */
export class GcpNestedVirtNodePool extends pulumi.ComponentResource implements IKataHostPool {
  /** The pool's name. */
  public readonly poolName: string;
  /** Labels, taints and runtimes of the pool. */
  public readonly contract: HostPoolContract;
  /** The GKE node pool. */
  public readonly nodePool: gcp.container.NodePool;

  constructor(name: string, props: GcpNestedVirtNodePoolProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:gcp:GcpNestedVirtNodePool', name, {}, opts);
    const ctx = componentContext('GcpNestedVirtNodePool', name);
    if (!props) throw propError(ctx, 'props', props, 'GcpNestedVirtNodePoolProps');
    const series = checkGcpMachineType(ctx, props.machineType);
    const contract = hostPoolContract(ctx, props.runtimes ?? DEFAULT_POOL_RUNTIMES);
    const autoscale = props.minNodeCount !== undefined || props.maxNodeCount !== undefined;
    const size = autoscale
      ? scalingBounds(
          ctx,
          { desired: 'nodeCount', min: 'minNodeCount', max: 'maxNodeCount' },
          props.nodeCount,
          props.minNodeCount ?? 0,
          props.maxNodeCount ?? props.nodeCount,
        )
      : { min: 0, max: 0, desired: requireWholeNumber(ctx, 'nodeCount', props.nodeCount, 0, 1000) };
    const threadsPerCore = props.threadsPerCore ?? 2;
    if (threadsPerCore !== 1 && threadsPerCore !== 2)
      throw propError(ctx, 'threadsPerCore', threadsPerCore, '1 or 2');
    const diskSizeGb = requireWholeNumber(ctx, 'diskSizeGb', props.diskSizeGb ?? 100, 30, 65536);

    const nodeConfig: gcp.types.input.container.NodePoolNodeConfig = {
      machineType: props.machineType,
      imageType: 'UBUNTU_CONTAINERD',
      ...(series === 'n1' ? { minCpuPlatform: 'Intel Haswell' } : {}),
      advancedMachineFeatures: { threadsPerCore, enableNestedVirtualization: true },
      labels: { ...contract.appliedLabels },
      taints: toCloudTaints(contract.taints),
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: 'GKE_METADATA' },
      metadata: { 'disable-legacy-endpoints': 'true' },
      oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
      diskSizeGb,
      diskType: props.diskType ?? 'pd-balanced',
      ...(props.bootDiskKmsKey !== undefined ? { bootDiskKmsKey: props.bootDiskKmsKey } : {}),
      ...(props.serviceAccount !== undefined ? { serviceAccount: props.serviceAccount } : {}),
      ...(props.localSsd?.kind === 'raw-block'
        ? { localNvmeSsdBlockConfig: { localSsdCount: props.localSsd.count } }
        : {}),
      ...(props.localSsd?.kind === 'ephemeral-storage'
        ? { ephemeralStorageLocalSsdConfig: { localSsdCount: props.localSsd.count } }
        : {}),
    };
    this.nodePool = new gcp.container.NodePool(
      `${name}-pool`,
      {
        cluster: props.cluster,
        location: props.location,
        ...(autoscale
          ? {
              initialNodeCount: size.desired,
              autoscaling: { minNodeCount: size.min, maxNodeCount: size.max },
            }
          : { nodeCount: size.desired }),
        ...(props.nodeLocations !== undefined ? { nodeLocations: props.nodeLocations } : {}),
        ...(props.version !== undefined ? { version: props.version } : {}),
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
        nodeConfig,
      },
      { parent: this, ...(autoscale ? { ignoreChanges: ['initialNodeCount'] } : {}) },
    );
    this.poolName = name;
    this.contract = contract;
    this.registerOutputs({
      nodePoolName: this.nodePool.name,
      labels: contract.labels,
      taints: contract.taints,
      runtimes: contract.runtimes.map((r) => r.name),
    });
  }
}
