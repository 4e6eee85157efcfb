import { spawnSync } from 'child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import fc from 'fast-check';
import {
  KAFKA_FILES,
  KafkaClusterSpec,
  KafkaPool,
  KafkaScriptPaths,
  advertisedListeners,
  defaultHeapMiB,
  initialControllers,
  parseProperties,
  podFqdn,
  quorumBootstrapServers,
  quorumVoters,
  renderLog4jConfig,
  renderPodProperties,
  renderPoolProperties,
  renderRackScript,
  renderServerProperties,
  renderStartScript,
} from '../../../blueprints/workloads/kafka/config';
import { KafkaExternalType, resolveExternalAccess } from '../../../blueprints/workloads/kafka/external';
import {
  controllerDirectoryId,
  deriveKafkaUuid,
  isKafkaUuid,
  kafkaClusterId,
} from '../../../blueprints/workloads/kafka/ids';
import { KafkaRack } from '../../../blueprints/workloads/kafka/rack';
import { KafkaListenerSecurity, KafkaScramMechanism } from '../../../blueprints/workloads/kafka/security';
import { KafkaQuorumMode, KafkaVersion } from '../../../blueprints/workloads/kafka/version';

const CLUSTER_ID = 'MkU3OEVBNTcwNTJENDM2Qg';

function pools(
  controllers = 3,
  brokers = 3,
  combined = false,
): { controllerPool: KafkaPool; brokerPool?: KafkaPool } {
  if (combined) {
    return {
      controllerPool: {
        role: 'combined',
        statefulSetName: 'events-kafka-node',
        serviceName: 'events-kafka-nodes',
        replicas: controllers,
        nodeIdBase: 0,
      },
    };
  }
  return {
    controllerPool: {
      role: 'controller',
      statefulSetName: 'events-kafka-controller',
      serviceName: 'events-kafka-controllers',
      replicas: controllers,
      nodeIdBase: 0,
    },
    brokerPool: {
      role: 'broker',
      statefulSetName: 'events-kafka-broker',
      serviceName: 'events-kafka-brokers',
      replicas: brokers,
      nodeIdBase: 100,
    },
  };
}

function spec(
  o: Partial<KafkaClusterSpec> & { controllers?: number; brokers?: number; combined?: boolean } = {},
): KafkaClusterSpec {
  const { controllers, brokers, combined, ...rest } = o;
  return {
    context: 'KataKafkaBrokers "events"',
    namespace: 'kafka',
    clusterDomain: 'cluster.local',
    clusterId: CLUSTER_ID,
    version: KafkaVersion.V4_3_2,
    quorumMode: KafkaQuorumMode.DYNAMIC,
    ...pools(controllers, brokers, combined),
    security: KafkaListenerSecurity.plaintext(),
    replicationFactor: 3,
    minInsyncReplicas: 2,
    rack: KafkaRack.fromNodeLabel(),
    followerFetching: true,
    autoCreateTopics: false,
    extraConfig: [],
    ...rest,
  };
}

const props = (s: KafkaClusterSpec, pool: KafkaPool, ordinal = 0) =>
  parseProperties(renderServerProperties(s, pool, ordinal));

describe('quorum strings', () => {
  const s = spec();

  test('controller.quorum.voters lists id@fqdn:9093 for every controller, ordered by id', () => {
    expect(quorumVoters(s)).toBe(
      [0, 1, 2]
        .map((i) => `${i}@events-kafka-controller-${i}.events-kafka-controllers.kafka.svc.cluster.local:9093`)
        .join(','),
    );
  });

  test('controller.quorum.bootstrap.servers lists fqdn:9093 for every controller', () => {
    expect(quorumBootstrapServers(s)).toBe(
      [0, 1, 2]
        .map((i) => `events-kafka-controller-${i}.events-kafka-controllers.kafka.svc.cluster.local:9093`)
        .join(','),
    );
  });

  test('--initial-controllers carries a stable, distinct directory id per controller', () => {
    const entries = initialControllers(s).split(',');
    expect(entries).toHaveLength(3);
    const dirIds = entries.map((e) => e.split(':').pop()!);
    expect(new Set(dirIds).size).toBe(3);
    dirIds.forEach((d, i) => {
      expect(isKafkaUuid(d)).toBe(true);
      expect(d).toBe(controllerDirectoryId(CLUSTER_ID, i));
      expect(entries[i]).toBe(
        `${i}@events-kafka-controller-${i}.events-kafka-controllers.kafka.svc.cluster.local:9093:${d}`,
      );
    });
    expect(initialControllers(s)).toBe(initialControllers(spec()));
  });

  test('the version picks the quorum property: bootstrap servers for dynamic, voters for static', () => {
    const c = s.controllerPool;
    const dyn = props(s, c);
    expect(dyn['controller.quorum.bootstrap.servers']).toBe(quorumBootstrapServers(s));
    expect(dyn['controller.quorum.voters']).toBeUndefined();
    const st = spec({ version: KafkaVersion.of('3.8.1'), quorumMode: KafkaQuorumMode.STATIC });
    const stat = props(st, st.brokerPool!);
    expect(stat['controller.quorum.voters']).toBe(quorumVoters(st));
    expect(stat['controller.quorum.bootstrap.servers']).toBeUndefined();
  });

  test('property: any odd controller count and id base gives one voter per controller with contiguous ids', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 5000 }), (k, base) => {
        const n = 2 * k + 1;
        const p = pools(n);
        const s2 = spec({
          controllerPool: { ...p.controllerPool, nodeIdBase: base },
          brokerPool: p.brokerPool,
        });
        const voters = quorumVoters(s2).split(',');
        expect(voters).toHaveLength(n);
        voters.forEach((v, i) => {
          expect(v).toBe(
            `${base + i}@events-kafka-controller-${i}.events-kafka-controllers.kafka.svc.cluster.local:9093`,
          );
        });
        expect(quorumBootstrapServers(s2).split(',')).toHaveLength(n);
        expect(
          new Set(
            initialControllers(s2)
              .split(',')
              .map((e) => e.split(':').pop()),
          ).size,
        ).toBe(n);
      }),
    );
  });
});

describe('per-pod advertised listeners', () => {
  test('brokers advertise their pod FQDN for replication and clients', () => {
    const s = spec();
    const b = s.brokerPool!;
    for (const i of [0, 1, 2]) {
      const fqdn = `events-kafka-broker-${i}.events-kafka-brokers.kafka.svc.cluster.local`;
      expect(podFqdn(s, b, i)).toBe(fqdn);
      expect(advertisedListeners(s, b, i)).toBe(`REPLICATION://${fqdn}:9091,CLIENT://${fqdn}:9092`);
      expect(parseProperties(renderPodProperties(s, b, i))).toEqual({
        'node.id': String(100 + i),
        'advertised.listeners': `REPLICATION://${fqdn}:9091,CLIENT://${fqdn}:9092`,
      });
    }
  });

  test('controllers advertise their controller listener from Kafka 3.9, nothing before', () => {
    const s = spec();
    expect(advertisedListeners(s, s.controllerPool, 1)).toBe(
      'CONTROLLER://events-kafka-controller-1.events-kafka-controllers.kafka.svc.cluster.local:9093',
    );
    const old = spec({ version: KafkaVersion.of('3.8.1'), quorumMode: KafkaQuorumMode.STATIC });
    expect(advertisedListeners(old, old.controllerPool, 1)).toBeUndefined();
    expect(parseProperties(renderPodProperties(old, old.controllerPool, 1))).toEqual({ 'node.id': '1' });
  });

  test('combined nodes advertise the controller listener from Kafka 3.9, only the broker listeners before', () => {
    const s39 = spec({
      combined: true,
      controllers: 1,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      version: KafkaVersion.V3_9_2,
    });
    const fqdn = 'events-kafka-node-0.events-kafka-nodes.kafka.svc.cluster.local';
    expect(advertisedListeners(s39, s39.controllerPool, 0)).toBe(
      `REPLICATION://${fqdn}:9091,CLIENT://${fqdn}:9092,CONTROLLER://${fqdn}:9093`,
    );
    const s38 = spec({
      combined: true,
      controllers: 1,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      version: KafkaVersion.of('3.8.1'),
      quorumMode: KafkaQuorumMode.STATIC,
    });
    expect(advertisedListeners(s38, s38.controllerPool, 0)).toBe(
      `REPLICATION://${fqdn}:9091,CLIENT://${fqdn}:9092`,
    );
  });

  test('load balancer access advertises the expanded host template and the listener port', () => {
    const ext = resolveExternalAccess(
      't',
      { type: KafkaExternalType.LOAD_BALANCER, advertisedHost: 'kafka-{ordinal}-{nodeId}.example.com' },
      3,
      100,
      [9091, 9092, 9093],
    );
    const s = spec({ external: ext });
    const b = s.brokerPool!;
    for (const i of [0, 1, 2]) {
      expect(advertisedListeners(s, b, i)).toContain(`,EXTERNAL://kafka-${i}-${100 + i}.example.com:9094`);
    }
    expect(props(s, b)['listeners']).toBe(
      'REPLICATION://0.0.0.0:9091,CLIENT://0.0.0.0:9092,EXTERNAL://0.0.0.0:9094',
    );
  });

  test('node port access advertises the node IP through the env config provider and one node port per broker', () => {
    const ext = resolveExternalAccess(
      't',
      { type: KafkaExternalType.NODE_PORT, nodePortBase: 32000 },
      3,
      100,
      [9091, 9092, 9093],
    );
    const s = spec({ external: ext });
    const b = s.brokerPool!;
    [0, 1, 2].forEach((i) =>
      expect(advertisedListeners(s, b, i)).toContain(`,EXTERNAL://\${env:KAFKA_NODE_IP}:${32000 + i}`),
    );
    const p = props(s, b);
    expect(p['config.providers']).toBe('dir,env');
    expect(p['config.providers.env.class']).toBe(
      'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
    );
    expect(p['config.providers.env.param.allowlist.pattern']).toBe('^(KAFKA_NODE_IP)$');
  });

  test('property: every broker of any pool size advertises a distinct address on every listener', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 1000 }), (n, base) => {
        const ext = resolveExternalAccess(
          't',
          { type: KafkaExternalType.LOAD_BALANCER, advertisedHost: 'b{nodeId}.kafka.example.com' },
          n,
          base,
          [9091, 9092, 9093],
        );
        const p = pools(3, n);
        const s = spec({ brokerPool: { ...p.brokerPool!, nodeIdBase: base }, external: ext });
        const all = Array.from({ length: n }, (_, i) => advertisedListeners(s, s.brokerPool!, i)!);
        expect(new Set(all).size).toBe(n);
        all.forEach((a, i) => {
          expect(a.split(',')).toHaveLength(3);
          expect(a).toContain(`EXTERNAL://b${base + i}.kafka.example.com:9094`);
          expect(a).not.toContain('0.0.0.0');
        });
      }),
    );
  });
});

describe('server.properties renderer', () => {
  test('brokers: roles, listeners, replication and internal topics, rack and follower fetching', () => {
    const s = spec();
    const p = props(s, s.brokerPool!, 2);
    expect(p).toMatchObject({
      'process.roles': 'broker',
      'node.id': '102',
      'controller.listener.names': 'CONTROLLER',
      listeners: 'REPLICATION://0.0.0.0:9091,CLIENT://0.0.0.0:9092',
      'listener.security.protocol.map': 'REPLICATION:PLAINTEXT,CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'REPLICATION',
      'log.dirs': '/var/lib/kafka/data/logs',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
      'share.coordinator.state.topic.replication.factor': '3',
      'share.coordinator.state.topic.min.isr': '2',
      'auto.create.topics.enable': 'false',
      'unclean.leader.election.enable': 'false',
      'broker.rack': '${dir:/etc/kafka/rack:rack}',
      'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
      'config.providers': 'dir',
      'config.providers.dir.param.allowed.paths': '/etc/kafka/rack',
    });
    expect(p['metadata.log.dir']).toBeUndefined();
  });

  test('controllers: controller listener only, metadata directory, no rack', () => {
    const s = spec();
    const p = props(s, s.controllerPool, 0);
    expect(p).toMatchObject({
      'process.roles': 'controller',
      listeners: 'CONTROLLER://0.0.0.0:9093',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT',
      'log.dirs': '/var/lib/kafka/metadata/kraft',
      'metadata.log.dir': '/var/lib/kafka/metadata/kraft',
      'default.replication.factor': '3',
    });
    expect(p['inter.broker.listener.name']).toBeUndefined();
    expect(p['broker.rack']).toBeUndefined();
    expect(p['config.providers']).toBeUndefined();
  });

  test('combined nodes bind all listeners and keep metadata apart from the data logs', () => {
    const s = spec({ combined: true, controllers: 3 });
    const p = props(s, s.controllerPool, 0);
    expect(p['process.roles']).toBe('broker,controller');
    expect(p['listeners']).toBe('REPLICATION://0.0.0.0:9091,CLIENT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093');
    expect(p['metadata.log.dir']).toBe('/var/lib/kafka/data/metadata');
    expect(p['log.dirs']).toBe('/var/lib/kafka/data/logs');
  });

  test('Kafka 3.x has no share-group state topic settings', () => {
    const s = spec({ version: KafkaVersion.V3_9_2 });
    expect(Object.keys(props(s, s.brokerPool!)).filter((k) => k.startsWith('share.'))).toEqual([]);
  });

  test('rack from the pod label reads the env provider; a disabled rack sets neither rack nor selector', () => {
    const s = spec({ rack: KafkaRack.fromPodTopologyLabel() });
    const p = props(s, s.brokerPool!);
    expect(p['broker.rack']).toBe('${env:KAFKA_RACK}');
    expect(p['config.providers.env.param.allowlist.pattern']).toBe('^(KAFKA_RACK)$');
    const off = spec({ rack: KafkaRack.disabled(), followerFetching: false });
    const q = props(off, off.brokerPool!);
    expect(q['broker.rack']).toBeUndefined();
    expect(q['replica.selector.class']).toBeUndefined();
  });

  test('TLS: PEM material from the Secret directory, mutual TLS between cluster members', () => {
    const s = spec({ security: KafkaListenerSecurity.tls({ secretName: 'events-tls' }) });
    const p = props(s, s.brokerPool!);
    expect(p['listener.security.protocol.map']).toBe('REPLICATION:SSL,CLIENT:SSL,CONTROLLER:SSL');
    expect(p['config.providers.dir.param.allowed.paths']).toBe('/etc/kafka/tls,/etc/kafka/rack');
    for (const l of ['client', 'replication', 'controller']) {
      expect(p[`listener.name.${l}.ssl.keystore.type`]).toBe('PEM');
      expect(p[`listener.name.${l}.ssl.keystore.certificate.chain`]).toBe('${dir:/etc/kafka/tls:tls.crt}');
      expect(p[`listener.name.${l}.ssl.keystore.key`]).toBe('${dir:/etc/kafka/tls:tls.key}');
      expect(p[`listener.name.${l}.ssl.truststore.certificates`]).toBe('${dir:/etc/kafka/tls:ca.crt}');
    }
    expect(p['listener.name.client.ssl.client.auth']).toBe('none');
    expect(p['listener.name.replication.ssl.client.auth']).toBe('required');
    expect(p['listener.name.controller.ssl.client.auth']).toBe('required');
    const c = props(s, s.controllerPool);
    expect(c['listener.security.protocol.map']).toBe('CONTROLLER:SSL');
    expect(c['listener.name.client.ssl.keystore.type']).toBeUndefined();
  });

  test('SASL_SSL: SCRAM on the client listener, mutual TLS inside', () => {
    const s = spec({
      security: KafkaListenerSecurity.saslSsl(
        { secretName: 'events-tls' },
        { mechanism: KafkaScramMechanism.SHA_256 },
      ),
    });
    const p = props(s, s.brokerPool!);
    expect(p['listener.security.protocol.map']).toBe('REPLICATION:SSL,CLIENT:SASL_SSL,CONTROLLER:SSL');
    expect(p['listener.name.client.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-256');
    expect(p['listener.name.client.scram-sha-256.sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    );
    expect(p['listener.name.replication.sasl.enabled.mechanisms']).toBeUndefined();
  });

  test('extra settings come last, so they are the ones Kafka reads', () => {
    const s = spec({ extraConfig: [['log.retention.hours', '72']] });
    const text = renderPoolProperties(s, s.brokerPool!);
    expect(text.trimEnd().split('\n').pop()).toBe('log.retention.hours=72');
  });

  test('property: replication settings follow replicationFactor and minInsyncReplicas on every node', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), (rf, isr) => {
        const s = spec({ replicationFactor: rf, minInsyncReplicas: isr, brokers: 9 });
        for (const pool of [s.controllerPool, s.brokerPool!]) {
          const p = props(s, pool);
          expect(p['default.replication.factor']).toBe(String(rf));
          expect(p['offsets.topic.replication.factor']).toBe(String(rf));
          expect(p['transaction.state.log.replication.factor']).toBe(String(rf));
          expect(p['min.insync.replicas']).toBe(String(isr));
          expect(p['transaction.state.log.min.isr']).toBe(String(isr));
        }
      }),
    );
  });
});

describe('logging', () => {
  test('Kafka 4 gets a log4j2 console configuration, 3.x a log4j 1 one; neither writes files', () => {
    const v4 = renderLog4jConfig(KafkaVersion.V4_3_2);
    expect(v4).toContain('appender.stdout.type = Console');
    expect(v4).toContain('rootLogger.appenderRef.stdout.ref = STDOUT');
    const v3 = renderLog4jConfig(KafkaVersion.V3_9_2);
    expect(v3).toContain('log4j.rootLogger=INFO, stdout');
    expect(v3).toContain('org.apache.log4j.ConsoleAppender');
    for (const t of [v3, v4]) expect(t).not.toMatch(/File|RollingFile/);
  });
});

describe('ids', () => {
  test('a derived cluster id is a valid Kafka Uuid, stable, and differs between clusters', () => {
    const a = kafkaClusterId('t', 'kafka', 'events');
    expect(isKafkaUuid(a)).toBe(true);
    expect(a).toHaveLength(22);
    expect(kafkaClusterId('t', 'kafka', 'events')).toBe(a);
    expect(kafkaClusterId('t', 'kafka2', 'events')).not.toBe(a);
    expect(kafkaClusterId('t', 'kafka', 'orders')).not.toBe(a);
  });

  test('a given cluster id is checked', () => {
    expect(kafkaClusterId('t', 'kafka', 'events', CLUSTER_ID)).toBe(CLUSTER_ID);
    for (const bad of [
      'short',
      'MkU3OEVBNTcwNTJENDM2QgX',
      'MkU3OEVBNTcwNTJENDM2Q+',
      '-kU3OEVBNTcwNTJENDM2Qg',
      'AAAAAAAAAAAAAAAAAAAAAA',
      'MkU3OEVBNTcwNTJENDM2Qh',
    ]) {
      expect(() => kafkaClusterId('KataKafkaBrokers "events"', 'kafka', 'events', bad)).toThrow(
        new RegExp(`KataKafkaBrokers "events": clusterId "${bad.replace(/[+]/g, '\\+')}" is not allowed`),
      );
    }
  });

  test('property: ids derived from any seed are valid Kafka Uuids', () => {
    fc.assert(
      fc.property(fc.string(), (seed) => {
        const id = deriveKafkaUuid(seed);
        expect(isKafkaUuid(id)).toBe(true);
        expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      }),
    );
  });
});

describe('heap', () => {
  test('property: half the limit, capped at 6 GiB, never above 75% of the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 1024 * 1024 }), (mib) => {
        const h = defaultHeapMiB(mib);
        expect(h).toBeLessThanOrEqual(6144);
        expect(h).toBeLessThanOrEqual(mib * 0.75);
        expect(h).toBeGreaterThanOrEqual(Math.min(6144, 512));
      }),
    );
  });
});

describe('start script (run with bash against a stub Kafka installation)', () => {
  let dir: string;
  let paths: KafkaScriptPaths;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-start-'));
    paths = {
      kafkaHome: join(dir, 'opt/kafka'),
      config: join(dir, 'config'),
      work: join(dir, 'tmp/kafka'),
      rack: join(dir, 'rack'),
      tls: join(dir, 'tls'),
      rackApi: join(dir, 'rack-api'),
    };
    for (const d of [join(paths.kafkaHome, 'bin'), paths.config, paths.rack, paths.tls])
      mkdirSync(d, { recursive: true });
    const stub = (name: string) => {
      const f = join(paths.kafkaHome, 'bin', name);
      writeFileSync(
        f,
        `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > "${dir}/${name}.args"\nprintf 'HEAP=%s\\nEXTRA=%s\\nOPTS=%s\\nLOG_DIR=%s\\n' "$KAFKA_HEAP_OPTS" "\${EXTRA_ARGS:-}" "\${KAFKA_OPTS:-}" "\${LOG_DIR:-}" > "${dir}/${name}.env"\n`,
      );
      chmodSync(f, 0o755);
    };
    stub('kafka-storage.sh');
    stub('kafka-server-start.sh');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function install(s: KafkaClusterSpec, pool: KafkaPool): string {
    writeFileSync(join(paths.config, KAFKA_FILES.pool), renderPoolProperties(s, pool));
    for (let i = 0; i < pool.replicas; i++)
      writeFileSync(
        join(paths.config, `${pool.statefulSetName}-${i}.properties`),
        renderPodProperties(s, pool, i),
      );
    writeFileSync(join(paths.config, KAFKA_FILES.initialControllers), initialControllers(s));
    const script = join(paths.config, KAFKA_FILES.start);
    writeFileSync(script, renderStartScript(s, pool, paths));
    return script;
  }

  function run(script: string, env: Record<string, string>) {
    return spawnSync('bash', [script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KAFKA_OPTS: '-Dx=y', ...env },
      encoding: 'utf8',
    });
  }

  test('the script is valid bash', () => {
    const s = spec({
      security: KafkaListenerSecurity.saslSsl(
        { secretName: 't' },
        {
          bootstrapUser: {
            username: { secretName: 'u', key: 'user' },
            password: { secretName: 'u', key: 'password' },
          },
        },
      ),
    });
    for (const pool of [s.controllerPool, s.brokerPool!]) {
      const r = spawnSync('bash', ['-n'], { input: renderStartScript(s, pool), encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  test('a broker joins the pool and pod files, formats without quorum flags and execs the server', () => {
    const s = spec();
    const b = s.brokerPool!;
    const script = install(s, b);
    writeFileSync(join(paths.rack, 'rack'), 'eu-west-1a');
    const r = run(script, { POD_NAME: 'events-kafka-broker-1' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const server = readFileSync(join(paths.work, 'server.properties'), 'utf8');
    expect(server).toBe(renderServerProperties(s, b, 1));
    expect(parseProperties(server)['node.id']).toBe('101');
    const format = readFileSync(join(dir, 'kafka-storage.sh.args'), 'utf8').trim().split('\n');
    expect(format).toEqual([
      'format',
      '--ignore-formatted',
      '--cluster-id',
      CLUSTER_ID,
      '--config',
      join(paths.work, 'server.properties'),
    ]);
    expect(readFileSync(join(dir, 'kafka-storage.sh.env'), 'utf8')).toContain('HEAP=-Xms64m -Xmx256m');
    expect(readFileSync(join(dir, 'kafka-server-start.sh.args'), 'utf8').trim()).toBe(
      join(paths.work, 'server.properties'),
    );
    const env = readFileSync(join(dir, 'kafka-server-start.sh.env'), 'utf8');
    expect(env).toContain('EXTRA=-name kafkaServer\n');
    expect(env).toMatch(/OPTS=-Dx=y -Xlog:gc\*:file=.*gc\.log/);
    expect(env).toContain(`LOG_DIR=${join(paths.work, 'logs')}`);
  });

  test('a controller of a dynamic quorum formats with --initial-controllers; a static quorum without', () => {
    const s = spec();
    const r = run(install(s, s.controllerPool), { POD_NAME: 'events-kafka-controller-2' });
    expect(r.status).toBe(0);
    const args = readFileSync(join(dir, 'kafka-storage.sh.args'), 'utf8').trim().split('\n');
    expect(args.slice(-2)).toEqual(['--initial-controllers', initialControllers(s)]);

    const st = spec({ version: KafkaVersion.of('3.8.1'), quorumMode: KafkaQuorumMode.STATIC });
    const r2 = run(install(st, st.controllerPool), { POD_NAME: 'events-kafka-controller-0' });
    expect(r2.status).toBe(0);
    expect(readFileSync(join(dir, 'kafka-storage.sh.args'), 'utf8')).not.toContain('--initial-controllers');
  });

  test('the SCRAM bootstrap user is added on controllers and checked for the format tool syntax', () => {
    const s = spec({
      rack: KafkaRack.disabled(),
      followerFetching: false,
      security: KafkaListenerSecurity.saslSsl(
        { secretName: 'events-tls' },
        {
          bootstrapUser: {
            username: { secretName: 'adm', key: 'u' },
            password: { secretName: 'adm', key: 'p' },
          },
        },
      ),
    });
    writeFileSync(join(paths.tls, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nx\n');
    writeFileSync(join(paths.tls, 'tls.key'), '-----BEGIN PRIVATE KEY-----\nx\n');
    writeFileSync(join(paths.tls, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nx\n');
    const script = install(s, s.controllerPool);
    const ok = run(script, {
      POD_NAME: 'events-kafka-controller-0',
      KAFKA_BOOTSTRAP_SCRAM_USERNAME: 'admin',
      KAFKA_BOOTSTRAP_SCRAM_PASSWORD: 's3cr=t]',
    });
    expect(ok.stderr).toBe('');
    expect(readFileSync(join(dir, 'kafka-storage.sh.args'), 'utf8')).toContain(
      '--add-scram\nSCRAM-SHA-512=[name=admin,password=s3cr=t]]\n',
    );
    const bad = run(script, {
      POD_NAME: 'events-kafka-controller-0',
      KAFKA_BOOTSTRAP_SCRAM_USERNAME: 'admin',
      KAFKA_BOOTSTRAP_SCRAM_PASSWORD: 'a,b',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('no comma or double quote');
  });

  test('refuses a pod the pool was not synthesized for, a missing rack and a PKCS#1 key', () => {
    const s = spec({ security: KafkaListenerSecurity.tls({ secretName: 'events-tls' }) });
    const script = install(s, s.brokerPool!);
    const r = run(script, { POD_NAME: 'events-kafka-broker-3' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'no configuration for pod events-kafka-broker-3 in the pool events-kafka-broker: change the pool size in the blueprint',
    );
    const r2 = run(script, { POD_NAME: 'events-kafka-broker-0' });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('broker.rack:');
    writeFileSync(join(paths.rack, 'rack'), 'zone-a');
    writeFileSync(join(paths.tls, 'tls.crt'), 'c');
    writeFileSync(join(paths.tls, 'ca.crt'), 'c');
    writeFileSync(join(paths.tls, 'tls.key'), '-----BEGIN RSA PRIVATE KEY-----\nx\n');
    const r3 = run(script, { POD_NAME: 'events-kafka-broker-0' });
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain('is not a PKCS#8 PEM key');
    expect(spawnSync('test', ['-e', join(dir, 'kafka-server-start.sh.args')]).status).toBe(1);
  });

  test('rack from the pod label: refuses to start without the label', () => {
    const s = spec({ rack: KafkaRack.fromPodTopologyLabel() });
    const script = install(s, s.brokerPool!);
    const r = run(script, { POD_NAME: 'events-kafka-broker-0', KAFKA_RACK: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PodTopologyLabelsAdmission');
    expect(run(script, { POD_NAME: 'events-kafka-broker-0', KAFKA_RACK: 'zone-b' }).status).toBe(0);
  });
});

describe('rack init script (run with sh against a stub curl)', () => {
  let dir: string;
  let paths: KafkaScriptPaths;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-rack-'));
    paths = {
      kafkaHome: '',
      config: '',
      work: '',
      tls: '',
      rack: join(dir, 'rack'),
      rackApi: join(dir, 'api'),
    };
    mkdirSync(paths.rack);
    mkdirSync(paths.rackApi);
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(paths.rackApi, 'token'), 'secret-token');
    writeFileSync(join(paths.rackApi, 'ca.crt'), 'ca');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function curl(body: string) {
    const f = join(dir, 'bin', 'curl');
    writeFileSync(
      f,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/curl.args"\ncat > "${dir}/curl.stdin"\ncat <<'JSON'\n${body}\nJSON\n`,
    );
    chmodSync(f, 0o755);
  }
  const run = (key = 'topology.kubernetes.io/zone') =>
    spawnSync('sh', ['-c', renderRackScript(key, paths)], {
      env: {
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        NODE_NAME: 'node-a',
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        KUBERNETES_SERVICE_PORT: '443',
      },
      encoding: 'utf8',
    });

  test('compact JSON: writes the zone; the token goes on stdin, never on the command line', () => {
    curl(
      '{"kind":"PartialObjectMetadata","metadata":{"name":"node-a","labels":{"kubernetes.io/hostname":"node-a","topology.kubernetes.io/zone":"eu-west-1b"},"annotations":{"x":"{\\"topology.kubernetes.io/zone\\":\\"wrong\\"}"}}}',
    );
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(paths.rack, 'rack'), 'utf8')).toBe('eu-west-1b');
    const args = readFileSync(join(dir, 'curl.args'), 'utf8');
    expect(args).toContain('https://10.96.0.1:443/api/v1/nodes/node-a');
    expect(args).not.toContain('secret-token');
    expect(readFileSync(join(dir, 'curl.stdin'), 'utf8')).toBe('Authorization: Bearer secret-token\n');
  });

  test('pretty-printed JSON and another label key', () => {
    curl(
      '{\n  "metadata": {\n    "labels": {\n      "example.com/rack": "r7",\n      "topology.kubernetes.io/zone": "z"\n    }\n  }\n}',
    );
    expect(run('example.com/rack').status).toBe(0);
    expect(readFileSync(join(paths.rack, 'rack'), 'utf8')).toBe('r7');
  });

  test('fails when the node has no such label', () => {
    curl('{"metadata":{"labels":{"kubernetes.io/hostname":"node-a"}}}');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('node node-a has no label topology.kubernetes.io/zone');
  });
});
