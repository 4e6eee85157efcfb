/**
 * `AzureKataNodePool`: an AKS agent pool with Pod Sandboxing (`workloadRuntime: KataVmIsolation`,
 * Azure Linux), the GA form of Kata on AKS. AKS installs the runtime and reconciles the
 * `kata-vm-isolation` RuntimeClass itself.
 */
import * as containerservice from '@pulumi/azure-native/containerservice';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import {
  HostPoolContract,
  IKataHostPool,
  RuntimeInstaller,
  hostPoolContract,
  toTaintStrings,
} from '../contract';
import { componentContext, requireWholeNumber, scalingBounds } from '../validate';
import { AzureVmSize, checkAzureVmSize } from './vm-sizes';

/** Props of {@link AzureKataNodePool}. */
export interface AzureKataNodePoolProps {
  /** The cluster's resource group. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The AKS cluster name. */
  readonly clusterName: pulumi.Input<string>;
  /** A generation-2 size with nested virtualization, e.g. `Standard_D8s_v5`. */
  readonly vmSize: string;
  /** Nodes to start with. */
  readonly nodeCount: number;
  /**
   * The runtimes the pool serves: AKS Pod Sandboxing serves `kata-vm-isolation` only.
   * @default [KataRuntime.AKS_VM_ISOLATION]
   */
  readonly runtimes?: readonly KataRuntime[];
  /**
   * The agent pool name (Linux: 1-12 lower-case letters and digits, starting with a letter).
   * @default - the component name without other characters, cut to 12
   */
  readonly agentPoolName?: string;
  /**
   * Minimum nodes with the cluster autoscaler.
   * @default - no autoscaling
   */
  readonly minCount?: number;
  /**
   * Maximum nodes with the cluster autoscaler.
   * @default - no autoscaling
   */
  readonly maxCount?: number;
  /**
   * Availability zones.
   * @default - none (regional)
   */
  readonly availabilityZones?: readonly string[];
  /**
   * The subnet of the nodes.
   * @default - the cluster's node subnet
   */
  readonly vnetSubnetID?: pulumi.Input<string>;
  /**
   * OS disk size in GB.
   * @default 128
   */
  readonly osDiskSizeGB?: number;
  /**
   * Use an ephemeral OS disk (the VM size's cache or temp disk must hold it).
   * @default false
   */
  readonly ephemeralOsDisk?: boolean;
  /**
   * Encrypt the VM's temp disk and caches at the host (the subscription needs the EncryptionAtHost feature).
   * @default true
   */
  readonly encryptionAtHost?: boolean;
  /**
   * Kubernetes version of the pool.
   * @default - the cluster's version
   */
  readonly orchestratorVersion?: pulumi.Input<string>;
  /**
   * Tags.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An AKS user pool with Pod Sandboxing: Azure Linux nodes on a nested-virtualization VM size whose
 * `kata-vm-isolation` pods run in Kata VMs (Cloud Hypervisor on the Microsoft hypervisor). No public
 * node IPs; encryption at host by default.
 */
export class AzureKataNodePool extends pulumi.ComponentResource implements IKataHostPool {
  /** The pool's name. */
  public readonly poolName: string;
  /** Labels, taints and runtimes of the pool. */
  public readonly contract: HostPoolContract;
  /** The VM size, parsed. */
  public readonly vmSize: AzureVmSize;
  /** The agent pool. */
  public readonly agentPool: containerservice.AgentPool;

  constructor(name: string, props: AzureKataNodePoolProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:azure:AzureKataNodePool', name, {}, opts);
    const ctx = componentContext('AzureKataNodePool', name);
    if (!props) throw propError(ctx, 'props', props, 'AzureKataNodePoolProps');
    const vmSize = checkAzureVmSize(ctx, props.vmSize);
    const contract = hostPoolContract(ctx, props.runtimes ?? [KataRuntime.AKS_VM_ISOLATION], {
      installer: RuntimeInstaller.PLATFORM,
    });
    const poolName =
      props.agentPoolName ??
      name
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 12);
    if (!/^[a-z][a-z0-9]{0,11}$/.test(poolName)) {
      throw propError(
        ctx,
        'agentPoolName',
        poolName,
        '1-12 lower-case letters and digits starting with a letter',
      );
    }
    const autoscale = props.minCount !== undefined || props.maxCount !== undefined;
    const size = scalingBounds(
      ctx,
      { desired: 'nodeCount', min: 'minCount', max: 'maxCount' },
      props.nodeCount,
      autoscale ? (props.minCount ?? 0) : undefined,
      autoscale ? (props.maxCount ?? props.nodeCount) : undefined,
    );
    const osDiskSizeGB = requireWholeNumber(ctx, 'osDiskSizeGB', props.osDiskSizeGB ?? 128, 30, 2048);

    this.agentPool = new containerservice.AgentPool(
      `${name}-pool`,
      {
        resourceGroupName: props.resourceGroupName,
        resourceName: props.clusterName,
        agentPoolName: poolName,
        mode: containerservice.AgentPoolMode.User,
        osType: containerservice.OSType.Linux,
        osSKU: containerservice.OSSKU.AzureLinux,
        workloadRuntime: containerservice.WorkloadRuntime.KataVmIsolation,
        vmSize: props.vmSize,
        count: size.desired,
        ...(autoscale
          ? { enableAutoScaling: true, minCount: size.min, maxCount: size.max }
          : { enableAutoScaling: false }),
        enableNodePublicIP: false,
        enableEncryptionAtHost: props.encryptionAtHost ?? true,
        osDiskSizeGB,
        osDiskType: props.ephemeralOsDisk
          ? containerservice.OSDiskType.Ephemeral
          : containerservice.OSDiskType.Managed,
        nodeLabels: { ...contract.appliedLabels },
        nodeTaints: toTaintStrings(contract.taints),
        upgradeSettings: { maxSurge: '33%' },
        ...(props.availabilityZones !== undefined ? { availabilityZones: [...props.availabilityZones] } : {}),
        ...(props.vnetSubnetID !== undefined ? { vnetSubnetID: props.vnetSubnetID } : {}),
        ...(props.orchestratorVersion !== undefined
          ? { orchestratorVersion: props.orchestratorVersion }
          : {}),
        tags: { 'kata-blueprints.io/pool': name, ...(props.tags ?? {}) },
      },
      { parent: this, ...(autoscale ? { ignoreChanges: ['count'] } : {}) },
    );
    this.poolName = name;
    this.contract = contract;
    this.vmSize = vmSize;
    this.registerOutputs({
      agentPoolName: poolName,
      labels: contract.labels,
      taints: contract.taints,
      runtimes: contract.runtimes.map((r) => r.name),
    });
  }
}
