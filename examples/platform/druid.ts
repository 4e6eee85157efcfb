/**
 * The platform's Apache Druid in namespace `druid`: every process in a Kata VM, discovery through the
 * Kubernetes API (no ZooKeeper), the metadata in the platform's PostgreSQL (RDS), segments in S3, one
 * Historical tier on the bare-metal hosts' NVMe disks, and Indexers that ingest from the platform's
 * Kafka when it is given. Services in `apps` query through the Router; Spark and Flink jobs in
 * `analytics` use the Brokers' SQL endpoint.
 */
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { DruidDeepStorage, DruidMetadataStore, KataDruidCluster } from '../../blueprints/workloads/druid';
import type { IKafkaEndpoint } from '../../blueprints/workloads/kafka';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** What the Druid cluster connects to, when the platform has it. */
export interface DruidBackends {
  /** Kafka to ingest event streams from. @default - no Kafka ingestion */
  readonly kafka?: IKafkaEndpoint;
}

/** Adds the `druid` chart (namespace `druid`) to the platform and returns the cluster. */
export function addDruid(app: App, backends: DruidBackends = {}): KataDruidCluster {
  const chart = new Chart(app, 'druid', { namespace: 'druid', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'druid');
  const druid = new KataDruidCluster(chart, 'druid', {
    sandbox: Sandbox.kata(KataRuntime.QEMU),
    // The password is synced into Secret druid-metadata by the platform's secret operator.
    metadataStore: DruidMetadataStore.postgresql({
      connectUri:
        'jdbc:postgresql://platform-druid.cluster-abc123.eu-west-1.rds.amazonaws.com:5432/druid?sslmode=require',
      user: 'druid',
      passwordSecret: { name: 'druid-metadata', key: 'password' },
      peer: NetworkPeer.ipBlock('10.0.64.0/20'),
    }),
    // Bucket access through EKS Pod Identity associations of the druid ServiceAccounts.
    deepStorage: DruidDeepStorage.s3({
      bucket: 'platform-druid-segments',
      baseKey: 'druid/segments',
      region: 'eu-west-1',
    }),
    historicals: {
      replicas: 3,
      resources: {
        cpu: { request: Cpu.units(4), limit: Cpu.units(8) },
        memory: { request: Size.gibibytes(32), limit: Size.gibibytes(32) },
      },
      storageSize: Size.gibibytes(800),
      storageClassName: 'local-nvme',
    },
    middleManagers: {
      replicas: 2,
      capacity: 4,
      resources: {
        cpu: { request: Cpu.units(4), limit: Cpu.units(6) },
        memory: { request: Size.gibibytes(16), limit: Size.gibibytes(16) },
      },
      storageSize: Size.gibibytes(100),
    },
    ...(backends.kafka ? { kafka: backends.kafka } : {}),
    allowedClients: [NetworkPeer.namespace('apps')],
  });
  druid.brokerConnections.allowFrom(NetworkPeer.namespace('analytics'));
  return druid;
}
