/**
 * A Kafka cluster the way a team would run it on its own: three KRaft controllers and three brokers
 * in Kata VMs spread over three zones, SASL/SCRAM over TLS for clients, mutual TLS between brokers
 * and controllers (certificate from cert-manager), rack awareness with follower fetching, and one
 * load balancer per broker for clients outside the cluster.
 * `npm run synth:examples` writes it to dist/examples/kafka/.
 *
 * Before applying: cert-manager must be installed with an Issuer `kafka-ca` in namespace `kafka`,
 * the Secret `kafka-admin` (keys `username`, `password`) must exist, and external-dns should manage
 * `kafka.example.com` (the Kafka section of README.md).
 */
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import {
  KafkaExternalType,
  KafkaListenerSecurity,
  KafkaScramMechanism,
  KafkaVersion,
  KataKafkaBrokers,
} from '../../blueprints/workloads/kafka';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { NetworkPeer } from '../../lib/k8s/network';
import { SpreadPolicy } from '../../lib/k8s/scheduling';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** Builds the example (charts only; the caller synthesizes). */
export function buildApp(outdir = 'dist/examples/kafka'): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'kafka', { namespace: 'kafka', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'kafka');

  const kafka = new KataKafkaBrokers(chart, 'events', {
    version: KafkaVersion.V4_3_2,
    controllers: 3,
    brokers: 3,
    listenerSecurity: KafkaListenerSecurity.saslSsl(
      { secretName: 'events-kafka-tls' },
      {
        mechanism: KafkaScramMechanism.SHA_512,
        bootstrapUser: {
          username: { secretName: 'kafka-admin', key: 'username' },
          password: { secretName: 'kafka-admin', key: 'password' },
        },
      },
    ),
    certManager: { issuerName: 'kafka-ca' },
    external: {
      type: KafkaExternalType.LOAD_BALANCER,
      advertisedHost: 'events-{ordinal}.kafka.example.com',
      serviceAnnotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
      },
      loadBalancerSourceRanges: ['10.0.0.0/8'],
      allowFrom: [NetworkPeer.ipBlock('10.0.0.0/8')],
    },
    spread: SpreadPolicy.STRICT_ZONES,
    // A StorageClass on provisioned SSDs (e.g. EBS gp3 with raised IOPS), volume binding WaitForFirstConsumer.
    storageClassName: 'fast-ssd',
    storageSize: Size.gibibytes(500),
    controllerStorageSize: Size.gibibytes(20),
    brokerResources: {
      cpu: { request: Cpu.units(2), limit: Cpu.units(4) },
      memory: { request: Size.gibibytes(16), limit: Size.gibibytes(16) },
    },
    config: { 'log.retention.hours': 168, 'num.partitions': 6, 'message.max.bytes': 2097152 },
    sandbox: Sandbox.kata(KataRuntime.QEMU),
  });

  // Producers and consumers in namespace `apps`; Prometheus' JMX exporter sidecars are not part of this example.
  kafka.connections.allowFrom(NetworkPeer.namespace('apps'));
  return app;
}
