/**
 * Druid's process types: ports, configuration directories of the official image, the Kubernetes
 * workload kind, and the place of each in Druid's rolling-update order.
 */
import { JvmProfile } from './memory';

/** Peons of a MiddleManager listen on ports from here (`druid.indexer.runner.startPort`). */
export const DRUID_PEON_START_PORT = 8100;
/** ... up to here (`druid.indexer.runner.endPort`): at most 100 task slots per MiddleManager. */
export const DRUID_PEON_END_PORT = 8199;

/**
 * One Druid process type. The order of {@link DruidNodeType.UPGRADE_ORDER} is Druid's documented
 * rolling-update order for updates without downtime (docs/operations/rolling-updates.md): Historical,
 * MiddleManager/Indexer, Broker, Router, Overlord, Coordinator (or the merged Coordinator+Overlord);
 * a rolling downgrade goes the other way round.
 */
export class DruidNodeType {
  /** Historical: serves segments from its segment cache. A StatefulSet (the cache outlives restarts). */
  public static readonly HISTORICAL = new DruidNodeType(
    'historical',
    'historical',
    8083,
    'data/historical',
    1,
    'StatefulSet',
    JvmProfile.HISTORICAL,
  );
  /** MiddleManager: forks one peon JVM per ingestion task. A StatefulSet (task directories survive restarts). */
  public static readonly MIDDLE_MANAGER = new DruidNodeType(
    'middleManager',
    'middle-manager',
    8091,
    'data/middleManager',
    2,
    'StatefulSet',
    JvmProfile.MIDDLE_MANAGER,
  );
  /** Indexer: runs ingestion tasks as threads of one JVM. A StatefulSet. */
  public static readonly INDEXER = new DruidNodeType(
    'indexer',
    'indexer',
    8091,
    'data/indexer',
    2,
    'StatefulSet',
    JvmProfile.INDEXER,
  );
  /** Broker: plans queries and merges results. A Deployment. */
  public static readonly BROKER = new DruidNodeType(
    'broker',
    'broker',
    8082,
    'query/broker',
    3,
    'Deployment',
    JvmProfile.BROKER,
  );
  /** Router: the web console and a proxy to Brokers, Coordinators and Overlords. A Deployment. */
  public static readonly ROUTER = new DruidNodeType(
    'router',
    'router',
    8888,
    'query/router',
    4,
    'Deployment',
    JvmProfile.MASTER,
  );
  /** Overlord: accepts and assigns ingestion tasks, runs supervisors. A Deployment. */
  public static readonly OVERLORD = new DruidNodeType(
    'overlord',
    'overlord',
    8090,
    'master/coordinator-overlord',
    5,
    'Deployment',
    JvmProfile.MASTER,
  );
  /** Coordinator: balances segments over Historicals (and, as overlord, runs the Overlord too). A Deployment. */
  public static readonly COORDINATOR = new DruidNodeType(
    'coordinator',
    'coordinator',
    8081,
    'master/coordinator-overlord',
    6,
    'Deployment',
    JvmProfile.MASTER,
  );

  /** Druid's rolling-update order. */
  public static get UPGRADE_ORDER(): readonly DruidNodeType[] {
    return [
      DruidNodeType.HISTORICAL,
      DruidNodeType.MIDDLE_MANAGER,
      DruidNodeType.INDEXER,
      DruidNodeType.BROKER,
      DruidNodeType.ROUTER,
      DruidNodeType.OVERLORD,
      DruidNodeType.COORDINATOR,
    ];
  }

  private constructor(
    /** The name `druid.sh` takes and `druid.service` ends with (`druid/<name>`). */
    public readonly name: string,
    /** Kubernetes-style name used in object names and the component label. */
    public readonly component: string,
    /** `druid.plaintextPort`. */
    public readonly port: number,
    /** The image's configuration directory under `/opt/druid/conf/druid/cluster/` that `druid.sh` reads. */
    public readonly confDir: string,
    /** Step in the rolling-update order (1 = first). Step 0 holds the shared objects. */
    public readonly upgradeStep: number,
    /** Workload kind. */
    public readonly kind: 'Deployment' | 'StatefulSet',
    /** How its JVM is sized. */
    public readonly profile: JvmProfile,
  ) {}

  /** `druid.service`. */
  public get service(): string {
    return `druid/${this.name}`;
  }

  /** The name. */
  public toString(): string {
    return this.name;
  }
}

/** Which process runs ingestion tasks. */
export class DruidWorkerType {
  /**
   * MiddleManagers that fork a peon JVM per task (ports 8100-8199). Needs ZooKeeper discovery: with the
   * Kubernetes discovery extension a peon shares the MiddleManager's pod and removes the pod's discovery
   * labels when it exits, so the MiddleManager drops out of the cluster (apache/druid#13330, #15395).
   */
  public static readonly MIDDLE_MANAGER = new DruidWorkerType(DruidNodeType.MIDDLE_MANAGER);
  /** Indexers that run tasks as threads in one JVM (no peons). Works with both discovery modes. */
  public static readonly INDEXER = new DruidWorkerType(DruidNodeType.INDEXER);

  private constructor(
    /** The node type. */
    public readonly nodeType: DruidNodeType,
  ) {}

  /** The node type's name. */
  public toString(): string {
    return this.nodeType.name;
  }
}
