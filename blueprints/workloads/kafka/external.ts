/** Access to the brokers from outside the Kubernetes cluster: one Service per broker plus a bootstrap Service. */
import { NetworkPeer } from '../../../lib/k8s/network';
import { propError } from '../../../lib/k8s/errors';

/** How brokers are exposed outside the cluster. */
export class KafkaExternalType {
  /**
   * One `LoadBalancer` Service per broker. The load balancers' addresses are only known after they
   * are provisioned, so each broker advertises a DNS name from `advertisedHost` (with external-dns,
   * the name follows the load balancer).
   */
  public static readonly LOAD_BALANCER = new KafkaExternalType('LoadBalancer');
  /**
   * One `NodePort` Service per broker with a fixed node port (`nodePortBase + ordinal`) and
   * `externalTrafficPolicy: Local`. Each broker advertises its node's IP (`status.hostIP`) unless
   * `advertisedHost` is given.
   */
  public static readonly NODE_PORT = new KafkaExternalType('NodePort');

  private constructor(
    /** The Service type. */
    public readonly serviceType: 'LoadBalancer' | 'NodePort',
  ) {}

  /** The Service type. */
  public toString(): string {
    return this.serviceType;
  }
}

/** External access to the brokers. */
export interface KafkaExternalAccess {
  /** How brokers are exposed (required). */
  readonly type: KafkaExternalType;
  /**
   * Port of the external listener in the container, and of the Services for `LOAD_BALANCER`.
   * @default 9094
   */
  readonly port?: number;
  /**
   * The host each broker advertises, with `{ordinal}` (pod ordinal) or `{nodeId}` (Kafka node id)
   * placeholders, e.g. `events-{ordinal}.kafka.example.com`. Required for `LOAD_BALANCER`.
   * @default - the node IP (`status.hostIP`) for `NODE_PORT`
   */
  readonly advertisedHost?: string;
  /**
   * First node port (`NODE_PORT` only); broker `i` gets `nodePortBase + i`.
   * @default 31094
   */
  readonly nodePortBase?: number;
  /**
   * Annotations of the per-broker and bootstrap Services (cloud load balancer settings).
   * @default - none
   */
  readonly serviceAnnotations?: Readonly<Record<string, string>>;
  /**
   * Client CIDRs the load balancers accept (`loadBalancerSourceRanges`, `LOAD_BALANCER` only).
   * @default - any address
   */
  readonly loadBalancerSourceRanges?: readonly string[];
  /**
   * Who may reach the external listener (NetworkPolicy ingress).
   * @default [NetworkPeer.anywhere()]
   */
  readonly allowFrom?: readonly NetworkPeer[];
  /**
   * Put `external-dns.alpha.kubernetes.io/hostname` with the advertised host on each per-broker
   * `LOAD_BALANCER` Service, so that external-dns points the name at its load balancer.
   * @default true
   */
  readonly externalDns?: boolean;
}

/** External access with defaults applied and inputs validated. */
export interface ResolvedExternalAccess {
  /** The type. */
  readonly type: KafkaExternalType;
  /** Container (and load balancer) port. */
  readonly port: number;
  /** Host template, if given. */
  readonly advertisedHost?: string;
  /** First node port (NodePort). */
  readonly nodePortBase: number;
  /** Service annotations. */
  readonly serviceAnnotations: Readonly<Record<string, string>>;
  /** Load balancer source ranges. */
  readonly loadBalancerSourceRanges: readonly string[];
  /** NetworkPolicy peers. */
  readonly allowFrom: readonly NetworkPeer[];
  /** Whether to annotate for external-dns. */
  readonly externalDns: boolean;
}

const HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR = /^[0-9a-fA-F:.]+\/\d{1,3}$/;
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

/** The advertised host of one broker from a template (`{ordinal}`, `{nodeId}`). */
export function expandHostTemplate(template: string, ordinal: number, nodeId: number): string {
  return template.replace(/\{ordinal\}/g, String(ordinal)).replace(/\{nodeId\}/g, String(nodeId));
}

/**
 * Validates external access against the broker count and the ports already in use.
 *
 * @throws PropError naming `external.<prop>` for a missing type, a bad port, a missing or ambiguous
 *   `advertisedHost`, or node ports outside the Kubernetes range
 */
export function resolveExternalAccess(
  ctx: string,
  external: KafkaExternalAccess,
  brokers: number,
  brokerIdBase: number,
  reservedPorts: readonly number[],
): ResolvedExternalAccess {
  if (!(external.type instanceof KafkaExternalType)) {
    throw propError(
      ctx,
      'external.type',
      external.type,
      'KafkaExternalType.LOAD_BALANCER or KafkaExternalType.NODE_PORT',
    );
  }
  const port = external.port ?? 9094;
  if (!Number.isInteger(port) || port < 1024 || port > 65535 || reservedPorts.includes(port)) {
    throw propError(
      ctx,
      'external.port',
      port,
      `a port from 1024 to 65535 other than ${reservedPorts.join(', ')}`,
    );
  }
  const template = external.advertisedHost;
  if (template === undefined && external.type === KafkaExternalType.LOAD_BALANCER) {
    throw propError(
      ctx,
      'external.advertisedHost',
      undefined,
      'a host per broker for LoadBalancer access, e.g. "events-{ordinal}.kafka.example.com" (a load balancer address is only known after it is provisioned)',
    );
  }
  if (template !== undefined) {
    if (typeof template !== 'string' || /\{(?!ordinal\}|nodeId\})[^}]*\}/.test(template)) {
      throw propError(
        ctx,
        'external.advertisedHost',
        template,
        'a host name with the placeholders {ordinal} or {nodeId} only',
      );
    }
    if (brokers > 1 && !/\{(ordinal|nodeId)\}/.test(template)) {
      throw propError(
        ctx,
        'external.advertisedHost',
        template,
        `a template with {ordinal} or {nodeId}: each of the ${brokers} brokers needs its own address`,
      );
    }
    for (let i = 0; i < brokers; i++) {
      const host = expandHostTemplate(template, i, brokerIdBase + i);
      if (!HOST.test(host) && !IPV4.test(host)) {
        throw propError(
          ctx,
          'external.advertisedHost',
          template,
          `a template that yields DNS names or IPv4 addresses (broker ${i}: "${host}")`,
        );
      }
    }
  }
  const nodePortBase = external.nodePortBase ?? 31094;
  if (external.type === KafkaExternalType.NODE_PORT) {
    if (
      !Number.isInteger(nodePortBase) ||
      nodePortBase < NODE_PORT_MIN ||
      nodePortBase + brokers - 1 > NODE_PORT_MAX
    ) {
      throw propError(
        ctx,
        'external.nodePortBase',
        nodePortBase,
        `a node port from ${NODE_PORT_MIN} to ${NODE_PORT_MAX - brokers + 1} (one port per broker, ${brokers} brokers)`,
      );
    }
  } else if (external.nodePortBase !== undefined) {
    throw propError(ctx, 'external.nodePortBase', external.nodePortBase, 'unset for LoadBalancer access');
  }
  const ranges = [...(external.loadBalancerSourceRanges ?? [])];
  ranges.forEach((r, i) => {
    if (typeof r !== 'string' || !CIDR.test(r))
      throw propError(ctx, `external.loadBalancerSourceRanges[${i}]`, r, 'a CIDR such as 203.0.113.0/24');
  });
  if (ranges.length > 0 && external.type !== KafkaExternalType.LOAD_BALANCER) {
    throw propError(
      ctx,
      'external.loadBalancerSourceRanges',
      ranges,
      'unset for NodePort access (restrict with allowFrom)',
    );
  }
  const allowFrom = [...(external.allowFrom ?? [NetworkPeer.anywhere()])];
  allowFrom.forEach((p, i) => {
    if (!(p instanceof NetworkPeer))
      throw propError(
        ctx,
        `external.allowFrom[${i}]`,
        p,
        'a NetworkPeer (NetworkPeer.ipBlock(...), NetworkPeer.anywhere(), ...)',
      );
  });
  return {
    type: external.type,
    port,
    ...(template !== undefined ? { advertisedHost: template } : {}),
    nodePortBase,
    serviceAnnotations: { ...(external.serviceAnnotations ?? {}) },
    loadBalancerSourceRanges: ranges,
    allowFrom,
    externalDns: external.externalDns ?? true,
  };
}
