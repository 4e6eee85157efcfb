/** `KataKafkaBrokers`: Apache Kafka in KRaft mode in Kata VMs, with dedicated controllers and fast storage per broker. */
import { volumeClaimTemplate } from '../../../lib/k8s/storage';
import { Chart, Duration, JsonPatch, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IssuerKind, certManagerCertificate, serviceDnsNames } from '../../../lib/k8s/cert-manager';
import { CONFIG_HASH_ANNOTATION, configFiles, configHash } from '../../../lib/k8s/config';
import { containerSpec, downwardEnv, secretEnv, tcpProbe } from '../../../lib/k8s/container';
import { constructContext, propError } from '../../../lib/k8s/errors';
import { validateImage } from '../../../lib/k8s/image';
import { componentLabels, defaultName, imageVersion, validateDnsName } from '../../../lib/k8s/labels';
import {
  Connections,
  NetworkPeer,
  NetworkPort,
  PodNetworkPolicy,
  apiServerEgress,
} from '../../../lib/k8s/network';
import { podDisruptionBudget } from '../../../lib/k8s/pdb';
import { sandboxedPodTemplate } from '../../../lib/k8s/pod';
import { SpreadPolicy } from '../../../lib/k8s/scheduling';
import { durationSeconds, resolveResources, sizeToMiB, sizeToQuantity } from '../../../lib/k8s/units';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import {
  CONFIG_PROVIDER_CLASSES,
  KAFKA_FILES,
  KAFKA_LISTENERS,
  KAFKA_PATHS,
  KAFKA_PORTS,
  KafkaClusterSpec,
  KafkaPool,
  NODE_IP_ENV,
  RACK_ENV,
  SCRAM_USER_ENV,
  defaultHeapMiB,
  externalAddress,
  initialControllers,
  isBrokerPool,
  isControllerPool,
  listenerPort,
  listenerProtocol,
  log4jFileName,
  log4jOpts,
  podName,
  poolConfigProviders,
  poolListeners,
  renderLog4jConfig,
  renderPodProperties,
  renderPoolProperties,
  renderRackScript,
  renderStartScript,
} from './config';
import { IKafkaEndpoint } from './endpoint';
import {
  KafkaExternalAccess,
  KafkaExternalType,
  ResolvedExternalAccess,
  resolveExternalAccess,
} from './external';
import { kafkaClusterId } from './ids';
import { KafkaRack } from './rack';
import { KafkaListenerSecurity } from './security';
import { KafkaQuorumMode, KafkaVersion } from './version';

/** uid of `appuser` in the official apache/kafka image (Alpine `adduser -D`: first regular uid). */
export const KAFKA_UID = 1000;
/** gid of `appuser`'s group in the official image. */
export const KAFKA_GID = 1000;
/** The annotation through which blueprints declare a non-production setting (read by the checks). */
const WARNING_ANNOTATION = 'kata-blueprints.io/warning';

/** Longest `name`: `<name>-kafka-controller` must leave room for the StatefulSet revision hash (52 chars). */
const MAX_NAME = 35;
const MIN_MEMORY_MIB = 1024;
const MIN_HEAP_MIB = 256;

/**
 * Settings the blueprint derives from its props. `config` may not set them; the value names the prop
 * that does.
 */
const MANAGED_KEYS: Readonly<Record<string, string>> = {
  'process.roles': 'combinedMode',
  'node.id': 'controllerIdBase / brokerIdBase',
  'broker.id': 'brokerIdBase',
  'controller.listener.names': '(fixed: CONTROLLER)',
  'controller.quorum.voters': 'quorumMode',
  'controller.quorum.bootstrap.servers': 'quorumMode',
  listeners: 'listenerSecurity / external',
  'advertised.listeners': 'external',
  'listener.security.protocol.map': 'listenerSecurity',
  'inter.broker.listener.name': '(fixed: REPLICATION)',
  'security.inter.broker.protocol': 'listenerSecurity',
  'log.dirs': 'storageSize',
  'log.dir': 'storageSize',
  'metadata.log.dir': 'controllerStorageSize',
  'broker.rack': 'rack',
  'replica.selector.class': 'followerFetching',
  'default.replication.factor': 'replicationFactor',
  'min.insync.replicas': 'minInsyncReplicas',
  'offsets.topic.replication.factor': 'replicationFactor',
  'transaction.state.log.replication.factor': 'replicationFactor',
  'transaction.state.log.min.isr': 'minInsyncReplicas',
  'share.coordinator.state.topic.replication.factor': 'replicationFactor',
  'share.coordinator.state.topic.min.isr': 'minInsyncReplicas',
  'auto.create.topics.enable': 'autoCreateTopics',
  'unclean.leader.election.enable': '(fixed: false)',
  'sasl.enabled.mechanisms': 'listenerSecurity',
};
const MANAGED_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['listener.name.', 'listenerSecurity'],
  ['config.providers', '(set by the blueprint for TLS files, rack and node IP)'],
];

/** cert-manager issuance of the cluster certificate. */
export interface KafkaCertManagerOptions {
  /** Name of the Issuer or ClusterIssuer. */
  readonly issuerName: string;
  /**
   * Issuer kind.
   * @default IssuerKind.ISSUER
   */
  readonly issuerKind?: IssuerKind;
  /**
   * Certificate validity. Brokers read the certificate at start: roll them before it expires.
   * @default Duration.days(90)
   */
  readonly duration?: Duration;
  /**
   * Renew this long before expiry.
   * @default Duration.days(30)
   */
  readonly renewBefore?: Duration;
}

/** Props of {@link KataKafkaBrokers}. */
export interface KataKafkaBrokersProps {
  /**
   * Base name of every object (`<name>-kafka-broker`, `<name>-kafka-bootstrap`, ...): a DNS label of at most 35 characters.
   * @default - the construct id, lower-cased
   */
  readonly name?: string;
  /**
   * Kafka release; decides the quorum configuration and the logging backend.
   * @default KafkaVersion.V4_3_2
   */
  readonly version?: KafkaVersion;
  /**
   * Image (pinned tag or digest) of the same release, e.g. a mirror of `apache/kafka`. It must have
   * the official image's layout (`/opt/kafka`, bash) and user (uid 1000).
   * @default - `apache/kafka:<version>`
   */
  readonly image?: string;
  /**
   * KRaft controllers: an odd number (3 or 5 in production). In combined mode, the number of combined nodes.
   * @default 3
   */
  readonly controllers?: number;
  /**
   * Brokers (dedicated pool). In combined mode leave unset (every combined node is a broker).
   * @default 3 (combined mode: `controllers`)
   */
  readonly brokers?: number;
  /**
   * Run brokers and controllers in the same processes (`process.roles=broker,controller`). For small,
   * non-critical setups only: a broker's load then disturbs the quorum. Marked with a
   * `kata-blueprints.io/warning` annotation.
   * @default false
   */
  readonly combinedMode?: boolean;
  /**
   * `node.id` of controller 0 (controller `i` gets `controllerIdBase + i`; also the combined nodes).
   * @default 0
   */
  readonly controllerIdBase?: number;
  /**
   * `node.id` of broker 0 (broker `i` gets `brokerIdBase + i`). Must not overlap the controller ids.
   * @default 100
   */
  readonly brokerIdBase?: number;
  /**
   * How the controller quorum is declared.
   * @default - `KafkaQuorumMode.DYNAMIC` from Kafka 3.9, `KafkaQuorumMode.STATIC` before
   */
  readonly quorumMode?: KafkaQuorumMode;
  /**
   * Kafka cluster id (22-character URL-safe base64 of 16 bytes, as `kafka-storage.sh random-uuid` prints).
   * @default - derived from the namespace and name, stable across synths
   */
  readonly clusterId?: string;
  /**
   * Cluster DNS domain of the pods' FQDNs.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
  /**
   * `default.replication.factor`, and the replication factor of the internal topics (consumer
   * offsets, transaction state, share-group state).
   * @default - min(3, brokers)
   */
  readonly replicationFactor?: number;
  /**
   * `min.insync.replicas` (and the internal topics' minimum ISR): below the replication factor, so
   * that writes with `acks=all` go on while one broker is down.
   * @default - replicationFactor - 1, at least 1
   */
  readonly minInsyncReplicas?: number;
  /**
   * `auto.create.topics.enable`.
   * @default false
   */
  readonly autoCreateTopics?: boolean;
  /**
   * Security of the client listener (port 9092) and the external listener. With TLS, replication
   * and controller traffic use mutual TLS with the same certificate.
   * @default KafkaListenerSecurity.plaintext()
   */
  readonly listenerSecurity?: KafkaListenerSecurity;
  /**
   * Have cert-manager issue the certificate named by `listenerSecurity` (its Secret name), with the
   * DNS names of {@link KataKafkaBrokers.tlsDnsNames}, server and client usages and a PKCS#8 key.
   * @default - the Secret is provided by someone else
   */
  readonly certManager?: KafkaCertManagerOptions;
  /**
   * Access from outside the cluster: one Service per broker and per-broker `advertised.listeners`.
   * @default - in-cluster access only
   */
  readonly external?: KafkaExternalAccess;
  /**
   * Where `broker.rack` comes from.
   * @default KafkaRack.fromNodeLabel()
   */
  readonly rack?: KafkaRack;
  /**
   * Let consumers that set `client.rack` fetch from a replica in their zone
   * (`replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector`). Needs a rack.
   * @default - true when the rack is enabled
   */
  readonly followerFetching?: boolean;
  /**
   * How pods spread over hosts and zones (both pools).
   * @default SpreadPolicy.ONE_PER_HOST
   */
  readonly spread?: SpreadPolicy;
  /**
   * Size of each broker's data volume (`log.dirs`).
   * @default Size.gibibytes(100)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the broker volumes: a fast, low-latency class (local NVMe or provisioned SSD).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Size of each controller's metadata volume.
   * @default Size.gibibytes(10)
   */
  readonly controllerStorageSize?: Size;
  /**
   * StorageClass of the controller volumes.
   * @default - `storageClassName`
   */
  readonly controllerStorageClassName?: string;
  /**
   * Broker (and combined node) resources. Kata sizes the VM from the limits.
   * @default - CPU 1 (limit 2), memory 4 GiB
   */
  readonly brokerResources?: ContainerResources;
  /**
   * Controller resources.
   * @default - CPU 500m (limit 1), memory 2 GiB
   */
  readonly controllerResources?: ContainerResources;
  /**
   * Broker JVM heap (`KAFKA_HEAP_OPTS`), at most 75% of the memory limit.
   * @default - half the memory limit, at most 6 GiB
   */
  readonly brokerHeap?: Size;
  /**
   * Controller JVM heap, at most 75% of the memory limit.
   * @default - half the memory limit, at most 6 GiB
   */
  readonly controllerHeap?: Size;
  /**
   * Time a node gets to shut down after SIGTERM (controlled shutdown: leadership moves away, logs
   * are flushed) before it is killed; `terminationGracePeriodSeconds`.
   * @default Duration.minutes(2)
   */
  readonly gracefulShutdown?: Duration;
  /**
   * Further `server.properties` settings for every node (e.g. `log.retention.hours`,
   * `num.partitions`). Settings the blueprint derives from its props are refused.
   * @default - none
   */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Priority class of the pods.
   * @default - none
   */
  readonly priorityClassName?: string;
  /**
   * How the pods are isolated.
   * @default Sandbox.kata()
   */
  readonly sandbox?: Sandbox;
}

interface PoolResources {
  readonly resources: ReturnType<typeof resolveResources>;
  readonly heapMiB: number;
  readonly storage: string;
  readonly storageClassName?: string;
  readonly labels: ReturnType<typeof componentLabels>;
  readonly warnings: string[];
}

/**
 * Apache Kafka in KRaft mode, every node in a Kata VM: a dedicated controller quorum and a broker
 * pool (or one combined pool), each a StatefulSet with its own fast volume per pod, stable node ids,
 * per-pod advertised listeners, rack awareness, PodDisruptionBudgets, zone spread and
 * default-deny NetworkPolicies.
 *
 * Clients connect through {@link bootstrapServers}; `client.connections.allowTo(kafka)` opens the
 * client port in both policies.
 */
export class KataKafkaBrokers extends Construct implements IKafkaEndpoint {
  /** `host:port` of the bootstrap Service, e.g. `events-kafka-bootstrap.kafka.svc.cluster.local:9092`. */
  public readonly bootstrapServers: string;
  /** Security protocol of the client listener: `PLAINTEXT`, `SSL` or `SASL_SSL`. */
  public readonly securityProtocol: string;
  /** SASL mechanism clients use (`sasl.mechanism`), when the listener uses SASL. */
  public readonly saslMechanism?: string;
  /** The network side: broker pods, their policy and the client port. */
  public readonly connections: Connections;
  /** Base name. */
  public readonly name: string;
  /** Kafka release. */
  public readonly version: KafkaVersion;
  /** Kafka cluster id. */
  public readonly clusterId: string;
  /** Quorum mode. */
  public readonly quorumMode: KafkaQuorumMode;
  /** Replication factor. */
  public readonly replicationFactor: number;
  /** Minimum in-sync replicas. */
  public readonly minInsyncReplicas: number;
  /** The pools (controllers first). */
  public readonly pools: readonly KafkaPool[];
  /** Name of the bootstrap Service. */
  public readonly bootstrapServiceName: string;
  /** DNS names the cluster certificate must carry (wildcards for the pods, the bootstrap Service, external hosts). */
  public readonly tlsDnsNames: readonly string[];
  /** The StatefulSets by pool role. */
  public readonly statefulSets: Readonly<Record<string, k8s.KubeStatefulSet>>;
  /** The rendered cluster description the files were generated from. */
  public readonly spec: KafkaClusterSpec;

  private readonly policies: Record<string, PodNetworkPolicy> = {};

  constructor(scope: Construct, id: string, props: KataKafkaBrokersProps = {}) {
    super(scope, id);
    const ctx = constructContext('KataKafkaBrokers', id);
    const namespace = Chart.of(this).namespace;
    if (!namespace) {
      throw propError(
        ctx,
        'namespace',
        undefined,
        'a Chart with a namespace (the pods advertise FQDNs and the cluster id derives from it)',
      );
    }
    const name = validateDnsName(ctx, 'name', props.name ?? defaultName(id), MAX_NAME);
    this.name = name;

    const version = props.version ?? KafkaVersion.V4_3_2;
    if (!(version instanceof KafkaVersion)) {
      throw propError(
        ctx,
        'version',
        version,
        `a KafkaVersion (${KafkaVersion.PRESETS.map((v) => `KafkaVersion.V${v.version.replace(/\./g, '_')}`).join(', ')} or KafkaVersion.of("x.y.z"))`,
      );
    }
    this.version = version;
    const image = validateImage(ctx, 'image', props.image ?? version.image);
    const sandbox = props.sandbox ?? Sandbox.kata();

    // --- topology ---------------------------------------------------------------------------
    const combined = props.combinedMode ?? false;
    const controllers = props.controllers ?? 3;
    if (!Number.isInteger(controllers) || controllers < 1 || controllers % 2 === 0) {
      throw propError(
        ctx,
        'controllers',
        controllers,
        'an odd number >= 1 (3 or 5 in production): the KRaft quorum needs a majority, and an even count tolerates no more failures than the odd count below it',
      );
    }
    if (combined && props.brokers !== undefined && props.brokers !== controllers) {
      throw propError(
        ctx,
        'brokers',
        props.brokers,
        `unset in combined mode (every one of the ${controllers} combined nodes is a broker)`,
      );
    }
    const brokers = combined ? controllers : (props.brokers ?? 3);
    if (!Number.isInteger(brokers) || brokers < 1)
      throw propError(ctx, 'brokers', brokers, 'a whole number >= 1');

    const controllerIdBase = props.controllerIdBase ?? 0;
    const brokerIdBase = props.brokerIdBase ?? 100;
    for (const [prop, v] of [
      ['controllerIdBase', controllerIdBase],
      ['brokerIdBase', brokerIdBase],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1000)
        throw propError(ctx, prop, v, 'a whole number from 0 to 2147482647');
    }
    if (
      !combined &&
      controllerIdBase < brokerIdBase + brokers &&
      brokerIdBase < controllerIdBase + controllers
    ) {
      throw propError(
        ctx,
        'brokerIdBase',
        brokerIdBase,
        `node ids that do not overlap the controllers' ${controllerIdBase}..${controllerIdBase + controllers - 1} (brokers use ${brokerIdBase}..${brokerIdBase + brokers - 1})`,
      );
    }

    // --- replication ------------------------------------------------------------------------
    const rf = props.replicationFactor ?? Math.min(3, brokers);
    if (!Number.isInteger(rf) || rf < 1) throw propError(ctx, 'replicationFactor', rf, 'a whole number >= 1');
    if (rf > brokers) {
      throw propError(
        ctx,
        'replicationFactor',
        rf,
        `at most brokers (${brokers}): replicationFactor ${rf} exceeds brokers ${brokers}, and each replica needs its own broker`,
      );
    }
    const minIsr = props.minInsyncReplicas ?? Math.max(1, rf - 1);
    if (!Number.isInteger(minIsr) || minIsr < 1) {
      throw propError(
        ctx,
        'minInsyncReplicas',
        minIsr,
        'a whole number >= 1 (min.insync.replicas 0 would acknowledge writes that no replica holds)',
      );
    }
    if (rf > 1 && minIsr >= rf) {
      throw propError(
        ctx,
        'minInsyncReplicas',
        minIsr,
        `less than replicationFactor ${rf} (at most ${rf - 1}): with ${minIsr} of ${rf} replicas required, the loss or restart of a single broker stops acks=all writes`,
      );
    }
    if (rf === 1 && minIsr !== 1)
      throw propError(ctx, 'minInsyncReplicas', minIsr, '1 with replicationFactor 1');
    this.replicationFactor = rf;
    this.minInsyncReplicas = minIsr;

    // --- quorum, ids ------------------------------------------------------------------------
    const quorumMode = props.quorumMode ?? version.defaultQuorumMode;
    if (!(quorumMode instanceof KafkaQuorumMode))
      throw propError(ctx, 'quorumMode', quorumMode, 'KafkaQuorumMode.STATIC or KafkaQuorumMode.DYNAMIC');
    if (quorumMode === KafkaQuorumMode.DYNAMIC && !version.supportsDynamicQuorum) {
      throw propError(
        ctx,
        'quorumMode',
        quorumMode.name,
        `KafkaQuorumMode.STATIC with Kafka ${version.version} (the dynamic quorum needs Kafka 3.9 or later)`,
      );
    }
    this.quorumMode = quorumMode;
    this.clusterId = kafkaClusterId(ctx, namespace, name, props.clusterId);
    const clusterDomain = props.clusterDomain ?? 'cluster.local';
    if (
      typeof clusterDomain !== 'string' ||
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(clusterDomain)
    ) {
      throw propError(ctx, 'clusterDomain', clusterDomain, 'a DNS domain such as "cluster.local"');
    }

    // --- security, rack, external -----------------------------------------------------------
    const security = props.listenerSecurity ?? KafkaListenerSecurity.plaintext();
    if (!(security instanceof KafkaListenerSecurity)) {
      throw propError(
        ctx,
        'listenerSecurity',
        security,
        'KafkaListenerSecurity.plaintext(), .tls(...) or .saslSsl(...)',
      );
    }
    if (props.certManager && !security.tlsSecret) {
      throw propError(
        ctx,
        'certManager',
        props.certManager.issuerName,
        'unset unless listenerSecurity uses TLS (KafkaListenerSecurity.tls or .saslSsl)',
      );
    }
    const rack = props.rack ?? KafkaRack.fromNodeLabel();
    if (!(rack instanceof KafkaRack))
      throw propError(
        ctx,
        'rack',
        rack,
        'KafkaRack.fromNodeLabel(), KafkaRack.fromPodTopologyLabel() or KafkaRack.disabled()',
      );
    const followerFetching = props.followerFetching ?? rack.enabled;
    if (followerFetching && !rack.enabled) {
      throw propError(
        ctx,
        'followerFetching',
        true,
        'false when the rack is disabled (follower fetching matches client.rack against broker.rack)',
      );
    }
    const external: ResolvedExternalAccess | undefined = props.external
      ? resolveExternalAccess(ctx, props.external, brokers, combined ? controllerIdBase : brokerIdBase, [
          KAFKA_PORTS.replication,
          KAFKA_PORTS.client,
          KAFKA_PORTS.controller,
        ])
      : undefined;
    const spread = props.spread ?? SpreadPolicy.ONE_PER_HOST;
    if (!(spread instanceof SpreadPolicy))
      throw propError(ctx, 'spread', spread, 'a SpreadPolicy preset (e.g. SpreadPolicy.STRICT_ZONES)');
    const extraConfig = validateExtraConfig(ctx, props.config ?? {});
    const grace = durationSeconds(ctx, 'gracefulShutdown', props.gracefulShutdown ?? Duration.minutes(2), 10);
    for (const prop of ['storageClassName', 'controllerStorageClassName', 'priorityClassName'] as const) {
      const v = props[prop];
      if (
        v !== undefined &&
        (typeof v !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) || v.length > 253)
      ) {
        throw propError(ctx, prop, v, 'a DNS-1123 subdomain name');
      }
    }

    // --- pools ------------------------------------------------------------------------------
    const controllerPool: KafkaPool = combined
      ? {
          role: 'combined',
          statefulSetName: `${name}-kafka-node`,
          serviceName: `${name}-kafka-nodes`,
          replicas: controllers,
          nodeIdBase: controllerIdBase,
        }
      : {
          role: 'controller',
          statefulSetName: `${name}-kafka-controller`,
          serviceName: `${name}-kafka-controllers`,
          replicas: controllers,
          nodeIdBase: controllerIdBase,
        };
    const brokerPool: KafkaPool | undefined = combined
      ? undefined
      : {
          role: 'broker',
          statefulSetName: `${name}-kafka-broker`,
          serviceName: `${name}-kafka-brokers`,
          replicas: brokers,
          nodeIdBase: brokerIdBase,
        };
    this.pools = brokerPool ? [controllerPool, brokerPool] : [controllerPool];
    const clientPool = brokerPool ?? controllerPool;

    const spec: KafkaClusterSpec = {
      context: ctx,
      namespace,
      clusterDomain,
      clusterId: this.clusterId,
      version,
      quorumMode,
      controllerPool,
      ...(brokerPool ? { brokerPool } : {}),
      security,
      ...(external ? { external } : {}),
      replicationFactor: rf,
      minInsyncReplicas: minIsr,
      rack,
      followerFetching,
      autoCreateTopics: props.autoCreateTopics ?? false,
      extraConfig,
    };
    this.spec = spec;

    this.bootstrapServiceName = `${name}-kafka-bootstrap`;
    this.bootstrapServers = `${this.bootstrapServiceName}.${namespace}.svc.${clusterDomain}:${KAFKA_PORTS.client}`;
    this.securityProtocol = security.protocol;
    if (security.scram) this.saslMechanism = security.scram.mechanism.name;
    this.tlsDnsNames = [
      ...this.pools.map((p) => `*.${p.serviceName}.${namespace}.svc.${clusterDomain}`),
      ...this.pools.map((p) => `*.${p.serviceName}.${namespace}.svc`),
      ...serviceDnsNames(this.bootstrapServiceName, namespace, clusterDomain),
      ...(external?.advertisedHost
        ? Array.from({ length: brokers }, (_, i) => externalAddress(spec, i).host)
        : []),
    ];

    // --- resources per pool -----------------------------------------------------------------
    const appVersion = imageVersion(image);
    const poolResources = (pool: KafkaPool): PoolResources => {
      const isController = pool.role === 'controller';
      const resProp = isController ? 'controllerResources' : 'brokerResources';
      const resources = resolveResources(
        ctx,
        resProp,
        isController ? props.controllerResources : props.brokerResources,
        isController
          ? {
              cpu: { request: Cpu.millis(500), limit: Cpu.units(1) },
              memory: { request: Size.gibibytes(2), limit: Size.gibibytes(2) },
            }
          : {
              cpu: { request: Cpu.units(1), limit: Cpu.units(2) },
              memory: { request: Size.gibibytes(4), limit: Size.gibibytes(4) },
            },
      );
      if (resources.memoryLimitMiB < MIN_MEMORY_MIB) {
        throw propError(
          ctx,
          `${resProp}.memory.limit`,
          `${resources.memoryLimitMiB}Mi`,
          `at least ${MIN_MEMORY_MIB}Mi (heap plus off-heap memory of the JVM)`,
        );
      }
      const heapProp = isController ? 'controllerHeap' : 'brokerHeap';
      const heapGiven = isController ? props.controllerHeap : props.brokerHeap;
      const heapMiB =
        heapGiven !== undefined
          ? sizeToMiB(ctx, heapProp, heapGiven)
          : defaultHeapMiB(resources.memoryLimitMiB);
      if (heapMiB < MIN_HEAP_MIB || heapMiB > Math.floor(resources.memoryLimitMiB * 0.75)) {
        throw propError(
          ctx,
          heapProp,
          `${heapMiB}Mi`,
          `from ${MIN_HEAP_MIB}Mi to 75% of the memory limit (${Math.floor(resources.memoryLimitMiB * 0.75)}Mi): the JVM needs room for direct buffers, metaspace and threads`,
        );
      }
      const storage = isController
        ? sizeToQuantity(ctx, 'controllerStorageSize', props.controllerStorageSize ?? Size.gibibytes(10))
        : sizeToQuantity(ctx, 'storageSize', props.storageSize ?? Size.gibibytes(100));
      const storageClassName = isController
        ? (props.controllerStorageClassName ?? props.storageClassName)
        : props.storageClassName;
      const component = pool.role === 'combined' ? 'node' : pool.role;
      const labels = componentLabels('kafka', name, component, appVersion);
      const warnings: string[] = [];
      if (pool.role === 'combined') {
        warnings.push(
          'KRaft combined mode (process.roles=broker,controller) is not for production: broker load disturbs the controller quorum; use dedicated controllers',
        );
      }
      if (isControllerPool(pool) && pool.replicas === 1) {
        warnings.push(
          'a single KRaft controller: the cluster cannot change metadata (topics, leaders) while it is down',
        );
      }
      if (isBrokerPool(pool) && rf === 1) {
        warnings.push('replicationFactor 1: losing a broker or its volume loses the data of its partitions');
      }
      return {
        resources,
        heapMiB,
        storage,
        ...(storageClassName ? { storageClassName } : {}),
        labels,
        warnings,
      };
    };
    const resByPool = new Map(this.pools.map((p) => [p.statefulSetName, poolResources(p)] as const));
    const brokerLabels = resByPool.get(clientPool.statefulSetName)!.labels;
    const { 'app.kubernetes.io/component': _component, ...appLabels } = componentLabels(
      'kafka',
      name,
      'cluster',
      appVersion,
    ).all;

    // --- service account and rack RBAC --------------------------------------------------------
    const serviceAccountName = `${name}-kafka`;
    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: serviceAccountName, labels: appLabels },
      automountServiceAccountToken: false,
    });
    if (rack.source === 'nodeLabel') {
      const roleName = `${namespace}-${name}-kafka-rack`;
      const role = new k8s.KubeClusterRole(this, 'rack-role', {
        metadata: { name: roleName, labels: appLabels },
        rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
      });
      role.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
      const binding = new k8s.KubeClusterRoleBinding(this, 'rack-binding', {
        metadata: { name: roleName, labels: appLabels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace }],
      });
      binding.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    if (props.certManager && security.tlsSecret) {
      certManagerCertificate(this, 'certificate', {
        context: ctx,
        prop: 'certManager',
        name: `${name}-kafka-tls`,
        secretName: security.tlsSecret.secretName,
        issuerName: props.certManager.issuerName,
        ...(props.certManager.issuerKind ? { issuerKind: props.certManager.issuerKind } : {}),
        ...(props.certManager.duration ? { duration: props.certManager.duration } : {}),
        ...(props.certManager.renewBefore ? { renewBefore: props.certManager.renewBefore } : {}),
        dnsNames: this.tlsDnsNames,
        usages: ['digital signature', 'server auth', 'client auth'],
        labels: appLabels,
      });
    }

    // --- network policies -------------------------------------------------------------------
    const ctlRes = resByPool.get(controllerPool.statefulSetName)!;
    const ctlPeer = NetworkPeer.pods(ctlRes.labels.selector, namespace);
    const brokerPeer = NetworkPeer.pods(brokerLabels.selector, namespace);
    for (const pool of this.pools) {
      const r = resByPool.get(pool.statefulSetName)!;
      this.policies[pool.role] = new PodNetworkPolicy(this, `${pool.role}-policy`, {
        context: ctx,
        name: pool.statefulSetName,
        selector: r.labels.selector,
        labels: r.labels.all,
      });
    }
    const ctlPolicy = this.policies[controllerPool.role];
    const brokerPolicy = this.policies[clientPool.role];
    // The quorum: controller port only between members of the cluster.
    ctlPolicy.allowIngress(ctlPeer, [{ port: KAFKA_PORTS.controller }]);
    ctlPolicy.allowEgress(ctlPeer, [{ port: KAFKA_PORTS.controller }]);
    if (brokerPool) {
      ctlPolicy.allowIngress(brokerPeer, [{ port: KAFKA_PORTS.controller }]);
      brokerPolicy.allowEgress(ctlPeer, [{ port: KAFKA_PORTS.controller }]);
    }
    // Replication between brokers.
    brokerPolicy.allowIngress(brokerPeer, [{ port: KAFKA_PORTS.replication }]);
    brokerPolicy.allowEgress(brokerPeer, [{ port: KAFKA_PORTS.replication }]);
    if (external)
      for (const peer of external.allowFrom) brokerPolicy.allowIngress(peer, [{ port: external.port }]);
    if (rack.source === 'nodeLabel') apiServerEgress(brokerPolicy, rack.apiServerCidr);
    const clientPorts: NetworkPort[] = [{ port: KAFKA_PORTS.client }];
    this.connections = new Connections(brokerPeer, brokerPolicy, clientPorts);

    // --- services -----------------------------------------------------------------------------
    const servicePort = (listener: string, port = listenerPort(spec, listener)): k8s.ServicePort => ({
      name: portName(listener),
      port,
      targetPort: k8s.IntOrString.fromNumber(listenerPort(spec, listener)),
      protocol: 'TCP',
      appProtocol: listenerProtocol(spec, listener) === 'PLAINTEXT' ? 'tcp' : 'tls',
    });
    for (const pool of this.pools) {
      const r = resByPool.get(pool.statefulSetName)!;
      new k8s.KubeService(this, `${pool.role}-headless`, {
        metadata: { name: pool.serviceName, labels: r.labels.all },
        spec: {
          clusterIp: 'None',
          // Pods resolve each other before they are ready: the quorum forms from not-ready pods.
          publishNotReadyAddresses: true,
          selector: r.labels.selector,
          ports: poolListeners(spec, pool).map((l) => servicePort(l)),
        },
      });
    }
    new k8s.KubeService(this, 'bootstrap', {
      metadata: { name: this.bootstrapServiceName, labels: brokerLabels.all },
      spec: {
        type: 'ClusterIP',
        selector: brokerLabels.selector,
        ports: [servicePort(KAFKA_LISTENERS.client)],
      },
    });
    if (external) this.externalServices(spec, clientPool, brokerLabels, external);

    // --- pools --------------------------------------------------------------------------------
    const statefulSets: Record<string, k8s.KubeStatefulSet> = {};
    for (const pool of this.pools) {
      const r = resByPool.get(pool.statefulSetName)!;
      statefulSets[pool.role] = this.statefulSet(spec, pool, r, {
        image,
        sandbox,
        serviceAccountName,
        spread,
        grace,
        priorityClassName: props.priorityClassName,
      });
      podDisruptionBudget(this, `${pool.role}-pdb`, {
        context: ctx,
        name: pool.statefulSetName,
        selector: r.labels.selector,
        labels: r.labels.all,
        // One node at a time: with minInsyncReplicas = replicationFactor - 1 writes go on, and a
        // 3-controller quorum keeps its majority.
        maxUnavailable: 1,
      });
    }
    this.statefulSets = statefulSets;
  }

  /** The NetworkPolicy of a pool (`controller`, `broker` or `combined`). */
  public policy(role: 'controller' | 'broker' | 'combined'): PodNetworkPolicy {
    const p = this.policies[role];
    if (!p)
      throw propError(
        `KataKafkaBrokers "${this.node.id}"`,
        'policy',
        role,
        `one of ${Object.keys(this.policies).sort().join(', ')}`,
      );
    return p;
  }

  private externalServices(
    spec: KafkaClusterSpec,
    pool: KafkaPool,
    labels: ReturnType<typeof componentLabels>,
    external: ResolvedExternalAccess,
  ): void {
    const lb = external.type === KafkaExternalType.LOAD_BALANCER;
    const warnings: Record<string, string> =
      spec.security.protocol === 'PLAINTEXT'
        ? {
            [WARNING_ANNOTATION]:
              'external Kafka listener without TLS: traffic leaves the cluster unencrypted and unauthenticated',
          }
        : {};
    for (let i = 0; i < pool.replicas; i++) {
      const pod = podName(pool, i);
      const addr = externalAddress(spec, i);
      const annotations: Record<string, string> = {
        ...external.serviceAnnotations,
        ...warnings,
        ...(lb && external.externalDns && external.advertisedHost
          ? { 'external-dns.alpha.kubernetes.io/hostname': addr.host }
          : {}),
      };
      new k8s.KubeService(this, `external-${i}`, {
        metadata: {
          name: `${pod}-external`,
          labels: labels.all,
          ...(Object.keys(annotations).length ? { annotations } : {}),
        },
        spec: {
          type: external.type.serviceType,
          selector: { ...labels.selector, 'statefulset.kubernetes.io/pod-name': pod },
          // NodePort: clients reach the node the broker runs on (the advertised node IP).
          externalTrafficPolicy: lb ? 'Cluster' : 'Local',
          ...(lb && external.loadBalancerSourceRanges.length
            ? { loadBalancerSourceRanges: [...external.loadBalancerSourceRanges] }
            : {}),
          ports: [
            {
              name: portName(KAFKA_LISTENERS.external),
              port: lb ? external.port : addr.port,
              targetPort: k8s.IntOrString.fromNumber(external.port),
              ...(lb ? {} : { nodePort: addr.port }),
              protocol: 'TCP',
              appProtocol: spec.security.protocol === 'PLAINTEXT' ? 'tcp' : 'tls',
            },
          ],
        },
      });
    }
    if (lb) {
      const annotations: Record<string, string> = { ...external.serviceAnnotations, ...warnings };
      new k8s.KubeService(this, 'external-bootstrap', {
        metadata: {
          name: `${this.name}-kafka-external-bootstrap`,
          labels: labels.all,
          ...(Object.keys(annotations).length ? { annotations } : {}),
        },
        spec: {
          type: 'LoadBalancer',
          selector: labels.selector,
          ...(external.loadBalancerSourceRanges.length
            ? { loadBalancerSourceRanges: [...external.loadBalancerSourceRanges] }
            : {}),
          ports: [
            {
              name: portName(KAFKA_LISTENERS.external),
              port: external.port,
              targetPort: k8s.IntOrString.fromNumber(external.port),
              protocol: 'TCP',
              appProtocol: spec.security.protocol === 'PLAINTEXT' ? 'tcp' : 'tls',
            },
          ],
        },
      });
    }
  }

  private statefulSet(
    spec: KafkaClusterSpec,
    pool: KafkaPool,
    r: PoolResources,
    o: {
      readonly image: string;
      readonly sandbox: Sandbox;
      readonly serviceAccountName: string;
      readonly spread: SpreadPolicy;
      readonly grace: number;
      readonly priorityClassName?: string;
    },
  ): k8s.KubeStatefulSet {
    const ctx = spec.context;
    const broker = isBrokerPool(pool);
    const rackFromNode = broker && spec.rack.source === 'nodeLabel';

    // Files: the pool part, one file per pod, logging, scripts.
    const files: Record<string, string> = {
      [KAFKA_FILES.pool]: renderPoolProperties(spec, pool),
      [log4jFileName(spec.version)]: renderLog4jConfig(spec.version),
      [KAFKA_FILES.start]: renderStartScript(spec, pool),
    };
    if (isControllerPool(pool) && spec.quorumMode === KafkaQuorumMode.DYNAMIC)
      files[KAFKA_FILES.initialControllers] = initialControllers(spec);
    if (rackFromNode) files[KAFKA_FILES.rack] = renderRackScript(spec.rack.topologyKey!);
    const shared = { ...files };
    for (let i = 0; i < pool.replicas; i++)
      files[`${podName(pool, i)}.properties`] = renderPodProperties(spec, pool, i);
    configFiles(this, `${pool.role}-config`, `${pool.statefulSetName}-config`, files, r.labels.all);
    // Roll the pods when the shared files or the per-pod template change, but not when the pool
    // grows: pod 0's file stands for the template every pod file is rendered from.
    const hash = configHash(shared, { pod: files[`${podName(pool, 0)}.properties`] });

    const volumes: k8s.Volume[] = [
      { name: 'config', configMap: { name: `${pool.statefulSetName}-config`, defaultMode: 0o444 } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('512Mi') } },
    ];
    const mounts: k8s.VolumeMount[] = [
      { name: 'config', mountPath: KAFKA_PATHS.config, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'data', mountPath: pool.role === 'controller' ? KAFKA_PATHS.metadata : KAFKA_PATHS.data },
    ];
    const tls = spec.security.tlsSecret;
    if (tls) {
      volumes.push({
        name: 'tls',
        secret: {
          secretName: tls.secretName,
          defaultMode: 0o440,
          items: [tls.certificateKey, tls.privateKeyKey, tls.caKey].map((key) => ({ key, path: key })),
        },
      });
      mounts.push({ name: 'tls', mountPath: KAFKA_PATHS.tls, readOnly: true });
    }
    const initContainers: k8s.Container[] = [];
    if (rackFromNode) {
      volumes.push(
        { name: 'rack', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
        {
          name: 'rack-api',
          projected: {
            defaultMode: 0o440,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      );
      mounts.push({ name: 'rack', mountPath: KAFKA_PATHS.rack, readOnly: true });
      initContainers.push(
        containerSpec({
          context: ctx,
          imageProp: 'rack.image',
          name: 'rack',
          image: spec.rack.initImage!,
          command: ['/bin/sh', `${KAFKA_PATHS.config}/${KAFKA_FILES.rack}`],
          env: [...downwardEnv({ nodeName: 'NODE_NAME' }), { name: 'HOME', value: '/tmp' }],
          resources: { cpuRequestMillis: 50, cpuLimitMillis: 200, memoryRequestMiB: 32, memoryLimitMiB: 64 },
          volumeMounts: [
            { name: 'config', mountPath: KAFKA_PATHS.config, readOnly: true },
            { name: 'rack', mountPath: KAFKA_PATHS.rack },
            { name: 'rack-api', mountPath: KAFKA_PATHS.rackApi, readOnly: true },
          ],
        }),
      );
    }

    const providers = poolConfigProviders(spec, pool);
    const env: k8s.EnvVar[] = [
      ...downwardEnv({ podName: 'POD_NAME' }),
      { name: 'KAFKA_HEAP_OPTS', value: `-Xms${r.heapMiB}m -Xmx${r.heapMiB}m` },
      { name: 'KAFKA_LOG4J_OPTS', value: log4jOpts(spec.version) },
      {
        name: 'KAFKA_OPTS',
        // Only the config providers the configuration uses may be instantiated from it.
        value: `-Dorg.apache.kafka.automatic.config.providers=${providers.length ? providers.map((p) => CONFIG_PROVIDER_CLASSES[p]).join(',') : 'none'}`,
      },
    ];
    if (broker && spec.rack.source === 'podLabel') {
      env.push({
        name: RACK_ENV,
        valueFrom: {
          fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${spec.rack.topologyKey}']` },
        },
      });
    }
    if (broker && spec.external && spec.external.advertisedHost === undefined) {
      env.push({
        name: NODE_IP_ENV,
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } },
      });
    }
    const bootstrapUser = spec.security.scram?.bootstrapUser;
    if (isControllerPool(pool) && bootstrapUser) {
      env.push(
        secretEnv(SCRAM_USER_ENV.username, bootstrapUser.username.secretName, bootstrapUser.username.key),
        secretEnv(SCRAM_USER_ENV.password, bootstrapUser.password.secretName, bootstrapUser.password.key),
      );
    }

    const listeners = poolListeners(spec, pool);
    const probePort = broker ? KAFKA_PORTS.client : KAFKA_PORTS.controller;
    const container = containerSpec({
      context: ctx,
      name: 'kafka',
      image: o.image,
      command: ['/bin/bash', `${KAFKA_PATHS.config}/${KAFKA_FILES.start}`],
      ports: listeners.map((l) => ({
        name: portName(l),
        containerPort: listenerPort(spec, l),
        protocol: 'TCP',
      })),
      env,
      resources: r.resources,
      // Log recovery after an unclean stop can take long on a big volume: up to 15 minutes to open the listeners.
      startupProbe: tcpProbe(probePort, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 90 }),
      readinessProbe: tcpProbe(probePort, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
      livenessProbe: tcpProbe(probePort, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 }),
      volumeMounts: mounts,
      securityContext: { runAsUser: KAFKA_UID, runAsGroup: KAFKA_GID, readOnlyRootFilesystem: true },
    });

    const annotations: Record<string, string> = { [CONFIG_HASH_ANNOTATION]: hash };
    const template = sandboxedPodTemplate({
      context: ctx,
      sandbox: o.sandbox,
      labels: r.labels.all,
      annotations,
      containers: [container],
      initContainers,
      volumes,
      serviceAccountName: o.serviceAccountName,
      serviceAccountToken: false,
      ...o.spread.render(r.labels.selector, pool.replicas),
      terminationGracePeriodSeconds: o.grace,
      securityContext: {
        runAsUser: KAFKA_UID,
        runAsGroup: KAFKA_GID,
        fsGroup: KAFKA_GID,
        fsGroupChangePolicy: 'OnRootMismatch',
      },
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
    });

    const stsAnnotations = r.warnings.length ? { [WARNING_ANNOTATION]: r.warnings.join('; ') } : undefined;
    return new k8s.KubeStatefulSet(this, `${pool.role}-statefulset`, {
      metadata: {
        name: pool.statefulSetName,
        labels: r.labels.all,
        ...(stsAnnotations ? { annotations: stsAnnotations } : {}),
      },
      spec: {
        serviceName: pool.serviceName,
        replicas: pool.replicas,
        // All members start together: a quorum (and a broker waiting for it) cannot form one pod at a time.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        minReadySeconds: 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: r.labels.selector },
        template,
        volumeClaimTemplates: [
          volumeClaimTemplate({
            name: 'data',
            size: r.storage,
            storageClassName: r.storageClassName,
            labels: r.labels.selector,
          }),
        ],
      },
    });
  }
}

/** The Service and container port name of a listener (IANA service name, at most 15 characters). */
function portName(listener: string): string {
  return `tcp-${listener.toLowerCase()}`;
}

function validateExtraConfig(
  ctx: string,
  config: Readonly<Record<string, string | number | boolean>>,
): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const key of Object.keys(config).sort()) {
    const value = config[key];
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(key))
      throw propError(ctx, `config["${key}"]`, value, 'a Kafka setting name (lower case, dotted)');
    const managed = MANAGED_KEYS[key] ?? MANAGED_PREFIXES.find(([p]) => key.startsWith(p))?.[1];
    if (managed !== undefined) {
      throw propError(ctx, `config["${key}"]`, value, `no value: the blueprint sets ${key} (use ${managed})`);
    }
    if (
      !['string', 'number', 'boolean'].includes(typeof value) ||
      (typeof value === 'number' && !Number.isFinite(value))
    ) {
      throw propError(ctx, `config["${key}"]`, value, 'a string, finite number or boolean');
    }
    if (typeof value === 'string' && /[\r\n]/.test(value))
      throw propError(ctx, `config["${key}"]`, value, 'a single-line value');
    out.push([key, String(value)]);
  }
  return out;
}
