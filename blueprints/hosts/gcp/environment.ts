/**
 * `GcpKataEnvironment`: a whole GCP environment for the platform: VPC with Cloud NAT, a private GKE
 * Standard cluster (Dataplane V2, Workload Identity, secrets encrypted with Cloud KMS), a system pool,
 * nested-virtualization Kata pools, Cloud KMS for Vault auto-unseal, GCS buckets for Druid and analytics
 * (Spark, Flink) with Workload Identity Federation bindings, kata-deploy and the synthesized manifests.
 */
import { KataEnvironmentWorkloadProps } from '../environment-props';
import * as gcp from '@pulumi/gcp';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import { parseCidr } from '../cidr';
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
  serviceAccountKey,
} from '../service-accounts';
import { GcpNestedVirtNodePool, GkeLocalSsd, checkGcpMachineType } from './node-pool';

/** One Kata node pool of a {@link GcpKataEnvironment}. */
export interface GcpKataPoolSpec {
  /** Pool name (unique in the environment). */
  readonly name: string;
  /** An Intel machine type with nested virtualization, e.g. `n2-standard-16`. */
  readonly machineType: string;
  /** Nodes per zone. */
  readonly nodeCount: number;
  /** Minimum nodes per zone (autoscaling). @default - no autoscaling */
  readonly minNodeCount?: number;
  /** Maximum nodes per zone (autoscaling). @default - no autoscaling */
  readonly maxNodeCount?: number;
  /** Runtimes served. @default [KataRuntime.QEMU] */
  readonly runtimes?: readonly KataRuntime[];
  /** Local NVMe SSDs. @default - none */
  readonly localSsd?: GkeLocalSsd;
  /** Threads per core (1 turns SMT off). @default 2 */
  readonly threadsPerCore?: number;
}

/** Props of {@link GcpKataEnvironment}. */
export interface GcpKataEnvironmentProps extends KataEnvironmentWorkloadProps {
  /** The project. */
  readonly project: string;
  /** The region of the network, cluster and buckets. */
  readonly region: string;
  /**
   * CIDR blocks allowed to reach the control plane's public endpoint; empty for a private endpoint
   * only (then Pulumi must run inside the VPC).
   */
  readonly masterAuthorizedCidrs: readonly string[];
  /** The Kata node pools (at least one). */
  readonly kataPools: readonly GcpKataPoolSpec[];
  /**
   * Node subnet.
   * @default "10.10.0.0/20"
   */
  readonly nodesCidr?: string;
  /**
   * Pod range (secondary range `pods`).
   * @default "10.16.0.0/14"
   */
  readonly podsCidr?: string;
  /**
   * Service range (secondary range `services`).
   * @default "10.20.0.0/20"
   */
  readonly servicesCidr?: string;
  /**
   * Control-plane range of the private cluster (a /28).
   * @default "172.16.0.0/28"
   */
  readonly masterCidr?: string;
  /**
   * Machine type of the system pool.
   * @default "e2-standard-4"
   */
  readonly systemMachineType?: string;
  /**
   * Nodes per zone of the system pool.
   * @default 1
   */
  readonly systemNodeCount?: number;
  /**
   * Install kata-deploy with its Helm chart (4.1.0).
   * @default - true unless the manifests install kata-deploy themselves (then theirs must reach every Kata pool)
   */
  readonly installKataDeploy?: boolean;
  /**
   * Prefix of the bucket names (`<prefix>-druid-deep-storage`, `<prefix>-spark`); globally unique.
   * @default - "<project>-<name>"
   */
  readonly bucketNamePrefix?: string;
  /**
   * Keep the cluster from being deleted by `pulumi destroy`.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** The Workload Identity Federation principal of a Kubernetes service account (no Google service account needed). */
export function gkeWorkloadPrincipal(
  projectNumber: string,
  projectId: string,
  sa: ServiceAccountRef,
): string {
  return (
    `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/` +
    `${projectId}.svc.id.goog/subject/ns/${sa.namespace}/sa/${sa.name}`
  );
}

/**
 * A production GCP environment for Kata workloads on GKE Standard (Autopilot has no nested virtualization).
 * Cloud permissions go to Kubernetes service accounts directly through Workload Identity Federation
 * principals (no Google service accounts, no annotations): Vault's on the unseal key, each of
 * `druidServiceAccounts` on the deep-storage bucket, each of `analyticsServiceAccounts` on the analytics
 * bucket.
 */
export class GcpKataEnvironment extends pulumi.ComponentResource {
  /** The VPC. */
  public readonly network: gcp.compute.Network;
  /** The node subnet. */
  public readonly subnetwork: gcp.compute.Subnetwork;
  /** The cluster. */
  public readonly cluster: gcp.container.Cluster;
  /** The node service account. */
  public readonly nodeServiceAccount: gcp.serviceaccount.Account;
  /** The Kata pools. */
  public readonly kataPools: readonly GcpNestedVirtNodePool[];
  /** The Vault auto-unseal key (use in Vault's `seal "gcpckms"`). */
  public readonly vaultKey: gcp.kms.CryptoKey;
  /** Druid's deep-storage bucket. */
  public readonly druidBucket: gcp.storage.Bucket;
  /** The analytics bucket `<prefix>-spark` (Spark and Flink). */
  public readonly sparkBucket: gcp.storage.Bucket;
  /** Kubeconfig (uses `gke-gcloud-auth-plugin`; secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider. */
  public readonly provider: k8s.Provider;
  /** kata-deploy and the manifests, when deployed. */
  public readonly workloads?: KataWorkloads;

  constructor(name: string, props: GcpKataEnvironmentProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:gcp:KataEnvironment', name, {}, opts);
    const ctx = componentContext('GcpKataEnvironment', name);
    if (!props) throw propError(ctx, 'props', props, 'GcpKataEnvironmentProps');
    if (!/^[a-z][a-z0-9-]{0,24}$/.test(name)) {
      throw propError(
        ctx,
        'name',
        name,
        'lower-case letters, digits and "-", starting with a letter, at most 25 characters',
      );
    }
    if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(props.project ?? ''))
      throw propError(ctx, 'project', props.project, 'a project ID');
    if (!/^[a-z]+-[a-z]+\d$/.test(props.region ?? ''))
      throw propError(ctx, 'region', props.region, 'a region such as "europe-west4"');
    if (!Array.isArray(props.masterAuthorizedCidrs)) {
      throw propError(
        ctx,
        'masterAuthorizedCidrs',
        props.masterAuthorizedCidrs,
        'a list of CIDR blocks ([] for a private endpoint)',
      );
    }
    props.masterAuthorizedCidrs.forEach((c, i) => parseCidr(ctx, `masterAuthorizedCidrs[${i}]`, c));
    const nodesCidr = props.nodesCidr ?? '10.10.0.0/20';
    const podsCidr = props.podsCidr ?? '10.16.0.0/14';
    const servicesCidr = props.servicesCidr ?? '10.20.0.0/20';
    const masterCidr = props.masterCidr ?? '172.16.0.0/28';
    parseCidr(ctx, 'nodesCidr', nodesCidr);
    parseCidr(ctx, 'podsCidr', podsCidr);
    parseCidr(ctx, 'servicesCidr', servicesCidr);
    if (parseCidr(ctx, 'masterCidr', masterCidr).prefix !== 28)
      throw propError(ctx, 'masterCidr', masterCidr, 'a /28 block');
    if (!Array.isArray(props.kataPools) || props.kataPools.length === 0) {
      throw propError(
        ctx,
        'kataPools',
        props.kataPools,
        'at least one Kata pool { name, machineType, nodeCount }',
      );
    }
    const names = new Set<string>();
    const preview = props.kataPools.map((p, i) => {
      if (!p || !/^[a-z][a-z0-9-]{0,20}$/.test(p.name ?? '') || names.has(p.name)) {
        throw propError(
          ctx,
          `kataPools[${i}].name`,
          p?.name,
          'a unique name of lower-case letters, digits and "-"',
        );
      }
      names.add(p.name);
      const pctx = `${ctx} kataPools["${p.name}"]`;
      checkGcpMachineType(pctx, p.machineType);
      if (p.minNodeCount !== undefined || p.maxNodeCount !== undefined) {
        scalingBounds(
          pctx,
          { desired: 'nodeCount', min: 'minNodeCount', max: 'maxNodeCount' },
          p.nodeCount,
          p.minNodeCount ?? 0,
          p.maxNodeCount ?? p.nodeCount,
        );
      } else requireWholeNumber(pctx, 'nodeCount', p.nodeCount, 0, 1000);
      return {
        poolName: `${name}-${p.name}`,
        contract: hostPoolContract(pctx, p.runtimes ?? DEFAULT_POOL_RUNTIMES),
      };
    });
    const systemCount = requireWholeNumber(ctx, 'systemNodeCount', props.systemNodeCount ?? 1, 1, 100);
    const bucketPrefix = props.bucketNamePrefix ?? `${props.project}-${name}`;
    if (!/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/.test(bucketPrefix)) {
      throw propError(ctx, 'bucketNamePrefix', bucketPrefix, '3-40 lower-case letters, digits and "-"');
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
    if (props.deployWorkloads ?? true)
      preflightWorkloads(ctx, props.manifestsDir ?? 'dist', preview, props.installKataDeploy);

    const child = { parent: this };
    const project = props.project;
    const region = props.region;
    const projectNumber = gcp.organizations
      .getProjectOutput({ projectId: project }, child)
      .apply((p) => p.number);
    const labels = { 'kata-blueprints-environment': name };

    // Network.
    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      { project, autoCreateSubnetworks: false, routingMode: 'REGIONAL' },
      child,
    );
    this.subnetwork = new gcp.compute.Subnetwork(
      `${name}-nodes`,
      {
        project,
        region,
        network: this.network.id,
        ipCidrRange: nodesCidr,
        privateIpGoogleAccess: true,
        secondaryIpRanges: [
          { rangeName: 'pods', ipCidrRange: podsCidr },
          { rangeName: 'services', ipCidrRange: servicesCidr },
        ],
        logConfig: {
          aggregationInterval: 'INTERVAL_5_SEC',
          flowSampling: 0.5,
          metadata: 'INCLUDE_ALL_METADATA',
        },
      },
      child,
    );
    const router = new gcp.compute.Router(
      `${name}-router`,
      { project, region, network: this.network.id },
      child,
    );
    new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        project,
        region,
        router: router.name,
        natIpAllocateOption: 'AUTO_ONLY',
        sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
        logConfig: { enable: true, filter: 'ERRORS_ONLY' },
      },
      child,
    );

    // KMS: cluster secrets and Vault auto-unseal.
    const keyRing = new gcp.kms.KeyRing(
      `${name}-keyring`,
      { project, location: region, name: `${name}-keyring` },
      child,
    );
    const secretsKey = new gcp.kms.CryptoKey(
      `${name}-gke-secrets`,
      {
        keyRing: keyRing.id,
        name: 'gke-secrets',
        purpose: 'ENCRYPT_DECRYPT',
        rotationPeriod: '7776000s',
        labels,
      },
      child,
    );
    const gkeAgent = new gcp.kms.CryptoKeyIAMMember(
      `${name}-gke-secrets`,
      {
        cryptoKeyId: secretsKey.id,
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member: pulumi.interpolate`serviceAccount:service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`,
      },
      child,
    );

    // Node identity: least privilege.
    this.nodeServiceAccount = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      { project, accountId: `${name}-nodes`, displayName: `${name} GKE nodes` },
      child,
    );
    const nodeRoles = [
      'roles/logging.logWriter',
      'roles/monitoring.metricWriter',
      'roles/monitoring.viewer',
      'roles/stackdriver.resourceMetadata.writer',
      'roles/artifactregistry.reader',
    ].map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-nodes-${role.split('/')[1]}`,
          { project, role, member: pulumi.interpolate`serviceAccount:${this.nodeServiceAccount.email}` },
          child,
        ),
    );

    // Cluster.
    const publicEndpoint = props.masterAuthorizedCidrs.length > 0;
    this.cluster = new gcp.container.Cluster(
      `${name}-gke`,
      {
        project,
        name,
        location: region,
        network: this.network.id,
        subnetwork: this.subnetwork.id,
        networkingMode: 'VPC_NATIVE',
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: {
          serviceAccount: this.nodeServiceAccount.email,
          oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          workloadMetadataConfig: { mode: 'GKE_METADATA' },
        },
        deletionProtection: props.deletionProtection ?? true,
        releaseChannel: { channel: 'REGULAR' },
        datapathProvider: 'ADVANCED_DATAPATH',
        enableShieldedNodes: true,
        ipAllocationPolicy: { clusterSecondaryRangeName: 'pods', servicesSecondaryRangeName: 'services' },
        privateClusterConfig: {
          enablePrivateNodes: true,
          enablePrivateEndpoint: !publicEndpoint,
          masterIpv4CidrBlock: masterCidr,
        },
        masterAuthorizedNetworksConfig: {
          cidrBlocks: props.masterAuthorizedCidrs.map((c, i) => ({
            cidrBlock: c,
            displayName: `authorized-${i}`,
          })),
        },
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
        databaseEncryption: { state: 'ENCRYPTED', keyName: secretsKey.id },
        resourceLabels: labels,
      },
      { parent: this, dependsOn: [gkeAgent] },
    );
    const systemPool = new gcp.container.NodePool(
      `${name}-system`,
      {
        project,
        cluster: this.cluster.name,
        location: region,
        nodeCount: systemCount,
        management: { autoRepair: true, autoUpgrade: true },
        nodeConfig: {
          machineType: props.systemMachineType ?? 'e2-standard-4',
          imageType: 'COS_CONTAINERD',
          serviceAccount: this.nodeServiceAccount.email,
          oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          workloadMetadataConfig: { mode: 'GKE_METADATA' },
          labels: { 'kata-blueprints.io/role': 'system' },
        },
      },
      { parent: this, dependsOn: nodeRoles },
    );
    this.kataPools = props.kataPools.map(
      (p) =>
        new GcpNestedVirtNodePool(
          `${name}-${p.name}`,
          {
            cluster: this.cluster.name,
            location: region,
            machineType: p.machineType,
            nodeCount: p.nodeCount,
            minNodeCount: p.minNodeCount,
            maxNodeCount: p.maxNodeCount,
            runtimes: p.runtimes,
            localSsd: p.localSsd,
            threadsPerCore: p.threadsPerCore,
            serviceAccount: this.nodeServiceAccount.email,
          },
          { parent: this, dependsOn: nodeRoles },
        ),
    );

    // Vault auto-unseal: a key and its use granted to Vault's Kubernetes service account.
    this.vaultKey = new gcp.kms.CryptoKey(
      `${name}-vault-unseal`,
      {
        keyRing: keyRing.id,
        name: 'vault-unseal',
        purpose: 'ENCRYPT_DECRYPT',
        rotationPeriod: '7776000s',
        labels,
      },
      child,
    );
    const principal = (sa: ServiceAccountRef): pulumi.Output<string> =>
      projectNumber.apply((n) => gkeWorkloadPrincipal(n, project, sa));
    for (const role of ['roles/cloudkms.cryptoKeyEncrypterDecrypter', 'roles/cloudkms.viewer']) {
      new gcp.kms.CryptoKeyIAMMember(
        `${name}-vault-${role.split('.')[1]}`,
        { cryptoKeyId: this.vaultKey.id, role, member: principal(vaultSa) },
        child,
      );
    }

    // Buckets.
    const bucket = (purpose: string, sas: readonly ServiceAccountRef[]): gcp.storage.Bucket => {
      const b = new gcp.storage.Bucket(
        `${name}-${purpose}`,
        {
          project,
          name: `${bucketPrefix}-${purpose}`,
          location: region.toUpperCase(),
          uniformBucketLevelAccess: true,
          publicAccessPrevention: 'enforced',
          versioning: { enabled: true },
          forceDestroy: false,
          lifecycleRules: [
            { action: { type: 'Delete' }, condition: { daysSinceNoncurrentTime: 30 } },
            { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
          ],
          labels,
        },
        child,
      );
      for (const sa of sas) {
        new gcp.storage.BucketIAMMember(
          `${name}-${purpose}-${serviceAccountKey(sa)}`,
          { bucket: b.name, role: 'roles/storage.objectUser', member: principal(sa) },
          child,
        );
      }
      return b;
    };
    this.druidBucket = bucket('druid-deep-storage', druidSas);
    this.sparkBucket = bucket('spark', analyticsSas);

    // Kubernetes access.
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.masterAuth])
        .apply(([clusterName, endpoint, auth]) =>
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Config',
            clusters: [
              {
                name: clusterName,
                cluster: {
                  server: `https://${endpoint}`,
                  'certificate-authority-data': auth.clusterCaCertificate,
                },
              },
            ],
            contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
            'current-context': clusterName,
            users: [
              {
                name: clusterName,
                user: {
                  exec: {
                    apiVersion: 'client.authentication.k8s.io/v1beta1',
                    command: 'gke-gcloud-auth-plugin',
                    provideClusterInfo: true,
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
        { parent: this, dependsOn: [systemPool, ...this.kataPools] },
      );
    }
    this.registerOutputs({
      clusterName: this.cluster.name,
      kubeconfig: this.kubeconfig,
      vaultKmsKeyId: this.vaultKey.id,
      druidBucket: this.druidBucket.name,
      sparkBucket: this.sparkBucket.name,
    });
  }
}
