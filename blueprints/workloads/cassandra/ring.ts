/** `KataCassandraRing`: a rack-aware Apache Cassandra (or ScyllaDB) ring in Kata VMs. */
import { volumeClaimTemplate } from '../../../lib/k8s/storage';
import { Chart, Duration, Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CONFIG_HASH_ANNOTATION, configFiles, configHash } from '../../../lib/k8s/config';
import { containerSpec, preStopExec, tcpProbe } from '../../../lib/k8s/container';
import { constructContext, propError } from '../../../lib/k8s/errors';
import { componentLabels, defaultName, imageVersion, validateDnsName } from '../../../lib/k8s/labels';
import {
  Connections,
  INetworkEndpoint,
  NetworkPeer,
  NetworkPort,
  PodNetworkPolicy,
} from '../../../lib/k8s/network';
import { podDisruptionBudget } from '../../../lib/k8s/pdb';
import { sandboxedPodTemplate } from '../../../lib/k8s/pod';
import { HOSTNAME_LABEL, ZONE_LABEL, zoneNodeAffinity } from '../../../lib/k8s/scheduling';
import {
  ResolvedResources,
  cpuMillis,
  durationSeconds,
  sizeToMiB,
  sizeToQuantity,
} from '../../../lib/k8s/units';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import {
  CASSANDRA_POD_IP_TOKEN,
  CASSANDRA_SEEDS_TOKEN,
  renderCassandraYaml,
  renderRackDcProperties,
  renderScyllaIoProperties,
  renderScyllaYaml,
} from './config';
import { CassandraEngine } from './engine';
import {
  CASSANDRA_BOOTSTRAP_SCRIPT,
  CASSANDRA_PREPARE_CONFIG_SCRIPT,
  CASSANDRA_RUN_SCRIPT,
  SCYLLA_BOOTSTRAP_SCRIPT,
  SCYLLA_IOTUNE_SCRIPT,
} from './scripts';
import {
  CassandraHeap,
  ScyllaResources,
  cassandraDefaultHeap,
  cassandraNewGen,
  scyllaResources,
  validateCassandraHeap,
  validateScyllaResources,
} from './sizing';

/** Internode (gossip, streaming) port. */
export const CASSANDRA_STORAGE_PORT = 7000;
/** Legacy TLS internode port (`ssl_storage_port`; 4.0+ serves TLS and plain text on 7000). */
export const CASSANDRA_SSL_STORAGE_PORT = 7001;
/** JMX port (Apache Cassandra; bound to localhost by cassandra-env.sh's `LOCAL_JMX=yes`, used by nodetool). */
export const CASSANDRA_JMX_PORT = 7199;
/** CQL native transport port. */
export const CASSANDRA_CQL_PORT = 9042;
/** ScyllaDB shard-aware CQL port (shard-aware drivers open one connection per shard on it). */
export const SCYLLA_SHARD_AWARE_CQL_PORT = 19042;
/** ScyllaDB Prometheus metrics port. */
export const SCYLLA_PROMETHEUS_PORT = 9180;
/** Pod label with the node's rack. */
export const CASSANDRA_RACK_LABEL = 'cassandra.kata-blueprints.io/rack';
/** Pod label the StatefulSet controller sets to the pod's ordinal (Kubernetes 1.28+, `PodIndexLabel`). */
export const CASSANDRA_POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

const WARNING_ANNOTATION = 'kata-blueprints.io/warning';
/** Service annotation the checks read: selector keys that pods get at run time (here from the StatefulSet controller). */
const RUNTIME_SELECTOR_LABELS_ANNOTATION = 'kata-blueprints.io/runtime-selector-labels';
const CONFIG_DIR = '/opt/kata-blueprints/config';
const CONF_OUT_DIR = '/run/kata-blueprints/conf';
const SUPERUSER_DIR = '/etc/kata-blueprints/superuser';
const SCYLLA_RUN_DIR = '/run/scylla';
/** StatefulSet names stay within 52 characters so that `controller-revision-hash` label values fit 63. */
const MAX_STATEFULSET_NAME = 52;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** One rack of the ring: a StatefulSet, optionally pinned to one zone. */
export interface CassandraRack {
  /** Rack name (written to `cassandra-rackdc.properties`, part of the StatefulSet name): a DNS label. */
  readonly name: string;
  /**
   * Zone the rack's nodes are pinned to (required node affinity on `topology.kubernetes.io/zone`).
   * Give every rack a zone, or none.
   * @default - not pinned (the rack is a logical grouping only)
   */
  readonly zone?: string;
}

/** A separate volume for the commit log. */
export interface CassandraCommitLogStorage {
  /** Size of the commit-log claim of each node. */
  readonly size: Size;
  /**
   * StorageClass of the commit-log claims.
   * @default - the data volumes' StorageClass
   */
  readonly storageClassName?: string;
}

/** The Secret with the superuser's credentials (type `kubernetes.io/basic-auth` fits). */
export interface CassandraSuperuserSecret {
  /** Secret name, in the ring's namespace. */
  readonly name: string;
  /**
   * Key holding the role name.
   * @default "username"
   */
  readonly usernameKey?: string;
  /**
   * Key holding the password.
   * @default "password"
   */
  readonly passwordKey?: string;
}

/** How the per-rack StatefulSets replace pods when the spec changes. */
export class RingUpdateStrategy {
  /**
   * `RollingUpdate`: each StatefulSet replaces one pod at a time, waiting for it to be ready. Every
   * rack's StatefulSet rolls on its own, so with several racks one node of every rack restarts at the
   * same time: with rack-aware replication that can be every replica of a token range.
   */
  public static readonly ROLLING = new RingUpdateStrategy('RollingUpdate');
  /**
   * `OnDelete`: the new spec applies when a pod is deleted, so an operator (or a script) restarts one
   * node at a time across racks (see the Cassandra section of README.md).
   */
  public static readonly ON_DELETE = new RingUpdateStrategy('OnDelete');
  private constructor(
    /** The StatefulSet `updateStrategy.type`. */
    public readonly type: 'RollingUpdate' | 'OnDelete',
  ) {}
}

/** Props of {@link KataCassandraRing}. */
export interface KataCassandraRingProps {
  /**
   * Base name of every object (Services, StatefulSets `<name>-<rack>`, ConfigMaps...).
   * @default - the construct id, lower-cased
   */
  readonly name?: string;
  /**
   * `cluster_name`: nodes of different clusters refuse to talk to each other. It cannot change once
   * the ring holds data.
   * @default - the name
   */
  readonly clusterName?: string;
  /**
   * Datacenter name (`cassandra-rackdc.properties` `dc`, the key of `NetworkTopologyStrategy` replication).
   * @default "dc1"
   */
  readonly datacenter?: string;
  /**
   * Racks: one StatefulSet each. Three racks in three zones let keyspaces with replication factor 3
   * keep one replica per zone.
   * @default [{ name: 'rack1' }]
   */
  readonly racks?: readonly CassandraRack[];
  /**
   * Nodes in every rack (the StatefulSet replicas).
   * @default 3 with one rack, else 1
   */
  readonly nodesPerRack?: number;
  /**
   * The database.
   * @default CassandraEngine.CASSANDRA
   */
  readonly engine?: CassandraEngine;
  /**
   * How the pods are isolated.
   * @default Sandbox.kata() (KataRuntime.QEMU)
   */
  readonly sandbox?: Sandbox;
  /**
   * Memory of each node (request and limit: a database pod is Guaranteed; Kata sizes the VM from it).
   * @default Size.gibibytes(8)
   */
  readonly memory?: Size;
  /**
   * CPU of each node (request and limit).
   * @default Cpu.units(2)
   */
  readonly cpu?: Cpu;
  /**
   * JVM heap (Apache Cassandra only). At most half the memory limit and at least 1Gi below it.
   * @default - cassandra-env.sh's rule on the memory limit: max(min(1/2 ram, 1Gi), min(1/4 ram, 8Gi))
   */
  readonly heapSize?: Size;
  /**
   * Size of each node's data claim.
   * @default Size.gibibytes(100)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the data claims (e.g. `CassandraStorage.localNvme(...).storageClassName`).
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * A separate commit-log volume per node.
   * @default - the commit log lives on the data volume
   */
  readonly commitLogStorage?: CassandraCommitLogStorage;
  /**
   * `PasswordAuthenticator` and `CassandraAuthorizer`, with a superuser from {@link superuserSecret}.
   * @default true
   */
  readonly authentication?: boolean;
  /**
   * The superuser's credentials (required with authentication). The first node of the first rack
   * creates that role and retires the default `cassandra` login.
   * @default - none
   */
  readonly superuserSecret?: CassandraSuperuserSecret;
  /**
   * `num_tokens`.
   * @default 16 (Apache Cassandra 4.0+ default), 256 (ScyllaDB default)
   */
  readonly numTokens?: number;
  /**
   * `concurrent_reads` (Apache Cassandra).
   * @default 32 (16 per data drive, at least 32)
   */
  readonly concurrentReads?: number;
  /**
   * `concurrent_writes` (Apache Cassandra).
   * @default - 8 per core of the CPU limit, at least 32
   */
  readonly concurrentWrites?: number;
  /**
   * Clients allowed to reach CQL (also `ring.connections.allowFrom(endpoint)`).
   * @default - none
   */
  readonly allowedClients?: readonly NetworkPeer[];
  /**
   * How the StatefulSets replace pods.
   * @default - RingUpdateStrategy.ROLLING with one rack, RingUpdateStrategy.ON_DELETE with several
   */
  readonly updateStrategy?: RingUpdateStrategy;
  /**
   * Time a stopping node gets for `nodetool drain` (flush memtables, stop accepting writes) and
   * shutdown before it is killed.
   * @default Duration.minutes(3)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * How long a node may take to open its internode port after start (commit-log replay, resharding)
   * before the kubelet restarts it.
   * @default Duration.minutes(30)
   */
  readonly startupTimeout?: Duration;
  /**
   * Allow two nodes of the ring on one Kubernetes node (development clusters only).
   * @default false
   */
  readonly allowMultipleNodesPerHost?: boolean;
  /**
   * Priority class of the pods.
   * @default - none
   */
  readonly priorityClassName?: string;
  /**
   * Cluster DNS domain, for the seed Service's name.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
}

/** A rack as the ring built it. */
export interface ResolvedCassandraRack {
  /** Rack name. */
  readonly name: string;
  /** Zone, if pinned. */
  readonly zone?: string;
  /** Its StatefulSet's name (`<name>-<rack>`); pods are `<statefulSetName>-<ordinal>`. */
  readonly statefulSetName: string;
}

/**
 * A rack-aware Apache Cassandra or ScyllaDB ring in Kata VMs.
 *
 * One StatefulSet per rack (pinned to its zone), `GossipingPropertyFileSnitch` with the rack and
 * datacenter of each node, seeds from the first pod of every rack through a headless seed Service that
 * publishes not-ready addresses, heap (or Seastar memory) sized from the memory limit, readiness on the
 * CQL port (opened only once the node has joined the ring), a TCP liveness probe that survives long
 * compactions, `nodetool drain` before stop, a PodDisruptionBudget of one node, authentication with a
 * superuser from a Secret, and a default-deny NetworkPolicy that lets ring members gossip and allowed
 * clients reach CQL.
 */
export class KataCassandraRing extends Construct implements INetworkEndpoint {
  /** Base name of the objects. */
  public readonly name: string;
  /** `cluster_name`. */
  public readonly clusterName: string;
  /** Datacenter name. */
  public readonly datacenter: string;
  /** The database. */
  public readonly engine: CassandraEngine;
  /** The racks. */
  public readonly racks: readonly ResolvedCassandraRack[];
  /** Nodes per rack. */
  public readonly nodesPerRack: number;
  /** The client (CQL) Service. */
  public readonly serviceName: string;
  /** The headless Service that names every node (`<pod>.<nodesServiceName>`), not-ready pods included. */
  public readonly nodesServiceName: string;
  /** The headless seed Service: the first pod of every rack, not-ready pods included. */
  public readonly seedServiceName: string;
  /** What the nodes resolve to find the seeds, e.g. `ring-seeds.cassandra.svc.cluster.local`. */
  public readonly seedAddress: string;
  /** Contact point for drivers, e.g. `ring.cassandra.svc.cluster.local:9042`. */
  public readonly contactPoint: string;
  /** Heap of each node (Apache Cassandra). */
  public readonly heap: CassandraHeap | undefined;
  /** `--smp` / `--memory` of each node (ScyllaDB). */
  public readonly scylla: ScyllaResources | undefined;
  /** The rendered `cassandra.yaml` or `scylla.yaml` (with the pod-IP and seed tokens). */
  public readonly config: string;
  /** The StatefulSets, by rack name. */
  public readonly statefulSets: Readonly<Record<string, k8s.KubeStatefulSet>>;
  /** Network connections: clients reach CQL (9042, and 19042 on ScyllaDB). */
  public readonly connections: Connections;
  /** Selector labels of every node of the ring. */
  public readonly selector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: KataCassandraRingProps = {}) {
    super(scope, id);
    const ctx = constructContext('KataCassandraRing', id);
    const p = props ?? {};

    // ---- props ---------------------------------------------------------------------------------
    const engine = p.engine ?? CassandraEngine.CASSANDRA;
    if (!(engine instanceof CassandraEngine)) {
      throw propError(
        ctx,
        'engine',
        engine,
        'CassandraEngine.CASSANDRA, CassandraEngine.SCYLLA or CassandraEngine.cassandra/scylla({...})',
      );
    }
    const scylla = engine.isScylla;
    const name = validateDnsName(ctx, 'name', p.name ?? defaultName(id), 46);
    const clusterName = p.clusterName ?? name;
    if (typeof clusterName !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,127}$/.test(clusterName)) {
      throw propError(
        ctx,
        'clusterName',
        clusterName,
        'letters, digits, " ", "_", "." and "-", starting with a letter or digit, at most 128 characters',
      );
    }
    const datacenter = p.datacenter ?? 'dc1';
    if (typeof datacenter !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/.test(datacenter)) {
      throw propError(
        ctx,
        'datacenter',
        datacenter,
        'letters, digits, "_", "." and "-", starting with a letter or digit, at most 48 characters',
      );
    }
    const racks = resolveRacks(ctx, name, p.racks ?? [{ name: 'rack1' }]);
    const nodesPerRack = p.nodesPerRack ?? (racks.length === 1 ? 3 : 1);
    if (typeof nodesPerRack !== 'number' || !Number.isInteger(nodesPerRack) || nodesPerRack < 1) {
      throw propError(ctx, 'nodesPerRack', nodesPerRack, 'a whole number >= 1');
    }
    const totalNodes = nodesPerRack * racks.length;
    const sandbox = p.sandbox ?? Sandbox.kata();
    if (!(sandbox instanceof Sandbox)) {
      throw propError(
        ctx,
        'sandbox',
        sandbox,
        'Sandbox.kata(...), Sandbox.legacyUntrusted(...) or Sandbox.trusted()',
      );
    }
    const memoryMiB = sizeToMiB(ctx, 'memory', p.memory ?? Size.gibibytes(8));
    const cpuLimitMillis = cpuMillis(ctx, 'cpu', p.cpu ?? Cpu.units(2));
    const cores = Math.max(1, Math.ceil(cpuLimitMillis / 1000));
    const resources: ResolvedResources = {
      cpuRequestMillis: cpuLimitMillis,
      cpuLimitMillis,
      memoryRequestMiB: memoryMiB,
      memoryLimitMiB: memoryMiB,
    };

    let heap: CassandraHeap | undefined;
    let scyllaRes: ScyllaResources | undefined;
    if (scylla) {
      if (p.heapSize !== undefined) {
        throw propError(
          ctx,
          'heapSize',
          p.heapSize.asString(),
          'no heapSize with CassandraEngine.SCYLLA (ScyllaDB is not a JVM; its memory is derived from memory)',
        );
      }
      for (const prop of ['concurrentReads', 'concurrentWrites'] as const) {
        if (p[prop] !== undefined) {
          throw propError(
            ctx,
            prop,
            p[prop],
            `no ${prop} with CassandraEngine.SCYLLA (Seastar schedules per shard)`,
          );
        }
      }
      scyllaRes = scyllaResources(memoryMiB, cpuLimitMillis);
      const bad = validateScyllaResources(scyllaRes, memoryMiB);
      if (bad) throw propError(ctx, 'memory', `${memoryMiB}Mi`, bad);
    } else {
      if (p.heapSize !== undefined) {
        const heapMiB = sizeToMiB(ctx, 'heapSize', p.heapSize);
        const bad = validateCassandraHeap(memoryMiB, heapMiB);
        if (bad) throw propError(ctx, 'heapSize', `${heapMiB}Mi`, bad);
        heap = { heapMiB, newGenMiB: cassandraNewGen(heapMiB, cores) };
      } else {
        heap = cassandraDefaultHeap(memoryMiB, cores);
        const bad = validateCassandraHeap(memoryMiB, heap.heapMiB);
        if (bad) {
          throw propError(
            ctx,
            'memory',
            `${memoryMiB}Mi`,
            `a limit that leaves room beside the default heap of ${heap.heapMiB}Mi: ${bad}`,
          );
        }
      }
    }

    const storageSize = sizeToQuantity(ctx, 'storageSize', p.storageSize ?? Size.gibibytes(100));
    if (p.storageClassName !== undefined) {
      checkSubdomain(ctx, 'storageClassName', p.storageClassName, 'a StorageClass name');
    }
    const commitLog = p.commitLogStorage;
    let commitLogSize: string | undefined;
    if (commitLog !== undefined) {
      commitLogSize = sizeToQuantity(ctx, 'commitLogStorage.size', commitLog.size);
      if (commitLog.storageClassName !== undefined) {
        checkSubdomain(
          ctx,
          'commitLogStorage.storageClassName',
          commitLog.storageClassName,
          'a StorageClass name',
        );
      }
    }
    const authentication = p.authentication ?? true;
    const secret = p.superuserSecret;
    if (authentication) {
      if (secret === undefined) {
        throw propError(
          ctx,
          'superuserSecret',
          undefined,
          "the Secret with the superuser's credentials, e.g. { name: 'cassandra-superuser' } with keys username and password " +
            '(required while authentication is on)',
        );
      }
      checkSubdomain(ctx, 'superuserSecret.name', secret.name, 'a Secret name');
      for (const key of ['usernameKey', 'passwordKey'] as const) {
        const v = secret[key];
        if (v !== undefined && (typeof v !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(v))) {
          throw propError(
            ctx,
            `superuserSecret.${key}`,
            v,
            'a Secret key (letters, digits, "-", "_" and ".")',
          );
        }
      }
    } else if (secret !== undefined) {
      throw propError(ctx, 'superuserSecret', secret.name, 'no superuserSecret with authentication: false');
    }
    const numTokens = p.numTokens ?? (scylla ? 256 : 16);
    if (typeof numTokens !== 'number' || !Number.isInteger(numTokens) || numTokens < 1 || numTokens > 1536) {
      throw propError(ctx, 'numTokens', numTokens, 'a whole number from 1 to 1536');
    }
    const concurrentReads = p.concurrentReads ?? 32;
    const concurrentWrites = p.concurrentWrites ?? Math.max(32, 8 * cores);
    for (const [prop, v] of [
      ['concurrentReads', concurrentReads],
      ['concurrentWrites', concurrentWrites],
    ] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        throw propError(ctx, prop, v, 'a whole number >= 1');
      }
    }
    const allowedClients = p.allowedClients ?? [];
    allowedClients.forEach((peer, i) => {
      if (!(peer instanceof NetworkPeer)) {
        throw propError(
          ctx,
          `allowedClients[${i}]`,
          peer,
          'a NetworkPeer (e.g. NetworkPeer.namespace("apps"))',
        );
      }
    });
    const updateStrategy =
      p.updateStrategy ?? (racks.length === 1 ? RingUpdateStrategy.ROLLING : RingUpdateStrategy.ON_DELETE);
    if (!(updateStrategy instanceof RingUpdateStrategy)) {
      throw propError(
        ctx,
        'updateStrategy',
        updateStrategy,
        'RingUpdateStrategy.ROLLING or RingUpdateStrategy.ON_DELETE',
      );
    }
    const grace = durationSeconds(
      ctx,
      'terminationGracePeriod',
      p.terminationGracePeriod ?? Duration.minutes(3),
      60,
    );
    const startupSeconds = durationSeconds(
      ctx,
      'startupTimeout',
      p.startupTimeout ?? Duration.minutes(30),
      60,
    );
    if (p.priorityClassName !== undefined) {
      checkSubdomain(ctx, 'priorityClassName', p.priorityClassName, 'a PriorityClass name');
    }
    const clusterDomain = p.clusterDomain ?? 'cluster.local';
    if (typeof clusterDomain !== 'string' || !DNS_SUBDOMAIN.test(clusterDomain)) {
      throw propError(ctx, 'clusterDomain', clusterDomain, 'a DNS domain such as "cluster.local"');
    }

    // ---- names and labels ----------------------------------------------------------------------
    const namespace = Chart.of(this).namespace;
    const svcDomain = namespace ? `.${namespace}.svc.${clusterDomain}` : '';
    this.name = name;
    this.clusterName = clusterName;
    this.datacenter = datacenter;
    this.engine = engine;
    this.racks = racks;
    this.nodesPerRack = nodesPerRack;
    this.serviceName = name;
    this.nodesServiceName = `${name}-nodes`;
    this.seedServiceName = `${name}-seeds`;
    this.seedAddress = `${this.seedServiceName}${svcDomain}`;
    this.contactPoint = `${name}${svcDomain}:${CASSANDRA_CQL_PORT}`;
    this.heap = heap;
    this.scylla = scyllaRes;
    const labels = componentLabels(engine.kind.name, name, 'node', imageVersion(engine.image));
    this.selector = labels.selector;
    const objectLabels = labels.all;
    const systemRf = Math.min(3, totalNodes);

    // ---- paths ---------------------------------------------------------------------------------
    const dataRoot = scylla ? '/var/lib/scylla' : '/var/lib/cassandra';
    const commitLogRoot = scylla ? '/var/lib/scylla-commitlog' : '/var/lib/cassandra-commitlog';
    // ScyllaDB verifies it owns every entry of its directories (utils/directories.cc), so they live in
    // a directory it creates, never at a volume root (lost+found, fsGroup ownership).
    const scyllaWorkdir = `${dataRoot}/node`;
    const commitlogDirectory = commitLog
      ? `${commitLogRoot}/commitlog`
      : scylla
        ? `${scyllaWorkdir}/commitlog`
        : `${dataRoot}/commitlog`;
    const confDir = scylla ? '/etc/scylla' : '/etc/cassandra';
    const configFile = scylla ? 'scylla.yaml' : 'cassandra.yaml';
    const joinedMarker = scylla ? `${scyllaWorkdir}/data/system` : `${dataRoot}/data/system`;
    const maintenanceSocket = `${SCYLLA_RUN_DIR}/cql.m`;
    const ioPropertiesFile = engine.ioProperties
      ? `${confDir}/io_properties.yaml`
      : `${dataRoot}/io_properties.yaml`;

    // ---- configuration -------------------------------------------------------------------------
    this.config = scylla
      ? renderScyllaYaml({
          clusterName,
          numTokens,
          seeds: [CASSANDRA_SEEDS_TOKEN],
          listenAddress: CASSANDRA_POD_IP_TOKEN,
          rpcAddress: CASSANDRA_POD_IP_TOKEN,
          authentication,
          workdir: scyllaWorkdir,
          commitlogDirectory,
          ...(authentication ? { maintenanceSocket } : {}),
          storagePort: CASSANDRA_STORAGE_PORT,
          nativeTransportPort: CASSANDRA_CQL_PORT,
          shardAwarePort: SCYLLA_SHARD_AWARE_CQL_PORT,
          prometheusPort: SCYLLA_PROMETHEUS_PORT,
        })
      : renderCassandraYaml({
          clusterName,
          numTokens,
          allocateTokensForLocalReplicationFactor: systemRf,
          seeds: [CASSANDRA_SEEDS_TOKEN],
          listenAddress: CASSANDRA_POD_IP_TOKEN,
          rpcAddress: CASSANDRA_POD_IP_TOKEN,
          authentication,
          dataRoot,
          commitlogDirectory,
          concurrentReads,
          concurrentWrites,
          storagePort: CASSANDRA_STORAGE_PORT,
          nativeTransportPort: CASSANDRA_CQL_PORT,
        });
    const shared: Record<string, string> = {
      [configFile]: this.config,
      'prepare-config.sh': CASSANDRA_PREPARE_CONFIG_SCRIPT,
      'run.sh': CASSANDRA_RUN_SCRIPT,
    };
    if (authentication) {
      shared['bootstrap-superuser.sh'] = scylla ? SCYLLA_BOOTSTRAP_SCRIPT : CASSANDRA_BOOTSTRAP_SCRIPT;
    }
    if (scylla && engine.ioProperties) {
      shared['io_properties.yaml'] = renderScyllaIoProperties(dataRoot, engine.ioProperties);
    }
    if (scylla && !engine.ioProperties) shared['iotune.sh'] = SCYLLA_IOTUNE_SCRIPT;
    const sharedFiles = configFiles(this, 'Config', `${name}-config`, shared, objectLabels);

    // ---- network -------------------------------------------------------------------------------
    const internodePorts: NetworkPort[] = [
      { port: CASSANDRA_STORAGE_PORT },
      { port: CASSANDRA_SSL_STORAGE_PORT },
    ];
    const clientPorts: NetworkPort[] = scylla
      ? [{ port: CASSANDRA_CQL_PORT }, { port: SCYLLA_SHARD_AWARE_CQL_PORT }]
      : [{ port: CASSANDRA_CQL_PORT }];
    const policy = new PodNetworkPolicy(this, 'NetworkPolicy', {
      context: ctx,
      name,
      selector: this.selector,
      labels: objectLabels,
    });
    const ringPeer = NetworkPeer.pods(this.selector, namespace);
    policy.allowIngress(ringPeer, internodePorts);
    policy.allowEgress(ringPeer, internodePorts);
    for (const peer of allowedClients) policy.allowIngress(peer, clientPorts);
    this.connections = new Connections(ringPeer, policy, clientPorts);

    // ---- services ------------------------------------------------------------------------------
    const cqlServicePorts: k8s.ServicePort[] = [
      {
        name: 'cql',
        port: CASSANDRA_CQL_PORT,
        targetPort: k8s.IntOrString.fromString('cql'),
        protocol: 'TCP',
      },
      ...(scylla
        ? [
            {
              name: 'cql-shard-aware',
              port: SCYLLA_SHARD_AWARE_CQL_PORT,
              targetPort: k8s.IntOrString.fromString('cql-shard-aware'),
              protocol: 'TCP',
            },
          ]
        : []),
    ];
    new k8s.KubeService(this, 'Service', {
      metadata: { name: this.serviceName, labels: objectLabels },
      spec: { type: 'ClusterIP', selector: { ...this.selector }, ports: cqlServicePorts },
    });
    new k8s.KubeService(this, 'NodesService', {
      metadata: { name: this.nodesServiceName, labels: objectLabels },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: { ...this.selector },
        ports: [
          {
            name: 'intra',
            port: CASSANDRA_STORAGE_PORT,
            targetPort: k8s.IntOrString.fromString('intra'),
            protocol: 'TCP',
          },
          {
            name: 'tls',
            port: CASSANDRA_SSL_STORAGE_PORT,
            targetPort: k8s.IntOrString.fromString('tls'),
            protocol: 'TCP',
          },
          ...cqlServicePorts,
        ],
      },
    });
    // The seeds: the first pod of every rack. Not-ready pods are published, so a starting seed finds
    // itself and its peers before any of them serves CQL.
    new k8s.KubeService(this, 'SeedService', {
      metadata: {
        name: this.seedServiceName,
        labels: objectLabels,
        // The StatefulSet controller sets the pod-index label on each pod; the manifests cannot show it.
        annotations: { [RUNTIME_SELECTOR_LABELS_ANNOTATION]: CASSANDRA_POD_INDEX_LABEL },
      },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: { ...this.selector, [CASSANDRA_POD_INDEX_LABEL]: '0' },
        ports: [
          {
            name: 'intra',
            port: CASSANDRA_STORAGE_PORT,
            targetPort: k8s.IntOrString.fromString('intra'),
            protocol: 'TCP',
          },
        ],
      },
    });

    podDisruptionBudget(this, 'PodDisruptionBudget', {
      context: ctx,
      name,
      selector: this.selector,
      labels: objectLabels,
      maxUnavailable: 1,
    });

    // ---- warnings ------------------------------------------------------------------------------
    const warnings: string[] = [];
    if (!authentication) {
      warnings.push(
        'authentication is off: any client that reaches port 9042 can read and change every keyspace',
      );
    }
    if (totalNodes < 3) {
      warnings.push(
        `${totalNodes} node(s): keyspaces cannot use replication factor 3, and losing one node loses QUORUM`,
      );
    }
    if (memoryMiB < 8192) warnings.push(`memory ${memoryMiB}Mi per node is below the 8Gi production minimum`);

    // ---- pods ----------------------------------------------------------------------------------
    const statefulSets: Record<string, k8s.KubeStatefulSet> = {};
    racks.forEach((rack, rackIndex) => {
      const rackFiles = { 'cassandra-rackdc.properties': renderRackDcProperties(datacenter, rack.name) };
      const rackConfig = configFiles(
        this,
        `RackConfig-${rack.name}`,
        `${rack.statefulSetName}-rack`,
        rackFiles,
        objectLabels,
      );
      const bootstrap = authentication && rackIndex === 0;
      const podLabels = { ...objectLabels, [CASSANDRA_RACK_LABEL]: rack.name };
      const stsSelector = { ...this.selector, [CASSANDRA_RACK_LABEL]: rack.name };

      const volumes: k8s.Volume[] = [
        {
          name: 'config',
          projected: {
            sources: [{ configMap: { name: sharedFiles.name } }, { configMap: { name: rackConfig.name } }],
          },
        },
        { name: 'conf', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
        ...(scylla
          ? [{ name: 'run', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } }]
          : []),
        ...(bootstrap
          ? [
              {
                name: 'superuser',
                secret: {
                  secretName: secret!.name,
                  defaultMode: 0o440,
                  items: [
                    { key: secret!.usernameKey ?? 'username', path: 'username' },
                    { key: secret!.passwordKey ?? 'password', path: 'password' },
                  ],
                },
              },
            ]
          : []),
      ];
      const dataMounts: k8s.VolumeMount[] = [
        { name: 'data', mountPath: dataRoot },
        ...(commitLog ? [{ name: 'commitlog', mountPath: commitLogRoot }] : []),
      ];
      const podEnv: k8s.EnvVar[] = [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP', apiVersion: 'v1' } } },
      ];

      const prepare = containerSpec({
        context: ctx,
        name: 'config',
        image: engine.image,
        command: ['sh', `${CONFIG_DIR}/prepare-config.sh`],
        env: [
          ...podEnv,
          { name: 'CONF_SRC', value: confDir },
          { name: 'CONF_DST', value: CONF_OUT_DIR },
          { name: 'TEMPLATES', value: CONFIG_DIR },
          { name: 'SEED_SERVICE', value: this.seedAddress },
          { name: 'SEED_COUNT', value: String(racks.length) },
          { name: 'JOINED_MARKER', value: joinedMarker },
          ...(scylla
            ? [
                {
                  name: 'MAKE_DIRS',
                  value: [scyllaWorkdir, ...(commitLog ? [commitlogDirectory] : [])].join(' '),
                },
              ]
            : []),
        ],
        resources: { cpuRequestMillis: 100, cpuLimitMillis: 500, memoryRequestMiB: 128, memoryLimitMiB: 128 },
        volumeMounts: [
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
          { name: 'conf', mountPath: CONF_OUT_DIR },
          ...dataMounts,
        ],
        securityContext: { runAsUser: engine.uid, runAsGroup: engine.uid },
      });
      const initContainers = [prepare];
      if (scylla && !engine.ioProperties) {
        initContainers.push(
          containerSpec({
            context: ctx,
            name: 'iotune',
            image: engine.image,
            command: ['sh', `${CONFIG_DIR}/iotune.sh`],
            env: [
              { name: 'IO_PROPERTIES', value: ioPropertiesFile },
              { name: 'EVALUATION_DIR', value: `${scyllaWorkdir}/data` },
              { name: 'SMP', value: String(scyllaRes!.smp) },
              { name: 'MEMORY', value: `${scyllaRes!.memoryMiB}M` },
              { name: 'HOME', value: '/tmp' },
            ],
            resources,
            volumeMounts: [
              { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
              ...dataMounts,
            ],
            securityContext: { runAsUser: engine.uid, runAsGroup: engine.uid },
          }),
        );
      }

      const engineCommand = scylla
        ? [
            '/usr/bin/scylla',
            '--options-file',
            `${confDir}/scylla.yaml`,
            '--smp',
            String(scyllaRes!.smp),
            '--memory',
            `${scyllaRes!.memoryMiB}M`,
            '--reserve-memory',
            `${scyllaRes!.reserveMiB}M`,
            ...((engine.overprovisioned ?? cpuLimitMillis % 1000 !== 0) ? ['--overprovisioned'] : []),
            // `=`: a bool option given as `--developer-mode 0` could read the 0 as a positional argument.
            '--developer-mode=0',
            '--io-properties-file',
            ioPropertiesFile,
            '--log-to-syslog',
            '0',
            '--log-to-stdout',
            '1',
            '--default-log-level',
            'info',
            '--network-stack',
            'posix',
          ]
        : ['cassandra', '-f'];
      const env: k8s.EnvVar[] = [
        ...podEnv,
        { name: 'HOME', value: '/tmp' },
        ...(scylla
          ? []
          : [
              { name: 'MAX_HEAP_SIZE', value: `${heap!.heapMiB}M` },
              { name: 'HEAP_NEWSIZE', value: `${heap!.newGenMiB}M` },
              { name: 'CASSANDRA_LOG_DIR', value: `${dataRoot}/logs` },
            ]),
        ...(bootstrap
          ? [
              { name: 'BOOTSTRAP_SCRIPT', value: `${CONFIG_DIR}/bootstrap-superuser.sh` },
              { name: 'SUPERUSER_DIR', value: SUPERUSER_DIR },
              ...(scylla
                ? [{ name: 'MAINTENANCE_SOCKET', value: maintenanceSocket }]
                : [
                    { name: 'CQL_HOST', value: '$(POD_IP)' },
                    { name: 'CQL_PORT', value: String(CASSANDRA_CQL_PORT) },
                    { name: 'DATACENTER', value: datacenter },
                    { name: 'SYSTEM_RF', value: String(systemRf) },
                    { name: 'MARKER', value: `${dataRoot}/.kata-blueprints-superuser` },
                  ]),
            ]
          : []),
      ];
      const ports: k8s.ContainerPort[] = [
        { name: 'intra', containerPort: CASSANDRA_STORAGE_PORT, protocol: 'TCP' },
        { name: 'tls', containerPort: CASSANDRA_SSL_STORAGE_PORT, protocol: 'TCP' },
        ...(scylla ? [] : [{ name: 'jmx', containerPort: CASSANDRA_JMX_PORT, protocol: 'TCP' }]),
        { name: 'cql', containerPort: CASSANDRA_CQL_PORT, protocol: 'TCP' },
        ...(scylla
          ? [
              { name: 'cql-shard-aware', containerPort: SCYLLA_SHARD_AWARE_CQL_PORT, protocol: 'TCP' },
              { name: 'metrics', containerPort: SCYLLA_PROMETHEUS_PORT, protocol: 'TCP' },
            ]
          : []),
      ];
      const main = containerSpec({
        context: ctx,
        name: engine.kind.name,
        image: engine.image,
        command: ['sh', `${CONFIG_DIR}/run.sh`, ...engineCommand],
        ports,
        env,
        resources,
        // The internode port opens once the commit log is replayed; allow that (and resharding) to take long.
        startupProbe: tcpProbe('intra', {
          periodSeconds: 10,
          timeoutSeconds: 5,
          failureThreshold: Math.ceil(startupSeconds / 10),
        }),
        // Ready = serving CQL, which the node starts only after it has joined the ring and stops on drain.
        readinessProbe: tcpProbe('cql', { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
        // Alive = the internode listener accepts connections: true through compactions, repairs and
        // streaming, which a CQL or nodetool probe could time out on.
        livenessProbe: tcpProbe('intra', { periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 8 }),
        lifecycle: preStopExec(['nodetool', 'drain']),
        volumeMounts: [
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
          { name: 'conf', mountPath: confDir },
          { name: 'tmp', mountPath: '/tmp' },
          ...dataMounts,
          ...(scylla ? [{ name: 'run', mountPath: SCYLLA_RUN_DIR }] : []),
          ...(bootstrap ? [{ name: 'superuser', mountPath: SUPERUSER_DIR, readOnly: true }] : []),
        ],
        securityContext: { runAsUser: engine.uid, runAsGroup: engine.uid },
      });

      const antiAffinityTerm = {
        labelSelector: { matchLabels: { ...this.selector } },
        topologyKey: HOSTNAME_LABEL,
      };
      const affinity: k8s.Affinity = {
        ...(rack.zone ? zoneNodeAffinity(rack.zone) : {}),
        podAntiAffinity: p.allowMultipleNodesPerHost
          ? {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: antiAffinityTerm },
              ],
            }
          : { requiredDuringSchedulingIgnoredDuringExecution: [antiAffinityTerm] },
      };
      const template = sandboxedPodTemplate({
        context: ctx,
        sandbox,
        labels: podLabels,
        annotations: { [CONFIG_HASH_ANNOTATION]: configHash(shared, rackFiles) },
        containers: [main],
        initContainers,
        volumes,
        affinity,
        // Without zones, spread the ring over whatever zones there are.
        topologySpreadConstraints: rack.zone
          ? undefined
          : [
              {
                maxSkew: 1,
                topologyKey: ZONE_LABEL,
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { ...this.selector } },
              },
            ],
        terminationGracePeriodSeconds: grace,
        securityContext: {
          runAsUser: engine.uid,
          runAsGroup: engine.uid,
          fsGroup: engine.uid,
          fsGroupChangePolicy: 'OnRootMismatch',
        },
        priorityClassName: p.priorityClassName,
      });

      const claim = (claimName: string, size: string, storageClassName: string | undefined) =>
        volumeClaimTemplate({
          name: claimName,
          size,
          storageClassName,
          labels: { ...objectLabels, [CASSANDRA_RACK_LABEL]: rack.name },
        });
      statefulSets[rack.name] = new k8s.KubeStatefulSet(this, `StatefulSet-${rack.name}`, {
        metadata: {
          name: rack.statefulSetName,
          labels: { ...objectLabels, [CASSANDRA_RACK_LABEL]: rack.name },
          ...(warnings.length ? { annotations: { [WARNING_ANNOTATION]: warnings.join('; ') } } : {}),
        },
        spec: {
          serviceName: this.nodesServiceName,
          replicas: nodesPerRack,
          // One node joins at a time within a rack: Cassandra refuses concurrent bootstraps.
          podManagementPolicy: 'OrderedReady',
          // Give gossip time to mark a restarted node up everywhere before the next one goes down.
          minReadySeconds: 30,
          selector: { matchLabels: stsSelector },
          updateStrategy:
            updateStrategy.type === 'RollingUpdate'
              ? { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }
              : { type: 'OnDelete' },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          template,
          volumeClaimTemplates: [
            claim('data', storageSize, p.storageClassName),
            ...(commitLog
              ? [claim('commitlog', commitLogSize!, commitLog.storageClassName ?? p.storageClassName)]
              : []),
          ],
        },
      });
    });
    this.statefulSets = statefulSets;
  }
}

function resolveRacks(ctx: string, name: string, racks: readonly CassandraRack[]): ResolvedCassandraRack[] {
  if (!Array.isArray(racks) || racks.length === 0) {
    throw propError(ctx, 'racks', racks, 'at least one rack, e.g. [{ name: "rack1", zone: "us-east-1a" }]');
  }
  const names = new Set<string>();
  const zones = new Map<string, string>();
  const out = racks.map((rack, i) => {
    const rackName = rack?.name;
    if (typeof rackName !== 'string' || !DNS_LABEL.test(rackName)) {
      throw propError(ctx, `racks[${i}].name`, rackName, 'a DNS label: lower case letters, digits and "-"');
    }
    if (names.has(rackName)) throw propError(ctx, `racks[${i}].name`, rackName, 'a rack name used once');
    names.add(rackName);
    const statefulSetName = `${name}-${rackName}`;
    if (statefulSetName.length > MAX_STATEFULSET_NAME) {
      throw propError(
        ctx,
        `racks[${i}].name`,
        rackName,
        `a name short enough that "${name}-<rack>" has at most ${MAX_STATEFULSET_NAME} characters (StatefulSet names become label values with a hash suffix)`,
      );
    }
    const zone = rack.zone;
    if (zone !== undefined) {
      if (typeof zone !== 'string' || !/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(zone)) {
        throw propError(ctx, `racks[${i}].zone`, zone, `a ${ZONE_LABEL} label value such as "us-east-1a"`);
      }
      const other = zones.get(zone);
      if (other !== undefined) {
        throw propError(
          ctx,
          `racks[${i}].zone`,
          zone,
          `a zone not already given to rack "${other}" (one rack per zone, so that a zone outage takes one replica of each range)`,
        );
      }
      zones.set(zone, rackName);
    }
    return { name: rackName, ...(zone !== undefined ? { zone } : {}), statefulSetName };
  });
  if (zones.size > 0 && zones.size < out.length) {
    const missing = out.find((r) => r.zone === undefined)!;
    throw propError(
      ctx,
      `racks["${missing.name}"].zone`,
      undefined,
      "a zone for every rack once one rack has a zone (an unpinned rack could land in a pinned rack's zone and hold a second replica there)",
    );
  }
  return out;
}

function checkSubdomain(ctx: string, prop: string, value: unknown, what: string): void {
  if (typeof value !== 'string' || !DNS_SUBDOMAIN.test(value) || value.length > 253) {
    throw propError(
      ctx,
      prop,
      value,
      `${what} (DNS-1123 subdomain: lower case letters, digits, "-" and ".")`,
    );
  }
}
