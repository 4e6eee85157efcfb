/**
 * Two rings the way a team would run them, each in Kata VMs:
 * - `events`: Apache Cassandra 5.0, three racks in three zones on network block storage, with the
 *   commit log on its own volume and a fixed heap;
 * - `sessions`: ScyllaDB on local NVMe, one rack of three nodes.
 * `npm run synth:examples` writes it to dist/examples/cassandra/.
 *
 * Both superuser Secrets are created outside the manifests (e.g. by External Secrets), for example:
 * `kubectl -n cassandra create secret generic cassandra-superuser --type kubernetes.io/basic-auth \
 *   --from-literal=username=admin --from-literal=password="$(openssl rand -base64 24)"`.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { CassandraEngine, CassandraStorage, KataCassandraRing } from '../../blueprints/workloads/cassandra';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** Builds the example (charts only; the caller synthesizes). */
export function buildApp(outdir = 'dist/examples/cassandra'): App {
  const app = new App({ outdir });

  const cassandra = new Chart(app, 'cassandra', { namespace: 'cassandra', disableResourceNameHashes: true });
  restrictedNamespace(cassandra, 'namespace', 'cassandra');
  new KataCassandraRing(cassandra, 'events', {
    clusterName: 'events',
    datacenter: 'us-east-1',
    racks: [
      { name: 'rack-a', zone: 'us-east-1a' },
      { name: 'rack-b', zone: 'us-east-1b' },
      { name: 'rack-c', zone: 'us-east-1c' },
    ],
    nodesPerRack: 2,
    memory: Size.gibibytes(24),
    cpu: Cpu.units(6),
    // Above the default (6Gi for 24Gi) for a read-heavy table with large partitions; still half the limit at most.
    heapSize: Size.gibibytes(10),
    storageSize: Size.gibibytes(500),
    storageClassName: 'gp3-encrypted',
    commitLogStorage: { size: Size.gibibytes(50), storageClassName: 'io2-encrypted' },
    superuserSecret: { name: 'cassandra-superuser' },
    // Analytics jobs read the ring from their own namespace.
    allowedClients: [NetworkPeer.namespace('analytics')],
    sandbox: Sandbox.kata(KataRuntime.QEMU),
    terminationGracePeriod: Duration.minutes(5),
  });

  const scylla = new Chart(app, 'scylla', { namespace: 'scylla', disableResourceNameHashes: true });
  restrictedNamespace(scylla, 'namespace', 'scylla');
  const nvme = CassandraStorage.localNvme(scylla, 'local-nvme', { name: 'local-nvme' });
  new KataCassandraRing(scylla, 'sessions', {
    engine: CassandraEngine.SCYLLA,
    datacenter: 'us-east-1',
    nodesPerRack: 3,
    memory: Size.gibibytes(32),
    cpu: Cpu.units(8),
    storageSize: Size.gibibytes(1700),
    storageClassName: nvme.storageClassName,
    superuserSecret: { name: 'scylla-superuser' },
    allowedClients: [NetworkPeer.namespace('apps')],
    sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR),
  });
  return app;
}
