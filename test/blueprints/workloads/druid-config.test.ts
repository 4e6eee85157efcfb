import { Duration, Size } from 'cdk8s';
import {
  DruidDeepStorage,
  DruidDiscovery,
  DruidMetadataStore,
  DruidNodeType,
  DruidWorkerType,
  druidConfig,
} from '../../../blueprints/workloads/druid';
import { DruidCommonSpec } from '../../../blueprints/workloads/druid/config';
import { defaultDruidTaskLogPrefix } from '../../../blueprints/workloads/druid/deep-storage';
import { JvmPlan } from '../../../blueprints/workloads/druid/memory';
import { parseHostPorts } from '../../../blueprints/workloads/druid/refs';
import { NetworkPeer } from '../../../lib/k8s/network';

const {
  extensionsLoadList,
  jvmOptions,
  kafkaSupervisorSpec,
  renderCommonProperties,
  renderJvmConfig,
  renderLog4j2,
  renderNodeProperties,
  validateExtensions,
  validateJvmOptions,
  validateRuntimeProperties,
} = druidConfig;

/** Parses Java properties text (no continuation lines: the renderers never write them). */
function parse(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    expect(i).toBeGreaterThan(0);
    const key = line.slice(0, i);
    expect(out[key]).toBeUndefined();
    out[key] = line.slice(i + 1).replace(/\\\\/g, '\\');
  }
  return out;
}

const postgres = () =>
  DruidMetadataStore.postgresql({
    connectUri: 'jdbc:postgresql://db.example.com:5433/druid?sslmode=require',
    user: 'druid',
    passwordSecret: { name: 'druid-db', key: 'password' },
  });
const s3 = () => DruidDeepStorage.s3({ bucket: 'acme-druid', baseKey: 'druid/segments' });

describe('DruidMetadataStore', () => {
  test('postgresql: connector properties with the password from the environment provider', () => {
    const m = postgres();
    expect(Object.fromEntries(m.properties())).toEqual({
      'druid.metadata.storage.type': 'postgresql',
      'druid.metadata.storage.connector.connectURI':
        'jdbc:postgresql://db.example.com:5433/druid?sslmode=require',
      'druid.metadata.storage.connector.user': 'druid',
      'druid.metadata.storage.connector.password':
        '{"type":"environment","variable":"METADATA_STORAGE_PASSWORD"}',
      'druid.metadata.storage.connector.createTables': 'true',
    });
    expect(m.extension).toBe('postgresql-metadata-storage');
    expect(m.egress.ports).toEqual([{ port: 5433 }]);
    expect(m.egress.peer.kind).toBe('anywhere');
    expect(m.needsDriverInImage).toBe(false);
  });

  test('mysql: default port 3306, several hosts, the driver must come with the image', () => {
    const m = DruidMetadataStore.mysql({
      connectUri: 'jdbc:mysql://db-a.example.com,db-b.example.com:3307/druid',
      user: 'druid',
      passwordSecret: { name: 'druid-db', key: 'password' },
      createTables: false,
      peer: NetworkPeer.ipBlock('10.1.0.0/16'),
    });
    expect(m.hosts).toEqual([
      { host: 'db-a.example.com', port: 3306 },
      { host: 'db-b.example.com', port: 3307 },
    ]);
    expect(m.egress.ports).toEqual([{ port: 3306 }, { port: 3307 }]);
    expect(m.egress.peer.ipBlock?.cidr).toBe('10.1.0.0/16');
    expect(m.extension).toBe('mysql-metadata-storage');
    expect(m.needsDriverInImage).toBe(true);
    expect(Object.fromEntries(m.properties())['druid.metadata.storage.connector.createTables']).toBe('false');
  });

  test('a metadata store without a connect URI is an error', () => {
    expect(() =>
      DruidMetadataStore.postgresql({ user: 'druid', passwordSecret: { name: 's', key: 'p' } } as never),
    ).toThrow(
      'DruidMetadataStore.postgresql: connectUri (unset) is not allowed; expected a JDBC URI such as "jdbc:postgresql://db.example.com:5432/druid" (the metadata store needs one)',
    );
    expect(() =>
      DruidMetadataStore.postgresql({
        connectUri: '  ',
        user: 'druid',
        passwordSecret: { name: 's', key: 'p' },
      }),
    ).toThrow(/connectUri " {2}" is not allowed/);
  });

  test('wrong scheme, bad port, missing user and bad Secret references are errors', () => {
    const ok = { user: 'druid', passwordSecret: { name: 's', key: 'p' } };
    expect(() => DruidMetadataStore.postgresql({ ...ok, connectUri: 'jdbc:mysql://db:3306/druid' })).toThrow(
      /connectUri "jdbc:mysql:\/\/db:3306\/druid" is not allowed; expected a postgresql JDBC URI/,
    );
    expect(() =>
      DruidMetadataStore.postgresql({ ...ok, connectUri: 'jdbc:postgresql://db:99999/druid' }),
    ).toThrow(/ports from 1 to 65535/);
    expect(() =>
      DruidMetadataStore.postgresql({
        connectUri: 'jdbc:postgresql://db/druid',
        user: '',
        passwordSecret: ok.passwordSecret,
      }),
    ).toThrow(/user "" is not allowed; expected the database user/);
    expect(() =>
      DruidMetadataStore.postgresql({
        ...ok,
        connectUri: 'jdbc:postgresql://db/druid',
        passwordSecret: { name: 'Bad_Name', key: 'p' },
      }),
    ).toThrow(/passwordSecret\.name "Bad_Name"/);
    expect(() =>
      DruidMetadataStore.postgresql({
        ...ok,
        connectUri: 'jdbc:postgresql://db/druid',
        passwordSecret: { name: 's', key: 'a b' },
      }),
    ).toThrow(/passwordSecret\.key "a b"/);
  });
});

describe('DruidDeepStorage', () => {
  test('s3: segments and task logs in the bucket; credentials chain egress to the pod identity agent and IMDS', () => {
    const d = s3();
    expect(Object.fromEntries(d.properties())).toEqual({
      'druid.storage.type': 's3',
      'druid.storage.bucket': 'acme-druid',
      'druid.storage.baseKey': 'druid/segments',
      'druid.indexer.logs.type': 's3',
      'druid.indexer.logs.s3Bucket': 'acme-druid',
      'druid.indexer.logs.s3Prefix': 'druid/indexing-logs',
    });
    expect(d.extension).toBe('druid-s3-extensions');
    expect(d.env).toEqual([]);
    expect(d.egress.map((e) => [e.peer.toString(), e.ports])).toEqual([
      ['anywhere()', [{ port: 443 }]],
      ['169.254.170.23/32', [{ port: 80 }]],
      ['169.254.169.254/32', [{ port: 80 }]],
    ]);
    expect(d.production).toBe(true);
  });

  test('s3-compatible store with keys from a Secret, region and KMS', () => {
    const d = DruidDeepStorage.s3({
      bucket: 'druid',
      baseKey: 'prod',
      endpointUrl: 'http://minio.storage.svc:9000',
      pathStyleAccess: true,
      region: 'us-east-1',
      kmsKeyId: 'alias/druid',
      credentialsSecret: { name: 'minio-druid' },
      peer: NetworkPeer.namespace('storage'),
    });
    const props = Object.fromEntries(d.properties());
    expect(props['druid.s3.endpoint.url']).toBe('http://minio.storage.svc:9000');
    expect(props['druid.s3.endpoint.signingRegion']).toBe('us-east-1');
    expect(props['druid.s3.enablePathStyleAccess']).toBe('true');
    expect(props['druid.storage.sse.type']).toBe('kms');
    expect(props['druid.indexer.logs.s3Prefix']).toBe('prod-indexing-logs');
    expect(d.env).toEqual([
      { name: 'AWS_REGION', value: 'us-east-1' },
      {
        name: 'AWS_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: 'minio-druid', key: 'AWS_ACCESS_KEY_ID' } },
      },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'minio-druid', key: 'AWS_SECRET_ACCESS_KEY' } },
      },
    ]);
    expect(d.egress).toHaveLength(1);
    expect(d.egress[0].ports).toEqual([{ port: 9000 }]);
  });

  test('s3 errors name the prop', () => {
    expect(() => DruidDeepStorage.s3({ bucket: 'Bad Bucket', baseKey: 'x' })).toThrow(
      /DruidDeepStorage\.s3: bucket "Bad Bucket"/,
    );
    expect(() => DruidDeepStorage.s3({ bucket: 'ok-bucket', baseKey: '/druid/' })).toThrow(
      /baseKey "\/druid\/"/,
    );
    expect(() =>
      DruidDeepStorage.s3({ bucket: 'ok-bucket', baseKey: 'd', endpointUrl: 'minio:9000' }),
    ).toThrow(/endpointUrl "minio:9000"/);
    expect(() => DruidDeepStorage.s3({ bucket: 'ok-bucket', baseKey: 'd', region: 'Europe' })).toThrow(
      /region "Europe"/,
    );
  });

  test('gcs: a key file from a Secret, or Workload Identity through the metadata server', () => {
    const keyed = DruidDeepStorage.gcs({
      bucket: 'acme-druid',
      prefix: 'druid/segments',
      credentialsSecret: { name: 'gcs', key: 'sa.json' },
    });
    expect(Object.fromEntries(keyed.properties())).toEqual({
      'druid.storage.type': 'google',
      'druid.google.bucket': 'acme-druid',
      'druid.google.prefix': 'druid/segments',
      'druid.indexer.logs.type': 'google',
      'druid.indexer.logs.bucket': 'acme-druid',
      'druid.indexer.logs.prefix': 'druid/indexing-logs',
    });
    expect(keyed.env).toEqual([
      { name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/google/key.json' },
    ]);
    expect(keyed.volumes.secret).toEqual({
      secretName: 'gcs',
      items: [{ key: 'sa.json', path: 'key.json' }],
      mountPath: '/var/secrets/google',
    });
    const wi = DruidDeepStorage.gcs({ bucket: 'acme-druid', prefix: 'segments' });
    expect(wi.egress[1]).toEqual({
      peer: NetworkPeer.ipBlock('169.254.169.254/32'),
      ports: [{ port: 80 }, { port: 988 }],
    });
    expect(wi.extension).toBe('druid-google-extensions');
  });

  test('azure: exactly one authentication method; keys only through the environment', () => {
    const base = { account: 'acmedruid', container: 'druid', prefix: 'segments' };
    const key = DruidDeepStorage.azure({ ...base, sharedKeySecret: { name: 'azure', key: 'key' } });
    expect(key.env).toEqual([
      { name: 'druid_azure_key', valueFrom: { secretKeyRef: { name: 'azure', key: 'key' } } },
    ]);
    expect(key.properties().some(([k]) => k === 'druid.azure.key')).toBe(false);
    const sas = DruidDeepStorage.azure({ ...base, sasTokenSecret: { name: 'azure', key: 'sas' } });
    expect(sas.env[0].name).toBe('druid_azure_sharedAccessStorageToken');
    const id = '11111111-2222-3333-4444-555555555555';
    const wi = DruidDeepStorage.azure({ ...base, managedIdentityClientId: id });
    expect(Object.fromEntries(wi.properties())).toMatchObject({
      'druid.storage.type': 'azure',
      'druid.azure.account': 'acmedruid',
      'druid.azure.container': 'druid',
      'druid.azure.prefix': 'segments',
      'druid.indexer.logs.type': 'azure',
      'druid.indexer.logs.container': 'druid',
      'druid.indexer.logs.prefix': 'indexing-logs',
      'druid.azure.useAzureCredentialsChain': 'true',
      'druid.azure.managedIdentityClientId': id,
    });
    expect(wi.volumes.serviceAccountAnnotations).toEqual({ 'azure.workload.identity/client-id': id });
    expect(wi.volumes.podLabels).toEqual({ 'azure.workload.identity/use': 'true' });
    expect(() => DruidDeepStorage.azure(base)).toThrow(/exactly one authentication method/);
    expect(() =>
      DruidDeepStorage.azure({
        ...base,
        managedIdentityClientId: id,
        sasTokenSecret: { name: 'a', key: 'b' },
      }),
    ).toThrow(/sharedKeySecret \/ sasTokenSecret \/ managedIdentityClientId 2 is not allowed/);
    expect(() => DruidDeepStorage.azure({ ...base, account: 'Acme', managedIdentityClientId: id })).toThrow(
      /account "Acme"/,
    );
    expect(() => DruidDeepStorage.azure({ ...base, managedIdentityClientId: 'me' })).toThrow(
      /managedIdentityClientId "me"/,
    );
  });

  test('hdfs: the NameNode port from the URI plus the DataNode port', () => {
    const d = DruidDeepStorage.hdfs({ storageDirectory: 'hdfs://namenode.hadoop.svc:9000/druid/segments' });
    expect(Object.fromEntries(d.properties())).toEqual({
      'druid.storage.type': 'hdfs',
      'druid.storage.storageDirectory': 'hdfs://namenode.hadoop.svc:9000/druid/segments',
      'druid.indexer.logs.type': 'hdfs',
      'druid.indexer.logs.directory': 'hdfs://namenode.hadoop.svc:9000/druid/segments-indexing-logs',
    });
    expect(d.egress[0].ports).toEqual([{ port: 9000 }, { port: 9866 }]);
    expect(DruidDeepStorage.hdfs({ storageDirectory: 'hdfs://nn/d', ports: [8020] }).egress[0].ports).toEqual(
      [{ port: 8020 }],
    );
    expect(() => DruidDeepStorage.hdfs({ storageDirectory: '/druid/segments' })).toThrow(
      /storageDirectory "\/druid\/segments"/,
    );
  });

  test('local: a shared volume, development only', () => {
    const d = DruidDeepStorage.local({ size: Size.gibibytes(5) });
    expect(d.production).toBe(false);
    expect(d.extension).toBeUndefined();
    expect(Object.fromEntries(d.properties())).toEqual({
      'druid.storage.type': 'local',
      'druid.storage.storageDirectory': '/opt/shared/segments',
      'druid.indexer.logs.type': 'file',
      'druid.indexer.logs.directory': '/opt/shared/indexing-logs',
    });
    expect(d.volumes.shared).toEqual({ mountPath: '/opt/shared', sizeMiB: 5120 });
    expect(() => DruidDeepStorage.local({ directory: 'relative' })).toThrow(/directory "relative"/);
    expect(() => DruidDeepStorage.local({ directory: '/opt/druid/var/deep' })).toThrow(
      /outside \/tmp and \/opt\/druid/,
    );
  });

  test('task log prefixes sit beside the segments', () => {
    expect(defaultDruidTaskLogPrefix('druid/segments')).toBe('druid/indexing-logs');
    expect(defaultDruidTaskLogPrefix('segments')).toBe('indexing-logs');
    expect(defaultDruidTaskLogPrefix('prod/druid')).toBe('prod/druid-indexing-logs');
  });
});

describe('DruidDiscovery', () => {
  test('kubernetes: the extension settings, HTTP segment and task management, the lock names', () => {
    const d = DruidDiscovery.kubernetes({
      leaseDuration: Duration.seconds(30),
      renewDeadline: Duration.seconds(10),
      retryPeriod: Duration.seconds(2),
    });
    expect(d.properties('events')).toEqual([
      ['druid.zk.service.enabled', 'false'],
      ['druid.serverview.type', 'http'],
      ['druid.coordinator.loadqueuepeon.type', 'http'],
      ['druid.indexer.runner.type', 'httpRemote'],
      ['druid.discovery.type', 'k8s'],
      ['druid.discovery.k8s.clusterIdentifier', 'events'],
      ['druid.discovery.k8s.podNameEnvKey', 'POD_NAME'],
      ['druid.discovery.k8s.podNamespaceEnvKey', 'POD_NAMESPACE'],
      ['druid.discovery.k8s.leaseDuration', 'PT30S'],
      ['druid.discovery.k8s.renewDeadline', 'PT10S'],
      ['druid.discovery.k8s.retryPeriod', 'PT2S'],
    ]);
    expect(d.extension).toBe('druid-kubernetes-extensions');
    expect(d.leaderElectionConfigMaps('events')).toEqual([
      'events-leaderelection-coordinator',
      'events-leaderelection-overlord',
    ]);
    expect(DruidDiscovery.kubernetes({ clusterIdentifier: 'prod-druid' }).clusterIdentifier('events')).toBe(
      'prod-druid',
    );
    expect(d.egress[0].ports).toEqual([{ port: 443 }, { port: 6443 }]);
  });

  test('kubernetes: bad identifiers and lease timings are errors', () => {
    expect(() => DruidDiscovery.kubernetes({ clusterIdentifier: 'Prod_Druid' })).toThrow(
      /DruidDiscovery\.kubernetes: clusterIdentifier "Prod_Druid" is not allowed; expected a string matching \[a-z0-9\]\[a-z0-9-\]\*\[a-z0-9\]/,
    );
    expect(() => DruidDiscovery.kubernetes({ renewDeadline: Duration.seconds(60) })).toThrow(
      /renewDeadline "60s" .*less than leaseDuration/,
    );
    expect(() => DruidDiscovery.kubernetes({ retryPeriod: Duration.seconds(20) })).toThrow(
      /retryPeriod "20s" .*less than renewDeadline/,
    );
  });

  test('zookeeper: connect string, base path and ports', () => {
    const d = DruidDiscovery.zookeeper({
      connectString: 'zk-0.zk:2181,zk-1.zk:2182,zk-2.zk/druid-prod',
      basePath: '/analytics',
    });
    expect(d.properties('x')).toEqual([
      ['druid.zk.service.host', 'zk-0.zk:2181,zk-1.zk:2182,zk-2.zk/druid-prod'],
      ['druid.zk.paths.base', '/analytics'],
      ['druid.serverview.type', 'http'],
      ['druid.coordinator.loadqueuepeon.type', 'http'],
      ['druid.indexer.runner.type', 'httpRemote'],
    ]);
    expect(d.egress[0].ports).toEqual([{ port: 2181 }, { port: 2182 }]);
    expect(d.usesKubernetesApi).toBe(false);
    expect(d.extension).toBeUndefined();
    expect(d.leaderElectionConfigMaps('x')).toEqual([]);
    expect(() => DruidDiscovery.zookeeper({ connectString: '' })).toThrow(
      /DruidDiscovery\.zookeeper: connectString ""/,
    );
    expect(() => DruidDiscovery.zookeeper({ connectString: 'zk:2181', basePath: 'druid' })).toThrow(
      /basePath "druid"/,
    );
    expect(() => DruidDiscovery.zookeeper({ connectString: 'zk:2181/bad path' })).toThrow(
      /connectString "zk:2181\/bad path"/,
    );
  });
});

describe('parseHostPorts', () => {
  test('host[:port] lists with IPv6 literals', () => {
    expect(parseHostPorts('c', 'p', 'a:1,[fd00::1]:2, b', 9)).toEqual([
      { host: 'a', port: 1 },
      { host: '[fd00::1]', port: 2 },
      { host: 'b', port: 9 },
    ]);
    expect(() => parseHostPorts('c', 'p', 'a:b', 9)).toThrow(/c: p "a:b"/);
  });
});

const common = (over: Partial<DruidCommonSpec> = {}): DruidCommonSpec => ({
  clusterName: 'events',
  metadataStore: postgres(),
  deepStorage: s3(),
  discovery: DruidDiscovery.kubernetes(),
  kafka: false,
  ...over,
});

describe('renderCommonProperties', () => {
  test('extensions, discovery, metadata store and deep storage in one file', () => {
    const text = renderCommonProperties(
      common({ kafka: true, extraProperties: [['druid.emitter', 'logging']] }),
    );
    expect(
      text.startsWith(
        '# Apache Druid common configuration of cluster "events".\n# Generated by kata-blueprints; do not edit.\n',
      ),
    ).toBe(true);
    const p = parse(text);
    expect(JSON.parse(p['druid.extensions.loadList'])).toEqual([
      'druid-kubernetes-extensions',
      'postgresql-metadata-storage',
      'druid-s3-extensions',
      'druid-datasketches',
      'druid-multi-stage-query',
      'druid-kafka-indexing-service',
    ]);
    expect(p).toMatchObject({
      'druid.zk.service.enabled': 'false',
      'druid.discovery.type': 'k8s',
      'druid.discovery.k8s.clusterIdentifier': 'events',
      'druid.serverview.type': 'http',
      'druid.coordinator.loadqueuepeon.type': 'http',
      'druid.indexer.runner.type': 'httpRemote',
      'druid.metadata.storage.connector.password':
        '{"type":"environment","variable":"METADATA_STORAGE_PASSWORD"}',
      'druid.storage.type': 's3',
      'druid.selectors.indexing.serviceName': 'druid/overlord',
      'druid.selectors.coordinator.serviceName': 'druid/coordinator',
      'druid.emitter': 'logging',
    });
    expect(JSON.parse(p['druid.startup.logging.maskProperties'])).toContain('password');
  });

  test('extensions are deduplicated in a stable order', () => {
    expect(
      extensionsLoadList(
        common({
          discovery: DruidDiscovery.zookeeper({ connectString: 'zk:2181' }),
          extensions: ['druid-histogram', 'druid-datasketches'],
        }),
      ),
    ).toEqual([
      'postgresql-metadata-storage',
      'druid-s3-extensions',
      'druid-datasketches',
      'druid-multi-stage-query',
      'druid-histogram',
    ]);
  });
});

const plan = (processing?: JvmPlan['processing']): JvmPlan => ({
  heapMiB: 2048,
  directMemoryMiB: 3000,
  activeProcessors: 4,
  ...(processing ? { processing } : {}),
});
const proc = { numThreads: 3, numMergeBuffers: 2, bufferSizeMiB: 500 };

describe('renderNodeProperties', () => {
  test('historical: processing, segment cache, tier and priority, drain settings', () => {
    const p = parse(
      renderNodeProperties({
        nodeType: DruidNodeType.HISTORICAL,
        jvm: plan(proc),
        segmentCacheBytes: 10 * 2 ** 30,
        tier: 'hot',
        priority: 1,
        extraProperties: [['druid.server.http.numThreads', '60']],
      }),
    );
    expect(p).toEqual({
      'druid.service': 'druid/historical',
      'druid.plaintextPort': '8083',
      'druid.processing.numThreads': '3',
      'druid.processing.numMergeBuffers': '2',
      'druid.processing.buffer.sizeBytes': String(500 * 2 ** 20),
      'druid.segmentCache.locations': JSON.stringify([
        { path: '/opt/druid/var/segment-cache', maxSize: 10 * 2 ** 30 },
      ]),
      'druid.server.maxSize': String(10 * 2 ** 30),
      'druid.server.tier': 'hot',
      'druid.server.priority': '1',
      'druid.server.http.unannouncePropagationDelay': 'PT10S',
      'druid.server.http.gracefulShutdownTimeout': 'PT30S',
      'druid.server.http.numThreads': '60',
    });
  });

  test('historical without a cache size is a programming error', () => {
    expect(() => renderNodeProperties({ nodeType: DruidNodeType.HISTORICAL, jvm: plan(proc) })).toThrow(
      /segmentCacheBytes is required/,
    );
  });

  test('coordinator, alone and as overlord', () => {
    const alone = parse(renderNodeProperties({ nodeType: DruidNodeType.COORDINATOR, jvm: plan() }));
    expect(alone).toEqual({
      'druid.service': 'druid/coordinator',
      'druid.plaintextPort': '8081',
      'druid.coordinator.startDelay': 'PT10S',
      'druid.coordinator.period': 'PT30S',
    });
    const merged = parse(
      renderNodeProperties({ nodeType: DruidNodeType.COORDINATOR, jvm: plan(), coordinatorAsOverlord: true }),
    );
    expect(merged).toMatchObject({
      'druid.coordinator.asOverlord.enabled': 'true',
      'druid.coordinator.asOverlord.overlordService': 'druid/overlord',
      'druid.indexer.storage.type': 'metadata',
    });
  });

  test('overlord, broker and router', () => {
    expect(parse(renderNodeProperties({ nodeType: DruidNodeType.OVERLORD, jvm: plan() }))).toEqual({
      'druid.service': 'druid/overlord',
      'druid.plaintextPort': '8090',
      'druid.indexer.queue.startDelay': 'PT5S',
      'druid.indexer.storage.type': 'metadata',
    });
    const broker = parse(
      renderNodeProperties({
        nodeType: DruidNodeType.BROKER,
        jvm: plan({ numThreads: 1, numMergeBuffers: 2, bufferSizeMiB: 256 }),
      }),
    );
    expect(broker).toMatchObject({
      'druid.service': 'druid/broker',
      'druid.plaintextPort': '8082',
      'druid.processing.numThreads': '1',
      'druid.processing.buffer.sizeBytes': String(256 * 2 ** 20),
      'druid.broker.cache.useCache': 'false',
    });
    const router = parse(renderNodeProperties({ nodeType: DruidNodeType.ROUTER, jvm: plan() }));
    expect(router).toMatchObject({
      'druid.plaintextPort': '8888',
      'druid.router.defaultBrokerServiceName': 'druid/broker',
      'druid.router.coordinatorServiceName': 'druid/coordinator',
      'druid.router.managementProxy.enabled': 'true',
    });
    expect(router['druid.processing.numThreads']).toBeUndefined();
  });

  test('middleManager: capacity, peon ports, peon JVM and processing through fork properties', () => {
    const peon: JvmPlan = {
      heapMiB: 1024,
      directMemoryMiB: 400,
      activeProcessors: 1,
      processing: { numThreads: 1, numMergeBuffers: 2, bufferSizeMiB: 100 },
    };
    const p = parse(
      renderNodeProperties({
        nodeType: DruidNodeType.MIDDLE_MANAGER,
        jvm: plan(),
        capacity: 3,
        peon,
        peonJvmOptions: ['-XX:+UseStringDeduplication'],
      }),
    );
    expect(p).toMatchObject({
      'druid.service': 'druid/middleManager',
      'druid.plaintextPort': '8091',
      'druid.worker.capacity': '3',
      'druid.indexer.task.baseTaskDir': '/opt/druid/var/task',
      'druid.indexer.task.restoreTasksOnRestart': 'true',
      'druid.indexer.runner.startPort': '8100',
      'druid.indexer.runner.endPort': '8199',
      'druid.indexer.fork.property.druid.processing.numThreads': '1',
      'druid.indexer.fork.property.druid.processing.numMergeBuffers': '2',
      'druid.indexer.fork.property.druid.processing.buffer.sizeBytes': String(100 * 2 ** 20),
    });
    const opts = JSON.parse(p['druid.indexer.runner.javaOptsArray']);
    expect(opts).toEqual(
      expect.arrayContaining([
        '-Xms1024m',
        '-Xmx1024m',
        '-XX:MaxDirectMemorySize=400m',
        '-XX:ActiveProcessorCount=1',
      ]),
    );
    expect(opts[opts.length - 1]).toBe('-XX:+UseStringDeduplication');
    expect(p['druid.processing.numThreads']).toBeUndefined();
  });

  test('indexer: capacity and its own processing settings', () => {
    const p = parse(renderNodeProperties({ nodeType: DruidNodeType.INDEXER, jvm: plan(proc), capacity: 4 }));
    expect(p).toMatchObject({
      'druid.service': 'druid/indexer',
      'druid.plaintextPort': '8091',
      'druid.worker.capacity': '4',
      'druid.processing.numThreads': '3',
    });
    expect(() => renderNodeProperties({ nodeType: DruidNodeType.INDEXER, jvm: plan(proc) })).toThrow(
      /capacity is required/,
    );
  });

  test('node types know their ports, directories and upgrade steps', () => {
    expect(
      DruidNodeType.UPGRADE_ORDER.map((t) => [t.name, t.port, t.confDir, t.upgradeStep, t.kind]),
    ).toEqual([
      ['historical', 8083, 'data/historical', 1, 'StatefulSet'],
      ['middleManager', 8091, 'data/middleManager', 2, 'StatefulSet'],
      ['indexer', 8091, 'data/indexer', 2, 'StatefulSet'],
      ['broker', 8082, 'query/broker', 3, 'Deployment'],
      ['router', 8888, 'query/router', 4, 'Deployment'],
      ['overlord', 8090, 'master/coordinator-overlord', 5, 'Deployment'],
      ['coordinator', 8081, 'master/coordinator-overlord', 6, 'Deployment'],
    ]);
    expect(DruidWorkerType.INDEXER.nodeType).toBe(DruidNodeType.INDEXER);
    expect(String(DruidWorkerType.MIDDLE_MANAGER)).toBe('middleManager');
  });
});

describe('jvm.config', () => {
  test('heap, direct memory, processors, G1, UTC, tmpdir on the volume, extras last', () => {
    expect(renderJvmConfig(plan(proc), ['-XX:+UseStringDeduplication'])).toBe(
      [
        '-server',
        '-Xms2048m',
        '-Xmx2048m',
        '-XX:MaxDirectMemorySize=3000m',
        '-XX:ActiveProcessorCount=4',
        '-XX:+UseG1GC',
        '-XX:+ExitOnOutOfMemoryError',
        '-Duser.timezone=UTC',
        '-Dfile.encoding=UTF-8',
        '-Djava.io.tmpdir=/opt/druid/var/tmp',
        '-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager',
        '-XX:+UseStringDeduplication',
      ].join('\n') + '\n',
    );
    expect(jvmOptions(plan())).toHaveLength(11);
  });

  test('extra options: single tokens, none of the managed flags', () => {
    expect(validateJvmOptions('c', 'brokers.jvmOptions', ['-Dx=1'])).toEqual(['-Dx=1']);
    expect(() => validateJvmOptions('c', 'brokers.jvmOptions', ['-Xmx4g'])).toThrow(
      'c: brokers.jvmOptions[0] "-Xmx4g" is not allowed; expected no -Xmx: the blueprint sets it (use heap, directMemory or resources.cpu.limit)',
    );
    expect(() => validateJvmOptions('c', 'p', ['-XX:MaxDirectMemorySize=1g'])).toThrow(
      /no -XX:MaxDirectMemorySize/,
    );
    expect(() => validateJvmOptions('c', 'p', ['-Da=b c'])).toThrow(/p\[0\] "-Da=b c" .*without spaces/);
    expect(() => validateJvmOptions('c', 'p', ['Xmx'])).toThrow(/starting with "-"/);
  });
});

describe('runtime properties and extensions', () => {
  test('extra properties are sorted and stringified', () => {
    expect(validateRuntimeProperties('c', 'p', { 'druid.b': 2, 'druid.a': true })).toEqual([
      ['druid.a', 'true'],
      ['druid.b', '2'],
    ]);
  });

  test('keys the blueprint derives are refused with the prop that sets them', () => {
    expect(() =>
      validateRuntimeProperties('c', 'historicals.runtimeProperties', { 'druid.server.maxSize': 1 }),
    ).toThrow(
      'c: historicals.runtimeProperties["druid.server.maxSize"] 1 is not allowed; expected no value: the blueprint sets druid.server.maxSize (use segmentCacheSize)',
    );
    expect(() =>
      validateRuntimeProperties('c', 'p', { 'druid.metadata.storage.connector.password': 'x' }),
    ).toThrow(/use metadataStore/);
    expect(() => validateRuntimeProperties('c', 'p', { 'druid.s3.accessKey': 'x' })).toThrow(
      /use deepStorage/,
    );
    expect(() => validateRuntimeProperties('c', 'p', { 'druid.zk.service.host': 'x' })).toThrow(
      /use discovery/,
    );
    expect(() => validateRuntimeProperties('c', 'p', { 'druid.processing.numThreads': 2 })).toThrow(
      /use processing\.numThreads/,
    );
    expect(() => validateRuntimeProperties('c', 'p', { 'druid.a': 'x\ny' })).toThrow(/single-line/);
    expect(() => validateRuntimeProperties('c', 'p', { 'druid a': 'x' })).toThrow(/property name/);
    expect(() => validateRuntimeProperties('c', 'p', { 'druid.a': NaN })).toThrow(/finite number/);
  });

  test('extension names', () => {
    expect(validateExtensions('c', 'extensions', ['druid-histogram'])).toEqual(['druid-histogram']);
    expect(() => validateExtensions('c', 'extensions', ['Druid Histogram'])).toThrow(
      /extensions\[0\] "Druid Histogram"/,
    );
  });
});

describe('log4j2.xml', () => {
  test('console output at info with a literal level attribute druid.sh can rewrite', () => {
    const xml = renderLog4j2();
    expect(xml).toContain('<Console name="Console" target="SYSTEM_OUT">');
    expect(xml).toContain('<Root level="info">');
    expect(xml).not.toMatch(/RollingFile|fileName=/);
    // Balanced elements: every opening tag closes.
    const opened = (xml.match(/<(Configuration|Appenders|Console|Loggers|Root|Logger)[\s>]/g) ?? []).length;
    const closed = (xml.match(/<\/(Configuration|Appenders|Console|Loggers|Root|Logger)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });
});

describe('kafkaSupervisorSpec', () => {
  const kafka = {
    bootstrapServers: 'events-kafka-bootstrap.kafka.svc.cluster.local:9092',
    securityProtocol: 'PLAINTEXT',
  };

  test('a Kafka supervisor with the cluster bootstrap servers', () => {
    const spec = kafkaSupervisorSpec('c', kafka, {
      dataSource: 'clicks',
      topic: 'clicks',
      taskCount: 2,
      replicas: 2,
    }) as {
      type: string;
      spec: {
        ioConfig: Record<string, unknown>;
        dataSchema: Record<string, unknown>;
        tuningConfig: Record<string, unknown>;
      };
    };
    expect(spec.type).toBe('kafka');
    expect(spec.spec.ioConfig).toMatchObject({
      type: 'kafka',
      topic: 'clicks',
      consumerProperties: { 'bootstrap.servers': kafka.bootstrapServers },
      taskCount: 2,
      replicas: 2,
      useEarliestOffset: false,
    });
    expect(spec.spec.dataSchema).toMatchObject({
      dataSource: 'clicks',
      timestampSpec: { column: 'timestamp', format: 'auto' },
    });
    expect(spec.spec.tuningConfig).toEqual({ type: 'kafka' });
  });

  test('a non-plaintext listener passes its security protocol', () => {
    const spec = kafkaSupervisorSpec(
      'c',
      { ...kafka, securityProtocol: 'SSL' },
      { dataSource: 'a', topic: 'b' },
    ) as {
      spec: { ioConfig: { consumerProperties: Record<string, string> } };
    };
    expect(spec.spec.ioConfig.consumerProperties['security.protocol']).toBe('SSL');
  });

  test('bad names and counts are errors', () => {
    expect(() => kafkaSupervisorSpec('c', kafka, { dataSource: 'a/b', topic: 't' })).toThrow(
      /c: dataSource "a\/b"/,
    );
    expect(() => kafkaSupervisorSpec('c', kafka, { dataSource: 'a', topic: 't t' })).toThrow(
      /c: topic "t t"/,
    );
    expect(() => kafkaSupervisorSpec('c', kafka, { dataSource: 'a', topic: 't', taskCount: 0 })).toThrow(
      /c: taskCount 0/,
    );
  });
});

describe('remaining preset checks', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['s3 options', () => DruidDeepStorage.s3(undefined as never), /DruidDeepStorage\.s3: options \(unset\)/],
    ['s3 kms key', () => DruidDeepStorage.s3({ bucket: 'abc', baseKey: 'd', kmsKeyId: '' }), /kmsKeyId ""/],
    [
      's3 secret name',
      () => DruidDeepStorage.s3({ bucket: 'abc', baseKey: 'd', credentialsSecret: { name: 'Bad' } }),
      /credentialsSecret\.name "Bad"/,
    ],
    [
      'gcs bucket',
      () => DruidDeepStorage.gcs({ bucket: 'x', prefix: 'd' }),
      /DruidDeepStorage\.gcs: bucket "x"/,
    ],
    [
      'gcs task logs',
      () => DruidDeepStorage.gcs({ bucket: 'abc', prefix: 'd', taskLogPrefix: 'a//b' }),
      /taskLogPrefix "a\/\/b"/,
    ],
    [
      'azure container',
      () =>
        DruidDeepStorage.azure({
          account: 'acme',
          container: 'Druid',
          prefix: 'd',
          sasTokenSecret: { name: 'a', key: 'b' },
        }),
      /container "Druid"/,
    ],
    [
      'hdfs ports',
      () => DruidDeepStorage.hdfs({ storageDirectory: 'hdfs://nn:8020/d', ports: [0] }),
      /ports \[0\]/,
    ],
    [
      'hdfs task logs',
      () => DruidDeepStorage.hdfs({ storageDirectory: 'hdfs://nn:8020/d', taskLogDirectory: '/logs' }),
      /taskLogDirectory "\/logs"/,
    ],
    [
      'hdfs peer',
      () => DruidDeepStorage.hdfs({ storageDirectory: 'hdfs://nn/d', peer: '10.0.0.0/8' as never }),
      /peer "10\.0\.0\.0\/8" .*a NetworkPeer/,
    ],
    [
      'local storage class',
      () => DruidDeepStorage.local({ storageClassName: 'Fast' }),
      /storageClassName "Fast"/,
    ],
    [
      'local size',
      () => DruidDeepStorage.local({ size: Size.kibibytes(1) }),
      /DruidDeepStorage\.local: size/,
    ],
    [
      'metadata options',
      () => DruidMetadataStore.mysql(undefined as never),
      /DruidMetadataStore\.mysql: options \(unset\)/,
    ],
    [
      'metadata createTables',
      () =>
        DruidMetadataStore.postgresql({
          connectUri: 'jdbc:postgresql://db/d',
          user: 'u',
          passwordSecret: { name: 'a', key: 'b' },
          createTables: 'yes' as never,
        }),
      /createTables "yes"/,
    ],
    [
      'metadata secret',
      () =>
        DruidMetadataStore.postgresql({
          connectUri: 'jdbc:postgresql://db/d',
          user: 'u',
          passwordSecret: undefined as never,
        }),
      /passwordSecret \(unset\) .*Secret key reference/,
    ],
    [
      'zookeeper options',
      () => DruidDiscovery.zookeeper(undefined as never),
      /DruidDiscovery\.zookeeper: options \(unset\)/,
    ],
    [
      'zookeeper hosts',
      () => DruidDiscovery.zookeeper({ connectString: 'zk:0' }),
      /connectString "zk:0" .*ports from 1 to 65535/,
    ],
    [
      'kubernetes api cidr',
      () => DruidDiscovery.kubernetes({ apiServerCidr: 'api.example.com' }),
      /NetworkPeer\.ipBlock: cidr "api\.example\.com"/,
    ],
    ['extensions list', () => validateExtensions('c', 'extensions', 'x' as never), /c: extensions "x"/],
    [
      'runtime properties',
      () => validateRuntimeProperties('c', 'p', 'x' as never),
      /c: p "x" .*record of Druid properties/,
    ],
    ['jvm options list', () => validateJvmOptions('c', 'p', 'x' as never), /c: p "x" .*list of JVM options/],
    [
      'supervisor replicas',
      () =>
        kafkaSupervisorSpec(
          'c',
          { bootstrapServers: 'k:9092', securityProtocol: 'PLAINTEXT' },
          { dataSource: 'a', topic: 'b', replicas: 0 },
        ),
      /c: replicas 0/,
    ],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });
});
