/**
 * AKS with Pod Sandboxing: Azure Linux pools with `workloadRuntime: KataVmIsolation` on a
 * nested-virtualization size, Key Vault with the Vault unseal key, a storage account for Druid and
 * analytics (Spark, Flink), and Workload Identity federated with their service accounts. AKS installs
 * Kata itself, so the manifests must ask for `kata-vm-isolation` (Sandbox.kata(KataRuntime.AKS_VM_ISOLATION));
 * the environment refuses manifests that use any other runtime class.
 *
 * In your own repository import from 'kata-blueprints/hosts' instead of the relative path.
 */
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { AzureKataEnvironment } from '../../../blueprints/hosts';

const config = new pulumi.Config();
const manifestsDir = config.get('manifestsDir') ?? '';

const env = new AzureKataEnvironment('platform', {
  location: config.get('location') ?? 'westeurope',
  apiAuthorizedIpRanges: config.requireObject<string[]>('apiAuthorizedIpRanges'),
  kataPools: [
    {
      name: 'sandbox',
      vmSize: config.get('vmSize') ?? 'Standard_D8s_v5',
      nodeCount: 3,
      minCount: 3,
      maxCount: 9,
      availabilityZones: ['1', '2', '3'],
    },
  ],
  // The platform's service accounts (examples/platform): the Druid cluster "druid" runs its data nodes
  // and its masters as two accounts, each Spark job J runs driver and executors as J-spark, the Flink
  // job "sessions" runs as sessions-flink.
  druidServiceAccounts: [
    { namespace: 'druid', name: 'druid-druid' },
    { namespace: 'druid', name: 'druid-druid-master' },
  ],
  analyticsServiceAccounts: [
    { namespace: 'analytics', name: 'clickstream-spark' },
    { namespace: 'analytics', name: 'nightly-rollup-spark' },
    { namespace: 'analytics', name: 'sessions-flink' },
  ],
  deployWorkloads: manifestsDir !== '',
  ...(manifestsDir !== '' ? { manifestsDir: path.resolve(__dirname, manifestsDir) } : {}),
});

export const clusterName = env.cluster.name;
export const kubeconfig = env.kubeconfig;
export const keyVaultName = env.keyVault.name;
// Workload Identity: annotate each service account with its identity's client ID
// (`azure.workload.identity/client-id`): vault/vault with vaultClientId, the Druid accounts with
// druidClientId, the analytics accounts with sparkClientId.
export const vaultClientId = env.identities.vault.clientId;
export const druidClientId = env.identities.druid.clientId;
export const sparkClientId = env.identities.spark.clientId;
export const storageAccount = env.storageAccount.name;
