/**
 * Cluster enablement for a self-managed cluster whose node images do not ship Kata: RuntimeClasses for
 * the runtimes the Kata pools serve, kata-deploy to install them on nodes labelled
 * `kata-blueprints.io/kata-host: "true"`, and the preflight check that labels every node
 * `kata-blueprints.io/kata-capable`.
 */
import { App, Chart, Duration } from 'cdk8s';
import { K8sDistribution, KataDeploy, KataNodeCheck, KataRuntimeClasses } from '../../lib/cluster';
import { KataRuntime } from '../../lib/sandbox';

/** The runtimes this cluster serves. */
export const CLUSTER_RUNTIMES = [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR, KataRuntime.FIRECRACKER];

/** Builds the cluster-enablement app. */
export function buildApp(outdir = 'dist/examples/cluster'): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'cluster', { disableResourceNameHashes: true });
  new KataRuntimeClasses(chart, 'runtime-classes', { runtimes: CLUSTER_RUNTIMES });
  new KataDeploy(chart, 'kata-deploy', {
    runtimes: CLUSTER_RUNTIMES,
    defaultRuntime: KataRuntime.QEMU,
    distribution: K8sDistribution.K8S,
    namespace: 'kata-system',
  });
  new KataNodeCheck(chart, 'node-check', {
    namespace: 'kata-system',
    createNamespace: false,
    interval: Duration.minutes(15),
  });
  return app;
}
