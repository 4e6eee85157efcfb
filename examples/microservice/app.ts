/**
 * One API service, the way a team would run it: podinfo (ghcr.io/stefanprodan/podinfo) as a public
 * frontend in Kata VMs behind an Ingress, calling a trusted backend in the Istio mesh.
 * `npm run synth:examples` writes it to dist/examples/microservice/.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import {
  AppProtocol,
  EnvRef,
  Expose,
  KataMicroservice,
  ServiceMesh,
  ServiceProbe,
  ServiceVolume,
} from '../../blueprints/workloads/microservice';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** podinfo 6.9.1: HTTP on 9898 (/healthz, /readyz), gRPC health on 9999, Prometheus metrics on 9797. */
export const PODINFO_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.9.1';

/** podinfo's flags for one instance. */
function podinfoArgs(extra: string[] = []): string[] {
  return [
    '--port=9898',
    '--grpc-port=9999',
    '--grpc-service-name=podinfo',
    '--port-metrics=9797',
    '--level=info',
    ...extra,
  ];
}

/** podinfo's ports besides the main HTTP port. */
const PODINFO_PORTS = [
  { name: 'grpc', port: 9999, appProtocol: AppProtocol.GRPC },
  // Metrics stay off the Service; Prometheus is let in explicitly below.
  { name: 'http-metrics', port: 9797, appProtocol: AppProtocol.HTTP, expose: false },
];

/** Builds the example (charts only; the caller synthesizes). */
export function buildApp(outdir = 'dist/examples/microservice'): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'microservice', { namespace: 'podinfo', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'podinfo');

  // The backend is the team's own reviewed code: trusted, on runc, in the Istio mesh.
  const backend = new KataMicroservice(chart, 'backend', {
    image: PODINFO_IMAGE,
    port: 9898,
    extraPorts: PODINFO_PORTS,
    command: ['./podinfo'],
    args: podinfoArgs(),
    sandbox: Sandbox.trusted(),
    mesh: ServiceMesh.istio({
      proxyResources: {
        cpuRequest: Cpu.millis(50),
        cpuLimit: Cpu.millis(500),
        memoryRequest: Size.mebibytes(64),
        memoryLimit: Size.mebibytes(128),
      },
    }),
    readiness: ServiceProbe.grpc('podinfo', { port: 'grpc' }),
    liveness: ServiceProbe.http('/healthz'),
    volumes: [ServiceVolume.emptyDir('/data', Size.mebibytes(64))],
    partOf: 'podinfo',
  });

  // The frontend renders what the internet sends it: it runs in Kata VMs (Cloud Hypervisor) and
  // scales with load.
  const frontend = new KataMicroservice(chart, 'frontend', {
    image: PODINFO_IMAGE,
    port: 9898,
    extraPorts: PODINFO_PORTS,
    command: ['./podinfo'],
    args: podinfoArgs([`--backend-url=http://${backend.serviceHost}:9898/echo`]),
    env: {
      PODINFO_UI_MESSAGE: 'served from a Kata VM',
      POD_NAMESPACE: EnvRef.field('metadata.namespace'),
    },
    sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR),
    mesh: ServiceMesh.NO_SIDECAR,
    autoscaling: { minReplicas: 2, maxReplicas: 8, targetCpuUtilization: 75 },
    resources: {
      cpu: { request: Cpu.millis(200), limit: Cpu.units(1) },
      memory: { request: Size.mebibytes(192), limit: Size.mebibytes(192) },
    },
    readiness: ServiceProbe.http('/readyz'),
    liveness: ServiceProbe.http('/healthz'),
    startup: ServiceProbe.http('/healthz', { failureThreshold: 24 }),
    terminationGracePeriod: Duration.seconds(40),
    expose: Expose.ingress({
      host: 'podinfo.example.com',
      tlsSecret: 'podinfo-example-com-tls',
      ingressClassName: 'nginx',
    }),
    volumes: [ServiceVolume.emptyDir('/data', Size.mebibytes(64))],
    partOf: 'podinfo',
  });

  frontend.allowTo(backend);
  for (const svc of [frontend, backend]) {
    svc.allowFrom(NetworkPeer.namespace('monitoring'), [{ port: 9797 }]);
  }
  return app;
}
