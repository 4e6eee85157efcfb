/**
 * An Apache Druid cluster the way a data platform team would run it in Kata VMs: no ZooKeeper
 * (discovery through the Kubernetes API), PostgreSQL as the metadata store, S3 as deep storage, a hot
 * and a cold Historical tier, Indexers that ingest from a Kafka cluster in its own namespace, and SQL
 * clients in namespace `apps`. `npm run synth:examples` writes it to dist/examples/druid/.
 *
 * Before applying: the metadata store password lives in a Secret created outside the manifests, e.g.
 * `kubectl -n druid create secret generic druid-metadata --from-literal=password="$(openssl rand -base64 24)"`,
 * and the pods' ServiceAccounts are bound to an IAM role for the bucket (EKS Pod Identity). Apply in
 * Druid's rolling-update order as described in the Druid section of README.md.
 */
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { DruidDeepStorage, DruidMetadataStore, KataDruidCluster } from '../../blueprints/workloads/druid';
import { KataKafkaBrokers } from '../../blueprints/workloads/kafka';
import { KataRuntimeClasses } from '../../lib/cluster';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** Builds the example (charts only; the caller synthesizes). */
export function buildApp(outdir = 'dist/examples/druid'): App {
  const app = new App({ outdir });
  // The RuntimeClass every pod uses, so the example applies on its own.
  const cluster = new Chart(app, 'cluster', { disableResourceNameHashes: true });
  new KataRuntimeClasses(cluster, 'runtime-classes', { runtimes: [KataRuntime.QEMU] });
  const sandbox = Sandbox.kata(KataRuntime.QEMU);

  // The event stream Druid ingests.
  const kafkaChart = new Chart(app, 'kafka', { namespace: 'kafka', disableResourceNameHashes: true });
  restrictedNamespace(kafkaChart, 'namespace', 'kafka');
  const kafka = new KataKafkaBrokers(kafkaChart, 'events', { sandbox, storageClassName: 'gp3' });

  const chart = new Chart(app, 'druid', { namespace: 'druid', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'druid');
  const druid = new KataDruidCluster(chart, 'analytics', {
    sandbox,
    metadataStore: DruidMetadataStore.postgresql({
      connectUri:
        'jdbc:postgresql://druid-metadata.cxyz1234.eu-west-1.rds.amazonaws.com:5432/druid?sslmode=require',
      user: 'druid',
      passwordSecret: { name: 'druid-metadata', key: 'password' },
      // The database subnets of the VPC.
      peer: NetworkPeer.ipBlock('10.20.64.0/20'),
    }),
    deepStorage: DruidDeepStorage.s3({
      bucket: 'acme-analytics-druid',
      baseKey: 'druid/segments',
      region: 'eu-west-1',
    }),
    brokers: {
      replicas: 2,
      resources: {
        cpu: { request: Cpu.units(2), limit: Cpu.units(4) },
        memory: { request: Size.gibibytes(8), limit: Size.gibibytes(8) },
      },
    },
    historicalTiers: [
      {
        // Recent data on local NVMe: load rules keep the last 30 days here.
        tier: 'hot',
        replicas: 2,
        priority: 1,
        resources: {
          cpu: { request: Cpu.units(4), limit: Cpu.units(8) },
          memory: { request: Size.gibibytes(32), limit: Size.gibibytes(32) },
        },
        storageSize: Size.gibibytes(500),
        storageClassName: 'local-nvme',
      },
      {
        // Everything else on network SSDs.
        tier: 'cold',
        replicas: 2,
        storageSize: Size.gibibytes(2000),
        storageClassName: 'gp3',
        segmentCacheSize: Size.gibibytes(1700),
      },
    ],
    middleManagers: {
      replicas: 2,
      capacity: 4,
      resources: {
        cpu: { request: Cpu.units(4), limit: Cpu.units(6) },
        memory: { request: Size.gibibytes(16), limit: Size.gibibytes(16) },
      },
      storageSize: Size.gibibytes(100),
      storageClassName: 'gp3',
    },
    kafka,
    extensions: ['druid-histogram'],
    allowedClients: [NetworkPeer.namespace('apps')],
  });
  // Analysts' notebooks reach the web console and SQL API through the Router.
  druid.connections.allowFrom(NetworkPeer.namespace('notebooks'));
  return app;
}
