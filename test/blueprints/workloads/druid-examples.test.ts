import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { buildApp } from '../../../examples/druid/app';
import { addDruid } from '../../../examples/platform/druid';
import { IKafkaEndpoint } from '../../../blueprints/workloads/kafka';
import { Severity, checkManifests, manifestsFromApp } from '../../../lib/check';
import { Connections, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const find = (objs: Obj[], kind: string, name: string): Obj =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

describe('examples/druid', () => {
  const app = buildApp('/nonexistent-outdir');
  const objs = manifestsFromApp(app).map((m) => m.object) as Obj[];

  test('passes the project checks with no findings', () => {
    expect(checkManifests(manifestsFromApp(app))).toEqual([]);
  });

  test('applies on its own: RuntimeClass, restricted namespaces, Kafka and Druid', () => {
    expect(find(objs, 'RuntimeClass', 'kata-qemu')).toBeDefined();
    for (const ns of ['druid', 'kafka']) {
      expect(find(objs, 'Namespace', ns).metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
        'restricted',
      );
    }
  });

  test('hot and cold Historical tiers, Indexers ingesting from Kafka, no ZooKeeper', () => {
    expect(find(objs, 'StatefulSet', 'analytics-historical-hot').spec.replicas).toBe(2);
    expect(
      find(objs, 'StatefulSet', 'analytics-historical-cold').spec.volumeClaimTemplates[0].spec
        .storageClassName,
    ).toBe('gp3');
    const common = find(objs, 'ConfigMap', 'analytics-indexer-config').data['common.runtime.properties'];
    expect(common).toContain('druid.discovery.type=k8s');
    expect(common).toContain('druid-kafka-indexing-service');
    expect(common).not.toContain('druid.zk.service.host');
    const kafkaIngress = find(objs, 'NetworkPolicy', 'events-kafka-broker').spec.ingress;
    expect(
      kafkaIngress.some(
        (r: Obj) =>
          r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'druid' &&
          r.from[0].podSelector.matchLabels['app.kubernetes.io/component'] === 'indexer',
      ),
    ).toBe(true);
  });
});

/** A Kafka endpoint standing in for the platform's KataKafkaBrokers. */
class Kafka extends Construct implements IKafkaEndpoint {
  public readonly connections: Connections;
  public readonly bootstrapServers = 'events-kafka-bootstrap.kafka.svc.cluster.local:9092';
  public readonly securityProtocol = 'PLAINTEXT';
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const selector = { 'app.kubernetes.io/name': 'kafka' };
    const policy = new PodNetworkPolicy(this, 'Policy', { context: id, name: id, selector });
    this.connections = new Connections(NetworkPeer.pods(selector, Chart.of(this).namespace), policy, [
      { port: 9092 },
    ]);
  }
}

describe('examples/platform druid', () => {
  test.each([
    ['without Kafka', false],
    ['with Kafka', true],
  ])('%s: the druid chart in namespace druid passes the checks with zero errors', (_name, withKafka) => {
    const app = Testing.app();
    const kafkaChart = new Chart(app, 'kafka', { namespace: 'kafka', disableResourceNameHashes: true });
    const kafka = withKafka ? new Kafka(kafkaChart, 'events') : undefined;
    const druid = addDruid(app, { kafka });
    const chart = Chart.of(druid);
    expect(chart.node.id).toBe('druid');
    const objs = chart.toJson() as Obj[];
    expect(
      checkManifests(objs, { runtimeClasses: ['kata-qemu=kata-qemu'] }).filter(
        (f) => f.severity === Severity.ERROR,
      ),
    ).toEqual([]);
    const ns = objs.find((o) => o.kind === 'Namespace');
    expect(ns.metadata.name).toBe('druid');
    for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('druid');
    expect(druid.kafkaBootstrapServers).toBe(
      withKafka ? 'events-kafka-bootstrap.kafka.svc.cluster.local:9092' : undefined,
    );
    const indexerEgress = find(objs, 'NetworkPolicy', 'druid-indexer').spec.egress;
    const toKafka = indexerEgress.some((r: Obj) => r.ports?.some((p: Obj) => p.port === 9092));
    expect(toKafka).toBe(withKafka);
    // Spark and Flink jobs in `analytics` reach the Brokers.
    expect(
      find(objs, 'NetworkPolicy', 'druid-broker').spec.ingress.some(
        (r: Obj) => r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'analytics',
      ),
    ).toBe(true);
  });
});
