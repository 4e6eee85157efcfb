import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import fc from 'fast-check';
import {
  AppProtocol,
  Drain,
  EnvFrom,
  EnvRef,
  Expose,
  KATA_MIN_MEMORY_LIMIT_MIB,
  KataMicroservice,
  KataMicroserviceProps,
  ServiceMesh,
  ServiceProbe,
  ServiceVolume,
} from '../../../blueprints/workloads/microservice';
import * as workloads from '../../../blueprints/workloads';
import { Connections, INetworkEndpoint, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';
import { SpreadPolicy } from '../../../lib/k8s/scheduling';
import { KataRuntime } from '../../../lib/sandbox/runtime';
import { CriFlavor, Sandbox } from '../../../lib/sandbox/sandbox';

const IMAGE = 'registry.example.com/shop/api:1.4.2';
const DIGEST = `registry.example.com/shop/api@sha256:${'a'.repeat(64)}`;
const WARNING = 'kata-blueprints.io/warning';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

function chart(namespace = 'apps', app: App = Testing.app()): Chart {
  return new Chart(app, `chart-${namespace}`, { namespace, disableResourceNameHashes: true });
}

function build(props: Partial<KataMicroserviceProps> = {}, id = 'api') {
  const c = chart();
  const ms = new KataMicroservice(c, id, { image: IMAGE, ...props });
  return { c, ms, objs: Testing.synth(c) as Obj[] };
}

function find(objs: Obj[], kind: string, name = 'api'): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o)
    throw new Error(`no ${kind} ${name} in ${objs.map((x) => `${x.kind}/${x.metadata?.name}`).join(', ')}`);
  return o;
}
const has = (objs: Obj[], kind: string, name = 'api') =>
  objs.some((x) => x.kind === kind && x.metadata?.name === name);
const pod = (objs: Obj[], name = 'api') => find(objs, 'Deployment', name).spec.template;
const container = (objs: Obj[], name = 'api') => pod(objs, name).spec.containers[0];
const policy = (objs: Obj[], name = 'api') => find(objs, 'NetworkPolicy', name).spec;

/** A data blueprint in another namespace, as Vault/Kafka/Cassandra expose themselves. */
class FakeDataStore extends Construct implements INetworkEndpoint {
  public readonly connections: Connections;
  constructor(scope: Construct, id: string, port: number) {
    super(scope, id);
    const selector = { 'app.kubernetes.io/name': id };
    const p = new PodNetworkPolicy(this, 'Policy', { context: id, name: id, selector });
    this.connections = new Connections(NetworkPeer.pods(selector, Chart.of(this).namespace), p, [{ port }]);
  }
}

describe('KataMicroservice defaults', () => {
  const { ms, objs } = build();

  test('creates the ServiceAccount, Deployment, Service, PDB and NetworkPolicy, nothing else', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'Deployment',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    for (const o of objs) expect(o.metadata.namespace).toBe('apps');
    expect(ms.name).toBe('api');
    expect(ms.serviceHost).toBe('api.apps.svc.cluster.local');
    expect(ms.servicePort).toBe(8080);
  });

  test('two replicas in a Kata VM (kata-qemu) with the restricted security context', () => {
    const d = find(objs, 'Deployment');
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
    });
    expect(d.spec.revisionHistoryLimit).toBe(5);
    const spec = pod(objs).spec;
    expect(spec.runtimeClassName).toBe('kata-qemu');
    expect(pod(objs).metadata.labels['kata-blueprints.io/sandbox']).toBe('kata');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.serviceAccountName).toBe('api');
    expect(spec.securityContext).toEqual({
      fsGroup: 10001,
      runAsGroup: 10001,
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const sc = container(objs).securityContext;
    expect(sc).toMatchObject({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      capabilities: { drop: ['ALL'] },
    });
    expect(find(objs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  test('small-service resources with limits, and a tag-pinned image pulled Always', () => {
    const c = container(objs);
    expect(c.image).toBe(IMAGE);
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '1', memory: '256Mi', 'ephemeral-storage': '512Mi' },
    });
  });

  test('TCP readiness and a more lenient TCP liveness on the main port; no startup probe', () => {
    const c = container(objs);
    expect(c.readinessProbe).toEqual({
      tcpSocket: { port: 'http' },
      initialDelaySeconds: 0,
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(c.livenessProbe).toEqual({
      tcpSocket: { port: 'http' },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
      successThreshold: 1,
    });
    expect(c.startupProbe).toBeUndefined();
  });

  test('a 5s preStop sleep and a 30s grace period so connections drain', () => {
    expect(container(objs).lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(pod(objs).spec.terminationGracePeriodSeconds).toBe(30);
  });

  test('a writable /tmp on a read-only root filesystem', () => {
    expect(pod(objs).spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(container(objs).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  test('the main port is named for its protocol and carries appProtocol (Istio protocol selection)', () => {
    expect(container(objs).ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    const svc = find(objs, 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(svc.spec.selector).toEqual(ms.selector);
    expect(svc.spec.externalTrafficPolicy).toBeUndefined();
  });

  test('recommended labels with the image version; no mesh label', () => {
    const labels = pod(objs).metadata.labels;
    expect(labels).toMatchObject({
      'app.kubernetes.io/name': 'api',
      'app.kubernetes.io/instance': 'api',
      'app.kubernetes.io/component': 'server',
      'app.kubernetes.io/part-of': 'api',
      'app.kubernetes.io/version': '1.4.2',
      'app.kubernetes.io/managed-by': 'kata-blueprints',
    });
    expect(labels['sidecar.istio.io/inject']).toBeUndefined();
    expect(pod(objs).metadata.annotations).toBeUndefined();
    expect(find(objs, 'Deployment').metadata.annotations).toBeUndefined();
  });

  test('preferred hostname anti-affinity and a zone topology spread', () => {
    const spec = pod(objs).spec;
    expect(
      spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
    ).toBe('kubernetes.io/hostname');
    expect(spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: ms.selector },
      },
    ]);
  });

  test('a PDB that lets one pod go at a time and evicts unready pods', () => {
    expect(find(objs, 'PodDisruptionBudget').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: ms.selector },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  test('a NetworkPolicy that denies all but DNS', () => {
    const p = policy(objs);
    expect(p.podSelector).toEqual({ matchLabels: ms.selector });
    expect(p.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(p.ingress).toEqual([]);
    expect(p.egress).toHaveLength(1);
    expect(p.egress[0].ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
  });

  test('is exported from the workloads index and implements INetworkEndpoint', () => {
    expect(workloads.KataMicroservice).toBe(KataMicroservice);
    const endpoint: INetworkEndpoint = ms;
    expect(endpoint.connections.clientPorts).toEqual([{ port: 8080, protocol: 'TCP' }]);
  });

  test('synthesizes the same YAML twice', () => {
    expect(build().objs).toEqual(objs);
  });
});

describe('KataMicroservice options', () => {
  test('name, port, servicePort and gRPC protocol', () => {
    const { objs, ms } = build(
      { name: 'orders', port: 9090, servicePort: 90, protocol: AppProtocol.GRPC },
      'Orders',
    );
    expect(has(objs, 'Deployment', 'orders')).toBe(true);
    expect(container(objs, 'orders').ports).toEqual([{ name: 'grpc', containerPort: 9090, protocol: 'TCP' }]);
    expect(find(objs, 'Service', 'orders').spec.ports[0]).toEqual({
      name: 'grpc',
      port: 90,
      targetPort: 'grpc',
      protocol: 'TCP',
      appProtocol: 'grpc',
    });
    expect(ms.servicePort).toBe(90);
    expect(ms.serviceHost).toBe('orders.apps.svc.cluster.local');
  });

  test('the name defaults to the construct id, made DNS-safe', () => {
    const { ms } = build({}, 'PaymentsAPI');
    expect(ms.name).toBe('paymentsapi');
  });

  test('extra named ports: appProtocol, service port, unpublished and UDP ports', () => {
    const { objs, ms } = build({
      extraPorts: [
        { name: 'grpc', port: 9090, appProtocol: AppProtocol.GRPC, servicePort: 90 },
        { name: 'http-metrics', port: 9100, appProtocol: AppProtocol.HTTP, expose: false },
        { name: 'udp-stats', port: 8125, udp: true },
        { name: 'ws', port: 8082, appProtocol: AppProtocol.custom('kubernetes.io/ws') },
      ],
    });
    expect(container(objs).ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'grpc', containerPort: 9090, protocol: 'TCP' },
      { name: 'http-metrics', containerPort: 9100, protocol: 'TCP' },
      { name: 'udp-stats', containerPort: 8125, protocol: 'UDP' },
      { name: 'ws', containerPort: 8082, protocol: 'TCP' },
    ]);
    expect(find(objs, 'Service').spec.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'grpc', port: 90, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
      { name: 'udp-stats', port: 8125, targetPort: 'udp-stats', protocol: 'UDP' },
      { name: 'ws', port: 8082, targetPort: 'ws', protocol: 'TCP', appProtocol: 'kubernetes.io/ws' },
    ]);
    expect(ms.connections.clientPorts).toEqual([
      { port: 8080, protocol: 'TCP' },
      { port: 9090, protocol: 'TCP' },
      { port: 8125, protocol: 'UDP' },
      { port: 8082, protocol: 'TCP' },
    ]);
  });

  test('AppProtocol presets and custom values', () => {
    expect(
      [
        AppProtocol.HTTP,
        AppProtocol.HTTP2,
        AppProtocol.HTTPS,
        AppProtocol.GRPC,
        AppProtocol.GRPC_WEB,
        AppProtocol.TCP,
        AppProtocol.TLS,
      ].map(String),
    ).toEqual(['http', 'http2', 'https', 'grpc', 'grpc-web', 'tcp', 'tls']);
    expect(AppProtocol.custom('mysql').portNamePrefix).toBe('mysql');
    expect(AppProtocol.custom('kubernetes.io/h2c').portNamePrefix).toBe('h2c');
    expect(AppProtocol.custom('kubernetes.io/h2c', 'http2').portNamePrefix).toBe('http2');
    expect(() => AppProtocol.custom('not a protocol')).toThrow(
      /AppProtocol.custom: value "not a protocol" is not allowed/,
    );
    expect(() => AppProtocol.custom('mysql', 'a-very-long-prefix')).toThrow(
      /portNamePrefix "a-very-long-prefix"/,
    );
  });

  test('a single replica: no PDB, no spread, and a declared warning', () => {
    const { objs } = build({ replicas: 1 });
    expect(find(objs, 'Deployment').spec.replicas).toBe(1);
    expect(has(objs, 'PodDisruptionBudget')).toBe(false);
    expect(pod(objs).spec.affinity).toBeUndefined();
    expect(pod(objs).spec.topologySpreadConstraints).toBeUndefined();
    expect(find(objs, 'Deployment').metadata.annotations[WARNING]).toMatch(/replicas 1: no redundancy/);
  });

  test('fixed replicas', () => {
    const { objs } = build({ replicas: 5 });
    expect(find(objs, 'Deployment').spec.replicas).toBe(5);
    expect(has(objs, 'HorizontalPodAutoscaler')).toBe(false);
  });

  test('autoscaling: autoscaling/v2 HPA on CPU with scale-down behaviour, no replicas on the Deployment', () => {
    const { objs } = build({ autoscaling: { minReplicas: 2, maxReplicas: 10 } });
    expect(find(objs, 'Deployment').spec.replicas).toBeUndefined();
    const hpa = find(objs, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' });
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBe(10);
    expect(hpa.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
    expect(hpa.spec.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Max',
      policies: [
        { type: 'Percent', value: 25, periodSeconds: 60 },
        { type: 'Pods', value: 1, periodSeconds: 60 },
      ],
    });
    expect(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds).toBe(0);
    expect(has(objs, 'PodDisruptionBudget')).toBe(true);
    expect(pod(objs).spec.topologySpreadConstraints).toHaveLength(1);
  });

  test('autoscaling on memory only, on both, and with a custom scale-down', () => {
    const mem = find(
      build({ autoscaling: { minReplicas: 1, maxReplicas: 3, targetMemoryUtilization: 80 } }).objs,
      'HorizontalPodAutoscaler',
    );
    expect(mem.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ]);
    const both = find(
      build({
        autoscaling: {
          minReplicas: 2,
          maxReplicas: 4,
          targetCpuUtilization: 60,
          targetMemoryUtilization: 85,
          scaleDownStabilization: Duration.minutes(10),
          scaleDownPercentPerMinute: 50,
        },
      }).objs,
      'HorizontalPodAutoscaler',
    );
    expect(
      both.spec.metrics.map((m: Obj) => [m.resource.name, m.resource.target.averageUtilization]),
    ).toEqual([
      ['cpu', 60],
      ['memory', 85],
    ]);
    expect(both.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(600);
    expect(both.spec.behavior.scaleDown.policies[0]).toEqual({
      type: 'Percent',
      value: 50,
      periodSeconds: 60,
    });
  });

  test('autoscaling with an Istio sidecar measures the service container only', () => {
    const { objs } = build({
      autoscaling: { minReplicas: 2, maxReplicas: 4 },
      mesh: ServiceMesh.istio(),
      sandbox: Sandbox.trusted(),
    });
    expect(find(objs, 'HorizontalPodAutoscaler').spec.metrics).toEqual([
      {
        type: 'ContainerResource',
        containerResource: {
          name: 'cpu',
          container: 'api',
          target: { type: 'Utilization', averageUtilization: 70 },
        },
      },
    ]);
  });

  test('resources: given requests and limits; a lone limit is also the request', () => {
    const { objs } = build({
      resources: {
        cpu: { request: Cpu.millis(500), limit: Cpu.units(2) },
        memory: { limit: Size.gibibytes(1) },
        ephemeralStorage: { request: Size.mebibytes(100), limit: Size.gibibytes(2) },
      },
    });
    expect(container(objs).resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '100Mi' },
      limits: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '2Gi' },
    });
    const cpuOnly = container(build({ resources: { cpu: { limit: Cpu.millis(500) } } }).objs).resources;
    expect(cpuOnly.limits).toEqual({ cpu: '500m', memory: '256Mi', 'ephemeral-storage': '512Mi' });
    expect(cpuOnly.requests.cpu).toBe('500m');
  });

  test('env: literals, Secret and ConfigMap keys, pod fields, in name order; envFrom', () => {
    const { objs } = build({
      env: {
        LOG_LEVEL: 'info',
        DB_PASSWORD: EnvRef.secret('db', 'password'),
        FEATURE_FLAGS: EnvRef.configMap('flags', 'flags.json', { optional: true }),
        POD_IP: EnvRef.field('status.podIP'),
        TOKEN_TTL: '60',
      },
      envFrom: [EnvFrom.configMap('settings'), EnvFrom.secret('extra', 'EXTRA_', { optional: true })],
    });
    const c = container(objs);
    expect(c.env).toEqual([
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      {
        name: 'FEATURE_FLAGS',
        valueFrom: { configMapKeyRef: { name: 'flags', key: 'flags.json', optional: true } },
      },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP', apiVersion: 'v1' } } },
      { name: 'TOKEN_TTL', value: '60' },
    ]);
    expect(c.envFrom).toEqual([
      { configMapRef: { name: 'settings' } },
      { prefix: 'EXTRA_', secretRef: { name: 'extra', optional: true } },
    ]);
  });

  test('command and args', () => {
    const c = container(build({ command: ['/app/server'], args: ['--listen=:8080'] }).objs);
    expect(c.command).toEqual(['/app/server']);
    expect(c.args).toEqual(['--listen=:8080']);
  });

  test('HTTP, gRPC, exec probes, named ports, HTTPS and custom timings; a startup probe', () => {
    const { objs } = build({
      extraPorts: [
        { name: 'grpc', port: 9090, appProtocol: AppProtocol.GRPC },
        { name: 'https-admin', port: 8443, appProtocol: AppProtocol.HTTPS },
      ],
      readiness: ServiceProbe.grpc('shop.v1.Orders', {
        port: 'grpc',
        period: Duration.seconds(3),
        timeout: Duration.seconds(1),
      }),
      liveness: ServiceProbe.http('/healthz', {
        port: 8443,
        https: true,
        failureThreshold: 10,
        initialDelay: Duration.seconds(2),
      }),
      startup: ServiceProbe.exec(['/bin/check', '--startup'], {
        period: Duration.seconds(10),
        failureThreshold: 30,
      }),
    });
    const c = container(objs);
    expect(c.readinessProbe).toEqual({
      grpc: { port: 9090, service: 'shop.v1.Orders' },
      initialDelaySeconds: 0,
      periodSeconds: 3,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(c.livenessProbe).toEqual({
      httpGet: { path: '/healthz', port: 'https-admin', scheme: 'HTTPS' },
      initialDelaySeconds: 2,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 10,
      successThreshold: 1,
    });
    expect(c.startupProbe).toEqual({
      exec: { command: ['/bin/check', '--startup'] },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 30,
      successThreshold: 1,
    });
  });

  test('a gRPC probe on the main port without a service name; the default startup timing', () => {
    const c = container(
      build({
        protocol: AppProtocol.GRPC,
        port: 50051,
        readiness: ServiceProbe.grpc(),
        startup: ServiceProbe.tcp(),
      }).objs,
    );
    expect(c.readinessProbe.grpc).toEqual({ port: 50051 });
    expect(c.startupProbe).toMatchObject({
      tcpSocket: { port: 'grpc' },
      periodSeconds: 5,
      failureThreshold: 60,
    });
    expect(String(ServiceProbe.grpc('x'))).toBe('grpc(x)');
    expect(String(ServiceProbe.http('/a'))).toBe('http(/a)');
    expect(String(ServiceProbe.tcp())).toBe('tcp()');
    expect(String(ServiceProbe.exec(['true']))).toBe('exec(true)');
  });

  test('readiness may ask for several successes', () => {
    const c = container(build({ readiness: ServiceProbe.http('/ready', { successThreshold: 2 }) }).objs);
    expect(c.readinessProbe.successThreshold).toBe(2);
  });

  test('drain: exec sleep for old clusters, none, and a custom grace period', () => {
    const exec = build({ drain: Drain.execSleep(Duration.seconds(10)) }).objs;
    expect(container(exec).lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '10'] } } });
    expect(pod(exec).spec.terminationGracePeriodSeconds).toBe(35);
    const none = build({ drain: Drain.none(), terminationGracePeriod: Duration.seconds(10) }).objs;
    expect(container(none).lifecycle).toBeUndefined();
    expect(pod(none).spec.terminationGracePeriodSeconds).toBe(10);
    const long = build({
      drain: Drain.sleep(Duration.seconds(15)),
      terminationGracePeriod: Duration.minutes(2),
    }).objs;
    expect(container(long).lifecycle).toEqual({ preStop: { sleep: { seconds: 15 } } });
    expect(pod(long).spec.terminationGracePeriodSeconds).toBe(120);
    expect(String(Drain.sleep(Duration.seconds(3)))).toBe('sleep-action(3s)');
    expect(String(Drain.none())).toBe('none');
  });

  test('Expose.loadBalancer: LoadBalancer Service, policy open to anywhere on the published ports', () => {
    const { objs } = build({
      expose: Expose.loadBalancer({
        annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing' },
        loadBalancerClass: 'service.k8s.aws/nlb',
      }),
      extraPorts: [{ name: 'http-metrics', port: 9100, expose: false }],
    });
    const svc = find(objs, 'Service');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.externalTrafficPolicy).toBe('Cluster');
    expect(svc.spec.loadBalancerClass).toBe('service.k8s.aws/nlb');
    expect(svc.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
    });
    expect(policy(objs).ingress).toEqual([
      {
        from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ]);
  });

  test('Expose.loadBalancer with source ranges: filtered at the LB, and by the policy when the client IP is kept', () => {
    const kept = build({
      expose: Expose.loadBalancer({
        sourceRanges: ['203.0.113.0/24', '198.51.100.0/24'],
        preserveClientIp: true,
      }),
    }).objs;
    const svc = find(kept, 'Service');
    expect(svc.spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24', '198.51.100.0/24']);
    expect(svc.spec.externalTrafficPolicy).toBe('Local');
    expect(policy(kept).ingress.map((r: Obj) => r.from[0].ipBlock.cidr)).toEqual([
      '198.51.100.0/24',
      '203.0.113.0/24',
    ]);
    const snat = build({ expose: Expose.loadBalancer({ sourceRanges: ['203.0.113.0/24'] }) }).objs;
    expect(find(snat, 'Service').spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24']);
    expect(policy(snat).ingress[0].from).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0' } },
      { ipBlock: { cidr: '::/0' } },
    ]);
  });

  test('Expose.ingress: networking.k8s.io/v1 Ingress with class and TLS; the controller namespace is let in', () => {
    const { objs } = build({
      expose: Expose.ingress({
        host: 'api.example.com',
        path: '/v1',
        tlsSecret: 'api-tls',
        ingressClassName: 'nginx',
        annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' },
      }),
    });
    const ing = find(objs, 'Ingress');
    expect(ing.apiVersion).toBe('networking.k8s.io/v1');
    expect(ing.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' });
    expect(ing.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['api.example.com'], secretName: 'api-tls' }],
      rules: [
        {
          host: 'api.example.com',
          http: {
            paths: [
              {
                path: '/v1',
                pathType: 'Prefix',
                backend: { service: { name: 'api', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
    expect(find(objs, 'Service').spec.type).toBe('ClusterIP');
    expect(policy(objs).ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ]);
  });

  test('Expose.ingress without TLS warns; exact paths; another controller namespace', () => {
    const { objs } = build({
      expose: Expose.ingress({
        host: '*.example.com',
        path: '/status',
        exactPath: true,
        controllerNamespace: 'traefik',
      }),
    });
    const ing = find(objs, 'Ingress');
    expect(ing.metadata.annotations[WARNING]).toMatch(/without tlsSecret/);
    expect(ing.spec.tls).toBeUndefined();
    expect(ing.spec.ingressClassName).toBeUndefined();
    expect(ing.spec.rules[0].http.paths[0].pathType).toBe('Exact');
    expect(policy(objs).ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe(
      'traefik',
    );
    expect(String(Expose.ingress({ host: 'a.example.com' }))).toBe('ingress(a.example.com/)');
    expect(String(Expose.clusterIp())).toBe('clusterIp');
  });

  test('spread policies', () => {
    const strict = pod(build({ spread: SpreadPolicy.ONE_PER_HOST }).objs).spec;
    expect(strict.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    const none = pod(build({ spread: SpreadPolicy.NONE }).objs).spec;
    expect(none.affinity).toBeUndefined();
    expect(none.topologySpreadConstraints).toBeUndefined();
  });

  test('trusted: plain runc, no runtime class, same hardening', () => {
    const { objs, ms } = build({ sandbox: Sandbox.trusted() });
    const p = pod(objs);
    expect(p.spec.runtimeClassName).toBeUndefined();
    expect(p.metadata.labels['kata-blueprints.io/sandbox']).toBe('trusted');
    expect(p.spec.securityContext.runAsNonRoot).toBe(true);
    expect(ms.sandbox.isolated).toBe(false);
  });

  test('legacy untrusted (containerd): annotation, Kata node selector and toleration, no runtime class', () => {
    const p = pod(build({ sandbox: Sandbox.legacyUntrusted(CriFlavor.CONTAINERD) }).objs);
    expect(p.spec.runtimeClassName).toBeUndefined();
    expect(p.metadata.annotations).toEqual({ 'io.kubernetes.cri.untrusted-workload': 'true' });
    expect(p.spec.nodeSelector).toEqual({ 'katacontainers.io/kata-runtime': 'true' });
    expect(p.spec.tolerations).toEqual([
      { key: 'kata-blueprints.io/kata', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
    ]);
    expect(p.metadata.labels['kata-blueprints.io/sandbox']).toBe('legacy');
  });

  test('other Kata runtimes, with VM sizing annotations where the runtime allows them', () => {
    expect(
      pod(build({ sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR) }).objs).spec.runtimeClassName,
    ).toBe('kata-clh');
    const rs = pod(build({ sandbox: Sandbox.kata(KataRuntime.QEMU_RUNTIME_RS, { vcpus: 2 }) }).objs);
    expect(rs.spec.runtimeClassName).toBe('kata-qemu-runtime-rs');
    expect(rs.metadata.annotations).toEqual({ 'io.katacontainers.config.hypervisor.default_vcpus': '2' });
  });

  test('Istio sidecar: inject label, proxy config, istiod egress; a Kata pod declares the init-container caveat', () => {
    const { objs } = build({ mesh: ServiceMesh.istio() });
    const p = pod(objs);
    expect(p.metadata.labels['sidecar.istio.io/inject']).toBe('true');
    expect(JSON.parse(p.metadata.annotations['proxy.istio.io/config'])).toEqual({
      holdApplicationUntilProxyStarts: true,
      terminationDrainDuration: '5s',
    });
    expect(policy(objs).egress).toContainEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
          podSelector: { matchLabels: { app: 'istiod' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 15012 }],
    });
    expect(find(objs, 'Deployment').metadata.annotations[WARNING]).toMatch(
      /Istio sidecar in a Kata VM.*istio-init.*NET_ADMIN/,
    );
  });

  test('Istio options: no hold, native sidecar, drain duration, proxy resources, istiod namespace; trusted pods carry no warning', () => {
    const { objs } = build({
      sandbox: Sandbox.trusted(),
      drain: Drain.none(),
      mesh: ServiceMesh.istio({
        holdApplicationUntilProxyStarts: false,
        nativeSidecar: true,
        terminationDrainDuration: Duration.seconds(20),
        istioNamespace: 'istio-prod',
        proxyResources: {
          cpuRequest: Cpu.millis(100),
          cpuLimit: Cpu.units(1),
          memoryRequest: Size.mebibytes(128),
          memoryLimit: Size.gibibytes(1),
        },
      }),
    });
    const a = pod(objs).metadata.annotations;
    expect(a).toEqual({
      'proxy.istio.io/config': '{"terminationDrainDuration":"20s"}',
      'sidecar.istio.io/nativeSidecar': 'true',
      'sidecar.istio.io/proxyCPU': '100m',
      'sidecar.istio.io/proxyCPULimit': '1',
      'sidecar.istio.io/proxyMemory': '128Mi',
      'sidecar.istio.io/proxyMemoryLimit': '1Gi',
    });
    expect(JSON.stringify(policy(objs).egress)).toContain('istio-prod');
    expect(find(objs, 'Deployment').metadata.annotations).toBeUndefined();
    const noDrain = pod(
      build({ sandbox: Sandbox.trusted(), drain: Drain.none(), mesh: ServiceMesh.istio() }).objs,
    );
    expect(noDrain.metadata.annotations['proxy.istio.io/config']).toBe(
      '{"holdApplicationUntilProxyStarts":true}',
    );
    const bare = pod(
      build({
        sandbox: Sandbox.trusted(),
        drain: Drain.none(),
        mesh: ServiceMesh.istio({ holdApplicationUntilProxyStarts: false }),
      }).objs,
    );
    expect(bare.metadata.annotations).toBeUndefined();
  });

  test('ServiceMesh.NO_SIDECAR opts out, and frees the Istio ports and uid', () => {
    const { objs } = build({ mesh: ServiceMesh.NO_SIDECAR, port: 15020, user: 1337 });
    expect(pod(objs).metadata.labels['sidecar.istio.io/inject']).toBe('false');
    expect(container(objs).securityContext.runAsUser).toBe(1337);
    expect(container(objs).ports[0].containerPort).toBe(15020);
    expect(JSON.stringify(policy(objs).egress)).not.toContain('15012');
    expect(String(ServiceMesh.NO_SIDECAR)).toBe('no-sidecar');
    expect(String(ServiceMesh.NAMESPACE_DEFAULT)).toBe('namespace-default');
    expect(String(ServiceMesh.istio())).toBe('istio');
  });

  test('user and group', () => {
    const { objs } = build({ user: 20000, group: 30000 });
    expect(pod(objs).spec.securityContext).toMatchObject({
      runAsUser: 20000,
      runAsGroup: 30000,
      fsGroup: 30000,
    });
    expect(container(objs).securityContext).toMatchObject({ runAsUser: 20000, runAsGroup: 30000 });
  });

  test('volumes: Secret and ConfigMap files (read-only, items), scratch space, /tmp size', () => {
    const { objs } = build({
      tmpSize: Size.mebibytes(256),
      volumes: [
        ServiceVolume.secret('api-tls', '/etc/api/tls'),
        ServiceVolume.configMap('api-config', '/etc/api/config/', {
          items: { 'app.yaml': 'app.yaml' },
          defaultMode: 0o440,
        }),
        ServiceVolume.emptyDir('/var/cache/api', Size.gibibytes(1)),
      ],
    });
    expect(pod(objs).spec.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      { name: 'secret-api-tls', secret: { secretName: 'api-tls', defaultMode: 0o440 } },
      {
        name: 'config-api-config',
        configMap: { name: 'api-config', defaultMode: 0o440, items: [{ key: 'app.yaml', path: 'app.yaml' }] },
      },
      { name: 'scratch-var-cache-api', emptyDir: { sizeLimit: '1Gi' } },
    ]);
    expect(container(objs).volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'secret-api-tls', mountPath: '/etc/api/tls', readOnly: true },
      { name: 'config-api-config', mountPath: '/etc/api/config', readOnly: true },
      { name: 'scratch-var-cache-api', mountPath: '/var/cache/api' },
    ]);
  });

  test('nested mounts are fine on runc', () => {
    const { objs } = build({
      sandbox: Sandbox.trusted(),
      volumes: [ServiceVolume.emptyDir('/tmp/cache', Size.mebibytes(32))],
    });
    expect(container(objs).volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/tmp', '/tmp/cache']);
  });

  test('service account: cloud identity annotations and an API token when asked', () => {
    const { objs } = build({
      serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/api' },
      serviceAccountToken: true,
    });
    const sa = find(objs, 'ServiceAccount');
    expect(sa.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/api',
    });
    expect(sa.automountServiceAccountToken).toBe(true);
    expect(pod(objs).spec.automountServiceAccountToken).toBe(true);
  });

  test('priority class, part-of, and a digest-pinned image pulled IfNotPresent', () => {
    const { objs } = build({ priorityClassName: 'business-critical', partOf: 'shop', image: DIGEST });
    expect(pod(objs).spec.priorityClassName).toBe('business-critical');
    expect(pod(objs).metadata.labels['app.kubernetes.io/part-of']).toBe('shop');
    expect(pod(objs).metadata.labels['app.kubernetes.io/version']).toBe('aaaaaaaaaaaa');
    expect(container(objs).imagePullPolicy).toBe('IfNotPresent');
  });
});

describe('KataMicroservice connections', () => {
  test('a.allowFrom(b) and a.allowTo(b) open both policies on the callee ports', () => {
    const c = chart();
    const api = new KataMicroservice(c, 'api', {
      image: IMAGE,
      extraPorts: [{ name: 'grpc', port: 9090, appProtocol: AppProtocol.GRPC }],
    });
    const web = new KataMicroservice(c, 'web', { image: IMAGE, sandbox: Sandbox.trusted() });
    const worker = new KataMicroservice(c, 'worker', { image: IMAGE, port: 8081 });
    api.allowFrom(web);
    worker.allowTo(api, [{ port: 9090 }]);
    const objs = Testing.synth(c) as Obj[];
    expect(policy(objs, 'api').ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: web.selector } }],
        ports: [
          { protocol: 'TCP', port: 8080 },
          { protocol: 'TCP', port: 9090 },
        ],
      },
      { from: [{ podSelector: { matchLabels: worker.selector } }], ports: [{ protocol: 'TCP', port: 9090 }] },
    ]);
    expect(policy(objs, 'web').egress[1]).toEqual({
      to: [{ podSelector: { matchLabels: api.selector } }],
      ports: [
        { protocol: 'TCP', port: 8080 },
        { protocol: 'TCP', port: 9090 },
      ],
    });
    expect(policy(objs, 'worker').egress[1]).toEqual({
      to: [{ podSelector: { matchLabels: api.selector } }],
      ports: [{ protocol: 'TCP', port: 9090 }],
    });
  });

  test('allowTo a data blueprint in another namespace (Vault, Kafka, Cassandra implement INetworkEndpoint)', () => {
    const app = Testing.app();
    const apps = chart('apps', app);
    const data = chart('vault', app);
    const vault = new FakeDataStore(data, 'vault', 8200);
    const api = new KataMicroservice(apps, 'api', { image: IMAGE });
    api.allowTo(vault);
    const egress = policy(Testing.synth(apps) as Obj[]).egress;
    expect(egress[1]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vault' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vault' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 8200 }],
    });
    const vaultIngress = (Testing.synth(data) as Obj[]).find((o) => o.kind === 'NetworkPolicy').spec.ingress;
    expect(vaultIngress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } },
            podSelector: { matchLabels: api.selector },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8200 }],
      },
    ]);
  });

  test('egress to external APIs and CIDRs; ingress from arbitrary peers', () => {
    const c = chart();
    const api = new KataMicroservice(c, 'api', { image: IMAGE });
    api.allowTo(NetworkPeer.anywhere(), [{ port: 443 }]);
    api.allowTo(NetworkPeer.ipBlock('10.20.0.0/16'), [{ port: 5432 }]);
    api.allowFrom(NetworkPeer.namespace('monitoring'), [{ port: 9100 }]);
    api.allowFrom(NetworkPeer.namespace('gateway'));
    const p = policy(Testing.synth(c) as Obj[]);
    expect(p.egress.slice(1)).toEqual([
      {
        to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
        ports: [{ protocol: 'TCP', port: 443 }],
      },
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
    ]);
    expect(p.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port: 9100 }],
      },
    ]);
  });
});

describe('KataMicroservice errors', () => {
  const err = (props: Partial<KataMicroserviceProps>) => () => build(props);

  test.each([
    [
      undefined,
      /KataMicroservice "api": image \(unset\) is not allowed; expected a pinned image .*image is required/,
    ],
    ['', /image "" is not allowed/],
    [
      'registry.example.com/shop/api:latest',
      /image "registry.example.com\/shop\/api:latest" is not allowed; expected a pinned image: "latest" moves/,
    ],
    [
      'registry.example.com/shop/api',
      /image "registry.example.com\/shop\/api" is not allowed; expected a pinned image: a tag other than "latest"/,
    ],
    ['Registry/API:1', /image "Registry\/API:1" is not allowed; expected an image reference/],
  ])('image %p', (image, msg) => {
    expect(() => new KataMicroservice(chart(), 'api', { image } as unknown as KataMicroserviceProps)).toThrow(
      msg,
    );
  });

  test.each([
    [{ port: 0 }, /port 0 is not allowed; expected a whole port number from 1 to 65535/],
    [{ port: 65536 }, /port 65536 is not allowed/],
    [{ port: 80.5 }, /port 80.5 is not allowed/],
    [{ servicePort: 70000 }, /servicePort 70000 is not allowed/],
    [{ extraPorts: [{ name: 'grpc', port: -1 }] }, /extraPorts\[0\].port -1 is not allowed/],
    [
      { extraPorts: [{ name: 'grpc', port: 9090, servicePort: 0 }] },
      /extraPorts\[0\].servicePort 0 is not allowed/,
    ],
    [
      { extraPorts: [{ name: 'Bad_Name', port: 9090 }] },
      /extraPorts\[0\].name "Bad_Name" is not allowed; expected an IANA service name/,
    ],
    [
      { extraPorts: [{ name: 'a-very-long-port-name', port: 9090 }] },
      /extraPorts\[0\].name "a-very-long-port-name"/,
    ],
    [
      { extraPorts: [{ name: 'http', port: 9090 }] },
      /extraPorts\[0\].name "http" is not allowed; expected a name not used by another port/,
    ],
    [
      { extraPorts: [{ name: 'admin', port: 8080 }] },
      /extraPorts\[0\].port 8080 is not allowed; expected a port not used by another port \("http"\)/,
    ],
    [
      { extraPorts: [{ name: 'admin', port: 9000, servicePort: 8080 }] },
      /extraPorts\[0\].servicePort 8080 is not allowed; expected a Service port not used by "http"/,
    ],
    [{ port: 15020 }, /port 15020 is not allowed; expected a port the Istio sidecar does not use/],
    [
      { extraPorts: [{ name: 'admin', port: 15000 }] },
      /extraPorts\[0\].port 15000 is not allowed; expected a port the Istio sidecar/,
    ],
    [
      { protocol: 'http' as unknown as AppProtocol },
      /protocol "http" is not allowed; expected an AppProtocol/,
    ],
  ])('ports %#', (props, msg) => {
    expect(err(props as Partial<KataMicroserviceProps>)).toThrow(msg);
  });

  test.each([
    [
      { autoscaling: { minReplicas: 5, maxReplicas: 3 } },
      /autoscaling.minReplicas 5 is not allowed; expected at most maxReplicas 3/,
    ],
    [
      { autoscaling: { minReplicas: 0, maxReplicas: 3 } },
      /autoscaling.minReplicas 0 is not allowed; expected a whole number >= 1/,
    ],
    [{ autoscaling: { minReplicas: 1, maxReplicas: 0 } }, /autoscaling.maxReplicas 0 is not allowed/],
    [
      { replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 5 } },
      /replicas 3 is not allowed; expected no fixed replicas together with autoscaling/,
    ],
    [{ replicas: 0 }, /replicas 0 is not allowed; expected a whole number >= 1/],
    [{ replicas: 1.5 }, /replicas 1.5 is not allowed/],
    [
      { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuUtilization: 0 } },
      /autoscaling.targetCpuUtilization 0 is not allowed/,
    ],
    [
      { autoscaling: { minReplicas: 1, maxReplicas: 3, targetMemoryUtilization: 50.5 } },
      /autoscaling.targetMemoryUtilization 50.5/,
    ],
    [
      { autoscaling: { minReplicas: 1, maxReplicas: 3, scaleDownPercentPerMinute: 150 } },
      /autoscaling.scaleDownPercentPerMinute 150/,
    ],
    [
      { autoscaling: { minReplicas: 1, maxReplicas: 3, scaleDownStabilization: Duration.hours(2) } },
      /autoscaling.scaleDownStabilization "7200s"/,
    ],
  ])('replicas %#', (props, msg) => {
    expect(err(props as Partial<KataMicroserviceProps>)).toThrow(msg);
  });

  test.each([
    [
      { cpu: { request: Cpu.units(2), limit: Cpu.units(1) } },
      /resources.cpu.limit "1" is not allowed; expected >= the request 2/,
    ],
    [
      { memory: { request: Size.mebibytes(512), limit: Size.mebibytes(256) } },
      /resources.memory.limit "256Mi" is not allowed; expected >= the request 512Mi/,
    ],
    [
      { memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) } },
      /resources.memory.limit "64Mi" is not allowed; expected at least 128Mi in a Kata VM \(kata\(kata-qemu\)\).*kata-containers#7470.*320Mi podFixed/,
    ],
    [
      { ephemeralStorage: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } },
      /resources.ephemeralStorage.limit/,
    ],
  ])('resources %#', (resources, msg) => {
    expect(err({ resources })).toThrow(msg);
  });

  test('the VM memory floor applies to legacy sandboxes too, not to trusted pods', () => {
    const small = { memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) } };
    expect(err({ resources: small, sandbox: Sandbox.legacyUntrusted(CriFlavor.CRIO) })).toThrow(
      /at least 128Mi in a Kata VM \(legacy\(cri-o\)\)/,
    );
    expect(
      container(build({ resources: small, sandbox: Sandbox.trusted() }).objs).resources.limits.memory,
    ).toBe('64Mi');
  });

  test('property: in a Kata VM a memory limit is accepted exactly from the floor up', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), (mib) => {
        const run = () =>
          new KataMicroservice(chart(), 'api', {
            image: IMAGE,
            resources: { memory: { request: Size.mebibytes(Math.min(mib, 64)), limit: Size.mebibytes(mib) } },
          });
        if (mib < KATA_MIN_MEMORY_LIMIT_MIB) expect(run).toThrow(/resources.memory.limit/);
        else expect(run).not.toThrow();
      }),
      { numRuns: 60 },
    );
  });

  test('property: autoscaling bounds are accepted exactly when 1 <= min <= max', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2, max: 20 }),
        fc.integer({ min: -2, max: 20 }),
        (minReplicas, maxReplicas) => {
          const run = () =>
            new KataMicroservice(chart(), 'api', { image: IMAGE, autoscaling: { minReplicas, maxReplicas } });
          if (minReplicas >= 1 && maxReplicas >= 1 && minReplicas <= maxReplicas) {
            expect(run).not.toThrow();
          } else {
            expect(run).toThrow(/autoscaling\.(min|max)Replicas/);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test.each([
    [{ user: 0 }, /user 0 is not allowed; expected a non-root id/],
    [{ user: 1337 }, /user 1337 is not allowed; expected an id other than 1337, which Istio reserves/],
    [{ group: 1337 }, /group 1337 is not allowed/],
    [{ user: -5 }, /user -5 is not allowed/],
  ])('identity %#', (props, msg) => {
    expect(err(props)).toThrow(msg);
  });

  test.each([
    [
      { readiness: ServiceProbe.grpc(undefined, { port: 'grpc' }) },
      /readiness.port "grpc" is not allowed; expected a port of the container \(http=8080\)/,
    ],
    [{ liveness: ServiceProbe.http('/healthz', { port: 9999 }) }, /liveness.port 9999 is not allowed/],
    [
      { liveness: ServiceProbe.http('/healthz', { successThreshold: 2 }) },
      /liveness.successThreshold 2 is not allowed; expected 1 \(Kubernetes requires it for liveness probes\)/,
    ],
    [{ startup: ServiceProbe.tcp({ successThreshold: 3 }) }, /startup.successThreshold 3/],
    [
      { readiness: ServiceProbe.tcp({ period: Duration.seconds(2), timeout: Duration.seconds(5) }) },
      /readiness.timeout "5s" is not allowed; expected at most the period 2s/,
    ],
    [
      { readiness: ServiceProbe.tcp({ period: Duration.millis(1500) }) },
      /readiness.period "1.5s" is not allowed; expected a whole number of seconds >= 1/,
    ],
    [{ readiness: ServiceProbe.tcp({ failureThreshold: 0 }) }, /readiness.failureThreshold 0 is not allowed/],
    [
      { readiness: 'tcp' as unknown as ServiceProbe },
      /readiness "tcp" is not allowed; expected a ServiceProbe/,
    ],
  ])('probes %#', (props, msg) => {
    expect(err(props)).toThrow(msg);
  });

  test('probe factories check their arguments', () => {
    expect(() => ServiceProbe.http('healthz')).toThrow(
      /ServiceProbe.http: path "healthz" is not allowed; expected a request path starting with "\/"/,
    );
    expect(() => ServiceProbe.grpc('')).toThrow(/ServiceProbe.grpc: service ""/);
    expect(() => ServiceProbe.exec([])).toThrow(/ServiceProbe.exec: command/);
  });

  test('drain and grace period', () => {
    expect(() => Drain.sleep(Duration.millis(2500))).toThrow(
      /Drain.sleep: duration "2.5s" is not allowed; expected a whole number of seconds >= 1/,
    );
    expect(() => Drain.execSleep(Duration.seconds(0))).toThrow(/Drain.execSleep: duration "0s"/);
    expect(
      err({ drain: Drain.sleep(Duration.seconds(30)), terminationGracePeriod: Duration.seconds(30) }),
    ).toThrow(/terminationGracePeriod "30s" is not allowed; expected more than the 30s drain pause/);
    expect(err({ terminationGracePeriod: Duration.millis(500) })).toThrow(/terminationGracePeriod "0.5s"/);
    expect(err({ drain: 'sleep' as unknown as Drain })).toThrow(/drain "sleep" is not allowed/);
  });

  test('env', () => {
    expect(err({ env: { DB_PASSWORD: 'hunter2' } })).toThrow(
      /env\["DB_PASSWORD"\] "\(a literal value\)" is not allowed; expected a credential from a Secret: EnvRef.secret/,
    );
    expect(err({ env: { GITHUB_TOKEN: 'ghp_x' } })).toThrow(/env\["GITHUB_TOKEN"\]/);
    expect(err({ env: { '1BAD': 'x' } })).toThrow(
      /env\["1BAD"\] "1BAD" is not allowed; expected an environment variable name/,
    );
    expect(err({ env: { A: 5 as unknown as string } })).toThrow(
      /env\["A"\] 5 is not allowed; expected a string or an EnvRef/,
    );
    expect(err({ envFrom: ['settings' as unknown as EnvFrom] })).toThrow(/envFrom\[0\] "settings"/);
    expect(() => EnvRef.secret('Bad_Name', 'k')).toThrow(/EnvRef.secret: secretName "Bad_Name"/);
    expect(() => EnvRef.configMap('cfg', 'bad key')).toThrow(/EnvRef.configMap: key "bad key"/);
    expect(() => EnvRef.field('spec.containers')).toThrow(
      /EnvRef.field: fieldPath "spec.containers" is not allowed; expected one of metadata.name/,
    );
    expect(() => EnvFrom.secret('s', '1X')).toThrow(/EnvFrom.secret: prefix "1X"/);
  });

  test('expose', () => {
    expect(() => Expose.ingress({ host: 'API.example.com' })).toThrow(
      /Expose.ingress: host "API.example.com" is not allowed; expected a DNS name/,
    );
    expect(() => Expose.ingress({ host: 'api.example.com', path: 'v1' })).toThrow(
      /Expose.ingress: path "v1"/,
    );
    expect(() => Expose.ingress({ host: 'api.example.com', tlsSecret: 'TLS' })).toThrow(/tlsSecret "TLS"/);
    expect(() => Expose.ingress({ host: 'api.example.com', ingressClassName: 'Nginx' })).toThrow(
      /ingressClassName "Nginx"/,
    );
    expect(() => Expose.ingress({ host: 'api.example.com', controllerNamespace: 'Ingress' })).toThrow(
      /controllerNamespace "Ingress"/,
    );
    expect(() => Expose.loadBalancer({ sourceRanges: ['203.0.113.0'] })).toThrow(
      /Expose.loadBalancer: sourceRanges\[0\] "203.0.113.0" is not allowed; expected a CIDR/,
    );
    expect(() => Expose.loadBalancer({ sourceRanges: [] })).toThrow(/sourceRanges \[\] is not allowed/);
    expect(err({ expose: 'lb' as unknown as Expose })).toThrow(/expose "lb" is not allowed/);
  });

  test('volumes', () => {
    expect(err({ volumes: [ServiceVolume.emptyDir('/tmp', Size.mebibytes(10), 'other')] })).toThrow(
      /volumes\[0\].mountPath "\/tmp" is not allowed; expected a path not already used by volume "tmp"/,
    );
    expect(err({ volumes: [ServiceVolume.emptyDir('/tmp/cache', Size.mebibytes(10))] })).toThrow(
      /volumes\[0\].mountPath "\/tmp\/cache" is not allowed; expected a path that does not nest with "\/tmp".*kata-containers#3140/,
    );
    expect(
      err({ volumes: [ServiceVolume.secret('a', '/etc/a'), ServiceVolume.secret('a', '/etc/b')] }),
    ).toThrow(/volumes\[1\] "secret-a" is not allowed/);
    expect(err({ volumes: ['x' as unknown as ServiceVolume] })).toThrow(
      /volumes\[0\] "x" is not allowed; expected a ServiceVolume/,
    );
    expect(() => ServiceVolume.secret('s', 'relative')).toThrow(/ServiceVolume.secret: mountPath "relative"/);
    expect(() => ServiceVolume.configMap('c', '/etc/c', { items: { k: '../x' } })).toThrow(
      /items\["k"\] "..\/x"/,
    );
    expect(() => ServiceVolume.configMap('c', '/etc/c', { items: {} })).toThrow(/items \{\} is not allowed/);
    expect(() => ServiceVolume.secret('s', '/s', { defaultMode: 0o1777 })).toThrow(/defaultMode 1023/);
    expect(() => ServiceVolume.emptyDir('/x', Size.kibibytes(100))).toThrow(
      /ServiceVolume.emptyDir: sizeLimit "100Ki" is not allowed; expected a whole number of MiB/,
    );
  });

  test('sandbox, mesh, spread, name, partOf, priority class', () => {
    expect(err({ sandbox: 'kata' as unknown as Sandbox })).toThrow(
      /sandbox "kata" is not allowed; expected Sandbox.kata/,
    );
    expect(err({ mesh: 'istio' as unknown as ServiceMesh })).toThrow(
      /mesh "istio" is not allowed; expected ServiceMesh.istio/,
    );
    expect(err({ spread: 'zones' as unknown as SpreadPolicy })).toThrow(/spread "zones" is not allowed/);
    expect(err({ name: 'Bad_Name' })).toThrow(/name "Bad_Name" is not allowed; expected a DNS-1035 label/);
    expect(err({ partOf: '-shop' })).toThrow(/partOf "-shop"/);
    expect(err({ priorityClassName: 'High' })).toThrow(/priorityClassName "High"/);
  });

  test('Istio options', () => {
    expect(() => ServiceMesh.istio({ istioNamespace: 'Istio' })).toThrow(
      /ServiceMesh.istio: istioNamespace "Istio"/,
    );
    expect(() => ServiceMesh.istio({ terminationDrainDuration: Duration.millis(500) })).toThrow(
      /terminationDrainDuration "0.5s"/,
    );
    expect(() =>
      ServiceMesh.istio({
        proxyResources: {
          cpuRequest: Cpu.units(1),
          cpuLimit: Cpu.millis(500),
          memoryRequest: Size.mebibytes(64),
          memoryLimit: Size.mebibytes(64),
        },
      }),
    ).toThrow(/proxyResources.cpuLimit "500m" is not allowed; expected >= the request 1/);
    expect(() =>
      ServiceMesh.istio({
        proxyResources: {
          cpuRequest: Cpu.millis(100),
          cpuLimit: Cpu.millis(500),
          memoryRequest: Size.mebibytes(256),
          memoryLimit: Size.mebibytes(128),
        },
      }),
    ).toThrow(/proxyResources.memoryLimit "128Mi" is not allowed; expected >= the request 256Mi/);
  });
});
