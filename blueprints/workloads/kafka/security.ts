/** Security of the Kafka client listener (and, with TLS, of the traffic between cluster members). */
import { propError } from '../../../lib/k8s/errors';

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * A Secret with a PEM certificate chain, its private key and the CA bundle, in the layout
 * cert-manager writes (`tls.crt`, `tls.key`, `ca.crt`). Kafka reads PEM keys in PKCS#8 form only:
 * with cert-manager set `privateKey.encoding: PKCS8` on the Certificate.
 */
export interface KafkaTlsSecret {
  /** Name of the Secret, in the cluster's namespace. */
  readonly secretName: string;
  /**
   * Key of the PEM certificate chain.
   * @default "tls.crt"
   */
  readonly certificateKey?: string;
  /**
   * Key of the PEM private key (PKCS#8, unencrypted).
   * @default "tls.key"
   */
  readonly privateKeyKey?: string;
  /**
   * Key of the PEM CA bundle that signs the cluster's (and, with client authentication, the clients') certificates.
   * @default "ca.crt"
   */
  readonly caKey?: string;
}

/** A Secret key holding one credential. */
export interface KafkaSecretKeyRef {
  /** Secret name. */
  readonly secretName: string;
  /** Key in the Secret. */
  readonly key: string;
}

/** SCRAM mechanisms. */
export class KafkaScramMechanism {
  /** SCRAM-SHA-256. */
  public static readonly SHA_256 = new KafkaScramMechanism('SCRAM-SHA-256');
  /** SCRAM-SHA-512. */
  public static readonly SHA_512 = new KafkaScramMechanism('SCRAM-SHA-512');

  private constructor(
    /** The SASL mechanism name (`sasl.mechanism`). */
    public readonly name: string,
  ) {}

  /** The mechanism name. */
  public toString(): string {
    return this.name;
  }
}

/** Options of {@link KafkaListenerSecurity.saslSsl}. */
export interface KafkaScramOptions {
  /**
   * The SCRAM mechanism clients use.
   * @default KafkaScramMechanism.SHA_512
   */
  readonly mechanism?: KafkaScramMechanism;
  /**
   * The first user, written into the cluster metadata when the controllers format their storage
   * (`kafka-storage format --add-scram`), so that an operator can create the other users with
   * `kafka-configs --alter --add-config`. The name may hold letters, digits and `._@-`; the password
   * must not contain `,` or `"` (the format tool's syntax).
   * @default - no user is created; create users through an existing admin path
   */
  readonly bootstrapUser?: {
    /** The user name. */
    readonly username: KafkaSecretKeyRef;
    /** The password. */
    readonly password: KafkaSecretKeyRef;
  };
}

/** Options of {@link KafkaListenerSecurity.tls}. */
export interface KafkaTlsOptions {
  /**
   * Require client certificates signed by the CA bundle (mutual TLS) on the client listener.
   * @default false
   */
  readonly requireClientCertificates?: boolean;
}

/** A resolved TLS Secret. */
export interface ResolvedTlsSecret {
  /** Secret name. */
  readonly secretName: string;
  /** Certificate chain key. */
  readonly certificateKey: string;
  /** Private key key. */
  readonly privateKeyKey: string;
  /** CA bundle key. */
  readonly caKey: string;
}

/**
 * How clients reach the brokers. With TLS the replication and controller listeners use mutual TLS
 * with the same certificate, so the certificate needs both server and client usages and the DNS
 * names of {@link KataKafkaBrokers.tlsDnsNames}.
 */
export class KafkaListenerSecurity {
  /** No encryption and no authentication (`PLAINTEXT`); the NetworkPolicy decides who may connect. */
  public static plaintext(): KafkaListenerSecurity {
    return new KafkaListenerSecurity('PLAINTEXT', undefined, false, undefined);
  }

  /**
   * TLS (`SSL`) with the certificate from a Secret, optionally with client certificates.
   *
   * @throws PropError when the Secret name or a key is not a valid name
   */
  public static tls(secret: KafkaTlsSecret, options: KafkaTlsOptions = {}): KafkaListenerSecurity {
    return new KafkaListenerSecurity(
      'SSL',
      resolveTlsSecret('KafkaListenerSecurity.tls', secret),
      options.requireClientCertificates ?? false,
      undefined,
    );
  }

  /**
   * SASL over TLS (`SASL_SSL`) with SCRAM credentials stored in the cluster metadata.
   *
   * @throws PropError when the Secret name or a key is not a valid name
   */
  public static saslSsl(secret: KafkaTlsSecret, options: KafkaScramOptions = {}): KafkaListenerSecurity {
    const ctx = 'KafkaListenerSecurity.saslSsl';
    const mechanism = options.mechanism ?? KafkaScramMechanism.SHA_512;
    if (!(mechanism instanceof KafkaScramMechanism)) {
      throw propError(
        ctx,
        'mechanism',
        mechanism,
        'KafkaScramMechanism.SHA_256 or KafkaScramMechanism.SHA_512',
      );
    }
    const user = options.bootstrapUser;
    if (user !== undefined) {
      validateSecretKeyRef(ctx, 'bootstrapUser.username', user.username);
      validateSecretKeyRef(ctx, 'bootstrapUser.password', user.password);
    }
    return new KafkaListenerSecurity('SASL_SSL', resolveTlsSecret(ctx, secret), false, {
      mechanism,
      bootstrapUser: user,
    });
  }

  private constructor(
    /** The client listener's security protocol: `PLAINTEXT`, `SSL` or `SASL_SSL`. */
    public readonly protocol: 'PLAINTEXT' | 'SSL' | 'SASL_SSL',
    /** The TLS Secret, if any. */
    public readonly tlsSecret: ResolvedTlsSecret | undefined,
    /** Whether client certificates are required on the client listener. */
    public readonly requireClientCertificates: boolean,
    /** SCRAM settings (SASL_SSL only). */
    public readonly scram:
      | {
          readonly mechanism: KafkaScramMechanism;
          readonly bootstrapUser?: KafkaScramOptions['bootstrapUser'];
        }
      | undefined,
  ) {}

  /** The protocol of the replication and controller listeners: mutual TLS when the cluster has a certificate. */
  public get internalProtocol(): 'PLAINTEXT' | 'SSL' {
    return this.tlsSecret ? 'SSL' : 'PLAINTEXT';
  }

  /** The protocol name. */
  public toString(): string {
    return this.protocol;
  }
}

function resolveTlsSecret(ctx: string, secret: KafkaTlsSecret): ResolvedTlsSecret {
  if (
    !secret ||
    typeof secret.secretName !== 'string' ||
    !SECRET_NAME.test(secret.secretName) ||
    secret.secretName.length > 253
  ) {
    throw propError(
      ctx,
      'secretName',
      secret?.secretName,
      'the name of a Secret (DNS-1123 subdomain) with tls.crt, tls.key and ca.crt',
    );
  }
  const resolved: ResolvedTlsSecret = {
    secretName: secret.secretName,
    certificateKey: secret.certificateKey ?? 'tls.crt',
    privateKeyKey: secret.privateKeyKey ?? 'tls.key',
    caKey: secret.caKey ?? 'ca.crt',
  };
  for (const prop of ['certificateKey', 'privateKeyKey', 'caKey'] as const) {
    if (!SECRET_KEY.test(resolved[prop]))
      throw propError(ctx, prop, resolved[prop], 'a Secret key (letters, digits, "-", "_" and ".")');
  }
  const keys = [resolved.certificateKey, resolved.privateKeyKey, resolved.caKey];
  if (new Set(keys).size !== keys.length) {
    throw propError(ctx, 'certificateKey/privateKeyKey/caKey', keys.join(','), 'three different Secret keys');
  }
  return resolved;
}

function validateSecretKeyRef(ctx: string, prop: string, ref: KafkaSecretKeyRef | undefined): void {
  if (!ref || typeof ref.secretName !== 'string' || !SECRET_NAME.test(ref.secretName)) {
    throw propError(ctx, `${prop}.secretName`, ref?.secretName, 'the name of a Secret (DNS-1123 subdomain)');
  }
  if (typeof ref.key !== 'string' || !SECRET_KEY.test(ref.key)) {
    throw propError(ctx, `${prop}.key`, ref.key, 'a Secret key (letters, digits, "-", "_" and ".")');
  }
}
