/**
 * `AzureNestedVirtScaleSet`: a VM scale set of nested-virtualization Ubuntu VMs that prepare themselves
 * for Kata with cloud-init and join a self-managed (kubeadm) cluster. For clusters that are not AKS, or
 * that want kata-deploy runtimes (QEMU, Cloud Hypervisor) rather than AKS Pod Sandboxing.
 */
import * as compute from '@pulumi/azure-native/compute';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import { HostPoolContract, IKataHostPool, hostPoolContract } from '../contract';
import { LocalDisks, renderNodeScript } from '../node-script';
import { KubeadmApiVersion, renderCloudConfig } from '../baremetal/bootstrap';
import { joinConfigurationFor } from '../baremetal/node-pool';
import { DEFAULT_POOL_RUNTIMES, componentContext, requireWholeNumber } from '../validate';
import { AzureVmSize, checkAzureVmSize } from './vm-sizes';

/** A marketplace image. */
export interface AzureImageReference {
  /** Publisher. */
  readonly publisher: string;
  /** Offer. */
  readonly offer: string;
  /** SKU. */
  readonly sku: string;
  /** Version. */
  readonly version: string;
}

/** Ubuntu 24.04 LTS, generation 2. */
export const UBUNTU_2404_GEN2: AzureImageReference = {
  publisher: 'Canonical',
  offer: 'ubuntu-24_04-lts',
  sku: 'server',
  version: 'latest',
};

/** Props of {@link AzureNestedVirtScaleSet}. */
export interface AzureNestedVirtScaleSetProps {
  /** Resource group of the scale set. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Subnet of the VMs (no public IPs are attached). */
  readonly subnetId: pulumi.Input<string>;
  /** A generation-2 size with nested virtualization, e.g. `Standard_D8s_v5`. */
  readonly vmSize: string;
  /** Number of VMs. */
  readonly instanceCount: number;
  /** The worker join command of the cluster (`kubeadm token create --ttl 0 --print-join-command`; pass a secret). */
  readonly joinCommand: pulumi.Input<string>;
  /** SSH public key of the admin user (password login is off). */
  readonly sshPublicKey: pulumi.Input<string>;
  /**
   * The runtimes the pool serves (installed by kata-deploy); its labels and taints follow from them.
   * @default [KataRuntime.QEMU]
   */
  readonly runtimes?: readonly KataRuntime[];
  /**
   * Admin user name.
   * @default "kataadmin"
   */
  readonly adminUsername?: string;
  /**
   * Location.
   * @default - the resource group's
   */
  readonly location?: pulumi.Input<string>;
  /**
   * Availability zones.
   * @default - none
   */
  readonly zones?: readonly string[];
  /**
   * Kubernetes minor version of kubelet and kubeadm.
   * @default "1.33"
   */
  readonly kubernetesVersion?: string;
  /**
   * The image (a generation-2 Debian-family image; the bootstrap installs packages with apt).
   * @default UBUNTU_2404_GEN2
   */
  readonly image?: AzureImageReference;
  /**
   * OS disk size in GB.
   * @default 128
   */
  readonly osDiskSizeGB?: number;
  /**
   * Encrypt temp disks and caches at the host.
   * @default true
   */
  readonly encryptionAtHost?: boolean;
  /**
   * Local disks turned into volumes (e.g. the NVMe disks of an L-series size).
   * @default LocalDisks.none()
   */
  readonly localDisks?: LocalDisks;
  /**
   * The kubeadm configuration API of the JoinConfiguration.
   * @default KubeadmApiVersion.V1BETA4
   */
  readonly kubeadmApiVersion?: KubeadmApiVersion;
  /**
   * Tags.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A Uniform VM scale set of nested-virtualization VMs that load the Kata kernel modules, configure
 * containerd and join the cluster with the pool's labels and taints, from cloud-init custom data. No
 * overprovisioning (an extra VM would join and then be deleted), no public IPs, SSH keys only,
 * encryption at host.
 */
export class AzureNestedVirtScaleSet extends pulumi.ComponentResource implements IKataHostPool {
  /** The pool's name. */
  public readonly poolName: string;
  /** Labels, taints and runtimes of the pool. */
  public readonly contract: HostPoolContract;
  /** The VM size, parsed. */
  public readonly vmSize: AzureVmSize;
  /** The bootstrap script the VMs run. */
  public readonly script: string;
  /** The scale set. */
  public readonly scaleSet: compute.VirtualMachineScaleSet;

  constructor(name: string, props: AzureNestedVirtScaleSetProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:azure:AzureNestedVirtScaleSet', name, {}, opts);
    const ctx = componentContext('AzureNestedVirtScaleSet', name);
    if (!props) throw propError(ctx, 'props', props, 'AzureNestedVirtScaleSetProps');
    const vmSize = checkAzureVmSize(ctx, props.vmSize);
    const contract = hostPoolContract(ctx, props.runtimes ?? DEFAULT_POOL_RUNTIMES);
    const count = requireWholeNumber(ctx, 'instanceCount', props.instanceCount, 0, 1000);
    const osDiskSizeGB = requireWholeNumber(ctx, 'osDiskSizeGB', props.osDiskSizeGB ?? 128, 30, 4095);
    const adminUsername = props.adminUsername ?? 'kataadmin';
    if (
      !/^[a-z_][a-z0-9_-]{0,31}$/.test(adminUsername) ||
      ['root', 'admin', 'administrator'].includes(adminUsername)
    ) {
      throw propError(
        ctx,
        'adminUsername',
        adminUsername,
        'a Linux user name other than root/admin/administrator',
      );
    }
    const computerNamePrefix = name
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '')
      .slice(0, 9);
    if (!/^[a-z]/.test(computerNamePrefix)) {
      throw propError(ctx, 'name', name, 'a name starting with a letter (it prefixes the VM host names)');
    }
    const script = renderNodeScript({
      description: ctx,
      localDisks: props.localDisks ?? LocalDisks.none(),
      kubeadm: { kubernetesMinor: props.kubernetesVersion ?? '1.33', installPackages: true },
    });
    const joinConfiguration = joinConfigurationFor(ctx, props.joinCommand, contract, props.kubeadmApiVersion);
    const customData = pulumi.secret(
      joinConfiguration.apply((jc) =>
        Buffer.from(renderCloudConfig({ script, joinConfiguration: jc }), 'utf8').toString('base64'),
      ),
    );
    const image = props.image ?? UBUNTU_2404_GEN2;

    this.scaleSet = new compute.VirtualMachineScaleSet(
      `${name}-vmss`,
      {
        resourceGroupName: props.resourceGroupName,
        ...(props.location !== undefined ? { location: props.location } : {}),
        sku: { name: props.vmSize, tier: 'Standard', capacity: count },
        orchestrationMode: compute.OrchestrationMode.Uniform,
        overprovision: false,
        upgradePolicy: { mode: compute.UpgradeMode.Manual },
        ...(props.zones !== undefined ? { zones: [...props.zones] } : {}),
        virtualMachineProfile: {
          osProfile: {
            computerNamePrefix,
            adminUsername,
            customData,
            linuxConfiguration: {
              disablePasswordAuthentication: true,
              ssh: {
                publicKeys: [
                  { path: `/home/${adminUsername}/.ssh/authorized_keys`, keyData: props.sshPublicKey },
                ],
              },
            },
          },
          storageProfile: {
            imageReference: { ...image },
            osDisk: {
              createOption: compute.DiskCreateOptionTypes.FromImage,
              caching: compute.CachingTypes.ReadWrite,
              diskSizeGB: osDiskSizeGB,
              managedDisk: { storageAccountType: compute.StorageAccountTypes.Premium_LRS },
            },
          },
          networkProfile: {
            networkInterfaceConfigurations: [
              {
                name: `${name}-nic`,
                primary: true,
                enableAcceleratedNetworking: true,
                ipConfigurations: [{ name: `${name}-ip`, primary: true, subnet: { id: props.subnetId } }],
              },
            ],
          },
          securityProfile: { encryptionAtHost: props.encryptionAtHost ?? true },
        },
        tags: { 'kata-blueprints.io/pool': name, ...(props.tags ?? {}) },
      },
      { parent: this },
    );
    this.poolName = name;
    this.contract = contract;
    this.vmSize = vmSize;
    this.script = script;
    this.registerOutputs({
      scaleSetName: this.scaleSet.name,
      labels: contract.labels,
      taints: contract.taints,
      runtimes: contract.runtimes.map((r) => r.name),
    });
  }
}
