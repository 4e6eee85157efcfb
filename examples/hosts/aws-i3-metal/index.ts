/**
 * The kata-blueprints platform on AWS: EKS with i3.metal Kata nodes whose instance-store NVMe disks
 * become local volumes, KMS for Vault auto-unseal, S3 for Druid and analytics (Spark, Flink), kata-deploy, and the
 * synthesized manifests (run `npm run synth` at the repository root first).
 *
 * In your own repository import from 'kata-blueprints/hosts' instead of the relative path.
 */
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime } from '../../../lib/sandbox';
import { AwsKataEnvironment, LocalDiskLayout, LocalDisks } from '../../../blueprints/hosts';

const config = new pulumi.Config();

const env = new AwsKataEnvironment('platform', {
  availabilityZones: config.requireObject<string[]>('availabilityZones'),
  apiPublicAccessCidrs: config.requireObject<string[]>('apiPublicAccessCidrs'),
  kataPools: [
    {
      name: 'metal',
      instanceType: config.get('instanceType') ?? 'i3.metal',
      desiredSize: config.getNumber('kataNodes') ?? 2,
      maxSize: 6,
      // The runtimes the platform's RuntimeClasses name (examples/platform/app.ts PLATFORM_RUNTIMES).
      runtimes: [KataRuntime.QEMU, KataRuntime.QEMU_RUNTIME_RS, KataRuntime.CLOUD_HYPERVISOR],
      // i3.metal: 8 x 1.9 TB NVMe instance store, one local PersistentVolume per disk.
      localDisks: LocalDisks.awsInstanceStore(LocalDiskLayout.PER_DISK),
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
export const vaultKmsKeyAlias = env.vaultKeyAlias.name;
export const druidBucket = env.druidBucket.bucket;
export const sparkBucket = env.sparkBucket.bucket;
export const runtimeClassesInUse = env.workloads?.runtimeClassUses.map((u) => u.runtimeClassName) ?? [];
