import { App, Chart, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as workloads from '../../../blueprints/workloads';
import {
  DEFAULT_DRUID_IMAGE,
  DruidDeepStorage,
  DruidDiscovery,
  DruidMetadataStore,
  DruidNodeType,
  DruidWorkerType,
  KataDruidCluster,
  KataDruidClusterProps,
} from '../../../blueprints/workloads/druid';
import { IKafkaEndpoint } from '../../../blueprints/workloads/kafka';
import { Severity, checkManifests } from '../../../lib/check';
import { Connections, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';
import { SpreadPolicy } from '../../../lib/k8s/scheduling';
import { KataRuntime } from '../../../lib/sandbox/runtime';
import { Sandbox } from '../../../lib/sandbox/sandbox';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const WARNING = 'kata-blueprints.io/warning';
const ORDER = 'kata-blueprints.io/upgrade-order';

const base = (): KataDruidClusterProps => ({
  metadataStore: DruidMetadataStore.postgresql({
    connectUri: 'jdbc:postgresql://db.example.com:5432/druid',
    user: 'druid',
    passwordSecret: { name: 'druid-db', key: 'password' },
  }),
  deepStorage: DruidDeepStorage.s3({ bucket: 'acme-druid', baseKey: 'druid/segments', region: 'eu-west-1' }),
});

function chart(namespace = 'druid', app: App = Testing.app()): Chart {
  return new Chart(app, `chart-${namespace}`, { namespace, disableResourceNameHashes: true });
}

function build(props: Partial<KataDruidClusterProps> = {}, id = 'events') {
  const c = chart();
  const druid = new KataDruidCluster(c, id, { ...base(), ...props });
  return { c, druid, objs: Testing.synth(c) as Obj[] };
}

const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o)
    throw new Error(`no ${kind} ${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const podSpec = (w: Obj) => w.spec.template.spec;
const container = (w: Obj) => podSpec(w).containers[0];
const env = (w: Obj, name: string) => container(w).env.find((e: Obj) => e.name === name);
const props = (objs: Obj[], cm: string, file: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const line of find(objs, 'ConfigMap', cm).data[file].split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
};
/** Ingress (or egress) rules of a policy as [peer component or cidr/namespace, ports]. */
const rules = (objs: Obj[], policy: string, dir: 'ingress' | 'egress'): Array<[string, string[]]> =>
  find(objs, 'NetworkPolicy', policy).spec[dir].map((r: Obj) => [
    (r.from ?? r.to)
      .map((p: Obj) =>
        p.ipBlock
          ? p.ipBlock.cidr
          : (p.podSelector?.matchLabels?.['app.kubernetes.io/component'] ??
            p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ??
            JSON.stringify(p)),
      )
      .join('+'),
    (r.ports ?? []).map((p: Obj) => `${p.port}${p.endPort ? `-${p.endPort}` : ''}`),
  ]);

describe('KataDruidCluster defaults', () => {
  const { druid, objs } = build();

  test('is exported from the workloads index', () => {
    expect(workloads.KataDruidCluster).toBe(KataDruidCluster);
    expect(workloads.DruidMetadataStore).toBe(DruidMetadataStore);
  });

  test('synthesizes every node type with its config, service, workload, budget and policy', () => {
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const perType = (n: string, kind: string) => [
      `ConfigMap/events-${n}-config`,
      `NetworkPolicy/events-${n}`,
      `PodDisruptionBudget/events-${n}`,
      `Service/events-${n}`,
      `${kind}/events-${n}`,
    ];
    expect(names).toEqual(
      [
        ...perType('coordinator', 'Deployment'),
        ...perType('overlord', 'Deployment'),
        ...perType('broker', 'Deployment'),
        ...perType('router', 'Deployment'),
        ...perType('historical', 'StatefulSet'),
        ...perType('indexer', 'StatefulSet'),
        'Role/events-druid-discovery',
        'Role/events-druid-leader-election',
        'RoleBinding/events-druid-discovery',
        'RoleBinding/events-druid-leader-election',
        'ServiceAccount/events-druid',
        'ServiceAccount/events-druid-master',
      ].sort(),
    );
    for (const o of objs) expect(o.metadata.namespace).toBe('druid');
  });

  test('Kubernetes discovery by default, with Indexers (no peons that would drop MiddleManagers out of discovery)', () => {
    expect(druid.discovery.kind).toBe('kubernetes');
    expect(druid.workerType).toBe(DruidWorkerType.INDEXER);
    expect(container(find(objs, 'StatefulSet', 'events-indexer')).args).toEqual(['indexer']);
  });

  test('the official image, pinned, run by druid.sh with the node type as argument', () => {
    for (const w of objs.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))) {
      const c = container(w);
      expect(c.image).toBe(DEFAULT_DRUID_IMAGE);
      expect(c.command).toBeUndefined();
      expect(c.args).toEqual([w.metadata.name.replace('events-', '')]);
    }
    expect(DEFAULT_DRUID_IMAGE).toMatch(/^apache\/druid:3[1-9]\.\d+\.\d+$/);
  });

  test('replicas default to 2 for every node type', () => {
    for (const w of objs.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)))
      expect(w.spec.replicas).toBe(2);
  });

  test('pods run in Kata as uid 1000 with a read-only root and writable /tmp and /opt/druid/var volumes', () => {
    const w = find(objs, 'Deployment', 'events-broker');
    const spec = podSpec(w);
    expect(spec.runtimeClassName).toBe('kata-qemu');
    expect(spec.securityContext).toMatchObject({
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      runAsNonRoot: true,
    });
    expect(container(w).securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
    });
    expect(container(w).volumeMounts).toEqual([
      { name: 'common-config', mountPath: '/opt/druid/conf/druid/cluster/_common', readOnly: true },
      { name: 'node-config', mountPath: '/opt/druid/conf/druid/cluster/query/broker', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'var', mountPath: '/opt/druid/var' },
    ]);
    expect(spec.volumes.find((v: Obj) => v.name === 'var').emptyDir).toEqual({ sizeLimit: '4Gi' });
    const hist = find(objs, 'StatefulSet', 'events-historical');
    expect(container(hist).volumeMounts.map((m: Obj) => [m.name, m.mountPath])).toContainEqual([
      'data',
      '/opt/druid/var',
    ]);
    expect(container(hist).volumeMounts.map((m: Obj) => m.mountPath)).toContain(
      '/opt/druid/conf/druid/cluster/data/historical',
    );
    for (const m of container(hist).volumeMounts) expect(m.subPath).toBeUndefined();
  });

  test('each node type mounts its files from its own ConfigMap, and rolls when they change', () => {
    const w = find(objs, 'StatefulSet', 'events-historical');
    const vols = podSpec(w).volumes;
    expect(vols.find((v: Obj) => v.name === 'common-config').configMap.items.map((i: Obj) => i.key)).toEqual([
      'common.runtime.properties',
      'log4j2.xml',
    ]);
    expect(vols.find((v: Obj) => v.name === 'node-config').configMap).toMatchObject({
      name: 'events-historical-config',
      items: [
        { key: 'runtime.properties', path: 'runtime.properties' },
        { key: 'jvm.config', path: 'jvm.config' },
      ],
    });
    expect(w.spec.template.metadata.annotations['kata-blueprints.io/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.keys(find(objs, 'ConfigMap', 'events-historical-config').data).sort()).toEqual([
      'common.runtime.properties',
      'jvm.config',
      'log4j2.xml',
      'runtime.properties',
    ]);
  });

  test('druid.host is the pod IP; POD_NAME and POD_NAMESPACE for the discovery extension', () => {
    const w = find(objs, 'Deployment', 'events-router');
    expect(env(w, 'druid_host').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    expect(env(w, 'DRUID_SET_HOST').value).toBe('0');
    expect(env(w, 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(env(w, 'POD_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
  });

  test('the metadata password only from the Secret, and only where the metadata store is used', () => {
    for (const [kind, n, uses] of [
      ['Deployment', 'coordinator', true],
      ['Deployment', 'overlord', true],
      ['StatefulSet', 'indexer', true],
      ['Deployment', 'broker', false],
      ['Deployment', 'router', false],
      ['StatefulSet', 'historical', false],
    ] as const) {
      const e = env(find(objs, kind, `events-${n}`), 'METADATA_STORAGE_PASSWORD');
      if (uses)
        expect(e).toEqual({
          name: 'METADATA_STORAGE_PASSWORD',
          valueFrom: { secretKeyRef: { name: 'druid-db', key: 'password' } },
        });
      else expect(e).toBeUndefined();
    }
    for (const cm of objs.filter((o) => o.kind === 'ConfigMap')) {
      for (const text of Object.values(cm.data) as string[]) {
        for (const line of text
          .split('\n')
          .filter((l) => /password/i.test(l) && !l.startsWith('druid.startup.'))) {
          expect(line).toBe(
            'druid.metadata.storage.connector.password={"type":"environment","variable":"METADATA_STORAGE_PASSWORD"}',
          );
        }
      }
    }
  });

  test('RBAC for the discovery extension: pods for everyone, ConfigMap locks for the masters', () => {
    expect(find(objs, 'Role', 'events-druid-discovery').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
    ]);
    expect(find(objs, 'Role', 'events-druid-leader-election').rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['events-leaderelection-coordinator', 'events-leaderelection-overlord'],
        verbs: ['get', 'list', 'watch', 'update', 'delete'],
      },
    ]);
    expect(find(objs, 'RoleBinding', 'events-druid-discovery').subjects.map((s: Obj) => s.name)).toEqual([
      'events-druid',
      'events-druid-master',
    ]);
    expect(find(objs, 'RoleBinding', 'events-druid-leader-election').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'events-druid-master', namespace: 'druid' },
    ]);
    expect(podSpec(find(objs, 'Deployment', 'events-coordinator')).serviceAccountName).toBe(
      'events-druid-master',
    );
    expect(podSpec(find(objs, 'Deployment', 'events-overlord')).serviceAccountName).toBe(
      'events-druid-master',
    );
    expect(podSpec(find(objs, 'Deployment', 'events-broker')).serviceAccountName).toBe('events-druid');
    expect(podSpec(find(objs, 'Deployment', 'events-broker')).automountServiceAccountToken).toBe(true);
    expect(find(objs, 'ServiceAccount', 'events-druid').automountServiceAccountToken).toBe(false);
  });

  test("probes on Druid's health endpoints on each service's port", () => {
    const expected: Array<[string, string, number, string]> = [
      ['Deployment', 'coordinator', 8081, '/status/health'],
      ['Deployment', 'overlord', 8090, '/status/health'],
      ['Deployment', 'broker', 8082, '/druid/broker/v1/readiness'],
      ['Deployment', 'router', 8888, '/status/health'],
      ['StatefulSet', 'historical', 8083, '/druid/historical/v1/readiness'],
      ['StatefulSet', 'indexer', 8091, '/status/health'],
    ];
    for (const [kind, n, port, readiness] of expected) {
      const c = container(find(objs, kind, `events-${n}`));
      expect(c.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/status/health', port: 'http', scheme: 'HTTP' });
      expect(c.startupProbe.httpGet.path).toBe('/status/health');
      expect(c.startupProbe.failureThreshold).toBe(n === 'historical' ? 180 : 30);
      expect(c.readinessProbe.httpGet.path).toBe(readiness);
      expect(c.readinessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 });
      expect(find(objs, 'Service', `events-${n}`).spec.ports[0]).toMatchObject({ port, targetPort: 'http' });
    }
  });

  test('Deployments roll one pod at a time; StatefulSets keep their volumes', () => {
    const d = find(objs, 'Deployment', 'events-broker');
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const s = find(objs, 'StatefulSet', 'events-historical');
    expect(s.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    expect(s.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('100Gi');
    expect(s.spec.serviceName).toBe('events-historical');
    expect(find(objs, 'Service', 'events-historical').spec.clusterIP).toBe('None');
    expect(find(objs, 'Service', 'events-router').spec.type).toBe('ClusterIP');
    expect(podSpec(find(objs, 'StatefulSet', 'events-indexer')).terminationGracePeriodSeconds).toBe(360);
  });

  test('PodDisruptionBudgets allow one pod down; data nodes keep their budget when pods are unhealthy', () => {
    expect(find(objs, 'PodDisruptionBudget', 'events-historical').spec).toMatchObject({
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'IfHealthyBudget',
    });
    expect(find(objs, 'PodDisruptionBudget', 'events-router').spec.unhealthyPodEvictionPolicy).toBe(
      'AlwaysAllow',
    );
  });

  test('spread: required host anti-affinity for data nodes, preferred for the rest', () => {
    expect(
      podSpec(find(objs, 'StatefulSet', 'events-historical')).affinity.podAntiAffinity
        .requiredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
    expect(
      podSpec(find(objs, 'Deployment', 'events-broker')).affinity.podAntiAffinity
        .preferredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
  });

  test('the upgrade order is encoded on every object and exposed', () => {
    const step = (kind: string, n: string) => find(objs, kind, n).metadata.labels[ORDER];
    expect([
      step('StatefulSet', 'events-historical'),
      step('StatefulSet', 'events-indexer'),
      step('Deployment', 'events-broker'),
      step('Deployment', 'events-router'),
      step('Deployment', 'events-overlord'),
      step('Deployment', 'events-coordinator'),
    ]).toEqual(['1', '2', '3', '4', '5', '6']);
    for (const o of objs) expect(o.metadata.labels?.[ORDER]).toMatch(/^[0-6]$/);
    expect(find(objs, 'ServiceAccount', 'events-druid').metadata.labels[ORDER]).toBe('0');
    expect(find(objs, 'ConfigMap', 'events-broker-config').metadata.labels[ORDER]).toBe('3');
    expect(find(objs, 'Deployment', 'events-router').metadata.annotations[ORDER]).toMatch(
      /^step 4 of 6: Historical, MiddleManager\/Indexer, Broker, Router, Overlord, Coordinator$/,
    );
    expect(druid.upgradeOrder).toEqual([
      { step: 1, nodeType: 'historical', kind: 'StatefulSet', names: ['events-historical'] },
      { step: 2, nodeType: 'indexer', kind: 'StatefulSet', names: ['events-indexer'] },
      { step: 3, nodeType: 'broker', kind: 'Deployment', names: ['events-broker'] },
      { step: 4, nodeType: 'router', kind: 'Deployment', names: ['events-router'] },
      { step: 5, nodeType: 'overlord', kind: 'Deployment', names: ['events-overlord'] },
      { step: 6, nodeType: 'coordinator', kind: 'Deployment', names: ['events-coordinator'] },
    ]);
  });

  test('JVM settings derived from the resources fit the limits', () => {
    expect(druid.jvmPlans.historical).toEqual({
      heapMiB: 2048,
      directMemoryMiB: 2256,
      activeProcessors: 4,
      processing: { numThreads: 3, numMergeBuffers: 2, bufferSizeMiB: 376 },
    });
    const jvm = find(objs, 'ConfigMap', 'events-historical-config').data['jvm.config'];
    expect(jvm).toContain('-Xmx2048m\n');
    expect(jvm).toContain('-XX:MaxDirectMemorySize=2256m\n');
    const h = props(objs, 'events-historical-config', 'runtime.properties');
    expect(h['druid.processing.buffer.sizeBytes']).toBe(String(376 * 2 ** 20));
    expect(h['druid.server.maxSize']).toBe(String(Math.floor(102400 * 0.9) * 2 ** 20));
    expect(props(objs, 'events-indexer-config', 'runtime.properties')['druid.worker.capacity']).toBe('3');
  });

  test('common.runtime.properties is the same for every node type', () => {
    const commons = objs
      .filter((o) => o.kind === 'ConfigMap')
      .map((o) => o.data['common.runtime.properties']);
    expect(new Set(commons).size).toBe(1);
    expect(
      props(objs, 'events-router-config', 'common.runtime.properties')[
        'druid.discovery.k8s.clusterIdentifier'
      ],
    ).toBe('events');
  });

  test('network: Router to Brokers and masters, Brokers to data servers, masters to workers', () => {
    expect(rules(objs, 'events-router', 'egress').filter(([p]) => !/[0-9./]|kube-system/.test(p))).toEqual([
      ['broker', ['8082']],
      ['coordinator', ['8081']],
      ['overlord', ['8090']],
    ]);
    expect(rules(objs, 'events-historical', 'ingress')).toEqual([
      ['broker', ['8083']],
      ['coordinator', ['8083']],
    ]);
    expect(rules(objs, 'events-indexer', 'ingress')).toEqual([
      ['broker', ['8091']],
      ['coordinator', ['8091']],
      ['indexer', ['8091']],
      ['overlord', ['8091']],
    ]);
    expect(rules(objs, 'events-coordinator', 'ingress').map(([p]) => p)).toEqual([
      'broker',
      'coordinator',
      'historical',
      'indexer',
      'overlord',
      'router',
    ]);
    // Nobody outside reaches the Router or the Brokers unless allowed.
    expect(find(objs, 'NetworkPolicy', 'events-router').spec.ingress).toEqual([]);
  });

  test('network: metadata store, deep storage and the API server', () => {
    const egress = (n: string) => rules(objs, `events-${n}`, 'egress');
    // The database and the object store are both "anywhere" here: one rule with both ports.
    const anywhere = (n: string) => egress(n).find(([p]) => p === '0.0.0.0/0+::/0')?.[1] ?? [];
    expect(anywhere('coordinator')).toEqual(['5432']);
    expect(anywhere('overlord')).toEqual(['443', '5432']);
    expect(anywhere('indexer')).toEqual(['443', '5432']);
    expect(anywhere('historical')).toEqual(['443']);
    expect(anywhere('broker')).toEqual([]);
    expect(anywhere('router')).toEqual([]);
    for (const n of ['historical', 'indexer', 'overlord'])
      expect(egress(n)).toContainEqual(['169.254.170.23/32', ['80']]);
    for (const n of ['coordinator', 'overlord', 'broker', 'router', 'historical', 'indexer']) {
      expect(egress(n)).toContainEqual(['0.0.0.0/0', ['443', '6443']]);
    }
    // AWS_REGION reaches the processes that talk to S3.
    expect(env(find(objs, 'StatefulSet', 'events-historical'), 'AWS_REGION').value).toBe('eu-west-1');
    expect(env(find(objs, 'Deployment', 'events-router'), 'AWS_REGION')).toBeUndefined();
  });

  test('URLs and the client endpoints', () => {
    expect(druid.routerUrl).toBe('http://events-router.druid.svc.cluster.local:8888');
    expect(druid.brokerUrl).toBe('http://events-broker.druid.svc.cluster.local:8082');
    expect(druid.connections.clientPorts).toEqual([{ port: 8888 }]);
    expect(druid.brokerConnections.clientPorts).toEqual([{ port: 8082 }]);
    expect(druid.kafkaBootstrapServers).toBeUndefined();
  });

  test('passes the project checks with no findings', () => {
    expect(checkManifests(objs, { runtimeClasses: ['kata-qemu=kata-qemu'] })).toEqual([]);
  });

  test('synthesizes the same output twice', () => {
    expect(build().objs).toEqual(objs);
  });
});

/** A Kafka endpoint standing in for KataKafkaBrokers. */
class FakeKafka extends Construct implements IKafkaEndpoint {
  public readonly connections: Connections;
  public readonly bootstrapServers = 'events-kafka-bootstrap.kafka.svc.cluster.local:9092';
  public readonly securityProtocol = 'PLAINTEXT';
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const selector = { 'app.kubernetes.io/name': 'kafka' };
    const policy = new PodNetworkPolicy(this, 'Policy', { context: id, name: id, selector });
    this.connections = new Connections(NetworkPeer.pods(selector, Chart.of(this).namespace), policy, [
      { port: 9092 },
    ]);
  }
}

describe('ingestion from Kafka', () => {
  const app = Testing.app();
  const kafkaChart = chart('kafka', app);
  const kafka = new FakeKafka(kafkaChart, 'events');
  const c = chart('druid', app);
  const druid = new KataDruidCluster(c, 'events', { ...base(), kafka });
  const objs = Testing.synth(c) as Obj[];
  const kafkaObjs = Testing.synth(kafkaChart) as Obj[];

  test('loads the Kafka indexing service and exposes the bootstrap servers', () => {
    expect(
      JSON.parse(
        props(objs, 'events-overlord-config', 'common.runtime.properties')['druid.extensions.loadList'],
      ),
    ).toContain('druid-kafka-indexing-service');
    expect(druid.kafkaBootstrapServers).toBe('events-kafka-bootstrap.kafka.svc.cluster.local:9092');
  });

  test('opens Kafka from the Indexers and the Overlords, in both policies', () => {
    expect(rules(objs, 'events-indexer', 'egress')).toContainEqual(['kafka', ['9092']]);
    expect(rules(objs, 'events-overlord', 'egress')).toContainEqual(['kafka', ['9092']]);
    expect(rules(objs, 'events-broker', 'egress').map(([p]) => p)).not.toContain('kafka');
    const ingress = find(kafkaObjs, 'NetworkPolicy', 'events').spec.ingress;
    expect(
      ingress.map((r: Obj) => r.from[0].podSelector.matchLabels['app.kubernetes.io/component']).sort(),
    ).toEqual(['indexer', 'overlord']);
    expect(ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('druid');
  });

  test('a supervisor spec for a topic, checked against the task slots', () => {
    const spec = druid.kafkaSupervisorSpec({
      dataSource: 'clicks',
      topic: 'clicks',
      taskCount: 2,
      replicas: 2,
    }) as Obj;
    expect(spec.spec.ioConfig.consumerProperties).toEqual({
      'bootstrap.servers': 'events-kafka-bootstrap.kafka.svc.cluster.local:9092',
    });
    expect(() => druid.kafkaSupervisorSpec({ dataSource: 'clicks', topic: 'clicks', replicas: 3 })).toThrow(
      /KataDruidCluster "events" kafkaSupervisorSpec: replicas 3 is not allowed; expected at most the 2 workers/,
    );
    expect(() =>
      druid.kafkaSupervisorSpec({ dataSource: 'clicks', topic: 'clicks', taskCount: 4, replicas: 2 }),
    ).toThrow(/taskCount 4 is not allowed; expected taskCount x replicas \(8\) within the 6 task slots/);
    expect(() => build().druid.kafkaSupervisorSpec({ dataSource: 'a', topic: 'b' })).toThrow(
      /kafka \(unset\) .*created with the kafka prop/,
    );
  });
});

describe('ZooKeeper discovery with MiddleManagers', () => {
  const { druid, objs } = build({
    discovery: DruidDiscovery.zookeeper({
      connectString: 'zk-0.zk.zookeeper:2181,zk-1.zk.zookeeper:2181',
      peer: NetworkPeer.namespace('zookeeper'),
    }),
    middleManagers: {
      capacity: 3,
      peon: { jvmOptions: ['-XX:+UseStringDeduplication'] },
    },
  });

  test('MiddleManagers by default, with peons on 8100-8199', () => {
    expect(druid.workerType).toBe(DruidWorkerType.MIDDLE_MANAGER);
    const mm = find(objs, 'StatefulSet', 'events-middle-manager');
    expect(container(mm).args).toEqual(['middleManager']);
    expect(container(mm).volumeMounts.map((m: Obj) => m.mountPath)).toContain(
      '/opt/druid/conf/druid/cluster/data/middleManager',
    );
    const p = props(objs, 'events-middle-manager-config', 'runtime.properties');
    expect(p['druid.worker.capacity']).toBe('3');
    expect(JSON.parse(p['druid.indexer.runner.javaOptsArray'])).toContain('-XX:+UseStringDeduplication');
    expect(druid.jvmPlans['middle-manager-peon'].heapMiB).toBe(1024);
  });

  test('no API access: no Role, no token, no POD_NAME; ZooKeeper egress instead', () => {
    expect(objs.filter((o) => ['Role', 'RoleBinding'].includes(o.kind))).toEqual([]);
    const mm = find(objs, 'StatefulSet', 'events-middle-manager');
    expect(podSpec(mm).automountServiceAccountToken).toBe(false);
    expect(env(mm, 'POD_NAME')).toBeUndefined();
    expect(rules(objs, 'events-middle-manager', 'egress')).toContainEqual(['zookeeper', ['2181']]);
    expect(rules(objs, 'events-middle-manager', 'egress')).not.toContainEqual(['0.0.0.0/0', ['443', '6443']]);
    expect(props(objs, 'events-broker-config', 'common.runtime.properties')['druid.zk.service.host']).toBe(
      'zk-0.zk.zookeeper:2181,zk-1.zk.zookeeper:2181',
    );
  });

  test('Brokers query the peons; masters reach the MiddleManager and its peons', () => {
    expect(rules(objs, 'events-middle-manager', 'ingress')).toEqual([
      ['broker', ['8100-8199']],
      ['coordinator', ['8091', '8100-8199']],
      ['middle-manager', ['8091', '8100-8199']],
      ['overlord', ['8091', '8100-8199']],
    ]);
  });

  test('passes the checks', () => {
    expect(checkManifests(objs, { runtimeClasses: ['kata-qemu=kata-qemu'] })).toEqual([]);
  });
});

describe('Coordinator as Overlord', () => {
  const { druid, objs } = build({ coordinatorAsOverlord: true });

  test('no Overlord workload; the Coordinator runs it', () => {
    expect(objs.some((o) => o.metadata.name === 'events-overlord')).toBe(false);
    expect(druid.coordinatorAsOverlord).toBe(true);
    const p = props(objs, 'events-coordinator-config', 'runtime.properties');
    expect(p['druid.coordinator.asOverlord.enabled']).toBe('true');
    expect(p['druid.coordinator.asOverlord.overlordService']).toBe('druid/overlord');
    expect(druid.upgradeOrder.map((s) => s.nodeType)).toEqual([
      'historical',
      'indexer',
      'broker',
      'router',
      'coordinator',
    ]);
    expect(druid.policy(DruidNodeType.OVERLORD)).toBe(druid.policy(DruidNodeType.COORDINATOR));
  });

  test('the workers and the Router reach the Coordinator for Overlord APIs; it uses deep storage for task logs', () => {
    expect(rules(objs, 'events-indexer', 'egress')).toContainEqual(['coordinator', ['8081']]);
    expect(rules(objs, 'events-indexer', 'egress').map(([p]) => p)).not.toContain('overlord');
    expect(rules(objs, 'events-coordinator', 'egress')).toContainEqual(['0.0.0.0/0+::/0', ['443', '5432']]);
    expect(env(find(objs, 'Deployment', 'events-coordinator'), 'METADATA_STORAGE_PASSWORD')).toBeDefined();
  });
});

describe('Historical tiers', () => {
  const { druid, objs } = build({
    historicalTiers: [
      {
        tier: 'hot',
        replicas: 3,
        priority: 1,
        storageSize: Size.gibibytes(200),
        storageClassName: 'local-nvme',
      },
      { tier: 'cold', replicas: 2, storageSize: Size.gibibytes(1000), segmentCacheSize: Size.gibibytes(850) },
    ],
  });

  test('one StatefulSet per tier with druid.server.tier, its own replicas and storage', () => {
    const hot = find(objs, 'StatefulSet', 'events-historical-hot');
    const cold = find(objs, 'StatefulSet', 'events-historical-cold');
    expect([hot.spec.replicas, cold.spec.replicas]).toEqual([3, 2]);
    expect(hot.spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: 'local-nvme',
      resources: { requests: { storage: '200Gi' } },
    });
    expect(cold.spec.selector.matchLabels['kata-blueprints.io/druid-tier']).toBe('cold');
    expect(props(objs, 'events-historical-hot-config', 'runtime.properties')).toMatchObject({
      'druid.server.tier': 'hot',
      'druid.server.priority': '1',
    });
    expect(props(objs, 'events-historical-cold-config', 'runtime.properties')['druid.server.maxSize']).toBe(
      String(850 * 2 ** 30),
    );
    expect(druid.upgradeOrder[0]).toEqual({
      step: 1,
      nodeType: 'historical',
      kind: 'StatefulSet',
      names: ['events-historical-hot', 'events-historical-cold'],
    });
  });

  test('one policy for every tier', () => {
    expect(find(objs, 'NetworkPolicy', 'events-historical').spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/component': 'historical',
      'app.kubernetes.io/instance': 'events',
      'app.kubernetes.io/name': 'druid',
    });
    expect(checkManifests(objs, { runtimeClasses: ['kata-qemu=kata-qemu'] })).toEqual([]);
  });
});

describe('local deep storage (development)', () => {
  const { objs } = build({
    deepStorage: DruidDeepStorage.local(),
    historicals: { replicas: 1 },
    middleManagers: { replicas: 1 },
    coordinators: { replicas: 1 },
    overlords: { replicas: 1 },
    brokers: { replicas: 1 },
    routers: { replicas: 1 },
  });

  test('a shared claim mounted by the Historical, the worker and the Overlord, with warnings', () => {
    const pvc = find(objs, 'PersistentVolumeClaim', 'events-deep-storage');
    expect(pvc.metadata.annotations[WARNING]).toMatch(/development only/);
    for (const [kind, n] of [
      ['StatefulSet', 'events-historical'],
      ['StatefulSet', 'events-indexer'],
      ['Deployment', 'events-overlord'],
    ]) {
      const w = find(objs, kind, n);
      expect(container(w).volumeMounts).toContainEqual({ name: 'deep-storage', mountPath: '/opt/shared' });
      expect(w.metadata.annotations[WARNING]).toMatch(/local deep storage is for development only/);
    }
    expect(
      container(find(objs, 'Deployment', 'events-broker')).volumeMounts.map((m: Obj) => m.name),
    ).not.toContain('deep-storage');
  });

  test('single replicas are flagged; the checks report warnings only', () => {
    expect(find(objs, 'Deployment', 'events-broker').metadata.annotations[WARNING]).toMatch(
      /a single broker/,
    );
    expect(find(objs, 'Deployment', 'events-coordinator').metadata.annotations[WARNING]).toMatch(
      /no standby/,
    );
    expect(find(objs, 'StatefulSet', 'events-historical').metadata.annotations[WARNING]).toMatch(
      /a single Historical/,
    );
    const findings = checkManifests(objs, { runtimeClasses: ['kata-qemu=kata-qemu'] });
    expect(findings.filter((f) => f.severity === Severity.ERROR)).toEqual([]);
    expect(findings.map((f) => f.rule)).toContain('prod/blueprint-warning');
  });

  test('local deep storage with more than one Historical or worker is an error', () => {
    expect(() => build({ deepStorage: DruidDeepStorage.local(), middleManagers: { replicas: 1 } })).toThrow(
      'KataDruidCluster "events": historicals.replicas 2 is not allowed; expected 1 Historical with DruidDeepStorage.local',
    );
    expect(() => build({ deepStorage: DruidDeepStorage.local(), historicals: { replicas: 1 } })).toThrow(
      /middleManagers\.replicas 2 is not allowed; expected 1 indexer with DruidDeepStorage\.local/,
    );
  });
});

describe('other storage and identity', () => {
  test('GCS with a key file: the Secret mounted for the deep storage users only', () => {
    const { objs } = build({
      deepStorage: DruidDeepStorage.gcs({
        bucket: 'acme',
        prefix: 'druid',
        credentialsSecret: { name: 'gcs-key', key: 'key.json' },
      }),
    });
    const h = find(objs, 'StatefulSet', 'events-historical');
    expect(podSpec(h).volumes.find((v: Obj) => v.name === 'deep-storage-credentials').secret).toEqual({
      secretName: 'gcs-key',
      defaultMode: 0o440,
      items: [{ key: 'key.json', path: 'key.json' }],
    });
    expect(env(h, 'GOOGLE_APPLICATION_CREDENTIALS').value).toBe('/var/secrets/google/key.json');
    expect(podSpec(find(objs, 'Deployment', 'events-broker')).volumes.map((v: Obj) => v.name)).not.toContain(
      'deep-storage-credentials',
    );
  });

  test('Azure Workload Identity: ServiceAccount annotation, pod label on the storage users', () => {
    const id = '11111111-2222-3333-4444-555555555555';
    const { objs } = build({
      deepStorage: DruidDeepStorage.azure({
        account: 'acme',
        container: 'druid',
        prefix: 'segments',
        managedIdentityClientId: id,
      }),
      serviceAccountAnnotations: { 'example.com/team': 'data' },
    });
    expect(find(objs, 'ServiceAccount', 'events-druid').metadata.annotations).toEqual({
      'azure.workload.identity/client-id': id,
      'example.com/team': 'data',
    });
    expect(
      find(objs, 'StatefulSet', 'events-historical').spec.template.metadata.labels[
        'azure.workload.identity/use'
      ],
    ).toBe('true');
    expect(
      find(objs, 'Deployment', 'events-router').spec.template.metadata.labels['azure.workload.identity/use'],
    ).toBeUndefined();
  });

  test('resources, heap and processing given per node type', () => {
    const { druid, objs } = build({
      brokers: {
        resources: {
          cpu: { request: Cpu.units(2), limit: Cpu.units(4) },
          memory: { request: Size.gibibytes(16), limit: Size.gibibytes(16) },
        },
        heap: Size.gibibytes(8),
        processing: { numMergeBuffers: 4, bufferSize: Size.mebibytes(512) },
        runtimeProperties: { 'druid.broker.http.numConnections': 50 },
        jvmOptions: ['-XX:+UseStringDeduplication'],
      },
    });
    expect(druid.jvmPlans.broker).toEqual({
      heapMiB: 8192,
      directMemoryMiB: 512 * 6,
      activeProcessors: 4,
      processing: { numThreads: 1, numMergeBuffers: 4, bufferSizeMiB: 512 },
    });
    expect(
      props(objs, 'events-broker-config', 'runtime.properties')['druid.broker.http.numConnections'],
    ).toBe('50');
    expect(find(objs, 'ConfigMap', 'events-broker-config').data['jvm.config']).toMatch(
      /-XX:\+UseStringDeduplication\n$/,
    );
    expect(container(find(objs, 'Deployment', 'events-broker')).resources.limits).toEqual({
      cpu: '4',
      memory: '16Gi',
    });
  });

  test('trusted sandbox: no runtime class', () => {
    const { objs } = build({ sandbox: Sandbox.trusted(), spread: SpreadPolicy.STRICT_ZONES });
    expect(podSpec(find(objs, 'Deployment', 'events-broker')).runtimeClassName).toBeUndefined();
    expect(
      podSpec(find(objs, 'Deployment', 'events-broker')).topologySpreadConstraints[0].whenUnsatisfiable,
    ).toBe('DoNotSchedule');
  });

  test('another Kata runtime', () => {
    const { objs } = build({ sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR) });
    expect(podSpec(find(objs, 'StatefulSet', 'events-historical')).runtimeClassName).toBe('kata-clh');
  });
});

describe('bad props fail at synth with clear messages', () => {
  const err = (p: Partial<KataDruidClusterProps>) => () => build(p);

  test('zero replicas for a required node type', () => {
    for (const [prop, name] of [
      ['coordinators', 'coordinator'],
      ['overlords', 'overlord'],
      ['brokers', 'broker'],
      ['routers', 'router'],
      ['historicals', 'historical'],
      ['middleManagers', 'indexer'],
    ] as const) {
      expect(err({ [prop]: { replicas: 0 } })).toThrow(
        `KataDruidCluster "events": ${prop}.replicas 0 is not allowed; expected a whole number >= 1 (a Druid cluster needs at least one ${name})`,
      );
    }
    expect(err({ historicalTiers: [{ tier: 'hot', replicas: 0 }] })).toThrow(
      /historicalTiers\[0\]\.replicas 0/,
    );
  });

  test('direct memory too small for the processing settings', () => {
    expect(
      err({
        historicals: { directMemory: Size.mebibytes(512), processing: { bufferSize: Size.mebibytes(256) } },
      }),
    ).toThrow(
      'KataDruidCluster "events": historicals.directMemory "512Mi" is not allowed; expected at least buffer.sizeBytes x (numMergeBuffers + numThreads + 1) = 256Mi x (2 + 3 + 1) = 1536Mi',
    );
  });

  test('heap and direct memory beyond the container limit', () => {
    expect(err({ coordinators: { heap: Size.gibibytes(2) } })).toThrow(
      /coordinators\.resources\.memory\.limit "2048Mi" is not allowed; expected at least 2535Mi: coordinator \(heap 2048Mi \+ direct 128Mi\) \+ headroom 359Mi/,
    );
  });

  test('a segment cache larger than its volume', () => {
    expect(
      err({ historicals: { storageSize: Size.gibibytes(100), segmentCacheSize: Size.gibibytes(120) } }),
    ).toThrow(
      'KataDruidCluster "events": historicals.segmentCacheSize "122880Mi" is not allowed; expected at most 90% of the 102400Mi volume (92160Mi)',
    );
  });

  test('a metadata store or deep storage that is not a preset', () => {
    expect(err({ metadataStore: { connectUri: 'jdbc:postgresql://db/druid' } as never })).toThrow(
      /metadataStore .*expected DruidMetadataStore\.postgresql\(\{ connectUri, user, passwordSecret \}\)/,
    );
    expect(err({ metadataStore: undefined as never })).toThrow(/metadataStore \(unset\) is not allowed/);
    expect(err({ deepStorage: undefined as never })).toThrow(
      /deepStorage \(unset\) is not allowed; expected DruidDeepStorage\.s3/,
    );
  });

  test('MySQL with the official image', () => {
    const mysql = DruidMetadataStore.mysql({
      connectUri: 'jdbc:mysql://db:3306/druid',
      user: 'druid',
      passwordSecret: { name: 'db', key: 'p' },
    });
    expect(err({ metadataStore: mysql })).toThrow(
      /image "apache\/druid:35\.0\.1" is not allowed; expected an image that adds MySQL Connector\/J/,
    );
    expect(() =>
      build({ metadataStore: mysql, image: 'registry.example.com/druid-mysql:35.0.1' }),
    ).not.toThrow();
  });

  test('MiddleManagers with Kubernetes discovery', () => {
    expect(err({ workerType: DruidWorkerType.MIDDLE_MANAGER })).toThrow(
      /workerType "DruidWorkerType\.MIDDLE_MANAGER" is not allowed; expected DruidWorkerType\.INDEXER with DruidDiscovery\.kubernetes\(\).*apache\/druid#13330/,
    );
  });

  test('peon settings with Indexers, processing settings on a Router, overlords with coordinatorAsOverlord', () => {
    expect(err({ middleManagers: { peon: { heap: Size.gibibytes(1) } } })).toThrow(
      /middleManagers\.peon .*unset with DruidWorkerType\.INDEXER/,
    );
    expect(err({ routers: { processing: { numThreads: 2 } } })).toThrow(
      /routers\.processing .*a master has no processing buffers/,
    );
    expect(err({ coordinatorAsOverlord: true, overlords: { replicas: 2 } })).toThrow(
      /overlords .*unset with coordinatorAsOverlord/,
    );
  });

  test('historicals together with tiers, duplicate or bad tier names, a name too long for a tier', () => {
    expect(err({ historicals: {}, historicalTiers: [{ tier: 'hot' }] })).toThrow(
      /historicals .*unset when historicalTiers is given/,
    );
    expect(err({ historicalTiers: [{ tier: 'hot' }, { tier: 'hot' }] })).toThrow(
      /historicalTiers\[1\]\.tier "hot" .*used once/,
    );
    expect(err({ historicalTiers: [{ tier: '_default_tier' }] })).toThrow(
      /historicalTiers\[0\]\.tier "_default_tier"/,
    );
    expect(err({ historicalTiers: [] })).toThrow(/historicalTiers \[\] .*at least one tier/);
    expect(
      () =>
        new KataDruidCluster(chart(), 'x', {
          ...base(),
          name: 'a-very-long-druid-cluster-nam',
          historicalTiers: [{ tier: 'warm-tier-for-logs' }],
        }),
    ).toThrow(
      /historicalTiers\[0\]\.tier "warm-tier-for-logs" .*StatefulSet "a-very-long-druid-cluster-nam-historical-warm-tier-for-logs"/,
    );
  });

  test('managed properties, bad JVM options, capacity out of range', () => {
    expect(err({ commonRuntimeProperties: { 'druid.storage.type': 'local' } })).toThrow(
      /commonRuntimeProperties\["druid\.storage\.type"\] "local" .*use deepStorage/,
    );
    expect(err({ historicals: { runtimeProperties: { 'druid.server.tier': 'x' } } })).toThrow(
      /historicals\.runtimeProperties\["druid\.server\.tier"\]/,
    );
    expect(err({ brokers: { jvmOptions: ['-Xmx8g'] } })).toThrow(/brokers\.jvmOptions\[0\] "-Xmx8g"/);
    expect(err({ middleManagers: { capacity: 0 } })).toThrow(/middleManagers\.capacity 0 .*from 1 to 100/);
  });

  test('no namespace, a bad name, a non-Kafka kafka prop, a bad client peer', () => {
    const noNamespace = new Chart(Testing.app(), 'plain', { disableResourceNameHashes: true });
    expect(() => new KataDruidCluster(noNamespace, 'events', base())).toThrow(
      /KataDruidCluster "events": namespace \(unset\)/,
    );
    expect(err({ name: 'Druid_1' })).toThrow(/name "Druid_1"/);
    expect(err({ kafka: { bootstrapServers: 'x:9092' } as never })).toThrow(/kafka .*an IKafkaEndpoint/);
    expect(err({ allowedClients: ['apps' as never] })).toThrow(/allowedClients\[0\] "apps"/);
    expect(err({ image: 'apache/druid:latest' })).toThrow(/image "apache\/druid:latest"/);
  });
});

describe('every other prop check names the prop', () => {
  const cases: Array<[string, Partial<KataDruidClusterProps>, RegExp]> = [
    ['sandbox', { sandbox: 'kata' as never }, /sandbox "kata" is not allowed; expected Sandbox\.kata/],
    [
      'discovery',
      { discovery: 'k8s' as never },
      /discovery "k8s" is not allowed; expected DruidDiscovery\.kubernetes/,
    ],
    [
      'workerType',
      { workerType: 'indexer' as never },
      /workerType "indexer" is not allowed; expected DruidWorkerType\.INDEXER or/,
    ],
    [
      'coordinatorAsOverlord',
      { coordinatorAsOverlord: 'yes' as never },
      /coordinatorAsOverlord "yes" .*true or false/,
    ],
    ['spread', { spread: 'preferred' as never }, /spread "preferred" .*SpreadPolicy preset/],
    ['dataSpread', { dataSpread: {} as never }, /dataSpread .*SpreadPolicy preset/],
    ['priorityClassName', { priorityClassName: 'High_Priority' }, /priorityClassName "High_Priority"/],
    [
      'storageClassName',
      { historicals: { storageClassName: 'Fast SSD' } },
      /historicals\.storageClassName "Fast SSD"/,
    ],
    [
      'worker storage',
      { middleManagers: { storageSize: Size.kibibytes(1) } },
      /middleManagers\.storageSize .*whole number of MiB/,
    ],
    [
      'capacity above 100',
      { middleManagers: { capacity: 101 } },
      /middleManagers\.capacity 101 .*from 1 to 100/,
    ],
    [
      'tier priority',
      { historicalTiers: [{ tier: 'hot', priority: 1.5 }] },
      /historicalTiers\[0\]\.priority 1\.5/,
    ],
    [
      'tier name length',
      { historicalTiers: [{ tier: 'a'.repeat(21) }] },
      /historicalTiers\[0\]\.tier "a{21}" .*at most 20/,
    ],
    ['node props type', { brokers: 'big' as never }, /brokers "big" .*an object of node settings/],
    [
      'resources',
      { brokers: { resources: { cpu: { limit: Cpu.millis(100), request: Cpu.units(1) } } } },
      /brokers\.resources\.cpu\.limit "100m"/,
    ],
    ['heap', { historicals: { heap: Size.kibibytes(100) } }, /historicals\.heap .*whole number of MiB/],
    [
      'extensions',
      { extensions: 'druid-histogram' as never },
      /extensions "druid-histogram" .*list of extension names/,
    ],
    [
      'common properties',
      { commonRuntimeProperties: [] as never },
      /commonRuntimeProperties \[\] .*record of Druid properties/,
    ],
    [
      'jvm options',
      { routers: { jvmOptions: '-Dx' as never } },
      /routers\.jvmOptions "-Dx" .*list of JVM options/,
    ],
  ];
  test.each(cases)('%s', (_name, p, message) => {
    expect(() => build(p)).toThrow(message);
  });

  test('props that are not an object', () => {
    expect(() => new KataDruidCluster(chart(), 'events', undefined as never)).toThrow(
      /props \(unset\) is not allowed/,
    );
  });

  test('policy() of a node type the cluster does not run', () => {
    const { druid } = build();
    expect(() => druid.policy(DruidNodeType.MIDDLE_MANAGER)).toThrow(
      /KataDruidCluster "events": policy "middleManager" is not allowed; expected one of historical, indexer, broker, router, overlord, coordinator/,
    );
  });
});
