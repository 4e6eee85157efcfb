import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { parse } from 'yaml';
import {
  CassandraEngine,
  CassandraStorage,
  KataCassandraRing,
  KataCassandraRingProps,
  RingUpdateStrategy,
} from '../../../blueprints/workloads/cassandra';
import { KataMicroservice } from '../../../blueprints/workloads/microservice';
import { Severity, checkManifests } from '../../../lib/check';
import { manifestsFromApp } from '../../../lib/check/cdk8s';
import { NetworkPeer } from '../../../lib/k8s/network';
import { KataRuntime } from '../../../lib/sandbox/runtime';
import { CriFlavor, Sandbox } from '../../../lib/sandbox/sandbox';
import { buildApp as buildExample } from '../../../examples/cassandra/app';
import { addCassandra } from '../../../examples/platform/cassandra';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const THREE_ZONES = [
  { name: 'rack-a', zone: 'eu-west-1a' },
  { name: 'rack-b', zone: 'eu-west-1b' },
  { name: 'rack-c', zone: 'eu-west-1c' },
];

function synth(props: KataCassandraRingProps = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
  const ring = new KataCassandraRing(chart, 'ring', {
    superuserSecret: { name: 'cassandra-superuser' },
    ...props,
  });
  const objects: Obj[] = Testing.synth(chart);
  return { ring, objects };
}
const find = (objects: Obj[], kind: string, name: string): Obj => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const all = (objects: Obj[], kind: string): Obj[] => objects.filter((x) => x.kind === kind);
const container = (sts: Obj, name: string): Obj =>
  sts.spec.template.spec.containers.find((c: Obj) => c.name === name);
const init = (sts: Obj, name: string): Obj =>
  sts.spec.template.spec.initContainers.find((c: Obj) => c.name === name);
const env = (c: Obj): Record<string, string> =>
  Object.fromEntries(
    (c.env ?? []).filter((e: Obj) => e.value !== undefined).map((e: Obj) => [e.name, e.value]),
  );

describe('KataCassandraRing: defaults', () => {
  const { ring, objects } = synth();
  const sts = find(objects, 'StatefulSet', 'ring-rack1');

  test('one rack of three nodes, Guaranteed 2 CPU / 8Gi, in a Kata VM', () => {
    expect(all(objects, 'StatefulSet')).toHaveLength(1);
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.serviceName).toBe('ring-nodes');
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(sts.spec.template.spec.runtimeClassName).toBe('kata-qemu');
    const c = container(sts, 'cassandra');
    expect(c.image).toBe('docker.io/library/cassandra:5.0.9');
    expect(c.resources.requests).toEqual({ cpu: '2', memory: '8Gi' });
    expect(c.resources.limits).toEqual({ cpu: '2', memory: '8Gi' });
    expect(ring.heap).toEqual({ heapMiB: 2048, newGenMiB: 200 });
    expect(env(c)).toMatchObject({
      MAX_HEAP_SIZE: '2048M',
      HEAP_NEWSIZE: '200M',
      CASSANDRA_LOG_DIR: '/var/lib/cassandra/logs',
    });
  });

  test('runs the database under the signal-forwarding wrapper, as the image user 999, read-only root', () => {
    const c = container(sts, 'cassandra');
    expect(c.command).toEqual(['sh', '/opt/kata-blueprints/config/run.sh', 'cassandra', '-f']);
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsUser: 999,
      runAsGroup: 999,
      fsGroup: 999,
      runAsNonRoot: true,
      fsGroupChangePolicy: 'OnRootMismatch',
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const x of [...pod.containers, ...pod.initContainers]) {
      expect(x.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        runAsUser: 999,
      });
      expect((x.volumeMounts ?? []).every((m: Obj) => m.subPath === undefined)).toBe(true);
    }
  });

  test('ports 7000/7001/7199/9042; ready on CQL, alive on the internode port, drained before stop', () => {
    const c = container(sts, 'cassandra');
    expect(c.ports.map((p: Obj) => [p.name, p.containerPort])).toEqual([
      ['intra', 7000],
      ['tls', 7001],
      ['jmx', 7199],
      ['cql', 9042],
    ]);
    expect(c.readinessProbe).toMatchObject({
      tcpSocket: { port: 'cql' },
      periodSeconds: 10,
      failureThreshold: 3,
    });
    expect(c.livenessProbe).toMatchObject({
      tcpSocket: { port: 'intra' },
      periodSeconds: 15,
      timeoutSeconds: 10,
      failureThreshold: 8,
    });
    expect(c.startupProbe).toMatchObject({
      tcpSocket: { port: 'intra' },
      periodSeconds: 10,
      failureThreshold: 180,
    });
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['nodetool', 'drain'] } } });
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(180);
  });

  test('a PodDisruptionBudget lets one node of the ring go at a time', () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'ring');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(ring.selector);
  });

  test('data claim of 100Gi on the default StorageClass, commit log on it too, claims retained', () => {
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    const claim = sts.spec.volumeClaimTemplates[0];
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '100Gi' } },
    });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    expect(parse(ring.config).commitlog_directory).toBe('/var/lib/cassandra/commitlog');
  });

  test('the configuration is rendered into ConfigMaps and its hash rolls the pods', () => {
    const cm = find(objects, 'ConfigMap', 'ring-config');
    expect(Object.keys(cm.data).sort()).toEqual([
      'bootstrap-superuser.sh',
      'cassandra.yaml',
      'prepare-config.sh',
      'run.sh',
    ]);
    expect(cm.data['cassandra.yaml']).toBe(ring.config);
    const doc = parse(ring.config);
    expect(doc.num_tokens).toBe(16);
    expect(doc.cluster_name).toBe('ring');
    expect(doc.concurrent_writes).toBe(32);
    expect(find(objects, 'ConfigMap', 'ring-rack1-rack').data['cassandra-rackdc.properties']).toContain(
      'dc=dc1\nrack=rack1\n',
    );
    const hash = sts.spec.template.metadata.annotations['kata-blueprints.io/config-hash'];
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const other = find(synth({ clusterName: 'other' }).objects, 'StatefulSet', 'ring-rack1');
    expect(other.spec.template.metadata.annotations['kata-blueprints.io/config-hash']).not.toBe(hash);
  });

  test('synthesis is deterministic', () => {
    expect(JSON.stringify(synth().objects)).toBe(JSON.stringify(objects));
  });
});

describe('KataCassandraRing: racks, zones and seeds', () => {
  const { ring, objects } = synth({ racks: THREE_ZONES, nodesPerRack: 2, datacenter: 'eu-west-1' });

  test('one StatefulSet per rack, each pinned to its zone, with the rack in its selector', () => {
    const sets = all(objects, 'StatefulSet');
    expect(sets.map((s) => s.metadata.name)).toEqual(['ring-rack-a', 'ring-rack-b', 'ring-rack-c']);
    sets.forEach((s, i) => {
      expect(s.spec.replicas).toBe(2);
      expect(s.spec.selector.matchLabels).toEqual({
        ...ring.selector,
        'cassandra.kata-blueprints.io/rack': THREE_ZONES[i].name,
      });
      expect(s.spec.template.metadata.labels['cassandra.kata-blueprints.io/rack']).toBe(THREE_ZONES[i].name);
      expect(
        s.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
          .nodeSelectorTerms,
      ).toEqual([
        {
          matchExpressions: [
            { key: 'topology.kubernetes.io/zone', operator: 'In', values: [THREE_ZONES[i].zone] },
          ],
        },
      ]);
      // Never two ring nodes on one host, whatever their rack.
      expect(
        s.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution,
      ).toEqual([{ labelSelector: { matchLabels: ring.selector }, topologyKey: 'kubernetes.io/hostname' }]);
      expect(s.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    });
  });

  test('each rack tells the snitch its datacenter and rack', () => {
    for (const r of THREE_ZONES) {
      const props = find(objects, 'ConfigMap', `ring-${r.name}-rack`).data['cassandra-rackdc.properties'];
      expect(props).toContain(`dc=eu-west-1\nrack=${r.name}\n`);
    }
    expect(parse(ring.config).endpoint_snitch).toBe('GossipingPropertyFileSnitch');
    const sts = find(objects, 'StatefulSet', 'ring-rack-b');
    expect(sts.spec.template.spec.volumes.find((v: Obj) => v.name === 'config').projected.sources).toEqual([
      { configMap: { name: 'ring-config' } },
      { configMap: { name: 'ring-rack-b-rack' } },
    ]);
  });

  test('the seed Service is headless, publishes not-ready addresses and selects the first pod of every rack', () => {
    const seeds = find(objects, 'Service', 'ring-seeds');
    expect(seeds.spec.clusterIP).toBe('None');
    expect(seeds.spec.publishNotReadyAddresses).toBe(true);
    expect(seeds.spec.selector).toEqual({ ...ring.selector, 'apps.kubernetes.io/pod-index': '0' });
    expect(seeds.metadata.annotations['kata-blueprints.io/runtime-selector-labels']).toBe(
      'apps.kubernetes.io/pod-index',
    );
    expect(ring.seedAddress).toBe('ring-seeds.db.svc.cluster.local');
  });

  test('every node resolves the seed Service before it starts and waits for one seed per rack', () => {
    for (const s of all(objects, 'StatefulSet')) {
      const c = init(s, 'config');
      expect(c.command).toEqual(['sh', '/opt/kata-blueprints/config/prepare-config.sh']);
      expect(env(c)).toMatchObject({
        SEED_SERVICE: 'ring-seeds.db.svc.cluster.local',
        SEED_COUNT: '3',
        CONF_SRC: '/etc/cassandra',
        CONF_DST: '/run/kata-blueprints/conf',
        JOINED_MARKER: '/var/lib/cassandra/data/system',
      });
      expect(c.env.find((e: Obj) => e.name === 'POD_IP').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
      expect(c.env.find((e: Obj) => e.name === 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe(
        'metadata.name',
      );
    }
    const doc = parse(ring.config);
    expect(doc.seed_provider[0].parameters[0].seeds).toBe('@@SEEDS@@');
    expect(doc.listen_address).toBe('@@POD_IP@@');
    expect(doc.allocate_tokens_for_local_replication_factor).toBe(3);
  });

  test('the headless nodes Service names every pod, ready or not; the client Service serves CQL', () => {
    const nodes = find(objects, 'Service', 'ring-nodes');
    expect(nodes.spec.clusterIP).toBe('None');
    expect(nodes.spec.publishNotReadyAddresses).toBe(true);
    expect(nodes.spec.ports.map((p: Obj) => p.port)).toEqual([7000, 7001, 9042]);
    const client = find(objects, 'Service', 'ring');
    expect(client.spec.type).toBe('ClusterIP');
    expect(client.spec.ports).toEqual([{ name: 'cql', port: 9042, targetPort: 'cql', protocol: 'TCP' }]);
    expect(ring.contactPoint).toBe('ring.db.svc.cluster.local:9042');
  });

  test('several racks default to OnDelete, so racks are not restarted together', () => {
    for (const s of all(objects, 'StatefulSet')) expect(s.spec.updateStrategy).toEqual({ type: 'OnDelete' });
    const rolling = synth({ racks: THREE_ZONES, updateStrategy: RingUpdateStrategy.ROLLING }).objects;
    expect(find(rolling, 'StatefulSet', 'ring-rack-a').spec.updateStrategy.type).toBe('RollingUpdate');
  });

  test('without zones the racks are logical and the ring spreads over zones as it can', () => {
    const { objects: o } = synth({ racks: [{ name: 'r1' }, { name: 'r2' }], nodesPerRack: 2 });
    const s = find(o, 'StatefulSet', 'ring-r1');
    expect(s.spec.template.spec.affinity.nodeAffinity).toBeUndefined();
    expect(s.spec.template.spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: ring.selector },
      },
    ]);
  });
});

describe('KataCassandraRing: authentication', () => {
  test('the first rack bootstraps the superuser from the Secret; the others do not see it', () => {
    const { ring, objects } = synth({
      racks: THREE_ZONES,
      superuserSecret: { name: 'su', usernameKey: 'user', passwordKey: 'pass' },
    });
    const doc = parse(ring.config);
    expect(doc.authenticator).toEqual({ class_name: 'PasswordAuthenticator' });
    expect(doc.authorizer).toBe('CassandraAuthorizer');
    const first = find(objects, 'StatefulSet', 'ring-rack-a');
    expect(env(container(first, 'cassandra'))).toMatchObject({
      BOOTSTRAP_SCRIPT: '/opt/kata-blueprints/config/bootstrap-superuser.sh',
      SUPERUSER_DIR: '/etc/kata-blueprints/superuser',
      CQL_HOST: '$(POD_IP)',
      DATACENTER: 'dc1',
      SYSTEM_RF: '3',
      MARKER: '/var/lib/cassandra/.kata-blueprints-superuser',
    });
    const secretVolume = first.spec.template.spec.volumes.find((v: Obj) => v.name === 'superuser');
    expect(secretVolume.secret).toEqual({
      secretName: 'su',
      defaultMode: 0o440,
      items: [
        { key: 'user', path: 'username' },
        { key: 'pass', path: 'password' },
      ],
    });
    for (const name of ['ring-rack-b', 'ring-rack-c']) {
      const s = find(objects, 'StatefulSet', name);
      expect(env(container(s, 'cassandra')).BOOTSTRAP_SCRIPT).toBeUndefined();
      expect(s.spec.template.spec.volumes.some((v: Obj) => v.name === 'superuser')).toBe(false);
    }
  });

  test('system keyspaces are replicated up to three times, never more than there are nodes', () => {
    const { objects } = synth({ nodesPerRack: 2 });
    expect(env(container(find(objects, 'StatefulSet', 'ring-rack1'), 'cassandra')).SYSTEM_RF).toBe('2');
  });

  test('without authentication: AllowAll, no bootstrap, and a production warning', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
    const ring = new KataCassandraRing(chart, 'ring', { authentication: false });
    const objects: Obj[] = Testing.synth(chart);
    expect(parse(ring.config).authenticator).toEqual({ class_name: 'AllowAllAuthenticator' });
    expect(find(objects, 'ConfigMap', 'ring-config').data['bootstrap-superuser.sh']).toBeUndefined();
    const sts = find(objects, 'StatefulSet', 'ring-rack1');
    expect(sts.metadata.annotations['kata-blueprints.io/warning']).toMatch(/authentication is off/);
  });
});

describe('KataCassandraRing: network', () => {
  test('ring members gossip with each other; allowed clients and connected endpoints reach CQL only', () => {
    const app = Testing.app();
    const db = new Chart(app, 'db', { namespace: 'db' });
    const apps = new Chart(app, 'apps', { namespace: 'apps' });
    const ring = new KataCassandraRing(db, 'ring', {
      superuserSecret: { name: 'su' },
      allowedClients: [NetworkPeer.namespace('analytics')],
    });
    const api = new KataMicroservice(apps, 'api', {
      image: 'ghcr.io/stefanprodan/podinfo:6.9.1',
      port: 9898,
    });
    api.connections.allowTo(ring);
    const policy = find(Testing.synth(db), 'NetworkPolicy', 'ring');
    expect(policy.spec.podSelector.matchLabels).toEqual(ring.selector);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const ingress = policy.spec.ingress;
    const gossip = ingress.find(
      (r: Obj) =>
        r.from[0].podSelector?.matchLabels?.['app.kubernetes.io/instance'] === 'ring' &&
        !r.from[0].namespaceSelector,
    );
    expect(gossip.ports).toEqual([
      { protocol: 'TCP', port: 7000 },
      { protocol: 'TCP', port: 7001 },
    ]);
    const analytics = ingress.find(
      (r: Obj) =>
        r.from[0].namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'analytics' &&
        !r.from[0].podSelector,
    );
    expect(analytics.ports).toEqual([{ protocol: 'TCP', port: 9042 }]);
    const fromApi = ingress.find(
      (r: Obj) => r.from[0].namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'apps',
    );
    expect(fromApi.ports).toEqual([{ protocol: 'TCP', port: 9042 }]);
    const egress = policy.spec.egress.find(
      (r: Obj) => r.to[0].podSelector?.matchLabels?.['app.kubernetes.io/instance'] === 'ring',
    );
    expect(egress.ports).toEqual([
      { protocol: 'TCP', port: 7000 },
      { protocol: 'TCP', port: 7001 },
    ]);
    expect(ring.connections.clientPorts).toEqual([{ port: 9042 }]);
  });
});

describe('KataCassandraRing: ScyllaDB', () => {
  const { ring, objects } = synth({
    engine: CassandraEngine.SCYLLA,
    memory: Size.gibibytes(16),
    cpu: Cpu.units(4),
  });
  const sts = find(objects, 'StatefulSet', 'ring-rack1');
  const c = container(sts, 'scylla');

  test('runs /usr/bin/scylla with --smp/--memory from the limits, out of developer mode', () => {
    expect(ring.scylla).toEqual({ smp: 4, memoryMiB: 14848, reserveMiB: 1536, memoryPerShardMiB: 3712 });
    expect(c.image).toBe('docker.io/scylladb/scylla:2026.1.6');
    expect(c.command).toEqual([
      'sh',
      '/opt/kata-blueprints/config/run.sh',
      '/usr/bin/scylla',
      '--options-file',
      '/etc/scylla/scylla.yaml',
      '--smp',
      '4',
      '--memory',
      '14848M',
      '--reserve-memory',
      '1536M',
      '--developer-mode=0',
      '--io-properties-file',
      '/var/lib/scylla/io_properties.yaml',
      '--log-to-syslog',
      '0',
      '--log-to-stdout',
      '1',
      '--default-log-level',
      'info',
      '--network-stack',
      'posix',
    ]);
    expect(c.resources.limits).toEqual({ cpu: '4', memory: '16Gi' });
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsUser: 10001, fsGroup: 10001 });
  });

  test('overprovisioned when the CPU is not whole cores, or when asked', () => {
    const frac = container(
      find(
        synth({ engine: CassandraEngine.SCYLLA, memory: Size.gibibytes(16), cpu: Cpu.millis(3500) }).objects,
        'StatefulSet',
        'ring-rack1',
      ),
      'scylla',
    );
    expect(frac.command).toContain('--overprovisioned');
    expect(frac.command[frac.command.indexOf('--smp') + 1]).toBe('3');
    expect(c.command).not.toContain('--overprovisioned');
    const forced = container(
      find(
        synth({
          engine: CassandraEngine.scylla({ overprovisioned: true }),
          memory: Size.gibibytes(16),
          cpu: Cpu.units(4),
        }).objects,
        'StatefulSet',
        'ring-rack1',
      ),
      'scylla',
    );
    expect(forced.command).toContain('--overprovisioned');
  });

  test('scylla.yaml, 256 tokens, directories below a workdir, the maintenance socket on a memory emptyDir', () => {
    const cm = find(objects, 'ConfigMap', 'ring-config');
    expect(Object.keys(cm.data).sort()).toEqual([
      'bootstrap-superuser.sh',
      'iotune.sh',
      'prepare-config.sh',
      'run.sh',
      'scylla.yaml',
    ]);
    const doc = parse(cm.data['scylla.yaml']);
    expect(doc.num_tokens).toBe(256);
    expect(doc.workdir).toBe('/var/lib/scylla/node');
    expect(doc.maintenance_socket).toBe('/run/scylla/cql.m');
    expect(sts.spec.template.spec.volumes.find((v: Obj) => v.name === 'run').emptyDir).toEqual({
      medium: 'Memory',
      sizeLimit: '1Mi',
    });
    expect(env(init(sts, 'config'))).toMatchObject({
      CONF_SRC: '/etc/scylla',
      MAKE_DIRS: '/var/lib/scylla/node',
      JOINED_MARKER: '/var/lib/scylla/node/data/system',
    });
    expect(env(c)).toMatchObject({ MAINTENANCE_SOCKET: '/run/scylla/cql.m' });
    expect(env(c).MAX_HEAP_SIZE).toBeUndefined();
  });

  test('iotune measures the data disk on first start with the same resources', () => {
    const io = init(sts, 'iotune');
    expect(io.command).toEqual(['sh', '/opt/kata-blueprints/config/iotune.sh']);
    expect(env(io)).toMatchObject({
      IO_PROPERTIES: '/var/lib/scylla/io_properties.yaml',
      EVALUATION_DIR: '/var/lib/scylla/node/data',
      SMP: '4',
      MEMORY: '14848M',
    });
    expect(io.resources).toEqual(c.resources);
  });

  test('pre-measured I/O properties replace iotune', () => {
    const io = { readIops: 95000, readBandwidth: 545000000, writeIops: 85000, writeBandwidth: 510000000 };
    const { objects: o } = synth({
      engine: CassandraEngine.scylla({ ioProperties: io }),
      memory: Size.gibibytes(16),
      cpu: Cpu.units(4),
    });
    const s = find(o, 'StatefulSet', 'ring-rack1');
    expect(s.spec.template.spec.initContainers.map((x: Obj) => x.name)).toEqual(['config']);
    expect(parse(find(o, 'ConfigMap', 'ring-config').data['io_properties.yaml']).disks[0]).toMatchObject({
      mountpoint: '/var/lib/scylla',
      read_iops: 95000,
    });
    const cmd = container(s, 'scylla').command;
    expect(cmd[cmd.indexOf('--io-properties-file') + 1]).toBe('/etc/scylla/io_properties.yaml');
  });

  test('clients get the shard-aware port too', () => {
    expect(c.ports.map((p: Obj) => p.containerPort)).toEqual([7000, 7001, 9042, 19042, 9180]);
    expect(find(objects, 'Service', 'ring').spec.ports.map((p: Obj) => p.port)).toEqual([9042, 19042]);
    expect(ring.connections.clientPorts).toEqual([{ port: 9042 }, { port: 19042 }]);
  });
});

describe('KataCassandraRing: storage', () => {
  test('storage size and class, and a separate commit-log volume', () => {
    const { ring, objects } = synth({
      storageSize: Size.tebibytes(1),
      storageClassName: 'gp3',
      commitLogStorage: { size: Size.gibibytes(50), storageClassName: 'io2' },
    });
    const sts = find(objects, 'StatefulSet', 'ring-rack1');
    expect(
      sts.spec.volumeClaimTemplates.map((v: Obj) => [
        v.metadata.name,
        v.spec.storageClassName,
        v.spec.resources.requests.storage,
      ]),
    ).toEqual([
      ['data', 'gp3', '1024Gi'],
      ['commitlog', 'io2', '50Gi'],
    ]);
    expect(container(sts, 'cassandra').volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'data', mountPath: '/var/lib/cassandra' },
        { name: 'commitlog', mountPath: '/var/lib/cassandra-commitlog' },
      ]),
    );
    expect(parse(ring.config).commitlog_directory).toBe('/var/lib/cassandra-commitlog/commitlog');
  });

  test('the commit-log volume takes the data StorageClass by default; ScyllaDB creates its commit-log directory', () => {
    const { ring, objects } = synth({
      engine: CassandraEngine.SCYLLA,
      storageClassName: 'local-nvme',
      commitLogStorage: { size: Size.gibibytes(64) },
    });
    const sts = find(objects, 'StatefulSet', 'ring-rack1');
    expect(sts.spec.volumeClaimTemplates[1].spec.storageClassName).toBe('local-nvme');
    expect(parse(ring.config).commitlog_directory).toBe('/var/lib/scylla-commitlog/commitlog');
    expect(env(init(sts, 'config')).MAKE_DIRS).toBe(
      '/var/lib/scylla/node /var/lib/scylla-commitlog/commitlog',
    );
  });

  test('CassandraStorage.localNvme: no-provisioner, WaitForFirstConsumer, retained, not expandable', () => {
    const chart = Testing.chart();
    const nvme = CassandraStorage.localNvme(chart, 'nvme');
    expect(nvme.storageClassName).toBe('local-nvme');
    expect(nvme.local).toBe(true);
    const [sc] = Testing.synth(chart) as Obj[];
    expect(sc).toMatchObject({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-nvme' },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Retain',
      allowVolumeExpansion: false,
    });
    const del = Testing.chart();
    CassandraStorage.localNvme(del, 'nvme', { name: 'nvme-scratch', retainOnDelete: false });
    expect((Testing.synth(del) as Obj[])[0]).toMatchObject({
      metadata: { name: 'nvme-scratch' },
      reclaimPolicy: 'Delete',
    });
    expect(() => CassandraStorage.localNvme(Testing.chart(), 'x', { name: 'Local_NVMe' })).toThrow(
      /CassandraStorage.localNvme "x": name "Local_NVMe" is not allowed/,
    );
    expect(CassandraStorage.existing('gp3').storageClassName).toBe('gp3');
  });
});

describe('KataCassandraRing: sandbox and warnings', () => {
  test('another Kata runtime, or the legacy annotation', () => {
    const clh = find(
      synth({ sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR) }).objects,
      'StatefulSet',
      'ring-rack1',
    );
    expect(clh.spec.template.spec.runtimeClassName).toBe('kata-clh');
    expect(clh.spec.template.metadata.labels['kata-blueprints.io/sandbox']).toBe('kata');
    const legacy = find(
      synth({ sandbox: Sandbox.legacyUntrusted(CriFlavor.CONTAINERD) }).objects,
      'StatefulSet',
      'ring-rack1',
    ).spec.template;
    expect(legacy.spec.runtimeClassName).toBeUndefined();
    expect(legacy.metadata.annotations['io.kubernetes.cri.untrusted-workload']).toBe('true');
    expect(legacy.spec.nodeSelector).toEqual({ 'katacontainers.io/kata-runtime': 'true' });
  });

  test('small rings and small nodes carry a production warning', () => {
    const { objects } = synth({ nodesPerRack: 2, memory: Size.gibibytes(4) });
    const text = find(objects, 'StatefulSet', 'ring-rack1').metadata.annotations[
      'kata-blueprints.io/warning'
    ];
    expect(text).toMatch(/2 node\(s\): keyspaces cannot use replication factor 3/);
    expect(text).toMatch(/memory 4096Mi per node is below the 8Gi production minimum/);
    const { objects: fine } = synth();
    expect(find(fine, 'StatefulSet', 'ring-rack1').metadata.annotations).toBeUndefined();
  });
});

describe('KataCassandraRing: bad props fail at synth with the prop, the value and what is allowed', () => {
  const cases: Array<[string, KataCassandraRingProps, RegExp]> = [
    [
      'nodesPerRack 0',
      { nodesPerRack: 0 },
      /KataCassandraRing "ring": nodesPerRack 0 is not allowed; expected a whole number >= 1/,
    ],
    ['nodesPerRack 1.5', { nodesPerRack: 1.5 }, /nodesPerRack 1.5 is not allowed/],
    [
      'duplicate rack names',
      { racks: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] },
      /racks\[2\].name "a" is not allowed; expected a rack name used once/,
    ],
    [
      'a zone given twice',
      {
        racks: [
          { name: 'a', zone: 'z1' },
          { name: 'b', zone: 'z1' },
        ],
      },
      /racks\[1\].zone "z1" is not allowed; expected a zone not already given to rack "a"/,
    ],
    [
      'zones on some racks only',
      { racks: [{ name: 'a', zone: 'z1' }, { name: 'b' }] },
      /racks\["b"\].zone \(unset\) is not allowed; expected a zone for every rack/,
    ],
    ['no racks', { racks: [] }, /racks \[\] is not allowed; expected at least one rack/],
    ['rack name not a DNS label', { racks: [{ name: 'Rack_1' }] }, /racks\[0\].name "Rack_1" is not allowed/],
    [
      'storage size NaN',
      { storageSize: Size.gibibytes(NaN) },
      /storageSize "NaNGi" is not allowed; expected a size > 0/,
    ],
    [
      'storage size zero',
      { storageSize: Size.gibibytes(0) },
      /storageSize "0Gi" is not allowed; expected a size > 0/,
    ],
    [
      'storage size negative (a Size-like value: cdk8s Size itself refuses negatives)',
      { storageSize: { toKibibytes: () => -5 * 1024 * 1024, asString: () => '-5Gi' } as unknown as Size },
      /storageSize "-5Gi" is not allowed; expected a size > 0/,
    ],
    [
      'commit-log size zero',
      { commitLogStorage: { size: Size.gibibytes(0) } },
      /commitLogStorage.size "0Gi" is not allowed/,
    ],
    [
      'heap larger than the limit allows',
      { memory: Size.gibibytes(8), heapSize: Size.gibibytes(6) },
      /heapSize "6144Mi" is not allowed; expected a heap of at most half the memory limit 8192Mi \(4096Mi\)/,
    ],
    [
      'heap larger than the limit',
      { memory: Size.gibibytes(4), heapSize: Size.gibibytes(8) },
      /heapSize "8192Mi" is not allowed/,
    ],
    [
      'memory too small for any heap',
      { memory: Size.gibibytes(1) },
      /memory "1024Mi" is not allowed; expected a limit that leaves room beside the default heap of 512Mi/,
    ],
    [
      'heapSize with ScyllaDB',
      { engine: CassandraEngine.SCYLLA, heapSize: Size.gibibytes(4) },
      /heapSize "4Gi" is not allowed; expected no heapSize with CassandraEngine.SCYLLA/,
    ],
    [
      'concurrentReads with ScyllaDB',
      { engine: CassandraEngine.SCYLLA, concurrentReads: 64 },
      /concurrentReads 64 is not allowed/,
    ],
    [
      'ScyllaDB below 1Gi per shard',
      { engine: CassandraEngine.SCYLLA, memory: Size.gibibytes(8), cpu: Cpu.units(8) },
      /memory "8192Mi" is not allowed; expected at least 1024Mi per shard: 8 shard\(s\) get 6656Mi/,
    ],
    [
      'missing superuser Secret',
      { superuserSecret: undefined },
      /superuserSecret \(unset\) is not allowed; expected the Secret with the superuser's credentials/,
    ],
    [
      'superuser Secret without authentication',
      { authentication: false },
      /superuserSecret "cassandra-superuser" is not allowed; expected no superuserSecret with authentication: false/,
    ],
    [
      'bad Secret key',
      { superuserSecret: { name: 'su', passwordKey: 'pass word' } },
      /superuserSecret.passwordKey "pass word" is not allowed/,
    ],
    ['datacenter with spaces', { datacenter: 'dc 1' }, /datacenter "dc 1" is not allowed/],
    ['cluster name with a quote', { clusterName: "it's" }, /clusterName "it's" is not allowed/],
    [
      'name too long',
      { name: 'a'.repeat(47) },
      /name "a{47}" is not allowed; expected a DNS-1035 label of at most 46 characters/,
    ],
    [
      'StatefulSet name too long',
      { name: 'a'.repeat(40), racks: [{ name: 'r'.repeat(12) }] },
      /racks\[0\].name "r{12}" is not allowed; expected a name short enough/,
    ],
    ['numTokens 0', { numTokens: 0 }, /numTokens 0 is not allowed; expected a whole number from 1 to 1536/],
    [
      'grace too short',
      { terminationGracePeriod: Duration.seconds(20) },
      /terminationGracePeriod "20s" is not allowed; expected a whole number of seconds >= 60/,
    ],
    [
      'storage class not a name',
      { storageClassName: 'Fast SSD' },
      /storageClassName "Fast SSD" is not allowed/,
    ],
    [
      'not an engine',
      { engine: 'scylla' as unknown as CassandraEngine },
      /engine "scylla" is not allowed; expected CassandraEngine.CASSANDRA/,
    ],
    [
      'not a peer',
      { allowedClients: ['apps' as unknown as NetworkPeer] },
      /allowedClients\[0\] "apps" is not allowed/,
    ],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => synth({ superuserSecret: { name: 'cassandra-superuser' }, ...props })).toThrow(message);
  });

  test('engine images must be pinned, and Apache Cassandra 5.0 or later', () => {
    expect(() => CassandraEngine.cassandra({ image: 'cassandra:latest' })).toThrow(
      /CassandraEngine.cassandra: image "cassandra:latest" is not allowed/,
    );
    expect(() => CassandraEngine.cassandra({ image: 'cassandra:4.1.8' })).toThrow(
      /image "cassandra:4.1.8" is not allowed; expected Apache Cassandra 5.0 or later/,
    );
    expect(
      CassandraEngine.cassandra({ image: 'registry.example.com/db/cassandra:5.0.9-hardened' }).image,
    ).toBe('registry.example.com/db/cassandra:5.0.9-hardened');
    expect(() => CassandraEngine.scylla({ image: 'scylladb/scylla' })).toThrow(
      /CassandraEngine.scylla: image "scylladb\/scylla" is not allowed/,
    );
    expect(() =>
      CassandraEngine.scylla({
        ioProperties: { readIops: 0, readBandwidth: 1, writeIops: 1, writeBandwidth: 1 },
      }),
    ).toThrow(/ioProperties.readIops 0 is not allowed/);
  });
});

describe('examples', () => {
  test.each([
    ['examples/cassandra', () => buildExample('/tmp/unused')],
    [
      'examples/platform (cassandra)',
      () => {
        const app = new App({ outdir: '/tmp/unused' });
        addCassandra(app);
        return app;
      },
    ],
  ])('%s passes the checks with zero errors', (_name, build) => {
    const findings = checkManifests(manifestsFromApp(build()));
    expect(findings.filter((f) => f.severity === Severity.ERROR)).toEqual([]);
  });

  test('the platform ring: three racks in three zones on local NVMe', () => {
    const app = new App({ outdir: '/tmp/unused' });
    const ring = addCassandra(app);
    const objects: Obj[] = app.charts.flatMap((c) => Testing.synth(c));
    expect(ring.racks.map((r) => r.zone)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(find(objects, 'StorageClass', 'local-nvme').provisioner).toBe('kubernetes.io/no-provisioner');
    expect(
      find(objects, 'Namespace', 'cassandra').metadata.labels['pod-security.kubernetes.io/enforce'],
    ).toBe('restricted');
    for (const s of all(objects, 'StatefulSet')) {
      expect(s.metadata.namespace).toBe('cassandra');
      expect(s.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('local-nvme');
    }
  });

  test('snapshot of the platform ring', () => {
    const app = new App({ outdir: '/tmp/unused' });
    addCassandra(app);
    expect(app.charts.flatMap((c) => Testing.synth(c))).toMatchSnapshot();
  });
});
