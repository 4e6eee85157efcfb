/**
 * The platform's API services in namespace `apps`: customer-facing code in Kata VMs, the platform
 * team's own services on runc, one of them behind the cloud load balancer.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import {
  AppProtocol,
  EnvFrom,
  EnvRef,
  Expose,
  KataMicroservice,
  ServiceMesh,
  ServiceProbe,
  ServiceVolume,
} from '../../blueprints/workloads/microservice';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { INetworkEndpoint, NetworkPeer } from '../../lib/k8s/network';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** Data services the API services talk to, when the platform has them. */
export interface MicroserviceBackends {
  /** Vault: checkout reads payment-provider credentials from it. @default - none */
  readonly vault?: INetworkEndpoint;
  /** Kafka: checkout publishes order events. @default - none */
  readonly kafka?: INetworkEndpoint;
  /** Cassandra: checkout stores orders, catalog stores products. @default - none */
  readonly cassandra?: INetworkEndpoint;
}

/** The API services of the platform. */
export interface PlatformMicroservices {
  /** The `apps` chart. */
  readonly chart: Chart;
  /** Public storefront API (Kata, Cloud Hypervisor), behind the cloud load balancer. */
  readonly storefront: KataMicroservice;
  /** Checkout (Kata, QEMU runtime-rs), gRPC. */
  readonly checkout: KataMicroservice;
  /** Renders customer-supplied templates (Kata, QEMU): the least trusted code on the platform. */
  readonly renderer: KataMicroservice;
  /** Product catalog, the platform team's own code: trusted, runc, in the Istio mesh. */
  readonly catalog: KataMicroservice;
}

/** Adds the `apps` chart with the platform's API services. */
export function addMicroservices(app: App, backends: MicroserviceBackends = {}): PlatformMicroservices {
  const chart = new Chart(app, 'apps', { namespace: 'apps', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'apps');

  const checkout = new KataMicroservice(chart, 'checkout', {
    image:
      'registry.example.com/shop/checkout@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b',
    port: 9090,
    protocol: AppProtocol.GRPC,
    extraPorts: [{ name: 'http-admin', port: 8081, appProtocol: AppProtocol.HTTP, expose: false }],
    sandbox: Sandbox.kata(KataRuntime.QEMU_RUNTIME_RS),
    replicas: 3,
    readiness: ServiceProbe.grpc('shop.checkout.v1.Checkout'),
    liveness: ServiceProbe.http('/healthz', { port: 'http-admin' }),
    terminationGracePeriod: Duration.seconds(45),
    env: {
      PAYMENT_API_URL: 'https://api.payments.example.net',
      PAYMENT_API_KEY: EnvRef.secret('checkout-payment', 'api-key'),
      POD_NAME: EnvRef.field('metadata.name'),
    },
    envFrom: [EnvFrom.configMap('checkout-settings')],
    volumes: [ServiceVolume.secret('checkout-tls', '/etc/checkout/tls')],
    partOf: 'shop',
  });

  const renderer = new KataMicroservice(chart, 'renderer', {
    image: 'registry.example.com/shop/template-renderer:2.3.7',
    port: 8080,
    // Customer templates run here: the default QEMU runtime, a larger VM, no route out.
    sandbox: Sandbox.kata(KataRuntime.QEMU),
    replicas: 2,
    resources: {
      cpu: { request: Cpu.units(1), limit: Cpu.units(2) },
      memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    },
    readiness: ServiceProbe.http('/q/health/ready'),
    liveness: ServiceProbe.http('/q/health/live'),
    // A JVM: give it up to 2 minutes to start before liveness applies.
    startup: ServiceProbe.http('/q/health/started', { period: Duration.seconds(5), failureThreshold: 24 }),
    tmpSize: Size.mebibytes(256),
    partOf: 'shop',
  });

  const catalog = new KataMicroservice(chart, 'catalog', {
    image: 'registry.example.com/platform/catalog:7.1.0',
    port: 8080,
    sandbox: Sandbox.trusted(),
    mesh: ServiceMesh.istio({ nativeSidecar: true }),
    replicas: 2,
    readiness: ServiceProbe.http('/readyz'),
    liveness: ServiceProbe.http('/livez'),
    partOf: 'shop',
  });

  const storefront = new KataMicroservice(chart, 'storefront', {
    image: 'registry.example.com/shop/storefront:4.12.0',
    port: 8080,
    servicePort: 80,
    sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR),
    autoscaling: { minReplicas: 3, maxReplicas: 12, targetCpuUtilization: 65 },
    resources: {
      cpu: { request: Cpu.millis(500), limit: Cpu.units(2) },
      memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
    },
    readiness: ServiceProbe.http('/ready'),
    liveness: ServiceProbe.http('/live'),
    expose: Expose.loadBalancer({
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      },
    }),
    env: {
      CHECKOUT_ADDR: `${checkout.serviceHost}:${checkout.servicePort}`,
      CATALOG_URL: `http://${catalog.serviceHost}:${catalog.servicePort}`,
      RENDERER_URL: `http://${renderer.serviceHost}:${renderer.servicePort}`,
    },
    partOf: 'shop',
  });

  storefront.allowTo(checkout);
  storefront.allowTo(catalog);
  storefront.allowTo(renderer);
  checkout.allowTo(catalog);
  // The payment provider is outside the cluster.
  checkout.allowTo(NetworkPeer.anywhere(), [{ port: 443 }]);
  if (backends.vault) checkout.allowTo(backends.vault);
  if (backends.kafka) checkout.allowTo(backends.kafka);
  if (backends.cassandra) {
    checkout.allowTo(backends.cassandra);
    catalog.allowTo(backends.cassandra);
  }
  for (const svc of [storefront, checkout, renderer, catalog]) {
    // Prometheus in namespace monitoring scrapes the services.
    svc.allowFrom(
      NetworkPeer.namespace('monitoring'),
      svc === checkout ? [{ port: 8081 }] : [{ port: 8080 }],
    );
  }
  return { chart, storefront, checkout, renderer, catalog };
}
