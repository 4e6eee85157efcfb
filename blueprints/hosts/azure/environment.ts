/**
 * `AzureKataEnvironment`: a whole Azure environment for the platform on AKS Pod Sandboxing: resource
 * group, VNet, AKS (Azure CNI overlay, Calico network policy, OIDC issuer and Workload Identity), Pod
 * Sandboxing pools, Key Vault with an unseal key for Vault, a storage account with containers for Druid
 * and analytics (Spark, Flink), federated identities for their service accounts, and the synthesized
 * manifests.
 */
import { KataEnvironmentWorkloadProps } from '../environment-props';
import * as authorization from '@pulumi/azure-native/authorization';
import * as containerservice from '@pulumi/azure-native/containerservice';
import * as keyvault from '@pulumi/azure-native/keyvault';
import * as managedidentity from '@pulumi/azure-native/managedidentity';
import * as network from '@pulumi/azure-native/network';
import * as resources from '@pulumi/azure-native/resources';
import * as storage from '@pulumi/azure-native/storage';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import { parseCidr, subnetCidr, formatCidr } from '../cidr';
import { RuntimeInstaller, hostPoolContract } from '../contract';
import { KataWorkloads, preflightWorkloads } from '../workloads';
import {
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
import { AzureKataNodePool } from './agent-pool';
import { checkAzureVmSize } from './vm-sizes';

/** Built-in role "Key Vault Crypto User". */
export const KEY_VAULT_CRYPTO_USER_ROLE = '12338af0-0e69-4776-bea7-57ae8d297424';
/** Built-in role "Storage Blob Data Contributor". */
export const STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';

/** One Pod Sandboxing pool of an {@link AzureKataEnvironment}. */
export interface AzureKataPoolSpec {
  /** Pool name (1-12 lower-case letters and digits, starting with a letter). */
  readonly name: string;
  /** A generation-2 nested-virtualization size, e.g. `Standard_D8s_v5`. */
  readonly vmSize: string;
  /** Nodes to start with. */
  readonly nodeCount: number;
  /** Minimum nodes (autoscaling). @default - no autoscaling */
  readonly minCount?: number;
  /** Maximum nodes (autoscaling). @default - no autoscaling */
  readonly maxCount?: number;
  /** Availability zones. @default - none */
  readonly availabilityZones?: readonly string[];
}

/** Props of {@link AzureKataEnvironment}. */
export interface AzureKataEnvironmentProps extends KataEnvironmentWorkloadProps {
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
  /** IP ranges allowed to reach the API server; empty for a private cluster. */
  readonly apiAuthorizedIpRanges: readonly string[];
  /** The Pod Sandboxing pools (at least one). */
  readonly kataPools: readonly AzureKataPoolSpec[];
  /**
   * AKS Kubernetes version.
   * @default "1.33"
   */
  readonly kubernetesVersion?: string;
  /**
   * The VNet block; the node subnet is its first /20.
   * @default "10.40.0.0/16"
   */
  readonly vnetCidr?: string;
  /**
   * VM size of the system pool.
   * @default "Standard_D4s_v5"
   */
  readonly systemVmSize?: string;
  /**
   * Nodes of the system pool.
   * @default 2
   */
  readonly systemNodeCount?: number;
  /**
   * Storage account name (3-24 lower-case letters and digits; globally unique).
   * @default - the component name without other characters, plus "data"
   */
  readonly storageAccountName?: string;
  /**
   * Key Vault name (3-24 letters, digits and "-"; globally unique).
   * @default - "<name>-kv"
   */
  readonly keyVaultName?: string;
  /**
   * Tags on every resource.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A production Azure environment for Kata workloads with AKS Pod Sandboxing (`kata-vm-isolation`).
 * AKS installs the runtime, so no kata-deploy; workloads must use `KataRuntime.AKS_VM_ISOLATION`.
 * Workload Identity needs the service accounts annotated with the output client IDs
 * (`azure.workload.identity/client-id`: every account of `druidServiceAccounts` with the `druid` identity's,
 * every account of `analyticsServiceAccounts` with the `spark` identity's) and the pods labelled
 * `azure.workload.identity/use: "true"`.
 */
export class AzureKataEnvironment extends pulumi.ComponentResource {
  /** The resource group. */
  public readonly resourceGroup: resources.ResourceGroup;
  /** The node subnet. */
  public readonly nodeSubnet: network.Subnet;
  /** The cluster. */
  public readonly cluster: containerservice.ManagedCluster;
  /** The Pod Sandboxing pools. */
  public readonly kataPools: readonly AzureKataNodePool[];
  /** The Key Vault holding the Vault unseal key (use in Vault's `seal "azurekeyvault"`). */
  public readonly keyVault: keyvault.Vault;
  /** The unseal key. */
  public readonly vaultKey: keyvault.Key;
  /** The storage account for Druid and analytics (containers `druid-deep-storage` and `spark`). */
  public readonly storageAccount: storage.StorageAccount;
  /**
   * User-assigned identities by purpose: `vault` (vaultServiceAccount), `druid` (druidServiceAccounts),
   * `spark` (the analytics container; analyticsServiceAccounts).
   */
  public readonly identities: Readonly<Record<string, managedidentity.UserAssignedIdentity>>;
  /** Kubeconfig (cluster user credentials; secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider. */
  public readonly provider: k8s.Provider;
  /** The manifests, when deployed. */
  public readonly workloads?: KataWorkloads;

  constructor(name: string, props: AzureKataEnvironmentProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:azure:KataEnvironment', name, {}, opts);
    const ctx = componentContext('AzureKataEnvironment', name);
    if (!props) throw propError(ctx, 'props', props, 'AzureKataEnvironmentProps');
    if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) {
      throw propError(
        ctx,
        'name',
        name,
        'lower-case letters, digits and "-", starting with a letter, at most 20 characters',
      );
    }
    if (!/^[a-z0-9]+$/.test(props.location ?? ''))
      throw propError(ctx, 'location', props.location, 'a region such as "westeurope"');
    if (!Array.isArray(props.apiAuthorizedIpRanges)) {
      throw propError(
        ctx,
        'apiAuthorizedIpRanges',
        props.apiAuthorizedIpRanges,
        'a list of CIDR blocks ([] for a private cluster)',
      );
    }
    props.apiAuthorizedIpRanges.forEach((c, i) => parseCidr(ctx, `apiAuthorizedIpRanges[${i}]`, c));
    const version = props.kubernetesVersion ?? '1.33';
    if (!/^1\.\d{1,3}(\.\d+)?$/.test(version))
      throw propError(ctx, 'kubernetesVersion', version, 'a version such as "1.33"');
    const vnet = parseCidr(ctx, 'vnetCidr', props.vnetCidr ?? '10.40.0.0/16');
    if (vnet.prefix > 20) throw propError(ctx, 'vnetCidr', props.vnetCidr, 'a block of /20 or larger');
    const nodeSubnetCidr = formatCidr(subnetCidr(vnet, 20, 0));
    checkAzureVmSize(`${ctx} systemVmSize`, props.systemVmSize ?? 'Standard_D4s_v5');
    const systemCount = requireWholeNumber(ctx, 'systemNodeCount', props.systemNodeCount ?? 2, 1, 100);
    if (!Array.isArray(props.kataPools) || props.kataPools.length === 0) {
      throw propError(
        ctx,
        'kataPools',
        props.kataPools,
        'at least one Pod Sandboxing pool { name, vmSize, nodeCount }',
      );
    }
    const names = new Set<string>();
    const preview = props.kataPools.map((p, i) => {
      if (!p || !/^[a-z][a-z0-9]{0,11}$/.test(p.name ?? '') || names.has(p.name) || p.name === 'system') {
        throw propError(
          ctx,
          `kataPools[${i}].name`,
          p?.name,
          'a unique name of 1-12 lower-case letters and digits (not "system")',
        );
      }
      names.add(p.name);
      const pctx = `${ctx} kataPools["${p.name}"]`;
      checkAzureVmSize(pctx, p.vmSize);
      const auto = p.minCount !== undefined || p.maxCount !== undefined;
      scalingBounds(
        pctx,
        { desired: 'nodeCount', min: 'minCount', max: 'maxCount' },
        p.nodeCount,
        auto ? (p.minCount ?? 0) : undefined,
        auto ? (p.maxCount ?? p.nodeCount) : undefined,
      );
      return {
        poolName: `${name}-${p.name}`,
        contract: hostPoolContract(pctx, [KataRuntime.AKS_VM_ISOLATION], {
          installer: RuntimeInstaller.PLATFORM,
        }),
      };
    });
    const storageName = props.storageAccountName ?? `${name.replace(/[^a-z0-9]/g, '')}data`.slice(0, 24);
    if (!/^[a-z0-9]{3,24}$/.test(storageName)) {
      throw propError(ctx, 'storageAccountName', storageName, '3-24 lower-case letters and digits');
    }
    const vaultName = props.keyVaultName ?? `${name}-kv`;
    if (!/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(vaultName) || vaultName.includes('--')) {
      throw propError(
        ctx,
        'keyVaultName',
        vaultName,
        '3-24 letters, digits and single "-", starting with a letter',
      );
    }
    const vaultSa = checkServiceAccount(
      ctx,
      'vaultServiceAccount',
      props.vaultServiceAccount ?? DEFAULT_VAULT_SERVICE_ACCOUNT,
    );
    const druidSas = checkFederatedServiceAccounts(
      ctx,
      'druidServiceAccounts',
      props.druidServiceAccounts ?? DEFAULT_DRUID_SERVICE_ACCOUNTS,
    );
    const analyticsSas = checkFederatedServiceAccounts(
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
      'a service account names one identity in its azure.workload.identity/client-id annotation',
    );
    if (props.deployWorkloads ?? true) preflightWorkloads(ctx, props.manifestsDir ?? 'dist', preview, false);

    const tags = { 'kata-blueprints.io/environment': name, ...(props.tags ?? {}) };
    const child = { parent: this };
    const client = authorization.getClientConfigOutput(child);

    this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, { location: props.location, tags }, child);
    const rg = this.resourceGroup.name;
    const vnetRes = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        resourceGroupName: rg,
        location: props.location,
        addressSpace: { addressPrefixes: [props.vnetCidr ?? '10.40.0.0/16'] },
        tags,
      },
      { parent: this, ignoreChanges: ['subnets'] },
    );
    this.nodeSubnet = new network.Subnet(
      `${name}-nodes`,
      { resourceGroupName: rg, virtualNetworkName: vnetRes.name, addressPrefix: nodeSubnetCidr },
      child,
    );

    const privateCluster = props.apiAuthorizedIpRanges.length === 0;
    this.cluster = new containerservice.ManagedCluster(
      `${name}-aks`,
      {
        resourceGroupName: rg,
        location: props.location,
        dnsPrefix: name,
        kubernetesVersion: version,
        identity: { type: containerservice.ResourceIdentityType.SystemAssigned },
        enableRBAC: true,
        agentPoolProfiles: [
          {
            name: 'system',
            mode: containerservice.AgentPoolMode.System,
            count: systemCount,
            vmSize: props.systemVmSize ?? 'Standard_D4s_v5',
            osType: containerservice.OSType.Linux,
            osSKU: containerservice.OSSKU.AzureLinux,
            type: containerservice.AgentPoolType.VirtualMachineScaleSets,
            vnetSubnetID: this.nodeSubnet.id,
            enableNodePublicIP: false,
            enableEncryptionAtHost: true,
            nodeTaints: ['CriticalAddonsOnly=true:NoSchedule'],
          },
        ],
        networkProfile: {
          networkPlugin: containerservice.NetworkPlugin.Azure,
          networkPluginMode: containerservice.NetworkPluginMode.Overlay,
          networkPolicy: containerservice.NetworkPolicy.Calico,
          podCidr: '192.168.0.0/16',
          serviceCidr: '172.20.0.0/16',
          dnsServiceIP: '172.20.0.10',
        },
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        apiServerAccessProfile: privateCluster
          ? { enablePrivateCluster: true }
          : { authorizedIPRanges: [...props.apiAuthorizedIpRanges] },
        autoUpgradeProfile: { upgradeChannel: 'patch', nodeOSUpgradeChannel: 'NodeImage' },
        tags,
      },
      { parent: this, ignoreChanges: ['agentPoolProfiles'] },
    );

    this.kataPools = props.kataPools.map(
      (p) =>
        new AzureKataNodePool(
          `${name}-${p.name}`,
          {
            resourceGroupName: rg,
            clusterName: this.cluster.name,
            agentPoolName: p.name,
            vmSize: p.vmSize,
            nodeCount: p.nodeCount,
            minCount: p.minCount,
            maxCount: p.maxCount,
            availabilityZones: p.availabilityZones,
            vnetSubnetID: this.nodeSubnet.id,
            orchestratorVersion: version,
            tags,
          },
          child,
        ),
    );

    // Identities federated with the cluster's service accounts. Azure refuses concurrent writes of
    // federated credentials under one identity (409 Conflict), so each waits for the previous one.
    const identity = (
      purpose: string,
      credentials: readonly {
        readonly resourceName: string;
        readonly credentialName?: string;
        readonly sa: ServiceAccountRef;
      }[],
    ): managedidentity.UserAssignedIdentity => {
      const id = new managedidentity.UserAssignedIdentity(
        `${name}-${purpose}`,
        { resourceGroupName: rg, location: props.location, tags },
        child,
      );
      let previous: managedidentity.FederatedIdentityCredential | undefined;
      for (const { resourceName, credentialName, sa } of credentials) {
        previous = new managedidentity.FederatedIdentityCredential(
          resourceName,
          {
            resourceGroupName: rg,
            resourceName: id.name,
            ...(credentialName ? { federatedIdentityCredentialResourceName: credentialName } : {}),
            issuer: this.cluster.oidcIssuerProfile.apply((o) => o?.issuerURL ?? ''),
            subject: `system:serviceaccount:${sa.namespace}:${sa.name}`,
            audiences: ['api://AzureADTokenExchange'],
          },
          previous ? { parent: this, dependsOn: [previous] } : child,
        );
      }
      return id;
    };
    // Credentials of the lists are named after their service account (`<namespace>_<name>`).
    const each = (purpose: string, sas: readonly ServiceAccountRef[]) =>
      sas.map((sa) => ({
        resourceName: `${name}-${purpose}-${serviceAccountKey(sa)}`,
        credentialName: serviceAccountKey(sa),
        sa,
      }));
    const roleDefinition = (guid: string): pulumi.Output<string> =>
      pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    const vaultId = identity('vault', [{ resourceName: `${name}-vault`, sa: vaultSa }]);
    const druidId = identity('druid', each('druid', druidSas));
    const sparkId = identity('spark', each('spark', analyticsSas));
    this.identities = { vault: vaultId, druid: druidId, spark: sparkId };

    // Key Vault with the unseal key.
    this.keyVault = new keyvault.Vault(
      `${name}-kv`,
      {
        resourceGroupName: rg,
        location: props.location,
        vaultName,
        properties: {
          tenantId: client.tenantId,
          sku: { family: keyvault.SkuFamily.A, name: keyvault.SkuName.Standard },
          enableRbacAuthorization: true,
          enablePurgeProtection: true,
          softDeleteRetentionInDays: 90,
        },
        tags,
      },
      child,
    );
    this.vaultKey = new keyvault.Key(
      `${name}-vault-unseal`,
      {
        resourceGroupName: rg,
        vaultName: this.keyVault.name,
        keyName: 'vault-unseal',
        properties: { kty: keyvault.JsonWebKeyType.RSA, keySize: 3072, keyOps: ['wrapKey', 'unwrapKey'] },
      },
      child,
    );
    new authorization.RoleAssignment(
      `${name}-vault-crypto`,
      {
        principalId: vaultId.principalId,
        principalType: authorization.PrincipalType.ServicePrincipal,
        roleDefinitionId: roleDefinition(KEY_VAULT_CRYPTO_USER_ROLE),
        scope: this.keyVault.id,
      },
      child,
    );

    // Storage for Druid deep storage and Spark.
    this.storageAccount = new storage.StorageAccount(
      `${name}-data`,
      {
        resourceGroupName: rg,
        location: props.location,
        accountName: storageName,
        kind: storage.Kind.StorageV2,
        sku: { name: storage.SkuName.Standard_ZRS },
        allowBlobPublicAccess: false,
        allowSharedKeyAccess: false,
        enableHttpsTrafficOnly: true,
        minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
        defaultToOAuthAuthentication: true,
        tags,
      },
      child,
    );
    const container = (purpose: string, id: managedidentity.UserAssignedIdentity): storage.BlobContainer => {
      const c = new storage.BlobContainer(
        `${name}-${purpose}`,
        {
          resourceGroupName: rg,
          accountName: this.storageAccount.name,
          containerName: purpose,
          publicAccess: storage.PublicAccess.None,
        },
        child,
      );
      new authorization.RoleAssignment(
        `${name}-${purpose}`,
        {
          principalId: id.principalId,
          principalType: authorization.PrincipalType.ServicePrincipal,
          roleDefinitionId: roleDefinition(STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE),
          scope: c.id,
        },
        child,
      );
      return c;
    };
    container('druid-deep-storage', druidId);
    container('spark', sparkId);

    // Kubernetes access.
    const creds = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: rg, resourceName: this.cluster.name },
      child,
    );
    this.kubeconfig = pulumi.secret(
      creds.apply((c) => Buffer.from(c.kubeconfigs?.[0]?.value ?? '', 'base64').toString('utf8')),
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
          installKataDeploy: false,
        },
        { parent: this, dependsOn: [...this.kataPools] },
      );
    }
    this.registerOutputs({
      clusterName: this.cluster.name,
      kubeconfig: this.kubeconfig,
      keyVaultUri: this.keyVault.properties.apply((p) => p.vaultUri),
      vaultKeyName: this.vaultKey.name,
      storageAccountName: this.storageAccount.name,
      vaultClientId: vaultId.clientId,
      druidClientId: druidId.clientId,
      sparkClientId: sparkId.clientId,
    });
  }
}

/** Azure's limit of federated identity credentials on one user-assigned identity. */
export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;

/**
 * Checks a list of service accounts to federate with one identity: valid, none twice, at most
 * {@link MAX_FEDERATED_CREDENTIALS_PER_IDENTITY}, and each credential name (`<namespace>_<name>`) within
 * Azure's 120 characters.
 */
function checkFederatedServiceAccounts(
  context: string,
  prop: string,
  value: readonly ServiceAccountRef[],
): readonly ServiceAccountRef[] {
  const sas = checkServiceAccounts(context, prop, value);
  if (sas.length > MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
    throw propError(
      context,
      prop,
      sas.map((sa) => `${sa.namespace}/${sa.name}`),
      `at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} service accounts (Azure's limit of federated credentials per identity)`,
    );
  }
  sas.forEach((sa, i) => {
    const credential = serviceAccountKey(sa);
    if (credential.length > 120) {
      throw propError(
        context,
        `${prop}[${i}]`,
        sa,
        `a service account whose federated credential name "<namespace>_<name>" fits Azure's 120 characters (${credential.length})`,
      );
    }
  });
  return sas;
}
