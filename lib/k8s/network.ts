/**
 * NetworkPolicies: default deny for a set of pods, DNS egress, and typed connections between
 * blueprints (`a.connections.allowTo(b)`), resolved at synth so calls may come in any order.
 */
import { Chart, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { propError } from './errors';

/** A port that a NetworkPolicy rule opens. */
export interface NetworkPort {
  /** Port number (or a named port). */
  readonly port: number | string;
  /** Protocol. @default TCP */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** Last port of a range (numeric ports only). @default - a single port */
  readonly endPort?: number;
}

/** Who a rule lets in or out. Use the static factories. */
export class NetworkPeer {
  /** Pods with these labels, in a namespace (default: the policy's own namespace). */
  public static pods(labels: Readonly<Record<string, string>>, namespace?: string): NetworkPeer {
    return new NetworkPeer('pods', { ...labels }, namespace, undefined);
  }
  /** Every pod in a namespace. */
  public static namespace(name: string): NetworkPeer {
    return new NetworkPeer('namespace', {}, name, undefined);
  }
  /** Pods with these labels in any namespace, or every pod in any namespace when no labels are given. */
  public static anyNamespace(labels: Readonly<Record<string, string>> = {}): NetworkPeer {
    return new NetworkPeer('anyNamespace', { ...labels }, undefined, undefined);
  }
  /** An IP block (CIDR), with optional exceptions. */
  public static ipBlock(cidr: string, except: string[] = []): NetworkPeer {
    if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(cidr))
      throw propError('NetworkPeer.ipBlock', 'cidr', cidr, 'a CIDR such as 10.0.0.0/8');
    return new NetworkPeer('ipBlock', {}, undefined, { cidr, except });
  }
  /** Anywhere (0.0.0.0/0 and ::/0): for public load balancers and external endpoints. */
  public static anywhere(): NetworkPeer {
    return new NetworkPeer('anywhere', {}, undefined, undefined);
  }

  private constructor(
    /** Kind of peer. */
    public readonly kind: 'pods' | 'namespace' | 'anyNamespace' | 'ipBlock' | 'anywhere',
    /** Pod labels (pods / anyNamespace). */
    public readonly labels: Readonly<Record<string, string>>,
    /** Namespace (pods / namespace); undefined = the policy's own. */
    public readonly namespace: string | undefined,
    /** IP block. */
    public readonly ipBlock: { readonly cidr: string; readonly except: readonly string[] } | undefined,
  ) {}

  /** A description for logs and errors. */
  public toString(): string {
    if (this.ipBlock) return this.ipBlock.cidr;
    const l = Object.entries(this.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return `${this.kind}(${this.namespace ?? ''}${l ? ' ' + l : ''})`;
  }

  /** The `NetworkPolicyPeer` entries, relative to the namespace of the policy. */
  public render(policyNamespace: string | undefined): k8s.NetworkPolicyPeer[] {
    switch (this.kind) {
      case 'ipBlock':
        return [
          {
            ipBlock: {
              cidr: this.ipBlock!.cidr,
              ...(this.ipBlock!.except.length ? { except: [...this.ipBlock!.except] } : {}),
            },
          },
        ];
      case 'anywhere':
        return [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
      case 'anyNamespace':
        return [
          {
            namespaceSelector: {},
            ...(Object.keys(this.labels).length ? { podSelector: { matchLabels: { ...this.labels } } } : {}),
          },
        ];
      case 'namespace':
        return [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.namespace! } } }];
      case 'pods':
      default:
        if (this.namespace && this.namespace !== policyNamespace) {
          return [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.namespace } },
              podSelector: { matchLabels: { ...this.labels } },
            },
          ];
        }
        return [{ podSelector: { matchLabels: { ...this.labels } } }];
    }
  }
}

/** Options of {@link PodNetworkPolicy}. */
export interface PodNetworkPolicyProps {
  /** Construct context for errors. */
  readonly context: string;
  /** Policy name. */
  readonly name: string;
  /** Labels of the pods the policy selects. */
  readonly selector: Readonly<Record<string, string>>;
  /** Labels of the NetworkPolicy object. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Allow DNS (UDP and TCP 53) to kube-system. @default true */
  readonly allowDns?: boolean;
}

interface Rule {
  readonly peer: NetworkPeer;
  readonly ports: readonly NetworkPort[];
}

/**
 * A NetworkPolicy that denies all ingress and egress of the selected pods except what is allowed
 * through {@link allowIngress} / {@link allowEgress} (and DNS). Rules are rendered at synth.
 */
export class PodNetworkPolicy extends Construct {
  /** The L1 object. */
  public readonly resource: k8s.KubeNetworkPolicy;
  /** The selected pods' labels. */
  public readonly selector: Readonly<Record<string, string>>;
  private readonly ingress: Rule[] = [];
  private readonly egress: Rule[] = [];

  constructor(scope: Construct, id: string, props: PodNetworkPolicyProps) {
    super(scope, id);
    this.selector = { ...props.selector };
    const ns = () => Chart.of(this).namespace;
    this.resource = new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name, ...(props.labels ? { labels: { ...props.labels } } : {}) },
      spec: {
        podSelector: { matchLabels: { ...props.selector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({ produce: () => this.renderRules(this.ingress, 'from', ns()) }) as never,
        egress: Lazy.any({
          produce: () => [
            ...((props.allowDns ?? true) ? [dnsEgressRule()] : []),
            ...this.renderRules(this.egress, 'to', ns()),
          ],
        }) as never,
      },
    });
  }

  /** Lets `peer` reach the selected pods on `ports` (empty: all ports). */
  public allowIngress(peer: NetworkPeer, ports: readonly NetworkPort[]): void {
    this.ingress.push({ peer, ports });
  }

  /** Lets the selected pods reach `peer` on `ports` (empty: all ports). */
  public allowEgress(peer: NetworkPeer, ports: readonly NetworkPort[]): void {
    this.egress.push({ peer, ports });
  }

  private renderRules(rules: Rule[], dir: 'from' | 'to', ns: string | undefined): unknown[] {
    // Merge rules with the same peer so the output stays small and stable.
    const byPeer = new Map<string, { peers: k8s.NetworkPolicyPeer[]; ports: NetworkPort[] }>();
    for (const r of rules) {
      const peers = r.peer.render(ns);
      const key = JSON.stringify(peers);
      const entry = byPeer.get(key) ?? { peers, ports: [] };
      for (const p of r.ports) {
        if (
          !entry.ports.some(
            (q) =>
              q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && q.endPort === p.endPort,
          )
        ) {
          entry.ports.push(p);
        }
      }
      byPeer.set(key, entry);
    }
    return [...byPeer.keys()].sort().map((k) => {
      const e = byPeer.get(k)!;
      const ports = [...e.ports]
        .sort((a, b) => String(a.port).localeCompare(String(b.port), 'en', { numeric: true }))
        .map((p) => ({
          protocol: p.protocol ?? 'TCP',
          // L1 objects serialize IntOrString fields only from IntOrString values.
          port:
            typeof p.port === 'number'
              ? k8s.IntOrString.fromNumber(p.port)
              : k8s.IntOrString.fromString(p.port),
          ...(p.endPort !== undefined ? { endPort: p.endPort } : {}),
        }));
      return { [dir]: e.peers, ...(ports.length ? { ports } : {}) };
    });
  }
}

/** Egress to the cluster DNS (kube-system pods labelled `k8s-app: kube-dns`) on port 53. */
export function dnsEgressRule(): Record<string, unknown> {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ],
    ports: [
      { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
      { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
    ],
  };
}

/** Something other blueprints can connect to or from: it owns a policy and a peer description. */
export interface INetworkEndpoint {
  /** The endpoint's connections. */
  readonly connections: Connections;
}

/**
 * The network side of a blueprint: its pods (as a peer), its policy, and the ports its clients use.
 * `a.connections.allowTo(b)` opens egress on `a` and ingress on `b` for `b`'s client ports.
 */
export class Connections {
  constructor(
    /** The blueprint's pods as a peer (namespace included). */
    public readonly peer: NetworkPeer,
    /** The policy that selects those pods. */
    public readonly policy: PodNetworkPolicy,
    /** The ports clients use (e.g. 8200 for Vault, 9092 for Kafka). */
    public readonly clientPorts: readonly NetworkPort[],
  ) {}

  /** Lets `other` connect to this endpoint on its client ports (or `ports`). */
  public allowFrom(
    other: INetworkEndpoint | NetworkPeer,
    ports: readonly NetworkPort[] = this.clientPorts,
  ): void {
    if (other instanceof NetworkPeer) {
      this.policy.allowIngress(other, ports);
      return;
    }
    this.policy.allowIngress(other.connections.peer, ports);
    other.connections.policy.allowEgress(this.peer, ports);
  }

  /** Lets this endpoint connect to `other` on `other`'s client ports (or `ports`). */
  public allowTo(other: INetworkEndpoint | NetworkPeer, ports?: readonly NetworkPort[]): void {
    if (other instanceof NetworkPeer) {
      this.policy.allowEgress(other, ports ?? []);
      return;
    }
    const p = ports ?? other.connections.clientPorts;
    other.connections.policy.allowIngress(this.peer, p);
    this.policy.allowEgress(other.connections.peer, p);
  }
}

/** The namespace of the chart a construct lives in (undefined = the default namespace of kubectl). */
export function namespaceOf(scope: Construct): string | undefined {
  return Chart.of(scope).namespace;
}

/** Egress to the Kubernetes API server (for pods that use the service-account token). */
export function apiServerEgress(policy: PodNetworkPolicy, apiServerCidr = '0.0.0.0/0'): void {
  policy.allowEgress(NetworkPeer.ipBlock(apiServerCidr), [{ port: 443 }, { port: 6443 }]);
}
