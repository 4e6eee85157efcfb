/**
 * `KataDruidCluster`: a full Apache Druid cluster whose every process runs in a Kata VM: Coordinators,
 * Overlords, Brokers and Routers as Deployments; Historicals (optionally in tiers) and ingestion workers
 * (MiddleManagers or Indexers) as StatefulSets on fast volumes.
 */
import { volumeClaimTemplate } from '../../../lib/k8s/storage';
import { Chart, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CONFIG_HASH_ANNOTATION, configFiles } from '../../../lib/k8s/config';
import { containerSpec, downwardEnv, httpProbe, secretEnv } from '../../../lib/k8s/container';
import { constructContext, propError } from '../../../lib/k8s/errors';
import { parseImage, validateImage } from '../../../lib/k8s/image';
import {
  ComponentLabels,
  componentLabels,
  defaultName,
  imageVersion,
  validateDnsName,
} from '../../../lib/k8s/labels';
import {
  Connections,
  INetworkEndpoint,
  NetworkPeer,
  NetworkPort,
  PodNetworkPolicy,
} from '../../../lib/k8s/network';
import { podDisruptionBudget } from '../../../lib/k8s/pdb';
import { sandboxedPodTemplate } from '../../../lib/k8s/pod';
import { SpreadPolicy } from '../../../lib/k8s/scheduling';
import {
  ResolvedResources,
  mibQuantity,
  resolveResources,
  resources,
  sizeToMiB,
} from '../../../lib/k8s/units';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import type { IKafkaEndpoint } from '../kafka/endpoint';
import {
  DRUID_FILES,
  DRUID_PATHS,
  DruidKafkaSupervisorOptions,
  kafkaSupervisorSpec,
  renderCommonProperties,
  renderJvmConfig,
  renderLog4j2,
  renderNodeProperties,
  validateExtensions,
  validateJvmOptions,
  validateRuntimeProperties,
} from './config';
import { DruidDeepStorage } from './deep-storage';
import { DruidDiscovery, DRUID_POD_NAME_ENV, DRUID_POD_NAMESPACE_ENV } from './discovery';
import {
  JvmPlan,
  JvmSettings,
  cpuCores,
  planMiddleManager,
  planSingleJvm,
  segmentCacheBytes,
} from './memory';
import { DruidMetadataStore, DRUID_METADATA_PASSWORD_ENV } from './metadata';
import { DruidNodeType, DruidWorkerType, DRUID_PEON_END_PORT, DRUID_PEON_START_PORT } from './node-type';

/** The default image: the official Apache Druid image (user `druid`, uid/gid 1000, entrypoint `/druid.sh`). */
export const DEFAULT_DRUID_IMAGE = 'apache/druid:35.0.1';
/** uid of the `druid` user in the official image. */
export const DRUID_UID = 1000;
/** gid of the `druid` group in the official image. */
export const DRUID_GID = 1000;
/** Label with the step of Druid's rolling-update order, on every object (0 = shared objects). */
export const DRUID_UPGRADE_ORDER_LABEL = 'kata-blueprints.io/upgrade-order';
/** Label that tells Historical tiers apart. */
export const DRUID_TIER_LABEL = 'kata-blueprints.io/druid-tier';
const WARNING_ANNOTATION = 'kata-blueprints.io/warning';
const MAX_NAME = 30;
const MAX_STATEFULSET_NAME = 52;

/** Processing threads and buffers. */
export interface DruidProcessingProps {
  /**
   * `druid.processing.numThreads`.
   * @default - cores - 1 (at least 1); 1 on Brokers; 1 or 2 on peons
   */
  readonly numThreads?: number;
  /**
   * `druid.processing.numMergeBuffers`.
   * @default - max(2, numThreads / 4)
   */
  readonly numMergeBuffers?: number;
  /**
   * `druid.processing.buffer.sizeBytes` (below 2 GiB, whole MiB).
   * @default - derived from the memory limit, at most 500 MiB (100 MiB on peons), or from `directMemory` with Druid's rule (at most 1 GiB)
   */
  readonly bufferSize?: Size;
}

/** JVM settings of a Druid process. */
export interface DruidJvmProps {
  /**
   * Heap (`-Xms` and `-Xmx`).
   * @default - derived from the memory limit per node type
   */
  readonly heap?: Size;
  /**
   * `-XX:MaxDirectMemorySize`; at least `bufferSize x (numMergeBuffers + numThreads + 1)`.
   * @default - exactly what the processing buffers need (128-256 MiB for processes without them)
   */
  readonly directMemory?: Size;
  /**
   * Processing threads and buffers (Historicals, Brokers, Indexers and peons only).
   * @default - derived from the resources with Druid's rules
   */
  readonly processing?: DruidProcessingProps;
  /**
   * Further JVM options (single tokens; not the heap, direct memory, processor count or tmpdir flags).
   * @default - none
   */
  readonly jvmOptions?: readonly string[];
}

/** A Druid node type: replicas, resources, JVM and further properties. */
export interface DruidNodeProps extends DruidJvmProps {
  /**
   * Number of pods (at least 1).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Requests and limits; Kata sizes the VM from the limits, and the JVM is sized to fit them.
   * @default - per node type (see the README)
   */
  readonly resources?: ContainerResources;
  /**
   * Further `runtime.properties` of this node type (not the keys the blueprint derives).
   * @default - none
   */
  readonly runtimeProperties?: Readonly<Record<string, string | number | boolean>>;
}

/** Historicals of one tier. */
export interface DruidHistoricalProps extends DruidNodeProps {
  /**
   * Size of each Historical's segment cache volume.
   * @default Size.gibibytes(100)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the segment cache: fast local NVMe or provisioned SSD.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Segment cache size (`druid.segmentCache.locations[].maxSize`, `druid.server.maxSize`), at most 90% of the volume.
   * @default - 90% of storageSize
   */
  readonly segmentCacheSize?: Size;
}

/** A Historical tier. */
export interface DruidHistoricalTierProps extends DruidHistoricalProps {
  /** Tier name (`druid.server.tier`, referenced by load rules): lower-case letters, digits and "-". */
  readonly tier: string;
  /**
   * `druid.server.priority`: Brokers query higher-priority tiers first.
   * @default - Druid's default (0)
   */
  readonly priority?: number;
}

/** Settings of every peon a MiddleManager forks. */
export type DruidPeonProps = DruidJvmProps;

/** Ingestion workers (MiddleManagers or Indexers, per `workerType`). */
export interface DruidWorkerProps extends DruidNodeProps {
  /**
   * Task slots per worker (`druid.worker.capacity`), at most 100.
   * @default - cores - 1 (at least 1)
   */
  readonly capacity?: number;
  /**
   * Size of each worker's volume (task directories, intermediate segments).
   * @default Size.gibibytes(50)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the worker volumes.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * The peons' JVM (MiddleManagers only).
   * @default - 1 GiB heap, 1-2 processing threads, 2 merge buffers of up to 100 MiB
   */
  readonly peon?: DruidPeonProps;
}

/** Props of {@link KataDruidCluster}. */
export interface KataDruidClusterProps {
  /**
   * Base name of every object (`<name>-broker`, ...): a DNS label of at most 30 characters.
   * @default - the construct id, lower-cased
   */
  readonly name?: string;
  /**
   * Image (pinned tag or digest) with the official image's layout (`/druid.sh`, `/opt/druid`, uid 1000).
   * @default DEFAULT_DRUID_IMAGE
   */
  readonly image?: string;
  /** The metadata store: `DruidMetadataStore.postgresql({...})` or `.mysql({...})`. */
  readonly metadataStore: DruidMetadataStore;
  /** Deep storage: `DruidDeepStorage.s3({...})`, `.gcs`, `.azure`, `.hdfs` or `.local` (development only). */
  readonly deepStorage: DruidDeepStorage;
  /**
   * Discovery and leader election.
   * @default DruidDiscovery.kubernetes()
   */
  readonly discovery?: DruidDiscovery;
  /**
   * Coordinators.
   * @default - 2 replicas, CPU 500m (limit 1), memory 2 GiB
   */
  readonly coordinators?: DruidNodeProps;
  /**
   * Run the Overlord inside the Coordinators (`druid.coordinator.asOverlord.enabled`) instead of separate Overlords.
   * @default false
   */
  readonly coordinatorAsOverlord?: boolean;
  /**
   * Overlords (not with `coordinatorAsOverlord`).
   * @default - 2 replicas, CPU 500m (limit 1), memory 2 GiB
   */
  readonly overlords?: DruidNodeProps;
  /**
   * Brokers.
   * @default - 2 replicas, CPU 1 (limit 2), memory 4 GiB
   */
  readonly brokers?: DruidNodeProps;
  /**
   * Routers (web console and query proxy).
   * @default - 2 replicas, CPU 250m (limit 1), memory 1 GiB
   */
  readonly routers?: DruidNodeProps;
  /**
   * Historicals of the default tier (`_default_tier`). Not with `historicalTiers`.
   * @default - 2 replicas, CPU 2 (limit 4), memory 8 GiB, 100 GiB volume
   */
  readonly historicals?: DruidHistoricalProps;
  /**
   * Several Historical tiers, each with its own replicas, resources and storage. Not with `historicals`.
   * @default - one default tier (`historicals`)
   */
  readonly historicalTiers?: readonly DruidHistoricalTierProps[];
  /**
   * What runs ingestion tasks.
   * @default - DruidWorkerType.INDEXER with Kubernetes discovery, DruidWorkerType.MIDDLE_MANAGER with ZooKeeper
   */
  readonly workerType?: DruidWorkerType;
  /**
   * The ingestion workers (MiddleManagers or Indexers, per `workerType`).
   * @default - 2 replicas, CPU 2 (limit 4), memory 8 GiB, 50 GiB volume
   */
  readonly middleManagers?: DruidWorkerProps;
  /**
   * Ingest from this Kafka: loads `druid-kafka-indexing-service` and opens the Kafka client port from the
   * workers and the Overlords in both NetworkPolicies.
   * @default - no Kafka
   */
  readonly kafka?: IKafkaEndpoint;
  /**
   * Further extensions to load (e.g. `druid-histogram`, `prometheus-emitter`).
   * @default - none
   */
  readonly extensions?: readonly string[];
  /**
   * Further `common.runtime.properties` (not the keys the blueprint derives).
   * @default - none
   */
  readonly commonRuntimeProperties?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Who may reach the Router (8888) and the Brokers (8082) besides blueprints connected with `connections`.
   * @default - nobody
   */
  readonly allowedClients?: readonly NetworkPeer[];
  /**
   * Spread of the Deployments (Coordinators, Overlords, Brokers, Routers).
   * @default SpreadPolicy.PREFERRED
   */
  readonly spread?: SpreadPolicy;
  /**
   * Spread of the StatefulSets (Historicals, workers): replicas of a segment must not share a host.
   * @default SpreadPolicy.ONE_PER_HOST
   */
  readonly dataSpread?: SpreadPolicy;
  /**
   * Annotations of the ServiceAccounts (e.g. `eks.amazonaws.com/role-arn`, `iam.gke.io/gcp-service-account`).
   * @default - none
   */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /**
   * PriorityClass of every pod.
   * @default - none
   */
  readonly priorityClassName?: string;
  /**
   * How the pods are isolated.
   * @default Sandbox.kata()
   */
  readonly sandbox?: Sandbox;
}

/** One step of the rolling-update order. */
export interface DruidUpgradeStep {
  /** Step number (1 = first; the `kata-blueprints.io/upgrade-order` label value). */
  readonly step: number;
  /** The node type. */
  readonly nodeType: string;
  /** Workload kind. */
  readonly kind: 'Deployment' | 'StatefulSet';
  /** Workload names, in order. */
  readonly names: readonly string[];
}

/** A set of identical pods: one node type, or one Historical tier. */
interface Pool {
  readonly key: string;
  readonly nodeType: DruidNodeType;
  readonly prop: string;
  readonly objectName: string;
  readonly replicas: number;
  readonly resources: ResolvedResources;
  readonly jvm: JvmPlan;
  readonly jvmOptions: string[];
  readonly runtimeProperties: Array<readonly [string, string]>;
  readonly peon?: JvmPlan;
  readonly peonJvmOptions?: string[];
  readonly capacity?: number;
  readonly storage?: { readonly quantity: string; readonly storageClassName?: string };
  readonly segmentCacheBytes?: number;
  readonly tier?: string;
  readonly priority?: number;
  readonly labels: ComponentLabels;
  readonly warnings: string[];
}

const DEFAULT_RESOURCES: Record<string, ContainerResources> = {
  coordinator: resources(Cpu.millis(500), Cpu.units(1), Size.gibibytes(2), Size.gibibytes(2)),
  overlord: resources(Cpu.millis(500), Cpu.units(1), Size.gibibytes(2), Size.gibibytes(2)),
  broker: resources(Cpu.units(1), Cpu.units(2), Size.gibibytes(4), Size.gibibytes(4)),
  router: resources(Cpu.millis(250), Cpu.units(1), Size.gibibytes(1), Size.gibibytes(1)),
  historical: resources(Cpu.units(2), Cpu.units(4), Size.gibibytes(8), Size.gibibytes(8)),
  worker: resources(Cpu.units(2), Cpu.units(4), Size.gibibytes(8), Size.gibibytes(8)),
};

/**
 * An Apache Druid cluster in Kata VMs.
 *
 * Every node type gets its own ConfigMap (`common.runtime.properties`, `runtime.properties`,
 * `jvm.config`, `log4j2.xml`, rendered from typed props), a Service, a PodDisruptionBudget, spread
 * constraints, probes on Druid's health endpoints and a default-deny NetworkPolicy opened only along
 * Druid's own traffic (Router to Brokers and masters, Brokers to data servers, masters to workers...).
 * Every object carries the `kata-blueprints.io/upgrade-order` label with its step in Druid's
 * rolling-update order, so `kubectl apply -l kata-blueprints.io/upgrade-order=<n>` applies one step at a time.
 *
 * Clients connect through {@link connections} (the Router, 8888) or {@link brokerConnections} (8082).
 */
export class KataDruidCluster extends Construct implements INetworkEndpoint {
  /** Base name. */
  public readonly name: string;
  /** Image. */
  public readonly image: string;
  /** Discovery. */
  public readonly discovery: DruidDiscovery;
  /** What runs ingestion tasks. */
  public readonly workerType: DruidWorkerType;
  /** Whether the Coordinators run the Overlord. */
  public readonly coordinatorAsOverlord: boolean;
  /** The Router's network side (client port 8888): `app.connections.allowTo(druid)`. */
  public readonly connections: Connections;
  /** The Brokers' network side (client port 8082) for SQL/JDBC clients that bypass the Router. */
  public readonly brokerConnections: Connections;
  /** In-cluster URL of the Router (web console, SQL and native queries, management proxy). */
  public readonly routerUrl: string;
  /** In-cluster URL of the Brokers. */
  public readonly brokerUrl: string;
  /** The rolling-update order of this cluster's workloads. */
  public readonly upgradeOrder: readonly DruidUpgradeStep[];
  /** Bootstrap servers of the Kafka the cluster ingests from, if any. */
  public readonly kafkaBootstrapServers?: string;
  /** The workloads by pool key (`coordinator`, `broker`, `historical` or `historical-<tier>`, `indexer`...). */
  public readonly workloads: Readonly<Record<string, k8s.KubeDeployment | k8s.KubeStatefulSet>>;
  /** The JVM plan of each pool (and `<worker>-peon` for MiddleManager peons). */
  public readonly jvmPlans: Readonly<Record<string, JvmPlan>>;
  /** The Druid configuration files of each pool. */
  public readonly configFiles: Readonly<Record<string, Readonly<Record<string, string>>>>;

  private readonly policies = new Map<DruidNodeType, PodNetworkPolicy>();
  private readonly peers = new Map<DruidNodeType, NetworkPeer>();
  private readonly pools: readonly Pool[];
  private readonly kafka?: IKafkaEndpoint;
  private readonly ctx: string;

  constructor(scope: Construct, id: string, props: KataDruidClusterProps) {
    super(scope, id);
    const ctx = constructContext('KataDruidCluster', id);
    this.ctx = ctx;
    if (!props || typeof props !== 'object') {
      throw propError(ctx, 'props', props, '{ metadataStore, deepStorage, ... }');
    }
    const namespace = Chart.of(this).namespace;
    if (!namespace) {
      throw propError(
        ctx,
        'namespace',
        undefined,
        'a Chart with a namespace (all pods of a Druid cluster live in one namespace, and the Services have FQDNs)',
      );
    }
    const name = validateDnsName(ctx, 'name', props.name ?? defaultName(id), MAX_NAME);
    this.name = name;
    const image = validateImage(ctx, 'image', props.image ?? DEFAULT_DRUID_IMAGE);
    this.image = image;
    const sandbox = props.sandbox ?? Sandbox.kata();
    if (!(sandbox instanceof Sandbox)) {
      throw propError(
        ctx,
        'sandbox',
        sandbox,
        'Sandbox.kata(...), Sandbox.legacyUntrusted(...) or Sandbox.trusted()',
      );
    }

    // --- dependencies -----------------------------------------------------------------------
    const metadata = props.metadataStore;
    if (!(metadata instanceof DruidMetadataStore)) {
      throw propError(
        ctx,
        'metadataStore',
        metadata,
        'DruidMetadataStore.postgresql({ connectUri, user, passwordSecret }) or DruidMetadataStore.mysql({...})',
      );
    }
    if (metadata.needsDriverInImage && isOfficialImage(image)) {
      throw propError(
        ctx,
        'image',
        image,
        'an image that adds MySQL Connector/J to extensions/mysql-metadata-storage: the official apache/druid image ' +
          'does not ship it (licence), so DruidMetadataStore.mysql cannot connect with it; or use DruidMetadataStore.postgresql',
      );
    }
    const deep = props.deepStorage;
    if (!(deep instanceof DruidDeepStorage)) {
      throw propError(
        ctx,
        'deepStorage',
        deep,
        'DruidDeepStorage.s3({...}), .gcs({...}), .azure({...}), .hdfs({...}) or .local({...})',
      );
    }
    const discovery = props.discovery ?? DruidDiscovery.kubernetes();
    if (!(discovery instanceof DruidDiscovery)) {
      throw propError(
        ctx,
        'discovery',
        discovery,
        'DruidDiscovery.kubernetes({...}) or DruidDiscovery.zookeeper({...})',
      );
    }
    this.discovery = discovery;
    const clusterId = discovery.clusterIdentifier(name);
    if (clusterId !== undefined && !/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(clusterId)) {
      throw propError(
        ctx,
        'name',
        name,
        'at least 2 characters, or DruidDiscovery.kubernetes({ clusterIdentifier })',
      );
    }
    const workerType =
      props.workerType ??
      (discovery.usesKubernetesApi ? DruidWorkerType.INDEXER : DruidWorkerType.MIDDLE_MANAGER);
    if (!(workerType instanceof DruidWorkerType)) {
      throw propError(
        ctx,
        'workerType',
        workerType,
        'DruidWorkerType.INDEXER or DruidWorkerType.MIDDLE_MANAGER',
      );
    }
    if (workerType === DruidWorkerType.MIDDLE_MANAGER && discovery.usesKubernetesApi) {
      throw propError(
        ctx,
        'workerType',
        'DruidWorkerType.MIDDLE_MANAGER',
        'DruidWorkerType.INDEXER with DruidDiscovery.kubernetes(): peons share the MiddleManager pod and remove its ' +
          'discovery labels when a task ends, so the MiddleManager drops out of the cluster (apache/druid#13330, #15395); ' +
          'use Indexers, or MiddleManagers with DruidDiscovery.zookeeper({...})',
      );
    }
    this.workerType = workerType;
    const asOverlord = props.coordinatorAsOverlord ?? false;
    if (typeof asOverlord !== 'boolean')
      throw propError(ctx, 'coordinatorAsOverlord', asOverlord, 'true or false');
    if (asOverlord && props.overlords !== undefined) {
      throw propError(
        ctx,
        'overlords',
        props.overlords,
        'unset with coordinatorAsOverlord (the Coordinators run the Overlord; size them with coordinators)',
      );
    }
    this.coordinatorAsOverlord = asOverlord;
    if (props.historicals !== undefined && props.historicalTiers !== undefined) {
      throw propError(
        ctx,
        'historicals',
        props.historicals,
        'unset when historicalTiers is given (each tier has its own settings)',
      );
    }
    const spread = props.spread ?? SpreadPolicy.PREFERRED;
    const dataSpread = props.dataSpread ?? SpreadPolicy.ONE_PER_HOST;
    for (const [prop, s] of [
      ['spread', spread],
      ['dataSpread', dataSpread],
    ] as const) {
      if (!(s instanceof SpreadPolicy))
        throw propError(ctx, prop, s, 'a SpreadPolicy preset (e.g. SpreadPolicy.ONE_PER_HOST)');
    }
    if (
      props.priorityClassName !== undefined &&
      (typeof props.priorityClassName !== 'string' ||
        !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.priorityClassName))
    ) {
      throw propError(
        ctx,
        'priorityClassName',
        props.priorityClassName,
        'a PriorityClass name (DNS-1123 subdomain)',
      );
    }
    const extensions = validateExtensions(ctx, 'extensions', props.extensions);
    const commonExtra = validateRuntimeProperties(
      ctx,
      'commonRuntimeProperties',
      props.commonRuntimeProperties,
    );
    for (const [i, p] of (props.allowedClients ?? []).entries()) {
      if (!(p instanceof NetworkPeer)) throw propError(ctx, `allowedClients[${i}]`, p, 'a NetworkPeer');
    }
    this.kafka = props.kafka;
    if (props.kafka !== undefined) {
      const k = props.kafka as Partial<IKafkaEndpoint>;
      if (!k || typeof k.bootstrapServers !== 'string' || !(k.connections instanceof Connections)) {
        throw propError(ctx, 'kafka', props.kafka, 'an IKafkaEndpoint such as a KataKafkaBrokers');
      }
      this.kafkaBootstrapServers = props.kafka.bootstrapServers;
    }

    // --- pools --------------------------------------------------------------------------------
    const version = imageVersion(image);
    const pools: Pool[] = [];
    const basePool = (
      key: string,
      nodeType: DruidNodeType,
      prop: string,
      given: DruidNodeProps | undefined,
      defaults: ContainerResources,
      extraSelector: Record<string, string> = {},
      objectSuffix = '',
    ) => {
      if (given !== undefined && (typeof given !== 'object' || given === null)) {
        throw propError(ctx, prop, given, 'an object of node settings (replicas, resources, ...)');
      }
      const replicas = given?.replicas ?? 2;
      if (!Number.isInteger(replicas) || replicas < 1) {
        throw propError(
          ctx,
          `${prop}.replicas`,
          replicas,
          `a whole number >= 1 (a Druid cluster needs at least one ${nodeType.name})`,
        );
      }
      const resources = resolveResources(ctx, `${prop}.resources`, given?.resources, defaults);
      const objectName = `${name}-${nodeType.component}${objectSuffix}`;
      const labels = componentLabels('druid', name, nodeType.component, version);
      Object.assign(labels.selector, extraSelector);
      Object.assign(labels.all, extraSelector);
      return {
        key,
        nodeType,
        prop,
        objectName,
        replicas,
        resources,
        jvmOptions: validateJvmOptions(ctx, `${prop}.jvmOptions`, given?.jvmOptions),
        runtimeProperties: validateRuntimeProperties(
          ctx,
          `${prop}.runtimeProperties`,
          given?.runtimeProperties,
        ),
        labels,
        warnings: [] as string[],
      };
    };
    const jvmSettings = (prop: string, given: DruidJvmProps | undefined): JvmSettings => ({
      heapMiB: given?.heap !== undefined ? sizeToMiB(ctx, `${prop}.heap`, given.heap) : undefined,
      directMemoryMiB:
        given?.directMemory !== undefined
          ? sizeToMiB(ctx, `${prop}.directMemory`, given.directMemory)
          : undefined,
      numThreads: given?.processing?.numThreads,
      numMergeBuffers: given?.processing?.numMergeBuffers,
      bufferSizeMiB:
        given?.processing?.bufferSize !== undefined
          ? sizeToMiB(ctx, `${prop}.processing.bufferSize`, given.processing.bufferSize)
          : undefined,
    });
    const single = (
      key: string,
      nodeType: DruidNodeType,
      prop: string,
      given: DruidNodeProps | undefined,
      defaults: ContainerResources,
    ): Pool => {
      const b = basePool(key, nodeType, prop, given, defaults);
      const jvm = planSingleJvm({
        context: ctx,
        prop,
        profile: nodeType.profile,
        jvmName: nodeType.name,
        memoryLimitMiB: b.resources.memoryLimitMiB,
        cpuLimitMillis: b.resources.cpuLimitMillis,
        settings: jvmSettings(prop, given),
      });
      return { ...b, jvm };
    };

    // Historicals: one pool per tier.
    const tiers: Array<{
      readonly prop: string;
      readonly given: DruidHistoricalProps;
      readonly tier?: string;
      readonly priority?: number;
    }> = [];
    if (props.historicalTiers !== undefined) {
      if (!Array.isArray(props.historicalTiers) || props.historicalTiers.length === 0) {
        throw propError(
          ctx,
          'historicalTiers',
          props.historicalTiers,
          'at least one tier { tier, replicas, ... }',
        );
      }
      const seen = new Set<string>();
      props.historicalTiers.forEach((t, i) => {
        const prop = `historicalTiers[${i}]`;
        if (
          !t ||
          typeof t.tier !== 'string' ||
          !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(t.tier) ||
          t.tier.length > 20
        ) {
          throw propError(
            ctx,
            `${prop}.tier`,
            t?.tier,
            'a tier name of at most 20 lower-case letters, digits and "-", starting with a letter',
          );
        }
        if (seen.has(t.tier)) throw propError(ctx, `${prop}.tier`, t.tier, 'a tier name used once');
        seen.add(t.tier);
        if (
          t.priority !== undefined &&
          (!Number.isInteger(t.priority) || Math.abs(t.priority) > 2 ** 31 - 1)
        ) {
          throw propError(ctx, `${prop}.priority`, t.priority, 'a whole number (32-bit)');
        }
        tiers.push({ prop, given: t, tier: t.tier, priority: t.priority });
      });
    } else {
      tiers.push({ prop: 'historicals', given: props.historicals ?? {} });
    }
    for (const t of tiers) {
      const b = basePool(
        t.tier ? `historical-${t.tier}` : 'historical',
        DruidNodeType.HISTORICAL,
        t.prop,
        t.given,
        DEFAULT_RESOURCES.historical,
        t.tier ? { [DRUID_TIER_LABEL]: t.tier } : {},
        t.tier ? `-${t.tier}` : '',
      );
      const jvm = planSingleJvm({
        context: ctx,
        prop: t.prop,
        profile: DruidNodeType.HISTORICAL.profile,
        jvmName: 'historical',
        memoryLimitMiB: b.resources.memoryLimitMiB,
        cpuLimitMillis: b.resources.cpuLimitMillis,
        settings: jvmSettings(t.prop, t.given),
      });
      const volumeMiB = sizeToMiB(ctx, `${t.prop}.storageSize`, t.given.storageSize ?? Size.gibibytes(100));
      const cache = segmentCacheBytes(
        ctx,
        t.prop,
        volumeMiB,
        t.given.segmentCacheSize !== undefined
          ? sizeToMiB(ctx, `${t.prop}.segmentCacheSize`, t.given.segmentCacheSize)
          : undefined,
      );
      pools.push({
        ...b,
        jvm,
        storage: {
          quantity: mibQuantity(volumeMiB),
          ...storageClass(ctx, `${t.prop}.storageClassName`, t.given.storageClassName),
        },
        segmentCacheBytes: cache,
        ...(t.tier !== undefined ? { tier: t.tier } : {}),
        ...(t.priority !== undefined ? { priority: t.priority } : {}),
      });
    }

    // Ingestion workers.
    {
      const given = props.middleManagers;
      const prop = 'middleManagers';
      const nodeType = workerType.nodeType;
      const b = basePool(nodeType.component, nodeType, prop, given, DEFAULT_RESOURCES.worker);
      const cores = cpuCores(b.resources.cpuLimitMillis);
      const capacity = given?.capacity ?? Math.max(1, cores - 1);
      if (
        !Number.isInteger(capacity) ||
        capacity < 1 ||
        capacity > DRUID_PEON_END_PORT - DRUID_PEON_START_PORT + 1
      ) {
        throw propError(
          ctx,
          `${prop}.capacity`,
          capacity,
          `a whole number of task slots from 1 to ${DRUID_PEON_END_PORT - DRUID_PEON_START_PORT + 1}`,
        );
      }
      const volumeMiB = sizeToMiB(ctx, `${prop}.storageSize`, given?.storageSize ?? Size.gibibytes(50));
      const storage = {
        quantity: mibQuantity(volumeMiB),
        ...storageClass(ctx, `${prop}.storageClassName`, given?.storageClassName),
      };
      if (workerType === DruidWorkerType.MIDDLE_MANAGER) {
        const plan = planMiddleManager({
          context: ctx,
          prop,
          memoryLimitMiB: b.resources.memoryLimitMiB,
          cpuLimitMillis: b.resources.cpuLimitMillis,
          capacity,
          settings: jvmSettings(prop, given),
          peon: jvmSettings(`${prop}.peon`, given?.peon),
        });
        pools.push({
          ...b,
          jvm: plan.middleManager,
          peon: plan.peon,
          peonJvmOptions: validateJvmOptions(ctx, `${prop}.peon.jvmOptions`, given?.peon?.jvmOptions),
          capacity,
          storage,
        });
      } else {
        if (given?.peon !== undefined) {
          throw propError(
            ctx,
            `${prop}.peon`,
            given.peon,
            'unset with DruidWorkerType.INDEXER (Indexers run tasks as threads, not peons)',
          );
        }
        const jvm = planSingleJvm({
          context: ctx,
          prop,
          profile: nodeType.profile,
          jvmName: nodeType.name,
          memoryLimitMiB: b.resources.memoryLimitMiB,
          cpuLimitMillis: b.resources.cpuLimitMillis,
          settings: jvmSettings(prop, given),
        });
        pools.push({ ...b, jvm, capacity, storage });
      }
    }
    pools.push(single('broker', DruidNodeType.BROKER, 'brokers', props.brokers, DEFAULT_RESOURCES.broker));
    pools.push(single('router', DruidNodeType.ROUTER, 'routers', props.routers, DEFAULT_RESOURCES.router));
    if (!asOverlord) {
      pools.push(
        single('overlord', DruidNodeType.OVERLORD, 'overlords', props.overlords, DEFAULT_RESOURCES.overlord),
      );
    }
    pools.push(
      single(
        'coordinator',
        DruidNodeType.COORDINATOR,
        'coordinators',
        props.coordinators,
        DEFAULT_RESOURCES.coordinator,
      ),
    );
    for (const p of pools) {
      if (p.nodeType.kind === 'StatefulSet' && p.objectName.length > MAX_STATEFULSET_NAME) {
        throw propError(
          ctx,
          p.tier ? `${p.prop}.tier` : 'name',
          p.tier ?? name,
          `a shorter name: the StatefulSet "${p.objectName}" has ${p.objectName.length} characters, at most ${MAX_STATEFULSET_NAME} leave room for the pod revision label`,
        );
      }
    }

    // --- warnings and development-only settings ------------------------------------------------
    const historicalPools = pools.filter((p) => p.nodeType === DruidNodeType.HISTORICAL);
    const workerPool = pools.find((p) => p.nodeType === workerType.nodeType)!;
    const historicalCount = historicalPools.reduce((n, p) => n + p.replicas, 0);
    if (!deep.production) {
      if (historicalCount > 1) {
        throw propError(
          ctx,
          historicalPools.length > 1 ? 'historicalTiers' : 'historicals.replicas',
          historicalCount,
          '1 Historical with DruidDeepStorage.local (every Historical and worker must mount the one local volume; use an object store for more)',
        );
      }
      if (workerPool.replicas > 1) {
        throw propError(
          ctx,
          'middleManagers.replicas',
          workerPool.replicas,
          `1 ${workerType.nodeType.name} with DruidDeepStorage.local (every Historical and worker must mount the one local volume; use an object store for more)`,
        );
      }
    }
    const localWarning =
      'local deep storage is for development only: segments and task logs live on one volume that every Historical and worker must mount; use DruidDeepStorage.s3/gcs/azure/hdfs';
    for (const p of pools) {
      const usesDeep = this.usesDeepStorage(p.nodeType);
      if (!deep.production && usesDeep) p.warnings.push(localWarning);
      if (p.replicas === 1) {
        switch (p.nodeType) {
          case DruidNodeType.BROKER:
          case DruidNodeType.ROUTER:
            p.warnings.push(`a single ${p.nodeType.name}: queries fail while it restarts`);
            break;
          case DruidNodeType.COORDINATOR:
          case DruidNodeType.OVERLORD:
            p.warnings.push(
              `a single ${p.nodeType.name}: no standby takes over leadership while it restarts`,
            );
            break;
          default:
            break;
        }
      }
    }
    if (historicalCount === 1) {
      historicalPools[0].warnings.push(
        "a single Historical: Druid's default load rule keeps 2 replicas of every segment, and every restart makes the data unavailable",
      );
    }
    this.pools = pools;

    // --- service accounts and RBAC ---------------------------------------------------------------
    const { 'app.kubernetes.io/component': _c, ...clusterLabelsBase } = componentLabels(
      'druid',
      name,
      'cluster',
      version,
    ).all;
    const sharedLabels = { ...clusterLabelsBase, [DRUID_UPGRADE_ORDER_LABEL]: '0' };
    const saAnnotations = sortedRecord({
      ...(props.serviceAccountAnnotations ?? {}),
      ...(deep.volumes.serviceAccountAnnotations ?? {}),
    });
    const serviceAccount = `${name}-druid`;
    const masterServiceAccount = `${name}-druid-master`;
    for (const sa of [serviceAccount, masterServiceAccount]) {
      new k8s.KubeServiceAccount(this, `sa-${sa}`, {
        metadata: {
          name: sa,
          labels: sharedLabels,
          ...(Object.keys(saAnnotations).length ? { annotations: saAnnotations } : {}),
        },
        automountServiceAccountToken: false,
      });
    }
    if (discovery.usesKubernetesApi) {
      const discoveryRole = `${name}-druid-discovery`;
      new k8s.KubeRole(this, 'discovery-role', {
        metadata: { name: discoveryRole, labels: sharedLabels },
        // Each process adds its announcement labels and annotations to its own pod, and lists and watches the others.
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] }],
      });
      new k8s.KubeRoleBinding(this, 'discovery-binding', {
        metadata: { name: discoveryRole, labels: sharedLabels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: discoveryRole },
        subjects: [serviceAccount, masterServiceAccount].map((n) => ({
          kind: 'ServiceAccount',
          name: n,
          namespace,
        })),
      });
      const electionRole = `${name}-druid-leader-election`;
      new k8s.KubeRole(this, 'leader-election-role', {
        metadata: { name: electionRole, labels: sharedLabels },
        // The Coordinator and Overlord leaders hold ConfigMap locks; create cannot be limited to names.
        rules: [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
          {
            apiGroups: [''],
            resources: ['configmaps'],
            resourceNames: discovery.leaderElectionConfigMaps(name),
            verbs: ['get', 'list', 'watch', 'update', 'delete'],
          },
        ],
      });
      new k8s.KubeRoleBinding(this, 'leader-election-binding', {
        metadata: { name: electionRole, labels: sharedLabels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: electionRole },
        subjects: [{ kind: 'ServiceAccount', name: masterServiceAccount, namespace }],
      });
    }

    // Local deep storage: one shared claim.
    let sharedClaim: string | undefined;
    if (deep.volumes.shared) {
      sharedClaim = `${name}-deep-storage`;
      const s = deep.volumes.shared;
      new k8s.KubePersistentVolumeClaim(this, 'deep-storage', {
        metadata: {
          name: sharedClaim,
          labels: sharedLabels,
          annotations: { [WARNING_ANNOTATION]: localWarning },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
          resources: { requests: { storage: k8s.Quantity.fromString(mibQuantity(s.sizeMiB)) } },
        },
      });
    }

    // --- network policies ------------------------------------------------------------------------
    const nodeTypes = [...new Set(pools.map((p) => p.nodeType))];
    for (const t of nodeTypes) {
      const labels = componentLabels('druid', name, t.component, version);
      const selector = labels.selector;
      this.peers.set(t, NetworkPeer.pods(selector, namespace));
      this.policies.set(
        t,
        new PodNetworkPolicy(this, `${t.component}-policy`, {
          context: ctx,
          name: `${name}-${t.component}`,
          selector,
          labels: { ...labels.all, [DRUID_UPGRADE_ORDER_LABEL]: String(t.upgradeStep) },
        }),
      );
    }
    this.wireNetwork(props.allowedClients ?? [], metadata, deep, discovery);
    this.connections = new Connections(
      this.peers.get(DruidNodeType.ROUTER)!,
      this.policies.get(DruidNodeType.ROUTER)!,
      [{ port: DruidNodeType.ROUTER.port }],
    );
    this.brokerConnections = new Connections(
      this.peers.get(DruidNodeType.BROKER)!,
      this.policies.get(DruidNodeType.BROKER)!,
      [{ port: DruidNodeType.BROKER.port }],
    );
    if (props.kafka) {
      // The supervisor in the Overlord reads partition offsets; the tasks on the workers consume.
      for (const t of [this.overlordType, workerType.nodeType]) {
        new Connections(this.peers.get(t)!, this.policies.get(t)!, []).allowTo(props.kafka);
      }
    }
    this.routerUrl = `http://${name}-router.${namespace}.svc.cluster.local:${DruidNodeType.ROUTER.port}`;
    this.brokerUrl = `http://${name}-broker.${namespace}.svc.cluster.local:${DruidNodeType.BROKER.port}`;

    // --- per pool: configuration, service, workload, budget ---------------------------------------
    const commonProperties = renderCommonProperties({
      clusterName: name,
      metadataStore: metadata,
      deepStorage: deep,
      discovery,
      kafka: props.kafka !== undefined,
      extensions,
      extraProperties: commonExtra,
    });
    const log4j = renderLog4j2();
    const workloads: Record<string, k8s.KubeDeployment | k8s.KubeStatefulSet> = {};
    const plans: Record<string, JvmPlan> = {};
    const files: Record<string, Record<string, string>> = {};
    for (const p of pools) {
      plans[p.key] = p.jvm;
      if (p.peon) plans[`${p.key}-peon`] = p.peon;
      const data: Record<string, string> = {
        [DRUID_FILES.common]: commonProperties,
        [DRUID_FILES.log4j]: log4j,
        [DRUID_FILES.runtime]: renderNodeProperties({
          nodeType: p.nodeType,
          jvm: p.jvm,
          coordinatorAsOverlord: p.nodeType === DruidNodeType.COORDINATOR && asOverlord,
          ...(p.segmentCacheBytes !== undefined ? { segmentCacheBytes: p.segmentCacheBytes } : {}),
          ...(p.tier !== undefined ? { tier: p.tier } : {}),
          ...(p.priority !== undefined ? { priority: p.priority } : {}),
          ...(p.capacity !== undefined ? { capacity: p.capacity } : {}),
          ...(p.peon ? { peon: p.peon, peonJvmOptions: p.peonJvmOptions ?? [] } : {}),
          extraProperties: p.runtimeProperties,
        }),
        [DRUID_FILES.jvm]: renderJvmConfig(p.jvm, p.jvmOptions),
      };
      files[p.key] = data;
      const objLabels = { ...p.labels.all, [DRUID_UPGRADE_ORDER_LABEL]: String(p.nodeType.upgradeStep) };
      const cm = configFiles(this, `${p.key}-config`, `${p.objectName}-config`, data, objLabels);
      workloads[p.key] = this.workload(p, {
        namespace,
        image,
        sandbox,
        configMap: cm.name,
        configHash: cm.hash,
        objLabels,
        serviceAccount: this.isMaster(p.nodeType) ? masterServiceAccount : serviceAccount,
        spread: p.nodeType.kind === 'StatefulSet' ? dataSpread : spread,
        priorityClassName: props.priorityClassName,
        sharedClaim,
        metadata,
        deep,
        discovery,
      });
      if (p.replicas > 1) {
        podDisruptionBudget(this, `${p.key}-pdb`, {
          context: ctx,
          name: p.objectName,
          selector: p.labels.selector,
          labels: objLabels,
          maxUnavailable: 1,
          // Stateless query and master processes may be evicted when not ready; Historicals and workers
          // keep their budget so a drain does not take a second copy of the data or the tasks.
          unhealthyPodEvictionPolicy: p.nodeType.kind === 'Deployment' ? 'AlwaysAllow' : 'IfHealthyBudget',
        });
      }
    }
    this.workloads = workloads;
    this.jvmPlans = plans;
    this.configFiles = files;
    this.upgradeOrder = DruidNodeType.UPGRADE_ORDER.filter((t) => pools.some((p) => p.nodeType === t)).map(
      (t) => ({
        step: t.upgradeStep,
        nodeType: t.name,
        kind: t.kind,
        names: pools.filter((p) => p.nodeType === t).map((p) => p.objectName),
      }),
    );
  }

  /** The NetworkPolicy of a node type (the Coordinator's when it runs the Overlord). */
  public policy(nodeType: DruidNodeType): PodNetworkPolicy {
    const t = nodeType === DruidNodeType.OVERLORD ? this.overlordType : nodeType;
    const p = this.policies.get(t);
    if (!p) {
      throw propError(
        this.ctx,
        'policy',
        nodeType?.name ?? nodeType,
        `one of ${[...this.policies.keys()].map((k) => k.name).join(', ')}`,
      );
    }
    return p;
  }

  /**
   * A Kafka supervisor spec for the cluster's Kafka (POST it to `<routerUrl>/druid/indexer/v1/supervisor`).
   * `taskCount x replicas` reading tasks must fit the workers' task slots, and each replica needs its own worker.
   *
   * @throws PropError when the cluster has no Kafka, or the tasks do not fit the workers
   */
  public kafkaSupervisorSpec(options: DruidKafkaSupervisorOptions): Record<string, unknown> {
    const ctx = `${this.ctx} kafkaSupervisorSpec`;
    if (!this.kafka) throw propError(ctx, 'kafka', undefined, 'a cluster created with the kafka prop');
    const spec = kafkaSupervisorSpec(ctx, this.kafka, options);
    const worker = this.pools.find((p) => p.nodeType === this.workerType.nodeType)!;
    const replicas = options.replicas ?? 1;
    const taskCount = options.taskCount ?? 1;
    if (replicas > worker.replicas) {
      throw propError(
        ctx,
        'replicas',
        replicas,
        `at most the ${worker.replicas} workers (Druid runs each replica of a task on a different worker)`,
      );
    }
    const slots = worker.replicas * (worker.capacity ?? 1);
    if (taskCount * replicas > slots) {
      throw propError(
        ctx,
        'taskCount',
        taskCount,
        `taskCount x replicas (${taskCount * replicas}) within the ${slots} task slots of the workers; publishing tasks need as many again`,
      );
    }
    return spec;
  }

  /** The node type that runs the Overlord. */
  private get overlordType(): DruidNodeType {
    return this.coordinatorAsOverlord ? DruidNodeType.COORDINATOR : DruidNodeType.OVERLORD;
  }

  private isMaster(t: DruidNodeType): boolean {
    return t === DruidNodeType.COORDINATOR || t === DruidNodeType.OVERLORD;
  }

  /** Historicals load segments, workers push them and their task logs, the Overlord serves task logs. */
  private usesDeepStorage(t: DruidNodeType): boolean {
    return t === DruidNodeType.HISTORICAL || t === this.workerType.nodeType || t === this.overlordType;
  }

  /** The metadata store is read and written by the Coordinator, the Overlord and the tasks (docs/design/metadata-storage.md). */
  private usesMetadataStore(t: DruidNodeType): boolean {
    return t === DruidNodeType.COORDINATOR || t === this.overlordType || t === this.workerType.nodeType;
  }

  private wireNetwork(
    clients: readonly NetworkPeer[],
    metadata: DruidMetadataStore,
    deep: DruidDeepStorage,
    discovery: DruidDiscovery,
  ): void {
    const T = DruidNodeType;
    const overlord = this.overlordType;
    const worker = this.workerType.nodeType;
    const peonRange: NetworkPort = { port: DRUID_PEON_START_PORT, endPort: DRUID_PEON_END_PORT };
    const mm = worker === T.MIDDLE_MANAGER;
    // Workers serve task and shuffle APIs on 8091; with MiddleManagers, each task (peon) on its own port.
    const workerPorts: NetworkPort[] = mm ? [{ port: worker.port }, peonRange] : [{ port: worker.port }];
    // Queries to real-time data go to the Indexer itself, or to the peons.
    const workerQueryPorts: NetworkPort[] = mm ? [peonRange] : [{ port: worker.port }];
    const p = (t: DruidNodeType): NetworkPort[] => [{ port: t.port }];
    const allow = (from: DruidNodeType, to: DruidNodeType, ports: NetworkPort[]) => {
      this.policies.get(to)!.allowIngress(this.peers.get(from)!, ports);
      this.policies.get(from)!.allowEgress(this.peers.get(to)!, ports);
    };
    // Router: query proxy to the Brokers, management proxy to the Coordinator and Overlord.
    allow(T.ROUTER, T.BROKER, p(T.BROKER));
    allow(T.ROUTER, T.COORDINATOR, p(T.COORDINATOR));
    allow(T.ROUTER, overlord, p(overlord));
    // Broker: queries to the data servers, segment metadata from the Coordinator, task tables from the Overlord.
    allow(T.BROKER, T.HISTORICAL, p(T.HISTORICAL));
    allow(T.BROKER, worker, workerQueryPorts);
    allow(T.BROKER, T.COORDINATOR, p(T.COORDINATOR));
    allow(T.BROKER, overlord, p(overlord));
    // Coordinator: segment load/drop on the Historicals, lookups to every lookup-loading process, leader redirects.
    allow(T.COORDINATOR, T.HISTORICAL, p(T.HISTORICAL));
    allow(T.COORDINATOR, T.BROKER, p(T.BROKER));
    allow(T.COORDINATOR, worker, workerPorts);
    allow(T.COORDINATOR, T.COORDINATOR, p(T.COORDINATOR));
    allow(T.COORDINATOR, overlord, p(overlord));
    // Overlord: task assignment to the workers and supervisor control of running tasks; leader redirects.
    allow(overlord, worker, workerPorts);
    allow(overlord, T.COORDINATOR, p(T.COORDINATOR));
    allow(overlord, overlord, p(overlord));
    // Workers and tasks: task actions to the Overlord, segment and lookup calls to the Coordinator,
    // shuffle and multi-stage query traffic between tasks.
    allow(worker, overlord, p(overlord));
    allow(worker, T.COORDINATOR, p(T.COORDINATOR));
    allow(worker, worker, workerPorts);
    // Historicals fetch lookups from the Coordinator at start.
    allow(T.HISTORICAL, T.COORDINATOR, p(T.COORDINATOR));
    // Clients.
    for (const c of clients) {
      this.policies.get(T.ROUTER)!.allowIngress(c, p(T.ROUTER));
      this.policies.get(T.BROKER)!.allowIngress(c, p(T.BROKER));
    }
    // Dependencies.
    for (const [t, policy] of this.policies) {
      for (const e of discovery.egress) policy.allowEgress(e.peer, e.ports);
      if (this.usesMetadataStore(t)) policy.allowEgress(metadata.egress.peer, metadata.egress.ports);
      if (this.usesDeepStorage(t)) for (const e of deep.egress) policy.allowEgress(e.peer, e.ports);
    }
  }

  private workload(
    p: Pool,
    o: {
      readonly namespace: string;
      readonly image: string;
      readonly sandbox: Sandbox;
      readonly configMap: string;
      readonly configHash: string;
      readonly objLabels: Record<string, string>;
      readonly serviceAccount: string;
      readonly spread: SpreadPolicy;
      readonly priorityClassName?: string;
      readonly sharedClaim?: string;
      readonly metadata: DruidMetadataStore;
      readonly deep: DruidDeepStorage;
      readonly discovery: DruidDiscovery;
    },
  ): k8s.KubeDeployment | k8s.KubeStatefulSet {
    const t = p.nodeType;
    const stateful = t.kind === 'StatefulSet';
    const usesDeep = this.usesDeepStorage(t);
    const k8sApi = o.discovery.usesKubernetesApi;

    const env: k8s.EnvVar[] = [
      ...(k8sApi ? downwardEnv({ podName: DRUID_POD_NAME_ENV, namespace: DRUID_POD_NAMESPACE_ENV }) : []),
      // druid.sh turns druid_* variables into properties: the pod IP is the address Druid announces.
      ...downwardEnv({ podIp: 'druid_host' }),
      { name: 'DRUID_SET_HOST', value: '0' },
      { name: 'DRUID_DIRS_TO_CREATE', value: 'var/tmp' },
    ];
    if (this.usesMetadataStore(t)) {
      env.push(
        secretEnv(DRUID_METADATA_PASSWORD_ENV, o.metadata.passwordSecret.name, o.metadata.passwordSecret.key),
      );
    }
    if (usesDeep) env.push(...o.deep.env);

    const volumes: k8s.Volume[] = [
      {
        name: 'common-config',
        configMap: {
          name: o.configMap,
          defaultMode: 0o444,
          items: [DRUID_FILES.common, DRUID_FILES.log4j].map((key) => ({ key, path: key })),
        },
      },
      {
        name: 'node-config',
        configMap: {
          name: o.configMap,
          defaultMode: 0o444,
          items: [DRUID_FILES.runtime, DRUID_FILES.jvm].map((key) => ({ key, path: key })),
        },
      },
      // druid.sh copies the configuration here before it edits it.
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
    ];
    const mounts: k8s.VolumeMount[] = [
      { name: 'common-config', mountPath: `${DRUID_PATHS.conf}/_common`, readOnly: true },
      { name: 'node-config', mountPath: `${DRUID_PATHS.conf}/${t.confDir}`, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: stateful ? 'data' : 'var', mountPath: DRUID_PATHS.var },
    ];
    if (!stateful) {
      volumes.push({
        name: 'var',
        emptyDir: { sizeLimit: k8s.Quantity.fromString(t === DruidNodeType.BROKER ? '4Gi' : '1Gi') },
      });
    }
    if (usesDeep && o.deep.volumes.secret) {
      const s = o.deep.volumes.secret;
      volumes.push({
        name: 'deep-storage-credentials',
        secret: { secretName: s.secretName, defaultMode: 0o440, items: s.items.map((i) => ({ ...i })) },
      });
      mounts.push({ name: 'deep-storage-credentials', mountPath: s.mountPath, readOnly: true });
    }
    if (usesDeep && o.sharedClaim && o.deep.volumes.shared) {
      volumes.push({ name: 'deep-storage', persistentVolumeClaim: { claimName: o.sharedClaim } });
      mounts.push({ name: 'deep-storage', mountPath: o.deep.volumes.shared.mountPath });
    }

    const readinessPath =
      t === DruidNodeType.HISTORICAL
        ? '/druid/historical/v1/readiness' // 503 until the segment cache is loaded
        : t === DruidNodeType.BROKER
          ? '/druid/broker/v1/readiness' // 503 until the Broker has the cluster's segment view
          : '/status/health';
    const container = containerSpec({
      context: this.ctx,
      name: 'druid',
      image: o.image,
      args: [t.name],
      ports: [{ name: 'http', containerPort: t.port, protocol: 'TCP' }],
      env,
      resources: p.resources,
      // JVM start and extension loading: 5 minutes; a Historical may first map every segment of its
      // cache (its Jetty can come up only after that), so it gets 30 minutes before liveness applies.
      startupProbe: httpProbe('/status/health', 'http', {
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: t === DruidNodeType.HISTORICAL ? 180 : 30,
      }),
      // Not-ready pods drop out of Kubernetes discovery: tolerate 30 s of load before that (kubernetes.md).
      readinessProbe: httpProbe(readinessPath, 'http', {
        periodSeconds: 10,
        timeoutSeconds: 10,
        failureThreshold: 3,
      }),
      livenessProbe: httpProbe('/status/health', 'http', {
        periodSeconds: 20,
        timeoutSeconds: 10,
        failureThreshold: 6,
      }),
      volumeMounts: mounts,
      securityContext: {
        runAsUser: DRUID_UID,
        runAsGroup: DRUID_GID,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
      },
    });
    const podLabels = { ...p.labels.all, ...(usesDeep ? (o.deep.volumes.podLabels ?? {}) : {}) };
    const grace =
      t === DruidNodeType.MIDDLE_MANAGER || t === DruidNodeType.INDEXER
        ? 360 // tasks stop gracefully (druid.indexer.task.gracefulShutdownTimeout, 5 minutes) to be restored
        : 60; // 10 s unannounce propagation + 30 s for queries in flight
    const template = sandboxedPodTemplate({
      context: this.ctx,
      sandbox: o.sandbox,
      labels: podLabels,
      // The Kubernetes discovery extension patches annotations under an existing path: the hash keeps one.
      annotations: { [CONFIG_HASH_ANNOTATION]: o.configHash },
      containers: [container],
      volumes,
      serviceAccountName: o.serviceAccount,
      serviceAccountToken: k8sApi,
      ...o.spread.render(p.labels.selector, p.replicas),
      terminationGracePeriodSeconds: grace,
      securityContext: {
        runAsUser: DRUID_UID,
        runAsGroup: DRUID_GID,
        fsGroup: DRUID_GID,
        fsGroupChangePolicy: 'OnRootMismatch',
        runAsNonRoot: true,
      },
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
    });
    const annotations: Record<string, string> = {
      [DRUID_UPGRADE_ORDER_LABEL]: `step ${t.upgradeStep} of 6: Historical, MiddleManager/Indexer, Broker, Router, Overlord, Coordinator`,
      ...(p.warnings.length ? { [WARNING_ANNOTATION]: p.warnings.join('; ') } : {}),
    };

    // Service: ClusterIP for the query and master processes, headless for the StatefulSets.
    new k8s.KubeService(this, `${p.key}-service`, {
      metadata: { name: p.objectName, labels: o.objLabels },
      spec: {
        ...(stateful ? { clusterIp: 'None' } : { type: 'ClusterIP' }),
        selector: p.labels.selector,
        ports: [
          {
            name: 'http',
            port: t.port,
            targetPort: k8s.IntOrString.fromString('http'),
            protocol: 'TCP',
            appProtocol: 'http',
          },
        ],
      },
    });

    const metadata = { name: p.objectName, labels: o.objLabels, annotations };
    if (!stateful) {
      return new k8s.KubeDeployment(this, `${p.key}-deployment`, {
        metadata,
        spec: {
          replicas: p.replicas,
          selector: { matchLabels: p.labels.selector },
          revisionHistoryLimit: 5,
          progressDeadlineSeconds: 900,
          // One pod at a time, the next only after the new one is ready (Druid's rolling updates).
          minReadySeconds: 10,
          strategy: {
            type: 'RollingUpdate',
            rollingUpdate: {
              maxSurge: k8s.IntOrString.fromNumber(1),
              maxUnavailable: k8s.IntOrString.fromNumber(0),
            },
          },
          template,
        },
      });
    }
    return new k8s.KubeStatefulSet(this, `${p.key}-statefulset`, {
      metadata,
      spec: {
        serviceName: p.objectName,
        replicas: p.replicas,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        // Historicals: the next pod only after this one has loaded its cache and stayed ready (rolling-updates.md).
        minReadySeconds: 30,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: p.labels.selector },
        template,
        volumeClaimTemplates: [
          volumeClaimTemplate({
            name: 'data',
            size: p.storage!.quantity,
            storageClassName: p.storage?.storageClassName,
            labels: p.labels.selector,
          }),
        ],
      },
    });
  }
}

/** Whether an image reference names the official `apache/druid` repository on Docker Hub. */
function isOfficialImage(image: string): boolean {
  const ref = parseImage(image);
  if (!ref) return false;
  const full = [ref.registry, ref.repository].filter((x) => x !== undefined).join('/');
  return ['apache/druid', 'docker.io/apache/druid', 'index.docker.io/apache/druid'].includes(full);
}

function storageClass(ctx: string, prop: string, v: string | undefined): { storageClassName?: string } {
  if (v === undefined) return {};
  if (typeof v !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) || v.length > 253) {
    throw propError(ctx, prop, v, 'a StorageClass name (DNS-1123 subdomain)');
  }
  return { storageClassName: v };
}

function sortedRecord(rec: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k];
  return out;
}
