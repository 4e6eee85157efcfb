/** How a service is reached: inside the cluster only, through a cloud load balancer, or through an Ingress. */
import { propError } from '../../../lib/k8s/errors';

/** Options of {@link Expose.loadBalancer}. */
export interface LoadBalancerOptions {
  /**
   * Client CIDRs the cloud load balancer lets in (`loadBalancerSourceRanges`).
   * @default - anywhere
   */
  readonly sourceRanges?: readonly string[];
  /**
   * Keep the client's source IP (`externalTrafficPolicy: Local`). With source ranges, the
   * NetworkPolicy then admits only those ranges; without it, traffic arrives SNATed from node IPs
   * and the policy has to admit any source.
   * @default false
   */
  readonly preserveClientIp?: boolean;
  /**
   * `loadBalancerClass`, for clusters with more than one load balancer implementation.
   * @default - the cluster's default implementation
   */
  readonly loadBalancerClass?: string;
  /**
   * Service annotations for the cloud controller (e.g. `service.beta.kubernetes.io/aws-load-balancer-scheme`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Options of {@link Expose.ingress}. */
export interface IngressOptions {
  /** Host name the Ingress rule matches, e.g. `api.example.com` (a leading `*.` wildcard is allowed). */
  readonly host: string;
  /**
   * Path the rule matches (pathType `Prefix`).
   * @default "/"
   */
  readonly path?: string;
  /**
   * Match the path exactly (pathType `Exact`) instead of as a prefix.
   * @default false
   */
  readonly exactPath?: boolean;
  /**
   * Secret (type `kubernetes.io/tls`) with the certificate for `host`; the Ingress terminates TLS.
   * @default - no TLS section (plain HTTP, not for production)
   */
  readonly tlsSecret?: string;
  /**
   * `ingressClassName`.
   * @default - the cluster's default IngressClass
   */
  readonly ingressClassName?: string;
  /**
   * Namespace of the ingress controller pods; the NetworkPolicy admits traffic from it.
   * @default "ingress-nginx"
   */
  readonly controllerNamespace?: string;
  /**
   * Ingress annotations for the controller.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The three ways of exposing a service. */
export class ExposeKind {
  /** In-cluster only. */
  public static readonly CLUSTER_IP = new ExposeKind('ClusterIP');
  /** A Service of type LoadBalancer. */
  public static readonly LOAD_BALANCER = new ExposeKind('LoadBalancer');
  /** A ClusterIP Service behind an Ingress. */
  public static readonly INGRESS = new ExposeKind('Ingress');
  private constructor(
    /** Name. */
    public readonly name: string,
  ) {}
}

const CIDR = /^[0-9a-fA-F:.]+\/\d{1,3}$/;
const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * How the service is reached from outside its namespace. Use `Expose.clusterIp()` (default),
 * `Expose.loadBalancer({...})` or `Expose.ingress({host, path, tlsSecret})`.
 */
export class Expose {
  /** A ClusterIP Service: reachable inside the cluster, from the peers the NetworkPolicy admits. */
  public static clusterIp(): Expose {
    return new Expose(ExposeKind.CLUSTER_IP, {}, undefined);
  }

  /**
   * A Service of type LoadBalancer, fronted by the cloud's load balancer. The NetworkPolicy admits
   * clients on the published ports from anywhere (or from `sourceRanges` when the client IP is preserved).
   *
   * @throws PropError for malformed CIDRs
   */
  public static loadBalancer(options: LoadBalancerOptions = {}): Expose {
    for (const [i, r] of (options.sourceRanges ?? []).entries()) {
      if (typeof r !== 'string' || !CIDR.test(r)) {
        throw propError('Expose.loadBalancer', `sourceRanges[${i}]`, r, 'a CIDR such as 203.0.113.0/24');
      }
    }
    if (options.sourceRanges !== undefined && options.sourceRanges.length === 0) {
      throw propError(
        'Expose.loadBalancer',
        'sourceRanges',
        [],
        'at least one CIDR, or no sourceRanges to admit any client',
      );
    }
    return new Expose(ExposeKind.LOAD_BALANCER, { ...options }, undefined);
  }

  /**
   * A ClusterIP Service behind an Ingress (`networking.k8s.io/v1`). The NetworkPolicy admits the
   * ingress controller's namespace on the main port.
   *
   * @throws PropError for a malformed host, path, secret or namespace name
   */
  public static ingress(options: IngressOptions): Expose {
    const ctx = 'Expose.ingress';
    if (
      !options ||
      typeof options.host !== 'string' ||
      !HOST.test(options.host) ||
      options.host.length > 253
    ) {
      throw propError(
        ctx,
        'host',
        options?.host,
        'a DNS name such as "api.example.com" (lower case; a leading "*." wildcard is allowed)',
      );
    }
    const path = options.path ?? '/';
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw propError(ctx, 'path', path, 'a path starting with "/"');
    }
    if (options.tlsSecret !== undefined && !isDnsSubdomain(options.tlsSecret)) {
      throw propError(ctx, 'tlsSecret', options.tlsSecret, 'a Secret name (DNS-1123 subdomain)');
    }
    if (options.ingressClassName !== undefined && !isDnsSubdomain(options.ingressClassName)) {
      throw propError(
        ctx,
        'ingressClassName',
        options.ingressClassName,
        'an IngressClass name (DNS-1123 subdomain)',
      );
    }
    const controllerNamespace = options.controllerNamespace ?? 'ingress-nginx';
    if (!DNS1123_LABEL.test(controllerNamespace) || controllerNamespace.length > 63) {
      throw propError(ctx, 'controllerNamespace', controllerNamespace, 'a namespace name (DNS-1123 label)');
    }
    return new Expose(ExposeKind.INGRESS, {}, { ...options, path, controllerNamespace });
  }

  private constructor(
    /** Which of the three. */
    public readonly kind: ExposeKind,
    /** Load balancer options (LoadBalancer only). */
    public readonly loadBalancerOptions: LoadBalancerOptions,
    /** Ingress options with defaults applied (Ingress only). */
    public readonly ingressOptions:
      (IngressOptions & { readonly path: string; readonly controllerNamespace: string }) | undefined,
  ) {}

  /** The Service `type`. */
  public get serviceType(): string {
    return this.kind === ExposeKind.LOAD_BALANCER ? 'LoadBalancer' : 'ClusterIP';
  }

  /** A short description. */
  public toString(): string {
    if (this.kind === ExposeKind.INGRESS)
      return `ingress(${this.ingressOptions!.host}${this.ingressOptions!.path})`;
    return this.kind === ExposeKind.LOAD_BALANCER ? 'loadBalancer' : 'clusterIp';
  }
}

function isDnsSubdomain(s: unknown): boolean {
  return (
    typeof s === 'string' &&
    s.length <= 253 &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s)
  );
}
