/**
 * How Vault unseals: Shamir key shares typed in by operators (the default), or auto-unseal with a
 * cloud KMS key. KMS credentials come from the pod's workload identity or from a referenced Secret,
 * never from the configuration file.
 */
import { k8s } from 'cdk8s-plus-28';
import { propError } from '../../../lib/k8s/errors';
import { NetworkPeer, NetworkPort } from '../../../lib/k8s/network';
import { VaultSealConfig } from './config';

const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Where the pod mounts a KMS credentials file (GCP service-account key). */
export const VAULT_KMS_CREDENTIALS_DIR = '/vault/userconfig/kms';

/** The three ways a pod authenticates to the KMS. */
export class VaultKmsCredentials {
  /**
   * The pod's workload identity, bound through its ServiceAccount: an IAM role ARN for AWS (IRSA,
   * `eks.amazonaws.com/role-arn`), a Google service account e-mail for GCP (`iam.gke.io/gcp-service-account`),
   * or the client ID of a managed identity or app registration for Azure (`azure.workload.identity/client-id`
   * plus the pod label `azure.workload.identity/use: "true"`).
   */
  public static workloadIdentity(identity: string): VaultKmsCredentials {
    return new VaultKmsCredentials('workloadIdentity', identity);
  }

  /**
   * A Secret in the Vault namespace: keys `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (AWS),
   * `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET` (Azure), both passed as env from `secretKeyRef`; or
   * `credentials.json`, a service-account key file mounted read-only (GCP).
   */
  public static fromSecret(secretName: string): VaultKmsCredentials {
    return new VaultKmsCredentials('secret', secretName);
  }

  /**
   * The SDK's default chain with nothing set on the pod: an EKS Pod Identity association made
   * outside the cluster, or the node's own identity (instance profile, GCE service account, Azure
   * managed identity) reached through the link-local metadata endpoint.
   */
  public static ambient(): VaultKmsCredentials {
    return new VaultKmsCredentials('ambient', undefined);
  }

  private constructor(
    /** `workloadIdentity`, `secret` or `ambient`. */
    public readonly kind: 'workloadIdentity' | 'secret' | 'ambient',
    /** The identity (workloadIdentity) or the Secret name (secret). */
    public readonly value: string | undefined,
  ) {}

  /** A description for errors. */
  public toString(): string {
    return this.value ? `${this.kind}(${this.value})` : this.kind;
  }
}

/** Options of {@link VaultSeal.awsKms}. */
export interface VaultAwsKmsSealOptions {
  /** AWS region of the key, e.g. `eu-west-1`. */
  readonly region: string;
  /** KMS key ID, key ARN, alias (`alias/vault-unseal`) or alias ARN. */
  readonly kmsKeyId: string;
  /**
   * KMS endpoint, e.g. a VPC endpoint `https://vpce-....kms.eu-west-1.vpce.amazonaws.com`.
   * @default - the regional public endpoint
   */
  readonly endpoint?: string;
  /** How the pod authenticates. */
  readonly credentials: VaultKmsCredentials;
}

/** Options of {@link VaultSeal.gcpKms}. */
export interface VaultGcpKmsSealOptions {
  /** GCP project ID. */
  readonly project: string;
  /** Location of the key ring, e.g. `global` or `europe-west4`. */
  readonly region: string;
  /** Key ring name. */
  readonly keyRing: string;
  /** Crypto key name. */
  readonly cryptoKey: string;
  /** How the pod authenticates. */
  readonly credentials: VaultKmsCredentials;
}

/** Options of {@link VaultSeal.azureKeyVault}. */
export interface VaultAzureKeyVaultSealOptions {
  /** Microsoft Entra tenant ID (a UUID). */
  readonly tenantId: string;
  /** Key Vault name. */
  readonly vaultName: string;
  /** Key name. */
  readonly keyName: string;
  /**
   * Azure cloud environment.
   * @default "AZUREPUBLICCLOUD"
   */
  readonly environment?: string;
  /**
   * Key Vault resource DNS suffix; `managedhsm.azure.net` for a Managed HSM.
   * @default "vault.azure.net"
   */
  readonly resource?: string;
  /** How the pod authenticates. */
  readonly credentials: VaultKmsCredentials;
}

/** An egress rule a seal needs. */
export interface VaultSealEgress {
  /** Destination. */
  readonly peer: NetworkPeer;
  /** Ports. */
  readonly ports: readonly NetworkPort[];
}

/** What a seal adds to the pod and its ServiceAccount. */
export interface VaultSealPodParts {
  /** ServiceAccount annotations (workload identity). */
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
  /** Pod labels (Azure workload identity). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Env vars (credentials from secretKeyRef). */
  readonly env: readonly k8s.EnvVar[];
  /** Volumes (credentials file). */
  readonly volumes: readonly k8s.Volume[];
  /** Volume mounts for the Vault container. */
  readonly volumeMounts: readonly k8s.VolumeMount[];
  /** Egress the KMS and the identity endpoints need. */
  readonly egress: readonly VaultSealEgress[];
}

type Cloud = 'aws' | 'gcp' | 'azure';

/** The link-local instance metadata endpoint (AWS IMDS, GCE metadata server, Azure IMDS). */
const METADATA = NetworkPeer.ipBlock('169.254.169.254/32');

/** How Vault is unsealed. */
export class VaultSeal {
  /** Shamir's secret sharing: `vault operator unseal` with a quorum of key shares after every restart. */
  public static shamir(): VaultSeal {
    return new VaultSeal(undefined, undefined, undefined);
  }

  /**
   * Auto-unseal with an AWS KMS key (`seal "awskms"`). The principal needs `kms:Encrypt`,
   * `kms:Decrypt` and `kms:DescribeKey` on the key.
   *
   * @throws PropError for a missing or malformed region, key or credentials
   */
  public static awsKms(options: VaultAwsKmsSealOptions): VaultSeal {
    const ctx = 'VaultSeal.awsKms';
    const o = options ?? ({} as VaultAwsKmsSealOptions);
    req(ctx, 'region', o.region, /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as "eu-west-1"');
    req(
      ctx,
      'kmsKeyId',
      o.kmsKeyId,
      /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_+=.@-]+|alias\/[A-Za-z0-9/_-]+|mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
      'a KMS key ID (UUID or mrk-...), key ARN, alias ("alias/vault-unseal") or alias ARN',
    );
    if (o.endpoint !== undefined)
      req(ctx, 'endpoint', o.endpoint, /^https:\/\/[a-z0-9.-]+(:\d+)?\/?$/, 'an https URL of a KMS endpoint');
    const creds = credentials(ctx, o.credentials, 'aws');
    const params: Array<[string, string]> = [
      ['region', o.region],
      ['kms_key_id', o.kmsKeyId],
    ];
    if (o.endpoint) params.push(['endpoint', o.endpoint]);
    return new VaultSeal({ type: 'awskms', parameters: params }, 'aws', creds);
  }

  /**
   * Auto-unseal with a Google Cloud KMS key (`seal "gcpckms"`). The service account needs
   * `roles/cloudkms.cryptoKeyEncrypterDecrypter` and `cloudkms.cryptoKeys.get` on the key.
   *
   * @throws PropError for a missing or malformed project, location, key ring, key or credentials
   */
  public static gcpKms(options: VaultGcpKmsSealOptions): VaultSeal {
    const ctx = 'VaultSeal.gcpKms';
    const o = options ?? ({} as VaultGcpKmsSealOptions);
    req(
      ctx,
      'project',
      o.project,
      /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
      'a GCP project ID (6-30 lower-case letters, digits and "-")',
    );
    req(
      ctx,
      'region',
      o.region,
      /^[a-z][a-z0-9-]*[a-z0-9]$/,
      'a Cloud KMS location such as "global" or "europe-west4"',
    );
    req(ctx, 'keyRing', o.keyRing, /^[A-Za-z0-9_-]{1,63}$/, 'a key ring name (letters, digits, "_" and "-")');
    req(
      ctx,
      'cryptoKey',
      o.cryptoKey,
      /^[A-Za-z0-9_-]{1,63}$/,
      'a crypto key name (letters, digits, "_" and "-")',
    );
    const creds = credentials(ctx, o.credentials, 'gcp');
    const params: Array<[string, string]> = [
      ['project', o.project],
      ['region', o.region],
      ['key_ring', o.keyRing],
      ['crypto_key', o.cryptoKey],
    ];
    if (creds.kind === 'secret')
      params.push(['credentials', `${VAULT_KMS_CREDENTIALS_DIR}/credentials.json`]);
    return new VaultSeal({ type: 'gcpckms', parameters: params }, 'gcp', creds);
  }

  /**
   * Auto-unseal with an Azure Key Vault key (`seal "azurekeyvault"`). The identity needs the key
   * permissions `get`, `wrapKey` and `unwrapKey`.
   *
   * @throws PropError for a missing or malformed tenant, vault, key or credentials
   */
  public static azureKeyVault(options: VaultAzureKeyVaultSealOptions): VaultSeal {
    const ctx = 'VaultSeal.azureKeyVault';
    const o = options ?? ({} as VaultAzureKeyVaultSealOptions);
    req(ctx, 'tenantId', o.tenantId, UUID, 'a Microsoft Entra tenant ID (UUID)');
    req(
      ctx,
      'vaultName',
      o.vaultName,
      /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/,
      'a Key Vault name (3-24 letters, digits and "-")',
    );
    req(ctx, 'keyName', o.keyName, /^[A-Za-z0-9-]{1,127}$/, 'a Key Vault key name (letters, digits and "-")');
    if (o.environment !== undefined) {
      req(
        ctx,
        'environment',
        o.environment,
        /^[A-Z]+$/,
        'an Azure environment such as "AZUREPUBLICCLOUD" or "AZUREUSGOVERNMENTCLOUD"',
      );
    }
    if (o.resource !== undefined)
      req(ctx, 'resource', o.resource, /^[a-z0-9.-]+$/, 'a DNS suffix such as "managedhsm.azure.net"');
    const creds = credentials(ctx, o.credentials, 'azure');
    const params: Array<[string, string]> = [
      ['tenant_id', o.tenantId],
      ['vault_name', o.vaultName],
      ['key_name', o.keyName],
    ];
    if (o.environment) params.push(['environment', o.environment]);
    if (o.resource) params.push(['resource', o.resource]);
    return new VaultSeal({ type: 'azurekeyvault', parameters: params }, 'azure', creds);
  }

  private constructor(
    /** The seal stanza; undefined for Shamir. */
    public readonly config: VaultSealConfig | undefined,
    private readonly cloud: Cloud | undefined,
    /** KMS credentials; undefined for Shamir. */
    public readonly credentials: VaultKmsCredentials | undefined,
  ) {}

  /** True for a KMS seal: pods unseal themselves after a restart. */
  public get autoUnseal(): boolean {
    return this.config !== undefined;
  }

  /** `shamir`, `awskms`, `gcpckms` or `azurekeyvault`. */
  public get type(): string {
    return this.config?.type ?? 'shamir';
  }

  /**
   * What the seal adds to the pod: workload-identity annotations and labels, credential env vars or
   * files, and the egress to the KMS (`kmsPeer` on 443) and to the identity endpoints it needs.
   */
  public podParts(kmsPeer: NetworkPeer): VaultSealPodParts {
    const none: VaultSealPodParts = {
      serviceAccountAnnotations: {},
      podLabels: {},
      env: [],
      volumes: [],
      volumeMounts: [],
      egress: [],
    };
    if (!this.config || !this.credentials || !this.cloud) return none;
    const c = this.credentials;
    const egress: VaultSealEgress[] = [{ peer: kmsPeer, ports: [{ port: 443 }] }];
    const secretEnv = (keys: string[]): k8s.EnvVar[] =>
      keys.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: c.value!, key } } }));
    switch (this.cloud) {
      case 'aws':
        if (c.kind === 'workloadIdentity') {
          return {
            ...none,
            // Regional STS endpoints keep unsealing independent of the global us-east-1 endpoint.
            serviceAccountAnnotations: {
              'eks.amazonaws.com/role-arn': c.value!,
              'eks.amazonaws.com/sts-regional-endpoints': 'true',
            },
            egress,
          };
        }
        if (c.kind === 'secret')
          return { ...none, env: secretEnv(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']), egress };
        // EKS Pod Identity agent (169.254.170.23) and the instance metadata service.
        egress.push(
          { peer: NetworkPeer.ipBlock('169.254.170.23/32'), ports: [{ port: 80 }] },
          { peer: METADATA, ports: [{ port: 80 }] },
        );
        return { ...none, egress };
      case 'gcp':
        if (c.kind === 'secret') {
          return {
            ...none,
            volumes: [
              {
                name: 'kms-credentials',
                secret: {
                  secretName: c.value!,
                  defaultMode: 0o440,
                  items: [{ key: 'credentials.json', path: 'credentials.json' }],
                },
              },
            ],
            volumeMounts: [{ name: 'kms-credentials', mountPath: VAULT_KMS_CREDENTIALS_DIR, readOnly: true }],
            egress,
          };
        }
        // GKE serves workload-identity and node tokens from the metadata server: 169.254.169.254:80,
        // handled by gke-metadata-server on 169.254.169.252:988 on GKE Dataplane V2.
        egress.push(
          { peer: METADATA, ports: [{ port: 80 }] },
          { peer: NetworkPeer.ipBlock('169.254.169.252/32'), ports: [{ port: 988 }] },
        );
        return {
          ...none,
          serviceAccountAnnotations:
            c.kind === 'workloadIdentity' ? { 'iam.gke.io/gcp-service-account': c.value! } : {},
          egress,
        };
      case 'azure':
      default:
        if (c.kind === 'workloadIdentity') {
          return {
            ...none,
            serviceAccountAnnotations: { 'azure.workload.identity/client-id': c.value! },
            podLabels: { 'azure.workload.identity/use': 'true' },
            egress,
          };
        }
        if (c.kind === 'secret')
          return { ...none, env: secretEnv(['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET']), egress };
        // Managed identity of the node through Azure IMDS.
        egress.push({ peer: METADATA, ports: [{ port: 80 }] });
        return { ...none, egress };
    }
  }

  /** The seal type. */
  public toString(): string {
    return this.type;
  }
}

function req(ctx: string, prop: string, value: unknown, pattern: RegExp, allowed: string): void {
  if (typeof value !== 'string' || value === '') throw propError(ctx, prop, value, `${allowed} (required)`);
  if (!pattern.test(value)) throw propError(ctx, prop, value, allowed);
}

function credentials(ctx: string, c: VaultKmsCredentials | undefined, cloud: Cloud): VaultKmsCredentials {
  const kinds =
    'VaultKmsCredentials.workloadIdentity(...), VaultKmsCredentials.fromSecret(...) or VaultKmsCredentials.ambient()';
  if (!(c instanceof VaultKmsCredentials)) throw propError(ctx, 'credentials', c, `${kinds} (required)`);
  if (c.kind === 'secret') {
    if (typeof c.value !== 'string' || !SECRET_NAME.test(c.value) || c.value.length > 253) {
      throw propError(
        ctx,
        'credentials',
        c.value,
        'the name of a Secret in the Vault namespace (DNS-1123 subdomain)',
      );
    }
  }
  if (c.kind === 'workloadIdentity') {
    const id = c.value;
    const [pattern, allowed] =
      cloud === 'aws'
        ? [
            /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/,
            'an IAM role ARN for IRSA ("arn:aws:iam::123456789012:role/vault-unseal")',
          ]
        : cloud === 'gcp'
          ? [
              /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/,
              'a Google service account e-mail ("vault-unseal@my-project.iam.gserviceaccount.com")',
            ]
          : [UUID, 'the client ID (UUID) of a managed identity or app registration'];
    if (typeof id !== 'string' || !pattern.test(id))
      throw propError(ctx, 'credentials.workloadIdentity', id, allowed);
  }
  return c;
}
