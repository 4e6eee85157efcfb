/** TLS of the Vault listener: an existing Secret, a cert-manager Certificate, or (development only) none. */
import { Duration } from 'cdk8s';
import { IssuerKind } from '../../../lib/k8s/cert-manager';

/** Options of {@link VaultTls.fromSecret}. */
export interface VaultTlsSecretOptions {
  /**
   * Server name the Raft `retry_join` stanzas verify the peers' certificate against
   * (`leader_tls_servername`), for certificates that do not name each pod (for instance a wildcard
   * `*.vault.example.com`).
   * @default - each peer's own name, `<name>-N.<name>-internal`
   */
  readonly raftServerName?: string;
}

/** Options of {@link VaultTls.certManager}. */
export interface VaultCertManagerOptions {
  /** Name of the cert-manager Issuer or ClusterIssuer that signs the certificate. */
  readonly issuerName: string;
  /**
   * Kind of the issuer.
   * @default IssuerKind.ISSUER
   */
  readonly issuerKind?: IssuerKind;
  /**
   * Further DNS names, e.g. the public name behind an Ingress (`vault.example.com`).
   * @default - none
   */
  readonly extraDnsNames?: readonly string[];
  /**
   * The cluster's DNS domain, for the fully qualified service and pod names.
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
  /**
   * Requested certificate validity.
   * @default Duration.days(90)
   */
  readonly duration?: Duration;
  /**
   * Renew this long before expiry.
   * @default Duration.days(30)
   */
  readonly renewBefore?: Duration;
}

/** How the Vault listener gets its certificate. */
export class VaultTls {
  /**
   * An existing Secret with `tls.crt`, `tls.key` and `ca.crt` (the layout cert-manager writes). The
   * certificate must name every pod (`<name>-N.<name>-internal` and
   * `<name>-N.<name>-internal.<namespace>.svc`), the services and `127.0.0.1`.
   */
  public static fromSecret(secretName: string, options: VaultTlsSecretOptions = {}): VaultTls {
    return new VaultTls('secret', secretName, options, undefined);
  }

  /**
   * A cert-manager `Certificate` for every name Raft joins and clients use: each pod
   * (`<name>-N.<name>-internal`, namespace-qualified and `svc.<clusterDomain>` forms), the services,
   * `localhost` and the IP SAN `127.0.0.1`.
   */
  public static certManager(options: VaultCertManagerOptions): VaultTls {
    return new VaultTls('cert-manager', undefined, {}, options);
  }

  /**
   * No TLS: plain HTTP on 8200. For local development only: the blueprint marks the StatefulSet with
   * a `kata-blueprints.io/warning` annotation, and refuses it for a Raft cluster of more than one
   * server (unseal keys and tokens would cross the network in clear text).
   */
  public static disabled(): VaultTls {
    return new VaultTls('disabled', undefined, {}, undefined);
  }

  private constructor(
    /** `secret`, `cert-manager` or `disabled`. */
    public readonly kind: 'secret' | 'cert-manager' | 'disabled',
    /** The Secret name (secret only). */
    public readonly secretName: string | undefined,
    /** Options of {@link VaultTls.fromSecret}. */
    public readonly secretOptions: VaultTlsSecretOptions,
    /** Options of {@link VaultTls.certManager}. */
    public readonly certManagerOptions: VaultCertManagerOptions | undefined,
  ) {}

  /** Whether the listener serves TLS. */
  public get enabled(): boolean {
    return this.kind !== 'disabled';
  }

  /** `secret`, `cert-manager` or `disabled`. */
  public toString(): string {
    return this.kind;
  }
}
