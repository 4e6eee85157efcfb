/**
 * How Druid processes find each other and elect leaders: through the Kubernetes API
 * (`druid-kubernetes-extensions`, docs/development/extensions-core/kubernetes.md) or an external
 * ZooKeeper ensemble. Segment and task management use HTTP in both cases.
 */
import { Duration } from 'cdk8s';
import { propError } from '../../../lib/k8s/errors';
import { NetworkPeer } from '../../../lib/k8s/network';
import { durationSeconds } from '../../../lib/k8s/units';
import {
  DruidEgressRule,
  HostPort,
  distinctPorts,
  parseHostPorts,
  requireString,
  validatePeer,
} from './refs';

/** The extension that implements discovery and leader election on the Kubernetes API. */
export const DRUID_KUBERNETES_EXTENSION = 'druid-kubernetes-extensions';
/** Environment variable with the pod name (`druid.discovery.k8s.podNameEnvKey`). */
export const DRUID_POD_NAME_ENV = 'POD_NAME';
/** Environment variable with the pod namespace (`druid.discovery.k8s.podNamespaceEnvKey`). */
export const DRUID_POD_NAMESPACE_ENV = 'POD_NAMESPACE';

/** Options of {@link DruidDiscovery.kubernetes}. */
export interface DruidKubernetesDiscoveryOptions {
  /**
   * `druid.discovery.k8s.clusterIdentifier`: tells apart Druid clusters in one namespace.
   * @default - the cluster name
   */
  readonly clusterIdentifier?: string;
  /**
   * CIDR of the Kubernetes API server, for the pods' egress.
   * @default "0.0.0.0/0"
   */
  readonly apiServerCidr?: string;
  /**
   * Leader lease (`druid.discovery.k8s.leaseDuration`).
   * @default Duration.seconds(60)
   */
  readonly leaseDuration?: Duration;
  /**
   * Lease renewal deadline of the leader (`druid.discovery.k8s.renewDeadline`).
   * @default Duration.seconds(17)
   */
  readonly renewDeadline?: Duration;
  /**
   * Retry period of candidates (`druid.discovery.k8s.retryPeriod`).
   * @default Duration.seconds(5)
   */
  readonly retryPeriod?: Duration;
}

/** Options of {@link DruidDiscovery.zookeeper}. */
export interface DruidZooKeeperDiscoveryOptions {
  /** `druid.zk.service.host`: `host:port,host:port` (an optional chroot path after the last host). */
  readonly connectString: string;
  /**
   * `druid.zk.paths.base`.
   * @default "/druid"
   */
  readonly basePath?: string;
  /**
   * Who the pods may reach on the ZooKeeper ports.
   * @default NetworkPeer.anywhere()
   */
  readonly peer?: NetworkPeer;
}

const CLUSTER_ID = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;

/** How Druid processes discover each other. Use a static factory. */
export class DruidDiscovery {
  /**
   * Discovery and leader election through the Kubernetes API: no ZooKeeper. Pods announce themselves
   * with labels and annotations on their own pod, and the Coordinator and Overlord leaders hold
   * ConfigMap locks, so the pods get a ServiceAccount token and a least-privilege Role.
   *
   * @throws PropError for a cluster identifier that does not match `[a-z0-9][a-z0-9-]*[a-z0-9]`, or bad durations
   */
  public static kubernetes(o: DruidKubernetesDiscoveryOptions = {}): DruidDiscovery {
    const ctx = 'DruidDiscovery.kubernetes';
    if (
      o.clusterIdentifier !== undefined &&
      (typeof o.clusterIdentifier !== 'string' ||
        !CLUSTER_ID.test(o.clusterIdentifier) ||
        o.clusterIdentifier.length > 63)
    ) {
      throw propError(
        ctx,
        'clusterIdentifier',
        o.clusterIdentifier,
        'a string matching [a-z0-9][a-z0-9-]*[a-z0-9], at most 63 characters (it is a label value)',
      );
    }
    const lease = durationSeconds(ctx, 'leaseDuration', o.leaseDuration ?? Duration.seconds(60), 1);
    const renew = durationSeconds(ctx, 'renewDeadline', o.renewDeadline ?? Duration.seconds(17), 1);
    const retry = durationSeconds(ctx, 'retryPeriod', o.retryPeriod ?? Duration.seconds(5), 1);
    if (!(renew < lease))
      throw propError(ctx, 'renewDeadline', `${renew}s`, `less than leaseDuration (${lease}s)`);
    if (!(retry < renew))
      throw propError(ctx, 'retryPeriod', `${retry}s`, `less than renewDeadline (${renew}s)`);
    const cidr = o.apiServerCidr ?? '0.0.0.0/0';
    const apiPeer = NetworkPeer.ipBlock(cidr);
    return new DruidDiscovery(
      'kubernetes',
      o.clusterIdentifier,
      { leaseSeconds: lease, renewSeconds: renew, retrySeconds: retry },
      undefined,
      undefined,
      [{ peer: apiPeer, ports: [{ port: 443 }, { port: 6443 }] }],
    );
  }

  /**
   * An external ZooKeeper ensemble (`druid.zk.service.host`).
   *
   * @throws PropError for a missing or malformed connect string or base path
   */
  public static zookeeper(o: DruidZooKeeperDiscoveryOptions): DruidDiscovery {
    const ctx = 'DruidDiscovery.zookeeper';
    if (!o || typeof o !== 'object') throw propError(ctx, 'options', o, '{ connectString }');
    const cs = requireString(
      ctx,
      'connectString',
      o.connectString,
      'a ZooKeeper connect string such as "zk-0.zk:2181,zk-1.zk:2181,zk-2.zk:2181"',
    );
    const slash = cs.indexOf('/');
    const hostsPart = slash >= 0 ? cs.slice(0, slash) : cs;
    const chroot = slash >= 0 ? cs.slice(slash) : '';
    if (chroot && !/^(\/[A-Za-z0-9._-]+)+$/.test(chroot)) {
      throw propError(
        ctx,
        'connectString',
        cs,
        'hosts optionally followed by a chroot path such as "/druid-prod"',
      );
    }
    const hosts = parseHostPorts(ctx, 'connectString', hostsPart, 2181);
    const base = o.basePath ?? '/druid';
    if (typeof base !== 'string' || !/^(\/[A-Za-z0-9._-]+)+$/.test(base)) {
      throw propError(ctx, 'basePath', base, 'an absolute znode path such as "/druid"');
    }
    return new DruidDiscovery(
      'zookeeper',
      undefined,
      undefined,
      cs,
      base,
      [{ peer: validatePeer(ctx, 'peer', o.peer) ?? NetworkPeer.anywhere(), ports: distinctPorts(hosts) }],
      hosts,
    );
  }

  private constructor(
    /** `kubernetes` or `zookeeper`. */
    public readonly kind: 'kubernetes' | 'zookeeper',
    private readonly clusterIdentifierGiven: string | undefined,
    private readonly lease: { leaseSeconds: number; renewSeconds: number; retrySeconds: number } | undefined,
    /** ZooKeeper connect string. */
    public readonly connectString: string | undefined,
    /** ZooKeeper base path. */
    public readonly basePath: string | undefined,
    /** Egress the pods need (API server or ZooKeeper). */
    public readonly egress: readonly DruidEgressRule[],
    /** ZooKeeper hosts. */
    public readonly zooKeeperHosts: readonly HostPort[] = [],
  ) {}

  /** Whether pods need the Kubernetes API (ServiceAccount token, Role, POD_NAME/POD_NAMESPACE). */
  public get usesKubernetesApi(): boolean {
    return this.kind === 'kubernetes';
  }

  /** The extension to load, if any. */
  public get extension(): string | undefined {
    return this.kind === 'kubernetes' ? DRUID_KUBERNETES_EXTENSION : undefined;
  }

  /** The cluster identifier for a cluster named `clusterName` (Kubernetes discovery only). */
  public clusterIdentifier(clusterName: string): string | undefined {
    return this.kind === 'kubernetes' ? (this.clusterIdentifierGiven ?? clusterName) : undefined;
  }

  /**
   * The ConfigMaps the Coordinator and Overlord leaders lock (`<clusterIdentifier>-leaderelection-coordinator`
   * and `-overlord`, K8sDruidLeaderSelectorProvider).
   */
  public leaderElectionConfigMaps(clusterName: string): string[] {
    const id = this.clusterIdentifier(clusterName);
    return id ? [`${id}-leaderelection-coordinator`, `${id}-leaderelection-overlord`] : [];
  }

  /**
   * The discovery properties of `common.runtime.properties`. HTTP-based segment and task management
   * (`druid.serverview.type=http`, `druid.coordinator.loadqueuepeon.type=http`,
   * `druid.indexer.runner.type=httpRemote`) in both modes; the Kubernetes extension requires them.
   */
  public properties(clusterName: string): Array<readonly [string, string]> {
    const http: Array<readonly [string, string]> = [
      ['druid.serverview.type', 'http'],
      ['druid.coordinator.loadqueuepeon.type', 'http'],
      ['druid.indexer.runner.type', 'httpRemote'],
    ];
    if (this.kind === 'zookeeper') {
      return [
        ['druid.zk.service.host', this.connectString!],
        ['druid.zk.paths.base', this.basePath!],
        ...http,
      ];
    }
    const l = this.lease!;
    return [
      ['druid.zk.service.enabled', 'false'],
      ...http,
      ['druid.discovery.type', 'k8s'],
      ['druid.discovery.k8s.clusterIdentifier', this.clusterIdentifier(clusterName)!],
      ['druid.discovery.k8s.podNameEnvKey', DRUID_POD_NAME_ENV],
      ['druid.discovery.k8s.podNamespaceEnvKey', DRUID_POD_NAMESPACE_ENV],
      ['druid.discovery.k8s.leaseDuration', `PT${l.leaseSeconds}S`],
      ['druid.discovery.k8s.renewDeadline', `PT${l.renewSeconds}S`],
      ['druid.discovery.k8s.retryPeriod', `PT${l.retrySeconds}S`],
    ];
  }

  /** The kind. */
  public toString(): string {
    return this.kind;
  }
}
