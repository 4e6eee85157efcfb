/** A Flink streaming job in Kata VMs, with Kubernetes HA and savepoint upgrades on object storage. */
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { KataRuntimeClasses } from '../../lib/cluster';
import { KataRuntime } from '../../lib/sandbox';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataFlinkJob } from '../../blueprints/workloads/spark';

/** Builds the Flink example app. */
export function buildApp(outdir = 'dist/examples/flink'): App {
  const app = new App({ outdir });
  // The RuntimeClass the jobs use, so the example applies on its own.
  const cluster = new Chart(app, 'cluster', { disableResourceNameHashes: true });
  new KataRuntimeClasses(cluster, 'runtime-classes', { runtimes: [KataRuntime.QEMU] });
  const chart = new Chart(app, 'flink', { namespace: 'analytics', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'analytics');
  new KataFlinkJob(chart, 'sessionize', {
    jarURI: 'local:///opt/flink/usrlib/sessionize.jar',
    entryClass: 'com.example.Sessionize',
    parallelism: 4,
    taskSlots: 2,
    taskManager: { cpu: Cpu.units(2), memory: Size.gibibytes(4) },
    storageDir: 's3://flink-state/sessionize',
    egress: [{ peer: NetworkPeer.anywhere(), ports: [{ port: 443 }] }],
  });
  return app;
}
