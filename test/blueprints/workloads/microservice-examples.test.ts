import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { checkManifests } from '../../../lib/check/engine';
import { Severity } from '../../../lib/check/types';
import { Connections, INetworkEndpoint, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';
import { buildApp } from '../../../examples/microservice/app';
import { addMicroservices } from '../../../examples/platform/microservices';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const podOf = (objs: Obj[], name: string): Obj =>
  objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template;

describe('examples/microservice', () => {
  const app = buildApp('/nonexistent-outdir');
  const objs = app.charts.flatMap((c) => c.toJson()) as Obj[];

  test('passes the project checks with no findings', () => {
    expect(checkManifests(objs)).toEqual([]);
  });

  test('a Kata frontend behind a TLS Ingress, calling a trusted backend in the mesh', () => {
    expect(objs.find((o) => o.kind === 'Namespace').metadata.name).toBe('podinfo');
    const frontend = podOf(objs, 'frontend');
    expect(frontend.spec.runtimeClassName).toBe('kata-clh');
    expect(frontend.metadata.labels['sidecar.istio.io/inject']).toBe('false');
    const backend = podOf(objs, 'backend');
    expect(backend.spec.runtimeClassName).toBeUndefined();
    expect(backend.metadata.labels['kata-blueprints.io/sandbox']).toBe('trusted');
    expect(backend.metadata.labels['sidecar.istio.io/inject']).toBe('true');
    const ingress = objs.find((o) => o.kind === 'Ingress');
    expect(ingress.spec.tls).toEqual([
      { hosts: ['podinfo.example.com'], secretName: 'podinfo-example-com-tls' },
    ]);
    expect(frontend.spec.containers[0].args).toContain(
      '--backend-url=http://backend.podinfo.svc.cluster.local:9898/echo',
    );
    const backendPolicy = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'backend').spec;
    expect(backendPolicy.ingress.map((r: Obj) => r.ports)).toContainEqual([
      { protocol: 'TCP', port: 9898 },
      { protocol: 'TCP', port: 9999 },
    ]);
  });
});

/** A data blueprint's network side, standing in for Vault/Kafka/Cassandra. */
class Store extends Construct implements INetworkEndpoint {
  public readonly connections: Connections;
  constructor(scope: Construct, id: string, port: number) {
    super(scope, id);
    const selector = { 'app.kubernetes.io/name': id };
    const policy = new PodNetworkPolicy(this, 'Policy', { context: id, name: id, selector });
    this.connections = new Connections(NetworkPeer.pods(selector, Chart.of(this).namespace), policy, [
      { port },
    ]);
  }
}

describe('examples/platform microservices', () => {
  const app = Testing.app();
  const data = new Chart(app, 'data', { namespace: 'data', disableResourceNameHashes: true });
  const services = addMicroservices(app, {
    vault: new Store(data, 'vault', 8200),
    kafka: new Store(data, 'kafka', 9092),
    cassandra: new Store(data, 'cassandra', 9042),
  });
  const objs = services.chart.toJson() as Obj[];

  test('passes the project checks with zero errors', () => {
    expect(checkManifests(objs).filter((f) => f.severity === Severity.ERROR)).toEqual([]);
  });

  test('lives in the restricted namespace apps', () => {
    const ns = objs.find((o) => o.kind === 'Namespace');
    expect(ns.metadata.name).toBe('apps');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('apps');
  });

  test('mixes Kata and trusted services; one is behind the cloud load balancer', () => {
    const sandboxes = ['storefront', 'checkout', 'renderer', 'catalog'].map((n) => [
      n,
      podOf(objs, n).metadata.labels['kata-blueprints.io/sandbox'],
      podOf(objs, n).spec.runtimeClassName,
    ]);
    expect(sandboxes).toEqual([
      ['storefront', 'kata', 'kata-clh'],
      ['checkout', 'kata', 'kata-qemu-runtime-rs'],
      ['renderer', 'kata', 'kata-qemu'],
      ['catalog', 'trusted', undefined],
    ]);
    const lbs = objs.filter((o) => o.kind === 'Service' && o.spec.type === 'LoadBalancer');
    expect(lbs.map((s) => s.metadata.name)).toEqual(['storefront']);
  });

  test('checkout reaches Vault, Kafka and Cassandra in their namespace', () => {
    const egress = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'checkout').spec.egress;
    const ports = egress.flatMap((r: Obj) => (r.ports ?? []).map((p: Obj) => p.port));
    expect(ports).toEqual(expect.arrayContaining([8200, 9092, 9042, 443]));
    const toVault = egress.find((r: Obj) => r.ports?.[0]?.port === 8200);
    expect(toVault.to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('data');
  });
});
