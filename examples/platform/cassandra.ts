/**
 * The platform's Cassandra in namespace `cassandra`: Apache Cassandra 5.0 in Kata VMs, three racks in
 * the three zones of the region, two nodes each, on the local NVMe disks of the bare-metal Kata hosts.
 * Keyspaces with `NetworkTopologyStrategy {'eu-west-1': 3}` keep one replica per zone.
 */
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { CassandraStorage, KataCassandraRing } from '../../blueprints/workloads/cassandra';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** Adds the `cassandra` chart (namespace `cassandra`) to the platform and returns the ring. */
export function addCassandra(app: App): KataCassandraRing {
  const chart = new Chart(app, 'cassandra', { namespace: 'cassandra', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'cassandra');
  // One PersistentVolume per NVMe disk, created by the local static provisioner on each host.
  const nvme = CassandraStorage.localNvme(chart, 'local-nvme', { name: 'local-nvme' });
  return new KataCassandraRing(chart, 'orders', {
    clusterName: 'platform-orders',
    datacenter: 'eu-west-1',
    racks: [
      { name: 'rack-a', zone: 'eu-west-1a' },
      { name: 'rack-b', zone: 'eu-west-1b' },
      { name: 'rack-c', zone: 'eu-west-1c' },
    ],
    nodesPerRack: 2,
    memory: Size.gibibytes(32),
    cpu: Cpu.units(8),
    storageSize: Size.gibibytes(1700),
    storageClassName: nvme.storageClassName,
    superuserSecret: { name: 'cassandra-superuser' },
    sandbox: Sandbox.kata(KataRuntime.QEMU),
  });
}
