/**
 * cert-manager (`cert-manager.io/v1`) Certificates for in-cluster TLS: the DNS names of Services and
 * StatefulSet pods in every form a client may use, and a Certificate object built with `ApiObject`.
 */
import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { propError } from './errors';
import { durationSeconds } from './units';

/** The kind of cert-manager issuer a Certificate refers to. */
export class IssuerKind {
  /** A namespaced `Issuer` in the Certificate's namespace. */
  public static readonly ISSUER = new IssuerKind('Issuer');
  /** A cluster-scoped `ClusterIssuer`. */
  public static readonly CLUSTER_ISSUER = new IssuerKind('ClusterIssuer');

  private constructor(
    /** The `issuerRef.kind` value. */
    public readonly kind: string,
  ) {}

  /** The kind. */
  public toString(): string {
    return this.kind;
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The names a Service answers to from inside the cluster: `svc`, `svc.ns`, `svc.ns.svc` and
 * `svc.ns.svc.<clusterDomain>`.
 */
export function serviceDnsNames(
  service: string,
  namespace: string,
  clusterDomain = 'cluster.local',
): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.${clusterDomain}`,
  ];
}

/**
 * The names of StatefulSet pod `ordinal` behind headless Service `headless`:
 * `pod.headless`, `pod.headless.ns`, `pod.headless.ns.svc` and `pod.headless.ns.svc.<clusterDomain>`.
 */
export function podDnsNames(
  pod: string,
  headless: string,
  namespace: string,
  clusterDomain = 'cluster.local',
): string[] {
  return serviceDnsNames(`${pod}.${headless}`, namespace, clusterDomain);
}

/** Options of {@link certManagerCertificate}. */
export interface CertManagerCertificateOptions {
  /** Construct context for errors. */
  readonly context: string;
  /** Prop name for errors (e.g. `tls`). */
  readonly prop: string;
  /** Certificate name. */
  readonly name: string;
  /** Name of the Secret cert-manager writes (`tls.crt`, `tls.key`, `ca.crt`). */
  readonly secretName: string;
  /** Issuer name. */
  readonly issuerName: string;
  /** Issuer kind. @default IssuerKind.ISSUER */
  readonly issuerKind?: IssuerKind;
  /** DNS SANs (deduplicated, order kept). */
  readonly dnsNames: readonly string[];
  /** IP SANs. @default - none */
  readonly ipAddresses?: readonly string[];
  /** Requested validity. @default Duration.days(90) */
  readonly duration?: Duration;
  /** Renew this long before expiry. @default Duration.days(30) */
  readonly renewBefore?: Duration;
  /** `usages`. @default ['digital signature', 'server auth'] */
  readonly usages?: readonly string[];
  /** Labels of the Certificate and of the Secret it writes. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Formats a duration in hours the way cert-manager expects (`2160h`). */
function hours(ctx: string, prop: string, d: Duration): string {
  const s = durationSeconds(ctx, prop, d, 3600);
  if (s % 3600 !== 0) throw propError(ctx, prop, `${s}s`, 'a whole number of hours');
  return `${s / 3600}h`;
}

/**
 * A cert-manager `Certificate` (`cert-manager.io/v1`) with an ECDSA P-256 key that is rotated on
 * every renewal.
 *
 * @throws PropError for an issuer or DNS name that is not a DNS name, no DNS names, a renewal
 *   window not shorter than the validity, or a duration that is not whole hours
 */
export function certManagerCertificate(
  scope: Construct,
  id: string,
  o: CertManagerCertificateOptions,
): ApiObject {
  const { context: ctx, prop } = o;
  if (
    typeof o.issuerName !== 'string' ||
    !DNS1123_SUBDOMAIN.test(o.issuerName) ||
    o.issuerName.length > 253
  ) {
    throw propError(
      ctx,
      `${prop}.issuerName`,
      o.issuerName,
      'the name of a cert-manager Issuer or ClusterIssuer (DNS-1123 subdomain)',
    );
  }
  const kind = o.issuerKind ?? IssuerKind.ISSUER;
  if (!(kind instanceof IssuerKind)) {
    throw propError(ctx, `${prop}.issuerKind`, kind, 'IssuerKind.ISSUER or IssuerKind.CLUSTER_ISSUER');
  }
  const dnsNames: string[] = [];
  for (const n of o.dnsNames) {
    if (typeof n !== 'string' || !DNS_NAME.test(n) || n.length > 253) {
      throw propError(
        ctx,
        `${prop}.dnsNames`,
        n,
        'lower-case DNS names (a leading "*." wildcard is allowed)',
      );
    }
    if (!dnsNames.includes(n)) dnsNames.push(n);
  }
  if (dnsNames.length === 0) throw propError(ctx, `${prop}.dnsNames`, [], 'at least one DNS name');
  const duration = hours(ctx, `${prop}.duration`, o.duration ?? Duration.days(90));
  const renewBefore = hours(ctx, `${prop}.renewBefore`, o.renewBefore ?? Duration.days(30));
  if (parseInt(renewBefore, 10) >= parseInt(duration, 10)) {
    throw propError(
      ctx,
      `${prop}.renewBefore`,
      renewBefore,
      `a renewal window shorter than the duration ${duration}`,
    );
  }
  const labels = o.labels ? { ...o.labels } : undefined;
  return new ApiObject(scope, id, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: o.name, ...(labels ? { labels } : {}) },
    spec: {
      secretName: o.secretName,
      ...(labels ? { secretTemplate: { labels } } : {}),
      issuerRef: { name: o.issuerName, kind: kind.kind, group: 'cert-manager.io' },
      duration,
      renewBefore,
      privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' },
      usages: [...(o.usages ?? ['digital signature', 'server auth'])],
      dnsNames,
      ...(o.ipAddresses && o.ipAddresses.length ? { ipAddresses: [...o.ipAddresses] } : {}),
    },
  });
}
