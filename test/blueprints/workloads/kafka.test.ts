import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import fc from 'fast-check';
import {
  KafkaExternalType,
  KafkaListenerSecurity,
  KafkaQuorumMode,
  KafkaRack,
  KafkaVersion,
  KataKafkaBrokers,
  KataKafkaBrokersProps,
  IKafkaEndpoint,
  kafkaConfig,
} from '../../../blueprints/workloads/kafka';
import * as workloads from '../../../blueprints/workloads';

const { initialControllers, parseProperties, quorumBootstrapServers, quorumVoters } = kafkaConfig;
import { Connections, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';
import { SpreadPolicy } from '../../../lib/k8s/scheduling';
import { CriFlavor, Sandbox } from '../../../lib/sandbox/sandbox';
import { KataRuntime } from '../../../lib/sandbox/runtime';

const WARNING = 'kata-blueprints.io/warning';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

function chart(namespace: string | undefined = 'kafka', app: App = Testing.app()): Chart {
  return new Chart(app, `chart-${namespace ?? 'none'}`, {
    ...(namespace ? { namespace } : {}),
    disableResourceNameHashes: true,
  });
}

function build(props: KataKafkaBrokersProps = {}, id = 'events', namespace = 'kafka') {
  const c = chart(namespace);
  const kafka = new KataKafkaBrokers(c, id, props);
  return { c, kafka, objs: Testing.synth(c) as Obj[] };
}

const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o)
    throw new Error(`no ${kind} ${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const kafkaContainer = (sts: Obj): Obj =>
  sts.spec.template.spec.containers.find((c: Obj) => c.name === 'kafka');
const envOf = (c: Obj, name: string): Obj => c.env.find((e: Obj) => e.name === name);
const poolProps = (objs: Obj[], cm: string, pod: string) => {
  const data = find(objs, 'ConfigMap', cm).data;
  return parseProperties(data['pool.properties'] + data[`${pod}.properties`]);
};

describe('KataKafkaBrokers defaults', () => {
  const { kafka, objs } = build();

  test('is exported from the workloads index and implements IKafkaEndpoint', () => {
    expect(workloads.KataKafkaBrokers).toBe(KataKafkaBrokers);
    const endpoint: IKafkaEndpoint = kafka;
    expect(endpoint.bootstrapServers).toBe('events-kafka-bootstrap.kafka.svc.cluster.local:9092');
    expect(endpoint.securityProtocol).toBe('PLAINTEXT');
    expect(endpoint.connections.clientPorts).toEqual([{ port: 9092 }]);
    expect(kafka.saslMechanism).toBeUndefined();
  });

  test('synthesizes the controller and broker pools with their services, policies and budgets', () => {
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual(
      [
        'ClusterRole/kafka-events-kafka-rack',
        'ClusterRoleBinding/kafka-events-kafka-rack',
        'ConfigMap/events-kafka-broker-config',
        'ConfigMap/events-kafka-controller-config',
        'NetworkPolicy/events-kafka-broker',
        'NetworkPolicy/events-kafka-controller',
        'PodDisruptionBudget/events-kafka-broker',
        'PodDisruptionBudget/events-kafka-controller',
        'Service/events-kafka-bootstrap',
        'Service/events-kafka-brokers',
        'Service/events-kafka-controllers',
        'ServiceAccount/events-kafka',
        'StatefulSet/events-kafka-broker',
        'StatefulSet/events-kafka-controller',
      ].sort(),
    );
  });

  test('3 controllers and 3 brokers, in Kata, non-root uid 1000, started in parallel', () => {
    for (const [name, replicas] of [
      ['events-kafka-controller', 3],
      ['events-kafka-broker', 3],
    ] as const) {
      const sts = find(objs, 'StatefulSet', name);
      expect(sts.spec.replicas).toBe(replicas);
      expect(sts.spec.podManagementPolicy).toBe('Parallel');
      expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({
        whenDeleted: 'Retain',
        whenScaled: 'Retain',
      });
      const pod = sts.spec.template.spec;
      expect(pod.runtimeClassName).toBe('kata-qemu');
      expect(pod.securityContext).toMatchObject({
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe('events-kafka');
      expect(pod.terminationGracePeriodSeconds).toBe(120);
      const c = kafkaContainer(sts);
      expect(c.image).toBe('apache/kafka:4.3.2');
      expect(c.command).toEqual(['/bin/bash', '/etc/kafka/config/start.sh']);
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        runAsUser: 1000,
      });
      expect(envOf(c, 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      expect(envOf(c, 'KAFKA_LOG4J_OPTS').value).toBe(
        '-Dlog4j2.configurationFile=/etc/kafka/config/log4j2.properties',
      );
      expect(sts.spec.template.metadata.annotations['kata-blueprints.io/config-hash']).toMatch(
        /^[0-9a-f]{16}$/,
      );
      expect(sts.metadata.annotations?.[WARNING]).toBeUndefined();
    }
  });

  test('brokers: 100Gi data volume, 4Gi memory with a 2 GiB heap, probes on the client port', () => {
    const sts = find(objs, 'StatefulSet', 'events-kafka-broker');
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '100Gi' } },
    });
    const c = kafkaContainer(sts);
    expect(c.resources).toEqual({
      requests: { cpu: '1', memory: '4Gi' },
      limits: { cpu: '2', memory: '4Gi' },
    });
    expect(envOf(c, 'KAFKA_HEAP_OPTS').value).toBe('-Xms2048m -Xmx2048m');
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
      expect(c[probe].tcpSocket.port).toBe(9092);
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'data', mountPath: '/var/lib/kafka/data' },
        { name: 'config', mountPath: '/etc/kafka/config', readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ]),
    );
    expect(c.ports.map((p: Obj) => [p.name, p.containerPort])).toEqual([
      ['tcp-replication', 9091],
      ['tcp-client', 9092],
    ]);
  });

  test('controllers: 10Gi metadata volume, 2Gi memory with a 1 GiB heap, probes on the controller port', () => {
    const sts = find(objs, 'StatefulSet', 'events-kafka-controller');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    const c = kafkaContainer(sts);
    expect(envOf(c, 'KAFKA_HEAP_OPTS').value).toBe('-Xms1024m -Xmx1024m');
    expect(c.readinessProbe.tcpSocket.port).toBe(9093);
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/kafka/metadata' });
    expect(sts.spec.template.spec.initContainers).toBeUndefined();
  });

  test('node ids from the pool bases, the dynamic quorum and the replication settings in the rendered files', () => {
    const b = poolProps(objs, 'events-kafka-broker-config', 'events-kafka-broker-2');
    expect(b['node.id']).toBe('102');
    expect(b['controller.quorum.bootstrap.servers']).toBe(quorumBootstrapServers(kafka.spec));
    expect(b['default.replication.factor']).toBe('3');
    expect(b['min.insync.replicas']).toBe('2');
    const c = poolProps(objs, 'events-kafka-controller-config', 'events-kafka-controller-0');
    expect(c['node.id']).toBe('0');
    expect(find(objs, 'ConfigMap', 'events-kafka-controller-config').data['initial-controllers']).toBe(
      initialControllers(kafka.spec),
    );
    expect(find(objs, 'ConfigMap', 'events-kafka-broker-config').data['initial-controllers']).toBeUndefined();
  });

  test('rack awareness: an init container reads the node zone with a projected token, RBAC allows get on nodes only', () => {
    const sts = find(objs, 'StatefulSet', 'events-kafka-broker');
    const [init] = sts.spec.template.spec.initContainers;
    expect(init.name).toBe('rack');
    expect(init.image).toBe('curlimages/curl:8.14.1');
    expect(init.command).toEqual(['/bin/sh', '/etc/kafka/config/rack.sh']);
    expect(envOf(init, 'NODE_NAME').valueFrom.fieldRef.fieldPath).toBe('spec.nodeName');
    expect(init.volumeMounts).toContainEqual({
      name: 'rack-api',
      mountPath: '/etc/kafka/rack-api',
      readOnly: true,
    });
    expect(kafkaContainer(sts).volumeMounts.map((m: Obj) => m.name)).not.toContain('rack-api');
    const api = sts.spec.template.spec.volumes.find((v: Obj) => v.name === 'rack-api');
    expect(api.projected.sources[0]).toEqual({
      serviceAccountToken: { path: 'token', expirationSeconds: 600 },
    });
    const role = find(objs, 'ClusterRole', 'kafka-events-kafka-rack');
    expect(role.metadata.namespace).toBeUndefined();
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    const binding = find(objs, 'ClusterRoleBinding', 'kafka-events-kafka-rack');
    expect(binding.metadata.namespace).toBeUndefined();
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'events-kafka', namespace: 'kafka' }]);
    const p = poolProps(objs, 'events-kafka-broker-config', 'events-kafka-broker-0');
    expect(p['broker.rack']).toBe('${dir:/etc/kafka/rack:rack}');
    expect(p['replica.selector.class']).toBe('org.apache.kafka.common.replica.RackAwareReplicaSelector');
    expect(envOf(kafkaContainer(sts), 'KAFKA_OPTS').value).toBe(
      '-Dorg.apache.kafka.automatic.config.providers=org.apache.kafka.common.config.provider.DirectoryConfigProvider',
    );
  });

  test('spread: one pod per host and zones balanced, for both pools', () => {
    for (const name of ['events-kafka-controller', 'events-kafka-broker']) {
      const pod = find(objs, 'StatefulSet', name).spec.template.spec;
      expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe(
        'kubernetes.io/hostname',
      );
      expect(pod.topologySpreadConstraints[0]).toMatchObject({
        topologyKey: 'topology.kubernetes.io/zone',
        maxSkew: 1,
      });
    }
  });

  test('one node down at a time in each pool', () => {
    for (const name of ['events-kafka-controller', 'events-kafka-broker']) {
      expect(find(objs, 'PodDisruptionBudget', name).spec).toMatchObject({
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'IfHealthyBudget',
      });
    }
  });

  test('headless services publish not-ready pods; the bootstrap service selects brokers on 9092', () => {
    const h = find(objs, 'Service', 'events-kafka-controllers');
    expect(h.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(h.spec.ports.map((p: Obj) => p.port)).toEqual([9093]);
    expect(find(objs, 'Service', 'events-kafka-brokers').spec.ports.map((p: Obj) => p.port)).toEqual([
      9091, 9092,
    ]);
    const boot = find(objs, 'Service', 'events-kafka-bootstrap');
    expect(boot.spec.selector).toEqual(
      find(objs, 'StatefulSet', 'events-kafka-broker').spec.selector.matchLabels,
    );
    expect(boot.spec.ports).toEqual([
      { name: 'tcp-client', port: 9092, targetPort: 9092, protocol: 'TCP', appProtocol: 'tcp' },
    ]);
  });

  test('network policies: the controller port only between pods of the cluster, replication only between brokers', () => {
    const ctl = find(objs, 'NetworkPolicy', 'events-kafka-controller').spec;
    const component = (rule: Obj) =>
      rule[rule.from ? 'from' : 'to'][0].podSelector?.matchLabels['app.kubernetes.io/component'];
    expect(ctl.ingress.map((r: Obj) => [component(r), r.ports.map((p: Obj) => p.port)])).toEqual([
      ['broker', [9093]],
      ['controller', [9093]],
    ]);
    const brk = find(objs, 'NetworkPolicy', 'events-kafka-broker').spec;
    expect(brk.ingress).toEqual([
      {
        from: [
          {
            podSelector: {
              matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'broker' }),
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 9091 }],
      },
    ]);
    const egressPorts = brk.egress.map((r: Obj) => r.ports.map((p: Obj) => p.port).join('/'));
    expect(egressPorts).toEqual(['53/53', '443/6443', '9091', '9093']);
  });

  test('clients connect through connections: ingress on the brokers, egress on the client, port 9092 only', () => {
    const c = chart();
    const kafka = new KataKafkaBrokers(c, 'events');
    const policy = new PodNetworkPolicy(c, 'app-policy', {
      context: 't',
      name: 'app',
      selector: { app: 'orders' },
    });
    const app = {
      connections: new Connections(NetworkPeer.pods({ app: 'orders' }, 'kafka'), policy, [{ port: 8080 }]),
    };
    app.connections.allowTo(kafka);
    const objs = Testing.synth(c) as Obj[];
    const brk = find(objs, 'NetworkPolicy', 'events-kafka-broker').spec;
    expect(brk.ingress).toContainEqual({
      from: [{ podSelector: { matchLabels: { app: 'orders' } } }],
      ports: [{ protocol: 'TCP', port: 9092 }],
    });
    const appPolicy = find(objs, 'NetworkPolicy', 'app').spec;
    expect(appPolicy.egress).toContainEqual({
      to: [
        {
          podSelector: {
            matchLabels: find(objs, 'StatefulSet', 'events-kafka-broker').spec.selector.matchLabels,
          },
        },
      ],
      ports: [{ protocol: 'TCP', port: 9092 }],
    });
  });

  test('output is deterministic: two synths are identical, the cluster id is stable and namespaced', () => {
    expect(JSON.stringify(build().objs)).toBe(JSON.stringify(objs));
    expect(build().kafka.clusterId).toBe(kafka.clusterId);
    expect(build({}, 'events', 'other').kafka.clusterId).not.toBe(kafka.clusterId);
    expect(build({ clusterId: 'MkU3OEVBNTcwNTJENDM2Qg' }).kafka.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qg');
  });
});

describe('KataKafkaBrokers options', () => {
  test('combined mode: one pool of broker,controller nodes, marked with a warning', () => {
    const { kafka, objs } = build({ combinedMode: true, controllers: 3 });
    expect(objs.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name)).toEqual([
      'events-kafka-node',
    ]);
    const sts = find(objs, 'StatefulSet', 'events-kafka-node');
    expect(sts.metadata.annotations[WARNING]).toMatch(/combined mode .* not for production/);
    const p = poolProps(objs, 'events-kafka-node-config', 'events-kafka-node-1');
    expect(p['process.roles']).toBe('broker,controller');
    expect(p['node.id']).toBe('1');
    expect(kafka.bootstrapServers).toBe('events-kafka-bootstrap.kafka.svc.cluster.local:9092');
    expect(find(objs, 'Service', 'events-kafka-bootstrap').spec.selector['app.kubernetes.io/component']).toBe(
      'node',
    );
    const np = find(objs, 'NetworkPolicy', 'events-kafka-node').spec;
    expect(np.ingress.flatMap((r: Obj) => r.ports.map((x: Obj) => x.port)).sort()).toEqual([9091, 9093]);
    expect(kafka.replicationFactor).toBe(3);
  });

  test('a single combined node: replication factor 1, and warnings for it', () => {
    const { kafka, objs } = build({ combinedMode: true, controllers: 1 });
    expect(kafka.replicationFactor).toBe(1);
    expect(kafka.minInsyncReplicas).toBe(1);
    const w = find(objs, 'StatefulSet', 'events-kafka-node').metadata.annotations[WARNING];
    expect(w).toContain('single KRaft controller');
    expect(w).toContain('replicationFactor 1');
  });

  test('Kafka 3.8 uses static voters and log4j 1; 3.9 the dynamic quorum by default', () => {
    const { kafka, objs } = build({ version: KafkaVersion.of('3.8.1') });
    expect(kafka.quorumMode).toBe(KafkaQuorumMode.STATIC);
    const p = poolProps(objs, 'events-kafka-broker-config', 'events-kafka-broker-0');
    expect(p['controller.quorum.voters']).toBe(quorumVoters(kafka.spec));
    expect(find(objs, 'ConfigMap', 'events-kafka-broker-config').data['log4j.properties']).toContain(
      'log4j.rootLogger',
    );
    expect(
      envOf(kafkaContainer(find(objs, 'StatefulSet', 'events-kafka-broker')), 'KAFKA_LOG4J_OPTS').value,
    ).toBe('-Dlog4j.configuration=file:/etc/kafka/config/log4j.properties');
    expect(build({ version: KafkaVersion.V3_9_2 }).kafka.quorumMode).toBe(KafkaQuorumMode.DYNAMIC);
    expect(build({ quorumMode: KafkaQuorumMode.STATIC }).kafka.quorumMode).toBe(KafkaQuorumMode.STATIC);
  });

  test('storage, resources, heap, shutdown, spread and sandbox props', () => {
    const { objs } = build({
      storageSize: Size.gibibytes(500),
      storageClassName: 'nvme-local',
      controllerStorageSize: Size.gibibytes(20),
      brokerResources: {
        cpu: { request: Cpu.units(4), limit: Cpu.units(4) },
        memory: { request: Size.gibibytes(32), limit: Size.gibibytes(32) },
      },
      controllerHeap: Size.mebibytes(1536),
      gracefulShutdown: Duration.minutes(5),
      spread: SpreadPolicy.STRICT_ZONES,
      sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR),
    });
    const b = find(objs, 'StatefulSet', 'events-kafka-broker');
    expect(b.spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: 'nvme-local',
      resources: { requests: { storage: '500Gi' } },
    });
    expect(envOf(kafkaContainer(b), 'KAFKA_HEAP_OPTS').value).toBe('-Xms6144m -Xmx6144m');
    expect(b.spec.template.spec.terminationGracePeriodSeconds).toBe(300);
    expect(b.spec.template.spec.runtimeClassName).toBe('kata-clh');
    expect(b.spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    const c = find(objs, 'StatefulSet', 'events-kafka-controller');
    expect(c.spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: 'nvme-local',
      resources: { requests: { storage: '20Gi' } },
    });
    expect(envOf(kafkaContainer(c), 'KAFKA_HEAP_OPTS').value).toBe('-Xms1536m -Xmx1536m');
  });

  test('legacy untrusted sandbox: annotation and node selector, no runtimeClassName', () => {
    const { objs } = build({ sandbox: Sandbox.legacyUntrusted(CriFlavor.CONTAINERD) });
    const t = find(objs, 'StatefulSet', 'events-kafka-broker').spec.template;
    expect(t.spec.runtimeClassName).toBeUndefined();
    expect(t.metadata.annotations['io.kubernetes.cri.untrusted-workload']).toBe('true');
  });

  test('rack from the pod topology label: downward API, no RBAC, no init container', () => {
    const { objs } = build({ rack: KafkaRack.fromPodTopologyLabel() });
    expect(objs.some((o) => o.kind === 'ClusterRole')).toBe(false);
    const sts = find(objs, 'StatefulSet', 'events-kafka-broker');
    expect(sts.spec.template.spec.initContainers).toBeUndefined();
    expect(envOf(kafkaContainer(sts), 'KAFKA_RACK').valueFrom.fieldRef.fieldPath).toBe(
      "metadata.labels['topology.kubernetes.io/zone']",
    );
    expect(
      find(objs, 'NetworkPolicy', 'events-kafka-broker').spec.egress.map((r: Obj) => r.ports[0].port),
    ).not.toContain(443);
  });

  test('rack disabled: no rack, no follower fetching by default', () => {
    const { objs } = build({ rack: KafkaRack.disabled() });
    const p = poolProps(objs, 'events-kafka-broker-config', 'events-kafka-broker-0');
    expect(p['broker.rack']).toBeUndefined();
    expect(p['replica.selector.class']).toBeUndefined();
    expect(envOf(kafkaContainer(find(objs, 'StatefulSet', 'events-kafka-broker')), 'KAFKA_OPTS').value).toBe(
      '-Dorg.apache.kafka.automatic.config.providers=none',
    );
  });

  test('load balancer access: one Service per broker, a bootstrap load balancer, per-pod advertised host and a plaintext warning', () => {
    const { objs } = build({
      external: {
        type: KafkaExternalType.LOAD_BALANCER,
        advertisedHost: 'events-{ordinal}.kafka.example.com',
        loadBalancerSourceRanges: ['203.0.113.0/24'],
        serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' },
      },
    });
    for (const i of [0, 1, 2]) {
      const svc = find(objs, 'Service', `events-kafka-broker-${i}-external`);
      expect(svc.spec).toMatchObject({
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Cluster',
        loadBalancerSourceRanges: ['203.0.113.0/24'],
        ports: [{ name: 'tcp-external', port: 9094, targetPort: 9094, protocol: 'TCP', appProtocol: 'tcp' }],
      });
      expect(svc.spec.selector['statefulset.kubernetes.io/pod-name']).toBe(`events-kafka-broker-${i}`);
      expect(svc.metadata.annotations).toMatchObject({
        'external-dns.alpha.kubernetes.io/hostname': `events-${i}.kafka.example.com`,
        'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
        [WARNING]: expect.stringContaining('without TLS'),
      });
      const p = poolProps(objs, 'events-kafka-broker-config', `events-kafka-broker-${i}`);
      expect(p['advertised.listeners'].split(',')[2]).toBe(`EXTERNAL://events-${i}.kafka.example.com:9094`);
    }
    expect(find(objs, 'Service', 'events-kafka-external-bootstrap').spec.type).toBe('LoadBalancer');
    const brk = find(objs, 'NetworkPolicy', 'events-kafka-broker').spec;
    expect(brk.ingress).toContainEqual({
      from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
      ports: [{ protocol: 'TCP', port: 9094 }],
    });
  });

  test('node port access: fixed node ports, local traffic policy, the node IP from the downward API', () => {
    const { objs } = build({
      external: {
        type: KafkaExternalType.NODE_PORT,
        nodePortBase: 31500,
        allowFrom: [NetworkPeer.ipBlock('10.0.0.0/8')],
      },
    });
    for (const i of [0, 1, 2]) {
      const svc = find(objs, 'Service', `events-kafka-broker-${i}-external`);
      expect(svc.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local' });
      expect(svc.spec.ports[0]).toMatchObject({ port: 31500 + i, nodePort: 31500 + i, targetPort: 9094 });
    }
    expect(objs.some((o) => o.metadata.name === 'events-kafka-external-bootstrap')).toBe(false);
    const c = kafkaContainer(find(objs, 'StatefulSet', 'events-kafka-broker'));
    expect(envOf(c, 'KAFKA_NODE_IP').valueFrom.fieldRef.fieldPath).toBe('status.hostIP');
    expect(envOf(c, 'KAFKA_OPTS').value).toContain('EnvVarConfigProvider');
    expect(find(objs, 'NetworkPolicy', 'events-kafka-broker').spec.ingress).toContainEqual({
      from: [{ ipBlock: { cidr: '10.0.0.0/8' } }],
      ports: [{ protocol: 'TCP', port: 9094 }],
    });
  });

  test('TLS issued by cert-manager: Certificate with the cluster names, Secret mounted, SSL endpoint', () => {
    const { kafka, objs } = build({
      listenerSecurity: KafkaListenerSecurity.tls({ secretName: 'events-kafka-tls' }),
      certManager: { issuerName: 'internal-ca' },
    });
    expect(kafka.securityProtocol).toBe('SSL');
    const cert = find(objs, 'Certificate', 'events-kafka-tls');
    expect(cert.spec).toMatchObject({
      secretName: 'events-kafka-tls',
      issuerRef: { name: 'internal-ca', kind: 'Issuer' },
      usages: ['digital signature', 'server auth', 'client auth'],
      privateKey: { encoding: 'PKCS8' },
    });
    expect(cert.spec.dnsNames).toEqual(
      expect.arrayContaining([
        '*.events-kafka-brokers.kafka.svc.cluster.local',
        '*.events-kafka-controllers.kafka.svc.cluster.local',
        'events-kafka-bootstrap.kafka.svc.cluster.local',
        'events-kafka-bootstrap',
      ]),
    );
    for (const name of ['events-kafka-controller', 'events-kafka-broker']) {
      const sts = find(objs, 'StatefulSet', name);
      expect(sts.spec.template.spec.volumes).toContainEqual({
        name: 'tls',
        secret: {
          secretName: 'events-kafka-tls',
          defaultMode: 0o440,
          items: ['tls.crt', 'tls.key', 'ca.crt'].map((k) => ({ key: k, path: k })),
        },
      });
      expect(kafkaContainer(sts).volumeMounts).toContainEqual({
        name: 'tls',
        mountPath: '/etc/kafka/tls',
        readOnly: true,
      });
    }
    expect(find(objs, 'Service', 'events-kafka-bootstrap').spec.ports[0].appProtocol).toBe('tls');
  });

  test('SASL_SSL with a bootstrap user: credentials from the Secret on controllers only', () => {
    const { kafka, objs } = build({
      listenerSecurity: KafkaListenerSecurity.saslSsl(
        { secretName: 'events-tls' },
        {
          bootstrapUser: {
            username: { secretName: 'kafka-admin', key: 'username' },
            password: { secretName: 'kafka-admin', key: 'password' },
          },
        },
      ),
    });
    expect(kafka.securityProtocol).toBe('SASL_SSL');
    expect(kafka.saslMechanism).toBe('SCRAM-SHA-512');
    const ctl = kafkaContainer(find(objs, 'StatefulSet', 'events-kafka-controller'));
    expect(envOf(ctl, 'KAFKA_BOOTSTRAP_SCRAM_PASSWORD').valueFrom.secretKeyRef).toEqual({
      name: 'kafka-admin',
      key: 'password',
    });
    expect(
      envOf(
        kafkaContainer(find(objs, 'StatefulSet', 'events-kafka-broker')),
        'KAFKA_BOOTSTRAP_SCRAM_PASSWORD',
      ),
    ).toBeUndefined();
    expect(find(objs, 'ConfigMap', 'events-kafka-controller-config').data['start.sh']).toContain(
      '--add-scram "SCRAM-SHA-512=[name=${scram_user},password=${scram_password}]"',
    );
  });

  test('extra settings reach every node; managed settings are refused with the prop to use', () => {
    const { objs } = build({ config: { 'log.retention.hours': 72, 'num.partitions': 6 } });
    expect(
      poolProps(objs, 'events-kafka-broker-config', 'events-kafka-broker-0')['log.retention.hours'],
    ).toBe('72');
    expect(
      poolProps(objs, 'events-kafka-controller-config', 'events-kafka-controller-0')['num.partitions'],
    ).toBe('6');
    expect(() => build({ config: { 'min.insync.replicas': 1 } })).toThrow(
      'KataKafkaBrokers "events": config["min.insync.replicas"] 1 is not allowed; expected no value: the blueprint sets min.insync.replicas (use minInsyncReplicas)',
    );
    expect(() => build({ config: { 'listener.name.client.ssl.client.auth': 'required' } })).toThrow(
      /use listenerSecurity/,
    );
    expect(() => build({ config: { 'Bad Key': 1 } })).toThrow(/config\["Bad Key"\]/);
  });

  test('pods roll when the shared configuration changes, not when the broker pool grows', () => {
    const hash = (o: KataKafkaBrokersProps) =>
      find(build(o).objs, 'StatefulSet', 'events-kafka-broker').spec.template.metadata.annotations[
        'kata-blueprints.io/config-hash'
      ];
    expect(hash({ brokers: 5 })).toBe(hash({ brokers: 3 }));
    expect(hash({ config: { 'log.retention.hours': 24 } })).not.toBe(hash({}));
    expect(hash({ brokerIdBase: 200 })).not.toBe(hash({}));
  });
});

describe('KataKafkaBrokers bad input', () => {
  const cases: Array<[string, KataKafkaBrokersProps, string | RegExp]> = [
    [
      'replicationFactor above brokers',
      { brokers: 3, replicationFactor: 4 },
      'KataKafkaBrokers "events": replicationFactor 4 is not allowed; expected at most brokers (3): replicationFactor 4 exceeds brokers 3',
    ],
    [
      'minInsyncReplicas equal to replicationFactor',
      { replicationFactor: 3, minInsyncReplicas: 3 },
      /minInsyncReplicas 3 is not allowed; expected less than replicationFactor 3 .*single broker stops acks=all writes/,
    ],
    [
      'minInsyncReplicas above replicationFactor',
      { replicationFactor: 3, minInsyncReplicas: 5 },
      /minInsyncReplicas 5 is not allowed/,
    ],
    [
      'minInsyncReplicas 0',
      { minInsyncReplicas: 0 },
      /minInsyncReplicas 0 is not allowed; expected a whole number >= 1/,
    ],
    ['even controllers', { controllers: 4 }, /controllers 4 is not allowed; expected an odd number >= 1/],
    ['zero controllers', { controllers: 0 }, /controllers 0 is not allowed; expected an odd number >= 1/],
    ['fractional brokers', { brokers: 2.5 }, /brokers 2.5 is not allowed/],
    [
      'combined with a broker count',
      { combinedMode: true, controllers: 3, brokers: 5 },
      /brokers 5 is not allowed; expected unset in combined mode/,
    ],
    [
      'overlapping node ids',
      { controllerIdBase: 0, brokerIdBase: 2 },
      /brokerIdBase 2 is not allowed; expected node ids that do not overlap the controllers' 0..2/,
    ],
    [
      'external without a type',
      { external: {} as never },
      /external.type \(unset\) is not allowed; expected KafkaExternalType.LOAD_BALANCER or KafkaExternalType.NODE_PORT/,
    ],
    [
      'load balancer without a host',
      { external: { type: KafkaExternalType.LOAD_BALANCER } },
      /external.advertisedHost \(unset\) is not allowed/,
    ],
    [
      'one host for all brokers',
      { external: { type: KafkaExternalType.LOAD_BALANCER, advertisedHost: 'kafka.example.com' } },
      /each of the 3 brokers needs its own address/,
    ],
    [
      'unknown placeholder',
      { external: { type: KafkaExternalType.LOAD_BALANCER, advertisedHost: 'k-{pod}.example.com' } },
      /placeholders \{ordinal\} or \{nodeId\} only/,
    ],
    [
      'node ports out of range',
      { external: { type: KafkaExternalType.NODE_PORT, nodePortBase: 32766 } },
      /external.nodePortBase 32766 is not allowed; expected a node port from 30000 to 32765/,
    ],
    [
      'external port clash',
      { external: { type: KafkaExternalType.NODE_PORT, port: 9092 } },
      /external.port 9092 is not allowed/,
    ],
    [
      'a non-Size storage size',
      { storageSize: '100Gi' as never },
      /storageSize "100Gi" is not allowed; expected a cdk8s Size/,
    ],
    [
      'a fractional MiB size',
      { storageSize: Size.kibibytes(1536) },
      /storageSize "1536Ki" is not allowed; expected a whole number of MiB/,
    ],
    [
      'a zero size',
      { controllerStorageSize: Size.gibibytes(0) },
      /controllerStorageSize .* is not allowed; expected a size > 0/,
    ],
    [
      'a heap above 75% of the limit',
      { brokerHeap: Size.gibibytes(4) },
      /brokerHeap "4096Mi" is not allowed; expected from 256Mi to 75% of the memory limit \(3072Mi\)/,
    ],
    [
      'too little memory',
      { controllerResources: { cpu: { limit: Cpu.units(1) }, memory: { limit: Size.mebibytes(512) } } },
      /controllerResources.memory.limit "512Mi" is not allowed; expected at least 1024Mi/,
    ],
    [
      'dynamic quorum on 3.8',
      { version: KafkaVersion.of('3.8.1'), quorumMode: KafkaQuorumMode.DYNAMIC },
      /quorumMode "dynamic" is not allowed; expected KafkaQuorumMode.STATIC with Kafka 3.8.1/,
    ],
    [
      'follower fetching without a rack',
      { rack: KafkaRack.disabled(), followerFetching: true },
      /followerFetching true is not allowed/,
    ],
    ['a bad cluster id', { clusterId: 'not-a-uuid' }, /clusterId "not-a-uuid" is not allowed/],
    [
      'a long name',
      { name: 'a'.repeat(36) },
      /name "a{36}" is not allowed; expected a DNS-1035 label of at most 35 characters/,
    ],
    ['an unpinned image', { image: 'apache/kafka:latest' }, /image "apache\/kafka:latest" is not allowed/],
    [
      'a short grace period',
      { gracefulShutdown: Duration.seconds(5) },
      /gracefulShutdown "5s" is not allowed; expected a whole number of seconds >= 10/,
    ],
    ['cert-manager without TLS', { certManager: { issuerName: 'ca' } }, /certManager "ca" is not allowed/],
    ['a bad storage class', { storageClassName: 'Fast SSD' }, /storageClassName "Fast SSD" is not allowed/],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('a chart without a namespace', () => {
    const c = new Chart(Testing.app(), 'no-namespace');
    expect(() => new KataKafkaBrokers(c, 'events')).toThrow(
      'KataKafkaBrokers "events": namespace (unset) is not allowed',
    );
  });

  test('version strings are checked', () => {
    expect(() => KafkaVersion.of('4.1')).toThrow('KafkaVersion.of: version "4.1" is not allowed');
    expect(() => KafkaVersion.of('3.6.2')).toThrow(/Kafka 3.7.0 or later/);
    expect(KafkaVersion.of('4.3.2')).toBe(KafkaVersion.V4_3_2);
  });

  test('property: broker count, replication factor and min ISR are accepted exactly when writes survive one broker loss', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        (brokers, rf, isr) => {
          const valid = rf >= 1 && rf <= brokers && isr >= 1 && (rf === 1 ? isr === 1 : isr < rf);
          const attempt = () =>
            build({ brokers, replicationFactor: rf, minInsyncReplicas: isr, rack: KafkaRack.disabled() });
          if (!valid) {
            expect(attempt).toThrow(
              /KataKafkaBrokers "events": (replicationFactor|minInsyncReplicas) \d+ is not allowed/,
            );
            return;
          }
          const { objs } = attempt();
          const p = poolProps(objs, 'events-kafka-broker-config', `events-kafka-broker-${brokers - 1}`);
          expect(p['node.id']).toBe(String(100 + brokers - 1));
          expect(p['default.replication.factor']).toBe(String(rf));
          expect(p['offsets.topic.replication.factor']).toBe(String(rf));
          expect(p['min.insync.replicas']).toBe(String(isr));
          expect(p['transaction.state.log.min.isr']).toBe(String(isr));
        },
      ),
      { numRuns: 60 },
    );
  });

  test('property: defaults give replicationFactor min(3, brokers) and minInsyncReplicas max(1, rf - 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), (brokers) => {
        const { kafka } = build({ brokers, rack: KafkaRack.disabled() });
        const rf = Math.min(3, brokers);
        expect(kafka.replicationFactor).toBe(rf);
        expect(kafka.minInsyncReplicas).toBe(Math.max(1, rf - 1));
      }),
      { numRuns: 12 },
    );
  });

  test('property: controller counts are accepted exactly when odd and positive', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2, max: 9 }), (controllers) => {
        const attempt = () => build({ controllers, rack: KafkaRack.disabled() });
        if (controllers >= 1 && controllers % 2 === 1) {
          const { kafka } = attempt();
          expect(quorumVoters(kafka.spec).split(',')).toHaveLength(controllers);
        } else {
          expect(attempt).toThrow(
            `KataKafkaBrokers "events": controllers ${controllers} is not allowed; expected an odd number >= 1`,
          );
        }
      }),
      { numRuns: 24 },
    );
  });
});
