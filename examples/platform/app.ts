/**
 * The example platform: what a company running untrusted and trusted workloads side by side would
 * deploy. `npm run synth` writes it to dist/.
 */
import { App, Chart } from 'cdk8s';
import { KataRuntime } from '../../lib/sandbox';
import { KataNodeCheck, KataRuntimeClasses } from '../../lib/cluster';
import { addMicroservices } from './microservices';
import { addVault } from './vault';
import { addCassandra } from './cassandra';
import { addKafka } from './kafka';
import { addAnalytics } from './analytics';
import { addDruid } from './druid';

/** The runtimes the platform's Kata node pools serve. */
export const PLATFORM_RUNTIMES = [
  KataRuntime.QEMU,
  KataRuntime.QEMU_RUNTIME_RS,
  KataRuntime.CLOUD_HYPERVISOR,
];

/** Builds the platform app (charts only; the caller synthesizes). */
export function buildApp(outdir = 'dist'): App {
  const app = new App({ outdir });
  const cluster = new Chart(app, 'cluster', { disableResourceNameHashes: true });
  new KataRuntimeClasses(cluster, 'runtime-classes', { runtimes: PLATFORM_RUNTIMES });
  // Kata itself is installed by the environment (kata-blueprints/hosts installs the kata-deploy Helm
  // chart on the pools); examples/cluster shows the cdk8s KataDeploy for clusters without it.
  // Every node is labelled with the result of the Kata preflight check.
  new KataNodeCheck(cluster, 'node-check', { namespace: 'kata-system' });
  const vault = addVault(app);
  const cassandra = addCassandra(app);
  const kafka = addKafka(app);
  addMicroservices(app, { vault, cassandra, kafka });
  addDruid(app, { kafka });
  addAnalytics(app, { kafka });
  return app;
}
