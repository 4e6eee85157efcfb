/**
 * The kata-blueprints platform on GCP: a private GKE Standard cluster with nested-virtualization
 * (Intel VT-x) Kata nodes on Ubuntu, raw local NVMe SSDs for local volumes, Cloud KMS for Vault
 * auto-unseal, GCS for Druid and analytics (Spark, Flink), kata-deploy and the synthesized manifests.
 *
 * In your own repository import from 'kata-blueprints/hosts' instead of the relative path.
 */
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime } from '../../../lib/sandbox';
import { GcpKataEnvironment, GkeLocalSsd } from '../../../blueprints/hosts';

const config = new pulumi.Config();
const gcpConfig = new pulumi.Config('gcp');

const env = new GcpKataEnvironment('platform', {
  project: gcpConfig.require('project'),
  region: gcpConfig.require('region'),
  masterAuthorizedCidrs: config.requireObject<string[]>('masterAuthorizedCidrs'),
  kataPools: [
    {
      name: 'nested',
      machineType: config.get('machineType') ?? 'n2-standard-16',
      nodeCount: config.getNumber('kataNodesPerZone') ?? 1,
      minNodeCount: 1,
      maxNodeCount: 4,
      runtimes: [KataRuntime.QEMU, KataRuntime.QEMU_RUNTIME_RS, KataRuntime.CLOUD_HYPERVISOR],
      localSsd: GkeLocalSsd.rawBlock(2),
      // One thread per core: tenants' VMs never share a physical core's sibling threads.
      threadsPerCore: 1,
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
  manifestsDir: path.resolve(__dirname, config.get('manifestsDir') ?? '../../../dist'),
});

export const clusterName = env.cluster.name;
export const kubeconfig = env.kubeconfig;
export const vaultKmsKey = env.vaultKey.id;
export const druidBucket = env.druidBucket.name;
export const sparkBucket = env.sparkBucket.name;
