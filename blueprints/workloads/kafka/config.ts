/**
 * Pure renderers for the files a Kafka node reads: the pool's `server.properties` part, the per-pod
 * part (node id, advertised listeners), the quorum strings, the console-only logging config, the
 * start script and the rack init script. Everything here is a function of plain inputs, tested alone.
 */
import { renderProperties } from '../../../lib/k8s/config';
import { controllerDirectoryId } from './ids';
import { KafkaRack } from './rack';
import { KafkaListenerSecurity } from './security';
import { expandHostTemplate, ResolvedExternalAccess, KafkaExternalType } from './external';
import { KafkaQuorumMode, KafkaVersion } from './version';

/** The ports of the listeners. */
export const KAFKA_PORTS = {
  /** Inter-broker replication (brokers only). */
  replication: 9091,
  /** Clients inside the cluster. */
  client: 9092,
  /** KRaft controller quorum. */
  controller: 9093,
} as const;

/** Listener names. */
export const KAFKA_LISTENERS = {
  controller: 'CONTROLLER',
  replication: 'REPLICATION',
  client: 'CLIENT',
  external: 'EXTERNAL',
} as const;

/** Where things live in the container. */
export const KAFKA_PATHS = {
  /** Kafka installation of the official image. */
  kafkaHome: '/opt/kafka',
  /** Generated configuration (ConfigMap). */
  config: '/etc/kafka/config',
  /** TLS Secret. */
  tls: '/etc/kafka/tls',
  /** The rack value written by the rack init container (emptyDir). */
  rack: '/etc/kafka/rack',
  /** The projected service-account token of the rack init container. */
  rackApi: '/etc/kafka/rack-api',
  /** Broker (and combined node) data volume. */
  data: '/var/lib/kafka/data',
  /** Controller metadata volume. */
  metadata: '/var/lib/kafka/metadata',
  /** Scratch space (emptyDir on /tmp): the assembled server.properties, GC logs, JVM perf data. */
  work: '/tmp/kafka',
} as const;

/** Config provider classes the brokers may instantiate (`org.apache.kafka.automatic.config.providers`). */
export const CONFIG_PROVIDER_CLASSES = {
  dir: 'org.apache.kafka.common.config.provider.DirectoryConfigProvider',
  env: 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
} as const;

/** The follower-fetching replica selector (KIP-392). */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

/** Environment variable with the broker's rack (downward API). */
export const RACK_ENV = 'KAFKA_RACK';
/** Environment variable with the node IP (downward API), for NodePort advertised listeners. */
export const NODE_IP_ENV = 'KAFKA_NODE_IP';
/** Environment variables with the bootstrap SCRAM user (controllers only). */
export const SCRAM_USER_ENV = {
  username: 'KAFKA_BOOTSTRAP_SCRAM_USERNAME',
  password: 'KAFKA_BOOTSTRAP_SCRAM_PASSWORD',
} as const;

/** The role of a pool of nodes. */
export type KafkaPoolRole = 'controller' | 'broker' | 'combined';

/** One StatefulSet of Kafka nodes. */
export interface KafkaPool {
  /** What the nodes do. */
  readonly role: KafkaPoolRole;
  /** StatefulSet name (pods are `<name>-<ordinal>`). */
  readonly statefulSetName: string;
  /** Headless Service that gives each pod its DNS name. */
  readonly serviceName: string;
  /** Number of pods. */
  readonly replicas: number;
  /** `node.id` of the pod with ordinal 0; pod `i` has `nodeIdBase + i`. */
  readonly nodeIdBase: number;
}

/** Everything the renderers need about a cluster. */
export interface KafkaClusterSpec {
  /** Construct context for headers and errors, e.g. `KataKafkaBrokers "events"`. */
  readonly context: string;
  /** Namespace. */
  readonly namespace: string;
  /** Cluster DNS domain. */
  readonly clusterDomain: string;
  /** Kafka cluster id. */
  readonly clusterId: string;
  /** Kafka release. */
  readonly version: KafkaVersion;
  /** Quorum mode. */
  readonly quorumMode: KafkaQuorumMode;
  /** Controllers (role `controller`), or the combined pool (role `combined`). */
  readonly controllerPool: KafkaPool;
  /** Brokers (role `broker`); absent in combined mode. */
  readonly brokerPool?: KafkaPool;
  /** Client listener security. */
  readonly security: KafkaListenerSecurity;
  /** External access, if any. */
  readonly external?: ResolvedExternalAccess;
  /** `default.replication.factor` and the internal topics' replication factor. */
  readonly replicationFactor: number;
  /** `min.insync.replicas` and the internal topics' minimum ISR. */
  readonly minInsyncReplicas: number;
  /** Rack source. */
  readonly rack: KafkaRack;
  /** Whether consumers may fetch from the closest replica (`replica.selector.class`). */
  readonly followerFetching: boolean;
  /** `auto.create.topics.enable`. */
  readonly autoCreateTopics: boolean;
  /** Further properties, appended to every node's configuration in order. */
  readonly extraConfig: ReadonlyArray<readonly [string, string]>;
}

type Entries = Array<readonly [string, string | number | boolean]>;

/** The pool that holds the brokers (the combined pool in combined mode). */
export function brokerPoolOf(spec: KafkaClusterSpec): KafkaPool {
  return spec.brokerPool ?? spec.controllerPool;
}

/** Whether a pool's nodes act as brokers. */
export function isBrokerPool(pool: KafkaPool): boolean {
  return pool.role !== 'controller';
}

/** Whether a pool's nodes act as controllers. */
export function isControllerPool(pool: KafkaPool): boolean {
  return pool.role !== 'broker';
}

/** Pod name of ordinal `i`. */
export function podName(pool: KafkaPool, ordinal: number): string {
  return `${pool.statefulSetName}-${ordinal}`;
}

/** `node.id` of ordinal `i`. */
export function nodeIdOf(pool: KafkaPool, ordinal: number): number {
  return pool.nodeIdBase + ordinal;
}

/** Fully qualified DNS name of a pod through its pool's headless Service. */
export function podFqdn(spec: KafkaClusterSpec, pool: KafkaPool, ordinal: number): string {
  return `${podName(pool, ordinal)}.${pool.serviceName}.${spec.namespace}.svc.${spec.clusterDomain}`;
}

function ordinals(pool: KafkaPool): number[] {
  return Array.from({ length: pool.replicas }, (_, i) => i);
}

/** `controller.quorum.voters`: `<id>@<fqdn>:9093,...`, ordered by node id. */
export function quorumVoters(spec: KafkaClusterSpec): string {
  const pool = spec.controllerPool;
  return ordinals(pool)
    .map((i) => `${nodeIdOf(pool, i)}@${podFqdn(spec, pool, i)}:${KAFKA_PORTS.controller}`)
    .join(',');
}

/** `controller.quorum.bootstrap.servers`: `<fqdn>:9093,...`, ordered by node id. */
export function quorumBootstrapServers(spec: KafkaClusterSpec): string {
  const pool = spec.controllerPool;
  return ordinals(pool)
    .map((i) => `${podFqdn(spec, pool, i)}:${KAFKA_PORTS.controller}`)
    .join(',');
}

/**
 * `kafka-storage format --initial-controllers`: `<id>@<fqdn>:9093:<directory id>,...`. The same
 * string formats every initial controller; each takes its metadata directory id from its own entry.
 */
export function initialControllers(spec: KafkaClusterSpec): string {
  const pool = spec.controllerPool;
  return ordinals(pool)
    .map((i) => {
      const id = nodeIdOf(pool, i);
      return `${id}@${podFqdn(spec, pool, i)}:${KAFKA_PORTS.controller}:${controllerDirectoryId(spec.clusterId, id)}`;
    })
    .join(',');
}

/** The quorum line of every node: static voters or dynamic bootstrap servers. */
export function quorumProperty(spec: KafkaClusterSpec): readonly [string, string] {
  return spec.quorumMode === KafkaQuorumMode.DYNAMIC
    ? ['controller.quorum.bootstrap.servers', quorumBootstrapServers(spec)]
    : ['controller.quorum.voters', quorumVoters(spec)];
}

/** The listener names a pool's nodes bind, in order. */
export function poolListeners(spec: KafkaClusterSpec, pool: KafkaPool): string[] {
  const names: string[] = [];
  if (isBrokerPool(pool)) names.push(KAFKA_LISTENERS.replication, KAFKA_LISTENERS.client);
  if (isBrokerPool(pool) && spec.external) names.push(KAFKA_LISTENERS.external);
  if (isControllerPool(pool)) names.push(KAFKA_LISTENERS.controller);
  return names;
}

/** The port of a listener. */
export function listenerPort(spec: KafkaClusterSpec, listener: string): number {
  switch (listener) {
    case KAFKA_LISTENERS.replication:
      return KAFKA_PORTS.replication;
    case KAFKA_LISTENERS.client:
      return KAFKA_PORTS.client;
    case KAFKA_LISTENERS.controller:
      return KAFKA_PORTS.controller;
    case KAFKA_LISTENERS.external:
      return spec.external!.port;
    default:
      throw new Error(`unknown listener ${listener}`);
  }
}

/** The security protocol of a listener. */
export function listenerProtocol(spec: KafkaClusterSpec, listener: string): string {
  return listener === KAFKA_LISTENERS.client || listener === KAFKA_LISTENERS.external
    ? spec.security.protocol
    : spec.security.internalProtocol;
}

/** `listener.security.protocol.map` of a pool: its own listeners, plus the controller listener brokers connect to. */
export function securityProtocolMap(spec: KafkaClusterSpec, pool: KafkaPool): string {
  const names = poolListeners(spec, pool);
  if (!names.includes(KAFKA_LISTENERS.controller)) names.push(KAFKA_LISTENERS.controller);
  return names.map((n) => `${n}:${listenerProtocol(spec, n)}`).join(',');
}

/** The host and port a broker advertises on its external listener. */
export function externalAddress(spec: KafkaClusterSpec, ordinal: number): { host: string; port: number } {
  const ext = spec.external!;
  const pool = brokerPoolOf(spec);
  const host =
    ext.advertisedHost !== undefined
      ? expandHostTemplate(ext.advertisedHost, ordinal, nodeIdOf(pool, ordinal))
      : `\${env:${NODE_IP_ENV}}`;
  const port = ext.type === KafkaExternalType.NODE_PORT ? ext.nodePortBase + ordinal : ext.port;
  return { host, port };
}

/**
 * `advertised.listeners` of one pod: the pod's DNS name for the replication, client and (from
 * Kafka 3.9, see {@link KafkaVersion.advertisesControllerListener}) controller listeners, and the
 * per-broker external address. Undefined when the node advertises nothing (controllers before 3.9).
 */
export function advertisedListeners(
  spec: KafkaClusterSpec,
  pool: KafkaPool,
  ordinal: number,
): string | undefined {
  const fqdn = podFqdn(spec, pool, ordinal);
  const out: string[] = [];
  for (const name of poolListeners(spec, pool)) {
    if (name === KAFKA_LISTENERS.external) {
      const { host, port } = externalAddress(spec, ordinal);
      out.push(`${name}://${host}:${port}`);
    } else if (name === KAFKA_LISTENERS.controller) {
      if (spec.version.advertisesControllerListener) out.push(`${name}://${fqdn}:${KAFKA_PORTS.controller}`);
    } else {
      out.push(`${name}://${fqdn}:${listenerPort(spec, name)}`);
    }
  }
  return out.length ? out.join(',') : undefined;
}

/** The data directories of a pool: `log.dirs` and, for controllers, `metadata.log.dir`. */
export function poolDirectories(pool: KafkaPool): { logDirs: string; metadataLogDir?: string } {
  switch (pool.role) {
    case 'controller':
      return { logDirs: `${KAFKA_PATHS.metadata}/kraft`, metadataLogDir: `${KAFKA_PATHS.metadata}/kraft` };
    case 'combined':
      return { logDirs: `${KAFKA_PATHS.data}/logs`, metadataLogDir: `${KAFKA_PATHS.data}/metadata` };
    case 'broker':
    default:
      return { logDirs: `${KAFKA_PATHS.data}/logs` };
  }
}

/** What a pool's configuration resolves at runtime through Kafka config providers. */
export interface ProviderUsage {
  /** Directories read with `${dir:<dir>:<file>}`. */
  readonly dirPaths: string[];
  /** Environment variables read with `${env:<VAR>}`. */
  readonly envVars: string[];
}

/** The directories and environment variables a pool's configuration reads at runtime. */
export function providerUsage(spec: KafkaClusterSpec, pool: KafkaPool): ProviderUsage {
  const dirPaths: string[] = [];
  const envVars: string[] = [];
  if (spec.security.tlsSecret) dirPaths.push(KAFKA_PATHS.tls);
  if (isBrokerPool(pool) && spec.rack.source === 'nodeLabel') dirPaths.push(KAFKA_PATHS.rack);
  if (isBrokerPool(pool) && spec.rack.source === 'podLabel') envVars.push(RACK_ENV);
  if (isBrokerPool(pool) && spec.external && spec.external.advertisedHost === undefined)
    envVars.push(NODE_IP_ENV);
  return { dirPaths, envVars };
}

/** The config providers a pool's configuration references (sorted aliases). */
export function poolConfigProviders(
  spec: KafkaClusterSpec,
  pool: KafkaPool,
): Array<keyof typeof CONFIG_PROVIDER_CLASSES> {
  const u = providerUsage(spec, pool);
  const out: Array<keyof typeof CONFIG_PROVIDER_CLASSES> = [];
  if (u.dirPaths.length) out.push('dir');
  if (u.envVars.length) out.push('env');
  return out;
}

function tlsEntries(spec: KafkaClusterSpec, listener: string, clientAuth: 'required' | 'none'): Entries {
  const tls = spec.security.tlsSecret!;
  const p = `listener.name.${listener.toLowerCase()}.`;
  const file = (key: string) => `\${dir:${KAFKA_PATHS.tls}:${key}}`;
  return [
    [`${p}ssl.keystore.type`, 'PEM'],
    [`${p}ssl.keystore.certificate.chain`, file(tls.certificateKey)],
    [`${p}ssl.keystore.key`, file(tls.privateKeyKey)],
    [`${p}ssl.truststore.type`, 'PEM'],
    [`${p}ssl.truststore.certificates`, file(tls.caKey)],
    [`${p}ssl.client.auth`, clientAuth],
    [`${p}ssl.endpoint.identification.algorithm`, 'https'],
  ];
}

function saslEntries(spec: KafkaClusterSpec, listener: string): Entries {
  const mech = spec.security.scram!.mechanism.name;
  const p = `listener.name.${listener.toLowerCase()}.`;
  return [
    [`${p}sasl.enabled.mechanisms`, mech],
    [
      `${p}${mech.toLowerCase()}.sasl.jaas.config`,
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    ],
  ];
}

/**
 * The settings a pool's nodes share (everything but `node.id` and `advertised.listeners`), as
 * ordered key/value pairs.
 */
export function poolProperties(spec: KafkaClusterSpec, pool: KafkaPool): Entries {
  const roles = pool.role === 'combined' ? 'broker,controller' : pool.role;
  const listeners = poolListeners(spec, pool);
  const dirs = poolDirectories(pool);
  const e: Entries = [
    ['process.roles', roles],
    ['controller.listener.names', KAFKA_LISTENERS.controller],
    quorumProperty(spec),
    ['listeners', listeners.map((n) => `${n}://0.0.0.0:${listenerPort(spec, n)}`).join(',')],
    ['listener.security.protocol.map', securityProtocolMap(spec, pool)],
  ];
  if (isBrokerPool(pool)) e.push(['inter.broker.listener.name', KAFKA_LISTENERS.replication]);
  e.push(['log.dirs', dirs.logDirs]);
  if (dirs.metadataLogDir) e.push(['metadata.log.dir', dirs.metadataLogDir]);
  // Topic defaults are read by the controllers (they create topics) and the brokers (internal topics).
  const rf = spec.replicationFactor;
  const isr = spec.minInsyncReplicas;
  e.push(
    ['default.replication.factor', rf],
    ['min.insync.replicas', isr],
    ['offsets.topic.replication.factor', rf],
    ['transaction.state.log.replication.factor', rf],
    ['transaction.state.log.min.isr', isr],
  );
  if (spec.version.hasShareGroupStateTopic) {
    e.push(
      ['share.coordinator.state.topic.replication.factor', rf],
      ['share.coordinator.state.topic.min.isr', isr],
    );
  }
  e.push(['auto.create.topics.enable', spec.autoCreateTopics], ['unclean.leader.election.enable', false]);
  if (isBrokerPool(pool) && spec.rack.enabled) {
    e.push([
      'broker.rack',
      spec.rack.source === 'nodeLabel' ? `\${dir:${KAFKA_PATHS.rack}:rack}` : `\${env:${RACK_ENV}}`,
    ]);
    if (spec.followerFetching) e.push(['replica.selector.class', RACK_AWARE_REPLICA_SELECTOR]);
  }
  const providers = poolConfigProviders(spec, pool);
  if (providers.length) {
    const usage = providerUsage(spec, pool);
    e.push(['config.providers', providers.join(',')]);
    for (const alias of providers) {
      e.push([`config.providers.${alias}.class`, CONFIG_PROVIDER_CLASSES[alias]]);
      if (alias === 'dir') e.push(['config.providers.dir.param.allowed.paths', usage.dirPaths.join(',')]);
      else e.push(['config.providers.env.param.allowlist.pattern', `^(${usage.envVars.join('|')})$`]);
    }
  }
  if (spec.security.tlsSecret) {
    for (const name of listeners) {
      if (name === KAFKA_LISTENERS.client || name === KAFKA_LISTENERS.external) {
        e.push(...tlsEntries(spec, name, spec.security.requireClientCertificates ? 'required' : 'none'));
        if (spec.security.scram) e.push(...saslEntries(spec, name));
      } else {
        e.push(...tlsEntries(spec, name, 'required'));
      }
    }
    // Brokers connect to the controllers as TLS clients with the same certificate.
    if (!listeners.includes(KAFKA_LISTENERS.controller))
      e.push(...tlsEntries(spec, KAFKA_LISTENERS.controller, 'required'));
  }
  e.push(...spec.extraConfig);
  return e;
}

/** The settings that differ per pod: `node.id` and `advertised.listeners`. */
export function podProperties(spec: KafkaClusterSpec, pool: KafkaPool, ordinal: number): Entries {
  const e: Entries = [['node.id', nodeIdOf(pool, ordinal)]];
  const adv = advertisedListeners(spec, pool, ordinal);
  if (adv !== undefined) e.push(['advertised.listeners', adv]);
  return e;
}

/** The pool part of `server.properties` as text. */
export function renderPoolProperties(spec: KafkaClusterSpec, pool: KafkaPool): string {
  return renderProperties(
    poolProperties(spec, pool),
    `${spec.context}: ${pool.role} pool ${pool.statefulSetName} (Kafka ${spec.version.version}).\n` +
      'Generated by kata-blueprints; the start script appends the per-pod file to this one.',
  );
}

/** The per-pod part of `server.properties` as text. */
export function renderPodProperties(spec: KafkaClusterSpec, pool: KafkaPool, ordinal: number): string {
  return renderProperties(podProperties(spec, pool, ordinal), `Pod ${podName(pool, ordinal)}.`);
}

/** The whole `server.properties` a pod runs with (pool part followed by the pod part). */
export function renderServerProperties(spec: KafkaClusterSpec, pool: KafkaPool, ordinal: number): string {
  return renderPoolProperties(spec, pool) + renderPodProperties(spec, pool, ordinal);
}

/** Parses `key=value` lines (no continuation lines) into a map; later keys win, as in Java. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#') || line.startsWith('!')) continue;
    const i = line.indexOf('=');
    if (i < 0) continue;
    out[line.slice(0, i)] = line
      .slice(i + 1)
      .replace(/\\n/g, '\n')
      .replace(/\\\\/g, '\\');
  }
  return out;
}

/** The name of the logging configuration file for a release. */
export function log4jFileName(version: KafkaVersion): string {
  return version.usesLog4j2 ? 'log4j2.properties' : 'log4j.properties';
}

/** `KAFKA_LOG4J_OPTS` pointing the JVM at the generated logging configuration. */
export function log4jOpts(version: KafkaVersion): string {
  const path = `${KAFKA_PATHS.config}/${log4jFileName(version)}`;
  return version.usesLog4j2 ? `-Dlog4j2.configurationFile=${path}` : `-Dlog4j.configuration=file:${path}`;
}

/**
 * Logging to stdout only (the image's default writes rotating files under the installation, which
 * is read-only here). log4j2 properties syntax from Kafka 4.0, log4j 1 (reload4j) before.
 */
export function renderLog4jConfig(version: KafkaVersion): string {
  const quiet: Array<[string, string]> = [
    ['kafka.request.logger', 'WARN'],
    ['kafka.network.RequestChannel$', 'WARN'],
    ['org.apache.kafka.controller', 'INFO'],
    ['state.change.logger', 'INFO'],
    ['kafka.authorizer.logger', 'INFO'],
  ];
  if (version.usesLog4j2) {
    const lines = [
      '# Console-only logging for Kafka (log4j2). Generated by kata-blueprints.',
      'name = kafka',
      'status = warn',
      'appender.stdout.type = Console',
      'appender.stdout.name = STDOUT',
      'appender.stdout.target = SYSTEM_OUT',
      'appender.stdout.layout.type = PatternLayout',
      'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.stdout.ref = STDOUT',
    ];
    quiet.forEach(([logger, level], i) => {
      lines.push(`logger.l${i}.name = ${logger}`, `logger.l${i}.level = ${level}`);
    });
    return lines.join('\n') + '\n';
  }
  const lines = [
    '# Console-only logging for Kafka (log4j 1 / reload4j). Generated by kata-blueprints.',
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.Target=System.out',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  ];
  for (const [logger, level] of quiet) lines.push(`log4j.logger.${logger}=${level}`);
  return lines.join('\n') + '\n';
}

/** Filesystem locations the scripts use; tests point them at a scratch directory. */
export interface KafkaScriptPaths {
  /** Kafka installation. */
  readonly kafkaHome: string;
  /** Generated configuration. */
  readonly config: string;
  /** Scratch directory. */
  readonly work: string;
  /** Rack file directory. */
  readonly rack: string;
  /** TLS Secret mount. */
  readonly tls: string;
  /** Projected service-account token of the rack init container. */
  readonly rackApi: string;
}

/** The paths in the container. */
export const CONTAINER_SCRIPT_PATHS: KafkaScriptPaths = {
  kafkaHome: KAFKA_PATHS.kafkaHome,
  config: KAFKA_PATHS.config,
  work: KAFKA_PATHS.work,
  rack: KAFKA_PATHS.rack,
  tls: KAFKA_PATHS.tls,
  rackApi: KAFKA_PATHS.rackApi,
};

/** File names in the pool's ConfigMap. */
export const KAFKA_FILES = {
  pool: 'pool.properties',
  start: 'start.sh',
  rack: 'rack.sh',
  initialControllers: 'initial-controllers',
} as const;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The container's entrypoint (bash, in the official image): checks the runtime inputs, joins the
 * pool and pod files into `server.properties`, formats the storage on first start
 * (`kafka-storage format --ignore-formatted`, with `--initial-controllers` on controllers of a
 * dynamic quorum) and execs the server so that it receives SIGTERM for a controlled shutdown.
 */
export function renderStartScript(
  spec: KafkaClusterSpec,
  pool: KafkaPool,
  paths: KafkaScriptPaths = CONTAINER_SCRIPT_PATHS,
): string {
  const L: string[] = [
    '#!/usr/bin/env bash',
    `# ${spec.context}: entrypoint of the ${pool.role} pool ${pool.statefulSetName}. Generated by kata-blueprints.`,
    'set -euo pipefail',
    '',
    `config_dir=${shellQuote(paths.config)}`,
    `work_dir=${shellQuote(paths.work)}`,
    `kafka_home=${shellQuote(paths.kafkaHome)}`,
    '',
    'fail() {',
    '  echo "kafka: $*" >&2',
    '  exit 1',
    '}',
    '',
    'pod="${POD_NAME:-}"',
    '[[ -n "${pod}" ]] || fail "POD_NAME is not set (it comes from the downward API)"',
    'pod_file="${config_dir}/${pod}.properties"',
    `[[ -f "\${pod_file}" ]] || fail "no configuration for pod \${pod} in the pool ${pool.statefulSetName}: change the pool size in the blueprint and re-apply (kubectl scale adds pods the configuration does not know)"`,
  ];
  if (isBrokerPool(pool) && spec.rack.source === 'nodeLabel') {
    L.push(
      `[[ -s ${shellQuote(`${paths.rack}/rack`)} ]] || fail "broker.rack: ${paths.rack}/rack is missing or empty (the rack init container reads the node label ${spec.rack.topologyKey})"`,
    );
  }
  if (isBrokerPool(pool) && spec.rack.source === 'podLabel') {
    L.push(
      `[[ -n "\${${RACK_ENV}:-}" ]] || fail "broker.rack: the pod has no ${spec.rack.topologyKey} label; it is set by PodTopologyLabelsAdmission (Kubernetes 1.35+, or 1.33+ with the feature gate). Use KafkaRack.fromNodeLabel() on other clusters"`,
    );
  }
  if (isBrokerPool(pool) && spec.external && spec.external.advertisedHost === undefined) {
    L.push(
      `[[ -n "\${${NODE_IP_ENV}:-}" ]] || fail "${NODE_IP_ENV} is not set (status.hostIP from the downward API)"`,
    );
  }
  if (spec.security.tlsSecret) {
    const t = spec.security.tlsSecret;
    L.push(
      `for f in ${[t.certificateKey, t.privateKeyKey, t.caKey].map(shellQuote).join(' ')}; do`,
      `  [[ -s "${paths.tls}/\${f}" ]] || fail "TLS: ${paths.tls}/\${f} is missing or empty in Secret ${t.secretName}"`,
      'done',
      `grep -Eq -- '-----BEGIN (ENCRYPTED )?PRIVATE KEY-----' ${shellQuote(`${paths.tls}/${t.privateKeyKey}`)} ||`,
      `  fail "TLS: ${t.privateKeyKey} in Secret ${t.secretName} is not a PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----); with cert-manager set privateKey.encoding: PKCS8"`,
    );
  }
  L.push(
    '',
    'mkdir -p "${work_dir}"',
    `cat "\${config_dir}/${KAFKA_FILES.pool}" "\${pod_file}" > "\${work_dir}/server.properties"`,
    '',
    '# Format the storage on first start; a no-op once formatted (and an error on a cluster id mismatch).',
    `format_args=(format --ignore-formatted --cluster-id ${shellQuote(spec.clusterId)} --config "\${work_dir}/server.properties")`,
  );
  if (isControllerPool(pool) && spec.quorumMode === KafkaQuorumMode.DYNAMIC) {
    L.push(`format_args+=(--initial-controllers "$(<"\${config_dir}/${KAFKA_FILES.initialControllers}")")`);
  }
  if (isControllerPool(pool) && spec.security.scram?.bootstrapUser) {
    const mech = spec.security.scram.mechanism.name;
    L.push(
      `scram_user="\${${SCRAM_USER_ENV.username}:-}"`,
      `scram_password="\${${SCRAM_USER_ENV.password}:-}"`,
      `[[ "\${scram_user}" =~ ^[A-Za-z0-9._@-]+$ ]] || fail "SCRAM bootstrap user: the name must consist of letters, digits and ._@-"`,
      '[[ -n "${scram_password}" && "${scram_password}" != *,* && "${scram_password}" != *\\"* ]] ||',
      '  fail "SCRAM bootstrap user: the password must be non-empty and contain no comma or double quote"',
      `format_args+=(--add-scram "${mech}=[name=\${scram_user},password=\${scram_password}]")`,
    );
  }
  L.push(
    'KAFKA_HEAP_OPTS="-Xms64m -Xmx256m" "${kafka_home}/bin/kafka-storage.sh" "${format_args[@]}"',
    '',
    '# Run the server in the foreground as PID 1 of the container: SIGTERM triggers a controlled shutdown.',
    'export LOG_DIR="${work_dir}/logs"',
    "export EXTRA_ARGS='-name kafkaServer'",
    'export KAFKA_OPTS="${KAFKA_OPTS:-} -Xlog:gc*:file=${work_dir}/gc.log:time,uptime,level,tags:filecount=4,filesize=16M"',
    'exec "${kafka_home}/bin/kafka-server-start.sh" "${work_dir}/server.properties"',
  );
  return L.join('\n') + '\n';
}

/**
 * The rack init container's script (POSIX sh with curl and sed): reads the Node's labels with the
 * pod's projected token (metadata only) and writes the value of `topologyKey` to `<rack>/rack`.
 * Fails when the node has no such label.
 */
export function renderRackScript(
  topologyKey: string,
  paths: KafkaScriptPaths = CONTAINER_SCRIPT_PATHS,
): string {
  const keyPattern = topologyKey.replace(/[.[\]*^$\\/]/g, (c) => `\\${c}`);
  return (
    [
      '#!/bin/sh',
      `# Writes the node label ${topologyKey} of this pod's node to ${paths.rack}/rack (broker.rack). Generated by kata-blueprints.`,
      'set -eu',
      `api_dir=${shellQuote(paths.rackApi)}`,
      'node="${NODE_NAME:-}"',
      'if [ -z "${node}" ]; then echo "kafka-rack: NODE_NAME is not set (spec.nodeName from the downward API)" >&2; exit 1; fi',
      'host="${KUBERNETES_SERVICE_HOST:-kubernetes.default.svc}"',
      'port="${KUBERNETES_SERVICE_PORT:-443}"',
      'case "${host}" in *:*) host="[${host}]" ;; esac',
      '# The token goes to curl on stdin, not on its command line.',
      'body="$(printf \'Authorization: Bearer %s\\n\' "$(cat "${api_dir}/token")" |',
      '  curl --silent --show-error --fail --max-time 10 --retry 12 --retry-delay 5 --retry-connrefused \\',
      '    --user-agent kafka-rack-init --cacert "${api_dir}/ca.crt" --header @- \\',
      "    --header 'Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' \\",
      '    "https://${host}:${port}/api/v1/nodes/${node}")"',
      `rack="$(printf '%s\\n' "\${body}" | sed -n 's/.*"${keyPattern}"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' | head -n 1)"`,
      `if [ -z "\${rack}" ]; then echo "kafka-rack: node \${node} has no label ${topologyKey}" >&2; exit 1; fi`,
      `printf '%s' "\${rack}" > ${shellQuote(`${paths.rack}/rack`)}`,
      'echo "kafka-rack: broker.rack=${rack} (node ${node})"',
    ].join('\n') + '\n'
  );
}

/**
 * The JVM heap of a node when none is given: half the container's memory limit, at most 6 GiB
 * (the rest feeds the page cache, which Kafka relies on, and the JVM's off-heap memory).
 */
export function defaultHeapMiB(memoryLimitMiB: number): number {
  return Math.min(6144, Math.floor(memoryLimitMiB / 2));
}
