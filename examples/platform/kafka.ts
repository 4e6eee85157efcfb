/**
 * The platform's Kafka in namespace `kafka`: three dedicated KRaft controllers and three brokers in
 * Kata VMs, one of each per zone of the region (strict zone spread), `broker.rack` from the node's
 * zone with follower fetching, on the local NVMe disks of the bare-metal Kata hosts (the `local-nvme`
 * StorageClass of the cassandra chart). Topics default to three replicas with `min.insync.replicas=2`,
 * so a zone can be drained without stopping `acks=all` producers.
 *
 * The client listener is plaintext inside the cluster: only the namespaces that the platform connects
 * (`connections.allowTo` / `allowFrom`) reach port 9092, and the brokers run in VMs.
 */
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { KafkaVersion, KataKafkaBrokers } from '../../blueprints/workloads/kafka';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { SpreadPolicy } from '../../lib/k8s/scheduling';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** Adds the `kafka` chart (namespace `kafka`) to the platform and returns the cluster. */
export function addKafka(app: App): KataKafkaBrokers {
  const chart = new Chart(app, 'kafka', { namespace: 'kafka', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'kafka');
  return new KataKafkaBrokers(chart, 'events', {
    version: KafkaVersion.V4_3_2,
    controllers: 3,
    brokers: 3,
    spread: SpreadPolicy.STRICT_ZONES,
    storageClassName: 'local-nvme',
    storageSize: Size.gibibytes(1700),
    controllerStorageSize: Size.gibibytes(20),
    brokerResources: {
      cpu: { request: Cpu.units(4), limit: Cpu.units(8) },
      memory: { request: Size.gibibytes(32), limit: Size.gibibytes(32) },
    },
    controllerResources: {
      cpu: { request: Cpu.units(1), limit: Cpu.units(2) },
      memory: { request: Size.gibibytes(4), limit: Size.gibibytes(4) },
    },
    config: { 'log.retention.hours': 72, 'num.partitions': 12 },
    sandbox: Sandbox.kata(KataRuntime.QEMU),
  });
}
