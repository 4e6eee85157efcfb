/**
 * `AwsMetalNodePool`: an EKS managed node group of hosts that can run Kata (bare metal, or C8i/M8i/R8i
 * with nested virtualization), built from raw `aws.eks.NodeGroup` + `aws.ec2.LaunchTemplate` so that
 * every setting is visible (and testable) in the program.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import { HostPoolContract, IKataHostPool, hostPoolContract, toCloudTaints } from '../contract';
import { LocalDisks, renderNodeScript } from '../node-script';
import { DEFAULT_POOL_RUNTIMES, componentContext, requireWholeNumber, scalingBounds } from '../validate';
import { AwsKataInstanceType, classifyAwsInstanceType } from './instance-types';
import { MimePart, nodeConfigPart, renderMimeMultipart, shellScriptPart } from './user-data';

/** Props of {@link AwsMetalNodePool}. */
export interface AwsMetalNodePoolProps {
  /** The EKS cluster name. */
  readonly clusterName: pulumi.Input<string>;
  /** The node IAM role (AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryReadOnly). */
  readonly nodeRoleArn: pulumi.Input<string>;
  /** Private subnets for the nodes (the launch template gives them no public IP). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * A type with hardware virtualization: `*.metal` (e.g. `i3.metal`, `m5.metal`, `c7i.metal-24xl`,
   * Graviton `c7g.metal`), or C8i/M8i/R8i (nested virtualization is switched on).
   */
  readonly instanceType: string;
  /** Nodes to start with. */
  readonly desiredSize: number;
  /**
   * Minimum nodes.
   * @default - desiredSize
   */
  readonly minSize?: number;
  /**
   * Maximum nodes.
   * @default - desiredSize (at least 1)
   */
  readonly maxSize?: number;
  /**
   * The runtimes the pool serves; its labels and taints follow from them.
   * @default [KataRuntime.QEMU]
   */
  readonly runtimes?: readonly KataRuntime[];
  /**
   * Security groups of the nodes' network interface.
   * @default - the cluster security group (looked up from the cluster)
   */
  readonly securityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Root volume size in GiB (container images and Kata guest images live here).
   * @default 100
   */
  readonly rootVolumeSizeGiB?: number;
  /**
   * KMS key for the encrypted root volume.
   * @default - the account's default EBS key (aws/ebs)
   */
  readonly rootVolumeKmsKeyArn?: pulumi.Input<string>;
  /**
   * Local disks turned into volumes under /mnt/disks for the local-static-provisioner.
   * @default LocalDisks.awsInstanceStore() (every instance-store NVMe, one volume per disk; none on types without)
   */
  readonly localDisks?: LocalDisks;
  /**
   * Extra nodeadm `NodeConfig` spec merged by EKS into the node's configuration (e.g. kubelet settings).
   * @default - none
   */
  readonly nodeConfig?: Readonly<Record<string, unknown>>;
  /**
   * Kubernetes version of the node group.
   * @default - the cluster's version
   */
  readonly kubernetesVersion?: pulumi.Input<string>;
  /**
   * Leave `desiredSize` to the cluster autoscaler after creation (Pulumi ignores drift in it).
   * @default false
   */
  readonly ignoreDesiredSizeChanges?: boolean;
  /**
   * Tags for the node group, launch template, instances and volumes.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Options of {@link hardenedLaunchTemplateArgs}. */
export interface HardenedLaunchTemplateOptions {
  /** Instance type. */
  readonly instanceType: string;
  /** Security groups of the primary interface. */
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Root volume GiB. */
  readonly rootVolumeSizeGiB: number;
  /** Root volume KMS key. @default - aws/ebs */
  readonly rootVolumeKmsKeyArn?: pulumi.Input<string>;
  /** Switch on nested virtualization (C8i/M8i/R8i). @default false */
  readonly nestedVirtualization?: boolean;
  /** MIME multi-part user data (plain text; base64-encoded here). @default - none */
  readonly userData?: string;
  /** Tags for the template, instances and volumes. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Launch template settings every kata-blueprints EKS node gets: IMDSv2 only with hop limit 2 (pods
 * behind the node's network can still reach IMDS through the VPC CNI), an encrypted gp3 root volume,
 * no public IP, and (C8i/M8i/R8i) nested virtualization.
 */
export function hardenedLaunchTemplateArgs(
  options: HardenedLaunchTemplateOptions,
): aws.ec2.LaunchTemplateArgs {
  const tags = { ...options.tags };
  return {
    instanceType: options.instanceType,
    updateDefaultVersion: true,
    metadataOptions: {
      httpEndpoint: 'enabled',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
      instanceMetadataTags: 'disabled',
    },
    blockDeviceMappings: [
      {
        deviceName: '/dev/xvda',
        ebs: {
          volumeSize: options.rootVolumeSizeGiB,
          volumeType: 'gp3',
          encrypted: 'true',
          deleteOnTermination: 'true',
          ...(options.rootVolumeKmsKeyArn !== undefined ? { kmsKeyId: options.rootVolumeKmsKeyArn } : {}),
        },
      },
    ],
    networkInterfaces: [
      {
        deviceIndex: 0,
        associatePublicIpAddress: 'false',
        deleteOnTermination: 'true',
        securityGroups: options.securityGroupIds,
      },
    ],
    ...(options.nestedVirtualization ? { cpuOptions: { nestedVirtualization: 'enabled' } } : {}),
    ...(options.userData !== undefined
      ? { userData: Buffer.from(options.userData, 'utf8').toString('base64') }
      : {}),
    tagSpecifications: [
      { resourceType: 'instance', tags },
      { resourceType: 'volume', tags },
    ],
    tags,
  };
}

/**
 * An EKS managed node group whose nodes can run Kata VMs, labelled and tainted for the RuntimeClasses
 * of its runtimes.
 *
 * Nodes boot Amazon Linux 2023 with user data that loads the Kata kernel modules (`kvm`,
 * `kvm_intel`/`kvm_amd`, `vhost`, `vhost_net`, `vhost_vsock`) and turns the instance store (i3.metal,
 * i4i.metal, ...) into local volumes under /mnt/disks, before nodeadm starts the kubelet. Kata itself
 * is installed by kata-deploy (see `KataDeployRelease`), which selects the pool through its labels.
 */
export class AwsMetalNodePool extends pulumi.ComponentResource implements IKataHostPool {
  /** The pool's name. */
  public readonly poolName: string;
  /** Labels, taints and runtimes of the pool. */
  public readonly contract: HostPoolContract;
  /** What the instance type is (bare metal or nested, architecture, AMI type). */
  public readonly instance: AwsKataInstanceType;
  /** The launch template. */
  public readonly launchTemplate: aws.ec2.LaunchTemplate;
  /** The managed node group. */
  public readonly nodeGroup: aws.eks.NodeGroup;
  /** The user data (MIME multi-part, before base64). */
  public readonly userData: string;

  constructor(name: string, props: AwsMetalNodePoolProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:aws:AwsMetalNodePool', name, {}, opts);
    const ctx = componentContext('AwsMetalNodePool', name);
    if (!props) throw propError(ctx, 'props', props, 'AwsMetalNodePoolProps');
    const instance = classifyAwsInstanceType(ctx, props.instanceType);
    const contract = hostPoolContract(ctx, props.runtimes ?? DEFAULT_POOL_RUNTIMES, {
      architecture: instance.architecture,
    });
    const size = scalingBounds(
      ctx,
      { desired: 'desiredSize', min: 'minSize', max: 'maxSize' },
      props.desiredSize,
      props.minSize,
      props.maxSize,
    );
    const rootGiB = requireWholeNumber(ctx, 'rootVolumeSizeGiB', props.rootVolumeSizeGiB ?? 100, 20, 16384);

    const parts: MimePart[] = [
      shellScriptPart(
        renderNodeScript({
          description: `${ctx} (${props.instanceType})`,
          localDisks: props.localDisks ?? LocalDisks.awsInstanceStore(),
        }),
      ),
    ];
    if (props.nodeConfig !== undefined) parts.push(nodeConfigPart(props.nodeConfig));
    const userData = renderMimeMultipart(parts);

    const securityGroupIds =
      props.securityGroupIds ??
      aws.eks
        .getClusterOutput({ name: props.clusterName }, { parent: this })
        .apply((c) => [c.vpcConfig.clusterSecurityGroupId]);
    const tags = { 'kata-blueprints.io/pool': name, ...(props.tags ?? {}) };

    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      hardenedLaunchTemplateArgs({
        instanceType: props.instanceType,
        securityGroupIds,
        rootVolumeSizeGiB: rootGiB,
        rootVolumeKmsKeyArn: props.rootVolumeKmsKeyArn,
        nestedVirtualization: instance.nestedVirtualization,
        userData,
        tags,
      }),
      { parent: this },
    );
    this.nodeGroup = new aws.eks.NodeGroup(
      `${name}-ng`,
      {
        clusterName: props.clusterName,
        nodeRoleArn: props.nodeRoleArn,
        subnetIds: props.subnetIds,
        amiType: instance.amiType,
        capacityType: 'ON_DEMAND',
        scalingConfig: { desiredSize: size.desired, minSize: size.min, maxSize: size.max },
        launchTemplate: {
          id: this.launchTemplate.id,
          version: this.launchTemplate.latestVersion.apply((v) => `${v}`),
        },
        labels: { ...contract.appliedLabels },
        taints: toCloudTaints(contract.taints),
        updateConfig: { maxUnavailable: 1 },
        ...(props.kubernetesVersion !== undefined ? { version: props.kubernetesVersion } : {}),
        tags,
      },
      {
        parent: this,
        ...(props.ignoreDesiredSizeChanges ? { ignoreChanges: ['scalingConfig.desiredSize'] } : {}),
      },
    );
    this.poolName = name;
    this.contract = contract;
    this.instance = instance;
    this.userData = userData;
    this.registerOutputs({
      nodeGroupArn: this.nodeGroup.arn,
      launchTemplateId: this.launchTemplate.id,
      labels: contract.labels,
      taints: contract.taints,
      runtimes: contract.runtimes.map((r) => r.name),
    });
  }
}
