/**
 * `AwsKataEnvironment`: a whole AWS environment for the platform: VPC, EKS, a system node group, Kata
 * node pools, KMS + Pod Identity for Vault auto-unseal, S3 buckets for Druid deep storage and Spark,
 * kata-deploy, and the synthesized manifests.
 */
import { KataEnvironmentWorkloadProps } from '../environment-props';
import * as aws from '@pulumi/aws';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import { carveZoneSubnets, parseCidr } from '../cidr';
import { LocalDisks } from '../node-script';
import { hostPoolContract } from '../contract';
import { KataWorkloads, preflightWorkloads } from '../workloads';
import {
  DEFAULT_POOL_RUNTIMES,
  ServiceAccountRef,
  checkServiceAccount,
  componentContext,
  requireWholeNumber,
  scalingBounds,
} from '../validate';
import {
  DEFAULT_DRUID_SERVICE_ACCOUNTS,
  DEFAULT_VAULT_SERVICE_ACCOUNT,
  checkServiceAccounts,
  refuseSharedServiceAccounts,
  serviceAccountKey,
} from '../service-accounts';
import { classifyAwsInstanceType } from './instance-types';
import { AwsMetalNodePool, hardenedLaunchTemplateArgs } from './node-pool';

/** One Kata node pool of an {@link AwsKataEnvironment}. */
export interface AwsKataPoolSpec {
  /** Pool name (unique in the environment). */
  readonly name: string;
  /** A `*.metal` or C8i/M8i/R8i type. */
  readonly instanceType: string;
  /** Nodes to start with. */
  readonly desiredSize: number;
  /** Minimum nodes. @default - desiredSize */
  readonly minSize?: number;
  /** Maximum nodes. @default - desiredSize */
  readonly maxSize?: number;
  /** Runtimes served. @default [KataRuntime.QEMU] */
  readonly runtimes?: readonly KataRuntime[];
  /** Local volumes. @default LocalDisks.awsInstanceStore() */
  readonly localDisks?: LocalDisks;
  /** Root volume GiB. @default 100 */
  readonly rootVolumeSizeGiB?: number;
}

/** Props of {@link AwsKataEnvironment}. */
export interface AwsKataEnvironmentProps extends KataEnvironmentWorkloadProps {
  /** Availability zones of the VPC and nodes (at least 2: EKS requires two). */
  readonly availabilityZones: readonly string[];
  /**
   * CIDR blocks allowed to reach the public API endpoint; empty for a private endpoint only (then
   * Pulumi must run inside the VPC).
   */
  readonly apiPublicAccessCidrs: readonly string[];
  /** The Kata node pools (at least one). */
  readonly kataPools: readonly AwsKataPoolSpec[];
  /**
   * EKS Kubernetes version.
   * @default "1.33"
   */
  readonly kubernetesVersion?: string;
  /**
   * The VPC block.
   * @default "10.0.0.0/16"
   */
  readonly vpcCidr?: string;
  /**
   * One NAT gateway for all zones instead of one per zone (cheaper, not zone-redundant).
   * @default false
   */
  readonly singleNatGateway?: boolean;
  /**
   * Instance type of the system node group (CoreDNS, controllers, kata-deploy's Helm hooks).
   * @default "m7i.large"
   */
  readonly systemInstanceType?: string;
  /**
   * Nodes of the system node group.
   * @default 2
   */
  readonly systemNodeCount?: number;
  /**
   * Install kata-deploy with its Helm chart (4.1.0).
   * @default - true unless the manifests install kata-deploy themselves (then theirs must reach every Kata pool)
   */
  readonly installKataDeploy?: boolean;
  /**
   * Prefix of the S3 bucket names (`<prefix>-druid-deep-storage`, `<prefix>-spark`); globally unique.
   * @default - the component name
   */
  readonly bucketNamePrefix?: string;
  /**
   * Tags on every resource.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

const ASSUME_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ASSUME_EKS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
});
/** Trust policy of roles used through EKS Pod Identity. */
export const ASSUME_POD_IDENTITY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
});

/**
 * A production AWS environment for Kata workloads.
 *
 * - VPC over the given zones: private node subnets, public subnets for NAT and load balancers, NAT per
 *   zone, the default security group emptied.
 * - EKS with secrets encrypted by a dedicated KMS key, control-plane logs, API authentication mode, a
 *   system managed node group and the Kata pools (`AwsMetalNodePool`), the Pod Identity agent and the
 *   EBS CSI driver.
 * - Vault auto-unseal: a KMS key with rotation and the alias `alias/<name>-vault-unseal`, and a role bound
 *   to Vault's service account with EKS Pod Identity (no annotation needed in the manifests).
 * - S3 buckets for Druid deep storage and analytics (Spark, Flink): KMS-encrypted, versioned, public
 *   access blocked, TLS only, bucket-owner-enforced, each with a role and one Pod Identity association
 *   per listed service account (`druidServiceAccounts`, `analyticsServiceAccounts`).
 * - kata-deploy and the synthesized manifests (`KataWorkloads`), checked against the pools' runtimes.
 */
export class AwsKataEnvironment extends pulumi.ComponentResource {
  /** The VPC. */
  public readonly vpc: aws.ec2.Vpc;
  /** Private (node) subnets by zone order. */
  public readonly privateSubnets: readonly aws.ec2.Subnet[];
  /** Public subnets by zone order. */
  public readonly publicSubnets: readonly aws.ec2.Subnet[];
  /** The EKS cluster. */
  public readonly cluster: aws.eks.Cluster;
  /** The node role. */
  public readonly nodeRole: aws.iam.Role;
  /** The system node group. */
  public readonly systemNodeGroup: aws.eks.NodeGroup;
  /** The Kata pools. */
  public readonly kataPools: readonly AwsMetalNodePool[];
  /** The Vault auto-unseal key. */
  public readonly vaultKey: aws.kms.Key;
  /** Its alias (use it as `kms_key_id` in Vault's `seal "awskms"`). */
  public readonly vaultKeyAlias: aws.kms.Alias;
  /** Druid's deep-storage bucket. */
  public readonly druidBucket: aws.s3.Bucket;
  /** The analytics bucket `<prefix>-spark` (Spark and Flink event logs, checkpoints, warehouse). */
  public readonly sparkBucket: aws.s3.Bucket;
  /**
   * Roles bound to service accounts, by purpose: `vault` (vaultServiceAccount), `druid`
   * (druidServiceAccounts), `spark` (the analytics bucket; analyticsServiceAccounts).
   */
  public readonly workloadRoles: Readonly<Record<string, aws.iam.Role>>;
  /** Kubeconfig of the cluster (uses `aws eks get-token`; secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider. */
  public readonly provider: k8s.Provider;
  /** kata-deploy and the manifests, when deployed. */
  public readonly workloads?: KataWorkloads;

  constructor(name: string, props: AwsKataEnvironmentProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:aws:KataEnvironment', name, {}, opts);
    const ctx = componentContext('AwsKataEnvironment', name);
    if (!props) throw propError(ctx, 'props', props, 'AwsKataEnvironmentProps');
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,37}$/.test(name)) {
      throw propError(
        ctx,
        'name',
        name,
        'letters, digits and "-", starting with a letter, at most 38 characters (the EKS cluster name)',
      );
    }
    const zones = props.availabilityZones;
    if (!Array.isArray(zones) || zones.length < 2 || new Set(zones).size !== zones.length) {
      throw propError(
        ctx,
        'availabilityZones',
        zones,
        'at least 2 distinct zones (EKS needs subnets in two zones)',
      );
    }
    if (!Array.isArray(props.apiPublicAccessCidrs)) {
      throw propError(
        ctx,
        'apiPublicAccessCidrs',
        props.apiPublicAccessCidrs,
        'a list of CIDR blocks ([] for a private endpoint)',
      );
    }
    props.apiPublicAccessCidrs.forEach((c, i) => parseCidr(ctx, `apiPublicAccessCidrs[${i}]`, c));
    if (!Array.isArray(props.kataPools) || props.kataPools.length === 0) {
      throw propError(
        ctx,
        'kataPools',
        props.kataPools,
        'at least one Kata pool { name, instanceType, desiredSize }',
      );
    }
    const poolNames = new Set<string>();
    props.kataPools.forEach((p, i) => {
      if (!p || !/^[a-z][a-z0-9-]{0,30}$/.test(p.name ?? '') || poolNames.has(p.name)) {
        throw propError(
          ctx,
          `kataPools[${i}].name`,
          p?.name,
          'a unique name of lower-case letters, digits and "-"',
        );
      }
      poolNames.add(p.name);
    });
    const version = props.kubernetesVersion ?? '1.33';
    if (!/^1\.\d{1,3}$/.test(version))
      throw propError(ctx, 'kubernetesVersion', version, 'a minor version such as "1.33"');
    const subnets = carveZoneSubnets(ctx, props.vpcCidr ?? '10.0.0.0/16', zones.length);
    const systemCount = requireWholeNumber(ctx, 'systemNodeCount', props.systemNodeCount ?? 2, 1, 100);
    const bucketPrefix = props.bucketNamePrefix ?? name.toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/.test(bucketPrefix)) {
      throw propError(
        ctx,
        'bucketNamePrefix',
        bucketPrefix,
        '3-40 lower-case letters, digits and "-" (S3 bucket name rules)',
      );
    }
    const vaultSa = checkServiceAccount(
      ctx,
      'vaultServiceAccount',
      props.vaultServiceAccount ?? DEFAULT_VAULT_SERVICE_ACCOUNT,
    );
    const druidSas = checkServiceAccounts(
      ctx,
      'druidServiceAccounts',
      props.druidServiceAccounts ?? DEFAULT_DRUID_SERVICE_ACCOUNTS,
    );
    const analyticsSas = checkServiceAccounts(
      ctx,
      'analyticsServiceAccounts',
      props.analyticsServiceAccounts ?? [],
    );
    refuseSharedServiceAccounts(
      ctx,
      [
        { prop: 'vaultServiceAccount', serviceAccounts: [vaultSa], single: true },
        { prop: 'druidServiceAccounts', serviceAccounts: druidSas },
        { prop: 'analyticsServiceAccounts', serviceAccounts: analyticsSas },
      ],
      'EKS Pod Identity associates one role with each service account',
    );
    // Validate every pool, and the manifests against them, before creating anything.
    const preview = props.kataPools.map((p) => {
      const pctx = `${ctx} kataPools["${p.name}"]`;
      const instance = classifyAwsInstanceType(pctx, p.instanceType);
      scalingBounds(
        pctx,
        { desired: 'desiredSize', min: 'minSize', max: 'maxSize' },
        p.desiredSize,
        p.minSize,
        p.maxSize,
      );
      const contract = hostPoolContract(pctx, p.runtimes ?? DEFAULT_POOL_RUNTIMES, {
        architecture: instance.architecture,
      });
      return { poolName: `${name}-${p.name}`, contract };
    });
    if (props.deployWorkloads ?? true)
      preflightWorkloads(ctx, props.manifestsDir ?? 'dist', preview, props.installKataDeploy);

    const tags = { 'kata-blueprints.io/environment': name, ...(props.tags ?? {}) };
    const child = { parent: this };

    // Network.
    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: props.vpcCidr ?? '10.0.0.0/16',
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: { ...tags, Name: `${name}-vpc` },
      },
      child,
    );
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: this.vpc.id, ingress: [], egress: [], tags },
      child,
    );
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags }, child);
    const publicRt = new aws.ec2.RouteTable(
      `${name}-public-rt`,
      { vpcId: this.vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags },
      child,
    );
    const publicSubnets: aws.ec2.Subnet[] = [];
    const privateSubnets: aws.ec2.Subnet[] = [];
    const nats: aws.ec2.NatGateway[] = [];
    zones.forEach((zone, i) => {
      const pub = new aws.ec2.Subnet(
        `${name}-public-${zone}`,
        {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock: subnets.publicSubnets[i],
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-public-${zone}`, 'kubernetes.io/role/elb': '1' },
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${zone}`,
        { subnetId: pub.id, routeTableId: publicRt.id },
        child,
      );
      publicSubnets.push(pub);
      if (i === 0 || !props.singleNatGateway) {
        const eip = new aws.ec2.Eip(`${name}-nat-${zone}`, { domain: 'vpc', tags }, child);
        nats.push(
          new aws.ec2.NatGateway(
            `${name}-nat-${zone}`,
            { allocationId: eip.id, subnetId: pub.id, tags },
            { parent: this, dependsOn: [igw] },
          ),
        );
      }
      const priv = new aws.ec2.Subnet(
        `${name}-private-${zone}`,
        {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock: subnets.privateSubnets[i],
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-private-${zone}`, 'kubernetes.io/role/internal-elb': '1' },
        },
        child,
      );
      const rt = new aws.ec2.RouteTable(
        `${name}-private-${zone}`,
        {
          vpcId: this.vpc.id,
          routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nats[nats.length - 1].id }],
          tags,
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${zone}`,
        { subnetId: priv.id, routeTableId: rt.id },
        child,
      );
      privateSubnets.push(priv);
    });
    this.publicSubnets = publicSubnets;
    this.privateSubnets = privateSubnets;
    const privateSubnetIds = privateSubnets.map((s) => s.id);

    // Cluster.
    const secretsKey = new aws.kms.Key(
      `${name}-eks-secrets`,
      {
        description: `${name}: EKS secrets envelope encryption`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags,
      },
      child,
    );
    const clusterRole = new aws.iam.Role(`${name}-cluster`, { assumeRolePolicy: ASSUME_EKS, tags }, child);
    const clusterPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-cluster`,
      { role: clusterRole.name, policyArn: 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy' },
      child,
    );
    this.cluster = new aws.eks.Cluster(
      `${name}-eks`,
      {
        name,
        version,
        roleArn: clusterRole.arn,
        vpcConfig: {
          subnetIds: privateSubnetIds,
          endpointPrivateAccess: true,
          endpointPublicAccess: props.apiPublicAccessCidrs.length > 0,
          ...(props.apiPublicAccessCidrs.length > 0
            ? { publicAccessCidrs: [...props.apiPublicAccessCidrs] }
            : {}),
        },
        accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
        encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ['secrets'] },
        enabledClusterLogTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
        tags,
      },
      { parent: this, dependsOn: [clusterPolicy] },
    );
    const clusterSg = this.cluster.vpcConfig.apply((v) => [v.clusterSecurityGroupId]);

    this.nodeRole = new aws.iam.Role(`${name}-nodes`, { assumeRolePolicy: ASSUME_EC2, tags }, child);
    const nodePolicies = [
      'AmazonEKSWorkerNodePolicy',
      'AmazonEKS_CNI_Policy',
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonSSMManagedInstanceCore',
    ].map(
      (p) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-nodes-${p}`,
          { role: this.nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` },
          child,
        ),
    );

    const systemLt = new aws.ec2.LaunchTemplate(
      `${name}-system-lt`,
      hardenedLaunchTemplateArgs({
        instanceType: props.systemInstanceType ?? 'm7i.large',
        securityGroupIds: clusterSg,
        rootVolumeSizeGiB: 50,
        tags: { ...tags, 'kata-blueprints.io/pool': 'system' },
      }),
      child,
    );
    this.systemNodeGroup = new aws.eks.NodeGroup(
      `${name}-system`,
      {
        clusterName: this.cluster.name,
        nodeRoleArn: this.nodeRole.arn,
        subnetIds: privateSubnetIds,
        amiType: 'AL2023_x86_64_STANDARD',
        scalingConfig: { desiredSize: systemCount, minSize: systemCount, maxSize: systemCount * 2 },
        launchTemplate: { id: systemLt.id, version: systemLt.latestVersion.apply((v) => `${v}`) },
        labels: { 'kata-blueprints.io/role': 'system' },
        updateConfig: { maxUnavailable: 1 },
        tags,
      },
      { parent: this, dependsOn: nodePolicies },
    );

    this.kataPools = props.kataPools.map(
      (p) =>
        new AwsMetalNodePool(
          `${name}-${p.name}`,
          {
            clusterName: this.cluster.name,
            nodeRoleArn: this.nodeRole.arn,
            subnetIds: privateSubnetIds,
            securityGroupIds: clusterSg,
            instanceType: p.instanceType,
            desiredSize: p.desiredSize,
            minSize: p.minSize,
            maxSize: p.maxSize,
            runtimes: p.runtimes,
            localDisks: p.localDisks,
            rootVolumeSizeGiB: p.rootVolumeSizeGiB,
            tags,
          },
          { parent: this, dependsOn: nodePolicies },
        ),
    );

    // Add-ons: Pod Identity agent, EBS CSI driver (PVCs of Vault, Cassandra, Kafka).
    const podIdentityAgent = new aws.eks.Addon(
      `${name}-pod-identity-agent`,
      {
        clusterName: this.cluster.name,
        addonName: 'eks-pod-identity-agent',
        resolveConflictsOnUpdate: 'OVERWRITE',
        tags,
      },
      { parent: this, dependsOn: [this.systemNodeGroup] },
    );
    const ebsRole = new aws.iam.Role(
      `${name}-ebs-csi`,
      { assumeRolePolicy: ASSUME_POD_IDENTITY, tags },
      child,
    );
    const ebsPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-ebs-csi`,
      { role: ebsRole.name, policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy' },
      child,
    );
    const ebsCsi = new aws.eks.Addon(
      `${name}-ebs-csi`,
      {
        clusterName: this.cluster.name,
        addonName: 'aws-ebs-csi-driver',
        resolveConflictsOnUpdate: 'OVERWRITE',
        podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: 'ebs-csi-controller-sa' }],
        tags,
      },
      { parent: this, dependsOn: [podIdentityAgent, ebsPolicy] },
    );

    // Vault auto-unseal.
    this.vaultKey = new aws.kms.Key(
      `${name}-vault-unseal`,
      { description: `${name}: Vault auto-unseal`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
      child,
    );
    this.vaultKeyAlias = new aws.kms.Alias(
      `${name}-vault-unseal`,
      { name: `alias/${name}-vault-unseal`, targetKeyId: this.vaultKey.keyId },
      child,
    );
    // One role per purpose; one Pod Identity association per service account that assumes it.
    const bind = (
      purpose: string,
      sas: readonly { readonly resourceName: string; readonly sa: ServiceAccountRef }[],
      policy: pulumi.Output<string>,
    ): aws.iam.Role => {
      const role = new aws.iam.Role(
        `${name}-${purpose}`,
        { assumeRolePolicy: ASSUME_POD_IDENTITY, tags },
        child,
      );
      new aws.iam.RolePolicy(`${name}-${purpose}`, { role: role.id, policy }, child);
      for (const { resourceName, sa } of sas) {
        new aws.eks.PodIdentityAssociation(
          resourceName,
          {
            clusterName: this.cluster.name,
            namespace: sa.namespace,
            serviceAccount: sa.name,
            roleArn: role.arn,
            tags,
          },
          { parent: this, dependsOn: [podIdentityAgent] },
        );
      }
      return role;
    };
    // Associations of the lists are named after their account; Vault's single one keeps `<name>-vault`.
    const each = (purpose: string, sas: readonly ServiceAccountRef[]) =>
      sas.map((sa) => ({ resourceName: `${name}-${purpose}-${serviceAccountKey(sa)}`, sa }));
    const vaultRole = bind(
      'vault',
      [{ resourceName: `${name}-vault`, sa: vaultSa }],
      pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
            Resource: this.vaultKey.arn,
          },
        ],
      }),
    );

    // Buckets.
    const dataKey = new aws.kms.Key(
      `${name}-data`,
      {
        description: `${name}: Druid and Spark buckets`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags,
      },
      child,
    );
    const bucket = (purpose: string, bucketName: string): aws.s3.Bucket => {
      const b = new aws.s3.Bucket(
        `${name}-${purpose}`,
        { bucket: bucketName, forceDestroy: false, tags },
        child,
      );
      new aws.s3.BucketPublicAccessBlock(
        `${name}-${purpose}`,
        {
          bucket: b.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        child,
      );
      new aws.s3.BucketOwnershipControls(
        `${name}-${purpose}`,
        { bucket: b.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
        child,
      );
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-${purpose}`,
        {
          bucket: b.id,
          rules: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: dataKey.arn },
              bucketKeyEnabled: true,
            },
          ],
        },
        child,
      );
      new aws.s3.BucketVersioning(
        `${name}-${purpose}`,
        { bucket: b.id, versioningConfiguration: { status: 'Enabled' } },
        child,
      );
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-${purpose}`,
        {
          bucket: b.id,
          rules: [
            {
              id: 'abort-incomplete-uploads',
              status: 'Enabled',
              filter: {},
              abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
            {
              id: 'expire-old-versions',
              status: 'Enabled',
              filter: {},
              noncurrentVersionExpiration: { noncurrentDays: 30 },
            },
          ],
        },
        child,
      );
      new aws.s3.BucketPolicy(
        `${name}-${purpose}`,
        {
          bucket: b.id,
          policy: pulumi.jsonStringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DenyInsecureTransport',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: [b.arn, pulumi.interpolate`${b.arn}/*`],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          }),
        },
        child,
      );
      return b;
    };
    this.druidBucket = bucket('druid-deep-storage', `${bucketPrefix}-druid-deep-storage`);
    this.sparkBucket = bucket('spark', `${bucketPrefix}-spark`);
    const bucketAccess = (b: aws.s3.Bucket): pulumi.Output<string> =>
      pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: b.arn },
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
            Resource: pulumi.interpolate`${b.arn}/*`,
          },
          { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: dataKey.arn },
        ],
      });
    const druidRole = bind('druid', each('druid', druidSas), bucketAccess(this.druidBucket));
    const sparkRole = bind('spark', each('spark', analyticsSas), bucketAccess(this.sparkBucket));
    this.workloadRoles = { vault: vaultRole, druid: druidRole, spark: sparkRole };

    // Kubernetes access.
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.endpoint, this.cluster.certificateAuthority, this.cluster.name])
        .apply(([endpoint, ca, clusterName]) =>
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Config',
            clusters: [
              { name: clusterName, cluster: { server: endpoint, 'certificate-authority-data': ca.data } },
            ],
            contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
            'current-context': clusterName,
            users: [
              {
                name: clusterName,
                user: {
                  exec: {
                    apiVersion: 'client.authentication.k8s.io/v1beta1',
                    command: 'aws',
                    args: ['eks', 'get-token', '--cluster-name', clusterName, '--output', 'json'],
                    interactiveMode: 'Never',
                  },
                },
              },
            ],
          }),
        ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig },
      { parent: this, dependsOn: [this.cluster] },
    );
    if (props.deployWorkloads ?? true) {
      this.workloads = new KataWorkloads(
        `${name}-workloads`,
        {
          provider: this.provider,
          pools: this.kataPools,
          manifestsDir: props.manifestsDir,
          installKataDeploy: props.installKataDeploy,
        },
        { parent: this, dependsOn: [this.systemNodeGroup, ebsCsi, ...this.kataPools] },
      );
    }
    this.registerOutputs({
      clusterName: this.cluster.name,
      kubeconfig: this.kubeconfig,
      vaultKmsKeyAlias: this.vaultKeyAlias.name,
      vaultKmsKeyArn: this.vaultKey.arn,
      druidBucket: this.druidBucket.bucket,
      sparkBucket: this.sparkBucket.bucket,
      vaultRoleArn: vaultRole.arn,
      druidRoleArn: druidRole.arn,
      sparkRoleArn: sparkRole.arn,
    });
  }
}
