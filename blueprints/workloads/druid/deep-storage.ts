/**
 * Deep storage: where segments and task logs live. Object stores (S3, GCS, Azure Blob) and HDFS for
 * production; a shared local volume for development only.
 */
import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { secretEnv } from '../../../lib/k8s/container';
import { propError } from '../../../lib/k8s/errors';
import { NetworkPeer, NetworkPort } from '../../../lib/k8s/network';
import { sizeToMiB } from '../../../lib/k8s/units';
import {
  DruidEgressRule,
  DruidSecretKeyRef,
  distinctPorts,
  parseHostPorts,
  requireString,
  validatePeer,
  validateSecretRef,
} from './refs';

/** Where the local deep storage volume is mounted by default: the directory the image creates for it. */
export const DEFAULT_LOCAL_DEEP_STORAGE_DIR = '/opt/shared';
/** Where a GCS service account key is mounted. */
export const DRUID_GCS_KEY_DIR = '/var/secrets/google';

/** An AWS access key pair in a Secret. */
export interface DruidS3CredentialsSecret {
  /** Secret name. */
  readonly name: string;
  /**
   * Key of the access key id.
   * @default "AWS_ACCESS_KEY_ID"
   */
  readonly accessKeyIdKey?: string;
  /**
   * Key of the secret access key.
   * @default "AWS_SECRET_ACCESS_KEY"
   */
  readonly secretAccessKeyKey?: string;
}

/** Options of {@link DruidDeepStorage.s3}. */
export interface DruidS3DeepStorageOptions {
  /** Bucket (`druid.storage.bucket`). */
  readonly bucket: string;
  /** Key prefix of the segments (`druid.storage.baseKey`), e.g. `druid/segments`. */
  readonly baseKey: string;
  /**
   * Key prefix of the task logs (`druid.indexer.logs.s3Prefix`).
   * @default - `baseKey` with a last segment `segments` replaced by `indexing-logs` (`druid/segments` -> `druid/indexing-logs`), else `<baseKey>-indexing-logs`
   */
  readonly taskLogPrefix?: string;
  /**
   * AWS region (`AWS_REGION`, which the AWS SDK requires).
   * @default - the SDK's region chain (instance metadata)
   */
  readonly region?: string;
  /**
   * Endpoint of an S3-compatible store (`druid.s3.endpoint.url`), e.g. `https://minio.storage.svc:9000`.
   * @default - AWS S3
   */
  readonly endpointUrl?: string;
  /**
   * Path-style access (`druid.s3.enablePathStyleAccess`), for most S3-compatible stores.
   * @default false
   */
  readonly pathStyleAccess?: boolean;
  /**
   * Access keys from a Secret (as `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, step 3 of Druid's
   * credentials chain).
   * @default - Druid's credentials chain: EKS Pod Identity (container credentials) or the instance profile
   */
  readonly credentialsSecret?: DruidS3CredentialsSecret;
  /**
   * Server-side encryption with a KMS key (`druid.storage.sse.type=kms`, `druid.storage.sse.kms.keyId`).
   * @default - the bucket's default encryption
   */
  readonly kmsKeyId?: string;
  /**
   * Who the pods may reach for the store (HTTPS, or the endpoint's port).
   * @default NetworkPeer.anywhere()
   */
  readonly peer?: NetworkPeer;
}

/** Options of {@link DruidDeepStorage.gcs}. */
export interface DruidGcsDeepStorageOptions {
  /** Bucket (`druid.google.bucket`). */
  readonly bucket: string;
  /** Prefix of the segments (`druid.google.prefix`), e.g. `druid/segments`. */
  readonly prefix: string;
  /**
   * Prefix of the task logs (`druid.indexer.logs.prefix`).
   * @default - derived from `prefix` as for S3
   */
  readonly taskLogPrefix?: string;
  /**
   * A service account key file in a Secret (`GOOGLE_APPLICATION_CREDENTIALS`).
   * @default - Workload Identity (the GKE metadata server)
   */
  readonly credentialsSecret?: DruidSecretKeyRef;
  /**
   * Who the pods may reach for the store.
   * @default NetworkPeer.anywhere()
   */
  readonly peer?: NetworkPeer;
}

/** Options of {@link DruidDeepStorage.azure}. */
export interface DruidAzureDeepStorageOptions {
  /** Storage account (`druid.azure.account`). */
  readonly account: string;
  /** Container (`druid.azure.container`). */
  readonly container: string;
  /** Prefix of the segments (`druid.azure.prefix`). */
  readonly prefix: string;
  /**
   * Prefix of the task logs (`druid.indexer.logs.prefix`, in the same container).
   * @default - derived from `prefix` as for S3
   */
  readonly taskLogPrefix?: string;
  /**
   * The storage account's shared key in a Secret (`druid.azure.key`).
   * @default - none
   */
  readonly sharedKeySecret?: DruidSecretKeyRef;
  /**
   * A SAS token in a Secret (`druid.azure.sharedAccessStorageToken`).
   * @default - none
   */
  readonly sasTokenSecret?: DruidSecretKeyRef;
  /**
   * Client id of a managed identity (Azure Workload Identity): `druid.azure.useAzureCredentialsChain=true`
   * and `druid.azure.managedIdentityClientId`; the ServiceAccounts get `azure.workload.identity/client-id`
   * and the pods the `azure.workload.identity/use` label.
   * @default - none
   */
  readonly managedIdentityClientId?: string;
  /**
   * Who the pods may reach for the store.
   * @default NetworkPeer.anywhere()
   */
  readonly peer?: NetworkPeer;
}

/** Options of {@link DruidDeepStorage.hdfs}. */
export interface DruidHdfsDeepStorageOptions {
  /** Segments directory (`druid.storage.storageDirectory`), e.g. `hdfs://namenode:8020/druid/segments`. */
  readonly storageDirectory: string;
  /**
   * Task logs directory (`druid.indexer.logs.directory`).
   * @default - `<storageDirectory>-indexing-logs`
   */
  readonly taskLogDirectory?: string;
  /**
   * The HDFS cluster (NameNode and DataNodes).
   * @default NetworkPeer.anywhere()
   */
  readonly peer?: NetworkPeer;
  /**
   * Ports of NameNode RPC and DataNode data transfer.
   * @default - the NameNode port of `storageDirectory` (8020 when none) and 9866
   */
  readonly ports?: readonly number[];
}

/** Options of {@link DruidDeepStorage.local}. */
export interface DruidLocalDeepStorageOptions {
  /**
   * Mount path of the shared volume; segments go to `<directory>/segments`, task logs to `<directory>/indexing-logs`.
   * @default "/opt/shared"
   */
  readonly directory?: string;
  /**
   * Size of the volume.
   * @default Size.gibibytes(20)
   */
  readonly size?: Size;
  /**
   * StorageClass of the volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/** The kind of deep storage. */
export type DruidDeepStorageKind = 's3' | 'google' | 'azure' | 'hdfs' | 'local';

/** Where segments and task logs are kept. Use a static factory. */
export class DruidDeepStorage {
  /**
   * Amazon S3 or an S3-compatible store (`druid-s3-extensions`).
   *
   * @throws PropError for a missing bucket or base key, a bad endpoint URL or Secret reference
   */
  public static s3(o: DruidS3DeepStorageOptions): DruidDeepStorage {
    const ctx = 'DruidDeepStorage.s3';
    if (!o || typeof o !== 'object') throw propError(ctx, 'options', o, '{ bucket, baseKey }');
    const bucket = requireBucket(ctx, 'bucket', o.bucket);
    const baseKey = requirePrefix(ctx, 'baseKey', o.baseKey);
    const logs =
      o.taskLogPrefix !== undefined
        ? requirePrefix(ctx, 'taskLogPrefix', o.taskLogPrefix)
        : defaultDruidTaskLogPrefix(baseKey);
    const props: Array<readonly [string, string]> = [
      ['druid.storage.type', 's3'],
      ['druid.storage.bucket', bucket],
      ['druid.storage.baseKey', baseKey],
      ['druid.indexer.logs.type', 's3'],
      ['druid.indexer.logs.s3Bucket', bucket],
      ['druid.indexer.logs.s3Prefix', logs],
    ];
    let region: string | undefined;
    if (o.region !== undefined) {
      region = requireString(ctx, 'region', o.region, 'an AWS region such as "eu-west-1"');
      // S3-compatible stores name their regions freely; AWS regions look like eu-west-1.
      if (o.endpointUrl === undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
        throw propError(ctx, 'region', region, 'an AWS region such as "eu-west-1"');
      }
    }
    let ports: NetworkPort[] = [{ port: 443 }];
    if (o.endpointUrl !== undefined) {
      const m = /^(https?):\/\/([^/:?#]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(String(o.endpointUrl));
      if (!m)
        throw propError(
          ctx,
          'endpointUrl',
          o.endpointUrl,
          'an http(s) URL such as "https://minio.storage.svc:9000"',
        );
      const port = m[3] ? Number(m[3]) : m[1] === 'https' ? 443 : 80;
      if (port < 1 || port > 65535)
        throw propError(ctx, 'endpointUrl', o.endpointUrl, 'a port from 1 to 65535');
      ports = [{ port }];
      props.push(['druid.s3.endpoint.url', o.endpointUrl]);
      if (region) props.push(['druid.s3.endpoint.signingRegion', region]);
    }
    if (o.pathStyleAccess !== undefined)
      props.push(['druid.s3.enablePathStyleAccess', String(!!o.pathStyleAccess)]);
    if (o.kmsKeyId !== undefined) {
      props.push(
        ['druid.storage.sse.type', 'kms'],
        ['druid.storage.sse.kms.keyId', requireString(ctx, 'kmsKeyId', o.kmsKeyId, 'a KMS key id or ARN')],
      );
    }
    const env: k8s.EnvVar[] = region !== undefined ? [{ name: 'AWS_REGION', value: region }] : [];
    const egress: DruidEgressRule[] = [
      { peer: validatePeer(ctx, 'peer', o.peer) ?? NetworkPeer.anywhere(), ports },
    ];
    if (o.credentialsSecret !== undefined) {
      const s = o.credentialsSecret;
      const id = validateSecretRef(ctx, 'credentialsSecret', {
        name: s?.name,
        key: s?.accessKeyIdKey ?? 'AWS_ACCESS_KEY_ID',
      });
      const secret = validateSecretRef(ctx, 'credentialsSecret', {
        name: s.name,
        key: s.secretAccessKeyKey ?? 'AWS_SECRET_ACCESS_KEY',
      });
      env.push(
        secretEnv('AWS_ACCESS_KEY_ID', id.name, id.key),
        secretEnv('AWS_SECRET_ACCESS_KEY', secret.name, secret.key),
      );
    } else {
      // EKS Pod Identity agent (container credentials) and the instance metadata service.
      egress.push(
        { peer: NetworkPeer.ipBlock('169.254.170.23/32'), ports: [{ port: 80 }] },
        { peer: NetworkPeer.ipBlock('169.254.169.254/32'), ports: [{ port: 80 }] },
      );
    }
    return new DruidDeepStorage('s3', 'druid-s3-extensions', props, env, egress, {});
  }

  /**
   * Google Cloud Storage (`druid-google-extensions`).
   *
   * @throws PropError for a missing bucket or prefix or a bad Secret reference
   */
  public static gcs(o: DruidGcsDeepStorageOptions): DruidDeepStorage {
    const ctx = 'DruidDeepStorage.gcs';
    if (!o || typeof o !== 'object') throw propError(ctx, 'options', o, '{ bucket, prefix }');
    const bucket = requireBucket(ctx, 'bucket', o.bucket);
    const prefix = requirePrefix(ctx, 'prefix', o.prefix);
    const logs =
      o.taskLogPrefix !== undefined
        ? requirePrefix(ctx, 'taskLogPrefix', o.taskLogPrefix)
        : defaultDruidTaskLogPrefix(prefix);
    const props: Array<readonly [string, string]> = [
      ['druid.storage.type', 'google'],
      ['druid.google.bucket', bucket],
      ['druid.google.prefix', prefix],
      ['druid.indexer.logs.type', 'google'],
      ['druid.indexer.logs.bucket', bucket],
      ['druid.indexer.logs.prefix', logs],
    ];
    const egress: DruidEgressRule[] = [
      { peer: validatePeer(ctx, 'peer', o.peer) ?? NetworkPeer.anywhere(), ports: [{ port: 443 }] },
    ];
    const env: k8s.EnvVar[] = [];
    let secretVolume: DruidDeepStorageVolumes['secret'];
    if (o.credentialsSecret !== undefined) {
      const ref = validateSecretRef(ctx, 'credentialsSecret', o.credentialsSecret);
      env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: `${DRUID_GCS_KEY_DIR}/key.json` });
      secretVolume = {
        secretName: ref.name,
        items: [{ key: ref.key, path: 'key.json' }],
        mountPath: DRUID_GCS_KEY_DIR,
      };
    } else {
      // The GKE metadata server answers Workload Identity token requests on 80 (and 988 on older versions).
      egress.push({ peer: NetworkPeer.ipBlock('169.254.169.254/32'), ports: [{ port: 80 }, { port: 988 }] });
    }
    return new DruidDeepStorage('google', 'druid-google-extensions', props, env, egress, {
      ...(secretVolume ? { secret: secretVolume } : {}),
    });
  }

  /**
   * Azure Blob Storage (`druid-azure-extensions`), with exactly one of a shared key, a SAS token or a
   * managed identity. Keys and tokens reach the process as `druid_azure_*` environment variables, which
   * the image's `druid.sh` turns into properties, so they never appear in a ConfigMap.
   *
   * @throws PropError for missing names, or not exactly one authentication method
   */
  public static azure(o: DruidAzureDeepStorageOptions): DruidDeepStorage {
    const ctx = 'DruidDeepStorage.azure';
    if (!o || typeof o !== 'object') throw propError(ctx, 'options', o, '{ account, container, prefix }');
    const account = requireString(ctx, 'account', o.account, 'a storage account name');
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      throw propError(ctx, 'account', account, 'a storage account name: 3-24 lower-case letters and digits');
    }
    const container = requireString(ctx, 'container', o.container, 'a blob container name');
    if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
      throw propError(
        ctx,
        'container',
        container,
        'a container name: 3-63 lower-case letters, digits and single "-"',
      );
    }
    const prefix = requirePrefix(ctx, 'prefix', o.prefix);
    const logs =
      o.taskLogPrefix !== undefined
        ? requirePrefix(ctx, 'taskLogPrefix', o.taskLogPrefix)
        : defaultDruidTaskLogPrefix(prefix);
    const methods = [o.sharedKeySecret, o.sasTokenSecret, o.managedIdentityClientId].filter(
      (m) => m !== undefined,
    );
    if (methods.length !== 1) {
      throw propError(
        ctx,
        'sharedKeySecret / sasTokenSecret / managedIdentityClientId',
        methods.length,
        'exactly one authentication method',
      );
    }
    const props: Array<readonly [string, string]> = [
      ['druid.storage.type', 'azure'],
      ['druid.azure.account', account],
      ['druid.azure.container', container],
      ['druid.azure.prefix', prefix],
      ['druid.indexer.logs.type', 'azure'],
      ['druid.indexer.logs.container', container],
      ['druid.indexer.logs.prefix', logs],
    ];
    const env: k8s.EnvVar[] = [];
    const identity: DruidDeepStorageVolumes = {};
    if (o.sharedKeySecret !== undefined) {
      const ref = validateSecretRef(ctx, 'sharedKeySecret', o.sharedKeySecret);
      env.push(secretEnv('druid_azure_key', ref.name, ref.key));
    } else if (o.sasTokenSecret !== undefined) {
      const ref = validateSecretRef(ctx, 'sasTokenSecret', o.sasTokenSecret);
      env.push(secretEnv('druid_azure_sharedAccessStorageToken', ref.name, ref.key));
    } else {
      const id = requireString(
        ctx,
        'managedIdentityClientId',
        o.managedIdentityClientId,
        'a client id (GUID)',
      );
      if (!/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/.test(id)) {
        throw propError(ctx, 'managedIdentityClientId', id, 'a client id (GUID)');
      }
      props.push(
        ['druid.azure.useAzureCredentialsChain', 'true'],
        ['druid.azure.managedIdentityClientId', id],
      );
      identity.serviceAccountAnnotations = { 'azure.workload.identity/client-id': id };
      identity.podLabels = { 'azure.workload.identity/use': 'true' };
    }
    return new DruidDeepStorage(
      'azure',
      'druid-azure-extensions',
      props,
      env,
      [{ peer: validatePeer(ctx, 'peer', o.peer) ?? NetworkPeer.anywhere(), ports: [{ port: 443 }] }],
      identity,
    );
  }

  /**
   * HDFS (`druid-hdfs-storage`).
   *
   * @throws PropError for a directory that is not an `hdfs://` URI or bad ports
   */
  public static hdfs(o: DruidHdfsDeepStorageOptions): DruidDeepStorage {
    const ctx = 'DruidDeepStorage.hdfs';
    if (!o || typeof o !== 'object') throw propError(ctx, 'options', o, '{ storageDirectory }');
    const dir = requireString(
      ctx,
      'storageDirectory',
      o.storageDirectory,
      'an hdfs:// URI such as "hdfs://namenode:8020/druid/segments"',
    );
    const m = /^hdfs:\/\/([^/]+)(\/\S*)$/.exec(dir);
    if (!m)
      throw propError(
        ctx,
        'storageDirectory',
        dir,
        'an hdfs:// URI with a path, e.g. "hdfs://namenode:8020/druid/segments"',
      );
    const logs =
      o.taskLogDirectory !== undefined
        ? requireString(ctx, 'taskLogDirectory', o.taskLogDirectory, 'an hdfs:// URI')
        : `${dir.replace(/\/+$/, '')}-indexing-logs`;
    if (!/^hdfs:\/\/[^/]+\/\S*$/.test(logs))
      throw propError(ctx, 'taskLogDirectory', logs, 'an hdfs:// URI with a path');
    const nameNode = parseHostPorts(ctx, 'storageDirectory', m[1], 8020);
    const given = o.ports ?? [...distinctPorts(nameNode).map((p) => p.port as number), 9866];
    for (const p of given) {
      if (!Number.isInteger(p) || p < 1 || p > 65535)
        throw propError(ctx, 'ports', given, 'ports from 1 to 65535');
    }
    const ports = [...new Set(given)].sort((a, b) => a - b).map((port) => ({ port }));
    return new DruidDeepStorage(
      'hdfs',
      'druid-hdfs-storage',
      [
        ['druid.storage.type', 'hdfs'],
        ['druid.storage.storageDirectory', dir],
        ['druid.indexer.logs.type', 'hdfs'],
        ['druid.indexer.logs.directory', logs],
      ],
      [],
      [{ peer: validatePeer(ctx, 'peer', o.peer) ?? NetworkPeer.anywhere(), ports }],
      {},
    );
  }

  /**
   * A volume shared by the Historicals, the ingestion workers and the Overlords. For development only:
   * every pod that reads or writes segments must mount the same volume, so the blueprint allows one
   * Historical and one worker, and marks the objects with a `kata-blueprints.io/warning` annotation.
   *
   * @throws PropError for a relative directory or a bad size
   */
  public static local(o: DruidLocalDeepStorageOptions = {}): DruidDeepStorage {
    const ctx = 'DruidDeepStorage.local';
    const dir = o.directory ?? DEFAULT_LOCAL_DEEP_STORAGE_DIR;
    if (typeof dir !== 'string' || !/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(dir) || dir.includes('..')) {
      throw propError(ctx, 'directory', dir, 'an absolute path such as "/opt/shared"');
    }
    if (dir === '/tmp' || dir.startsWith('/tmp/') || dir === '/opt/druid' || dir.startsWith('/opt/druid/')) {
      throw propError(
        ctx,
        'directory',
        dir,
        'a path outside /tmp and /opt/druid (those hold the image and other volumes; nested mounts misbehave in Kata VMs)',
      );
    }
    const sizeMiB = sizeToMiB(ctx, 'size', o.size ?? Size.gibibytes(20));
    if (o.storageClassName !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.storageClassName)) {
      throw propError(
        ctx,
        'storageClassName',
        o.storageClassName,
        'a StorageClass name (DNS-1123 subdomain)',
      );
    }
    return new DruidDeepStorage(
      'local',
      undefined,
      [
        ['druid.storage.type', 'local'],
        ['druid.storage.storageDirectory', `${dir}/segments`],
        ['druid.indexer.logs.type', 'file'],
        ['druid.indexer.logs.directory', `${dir}/indexing-logs`],
      ],
      [],
      [],
      {
        shared: {
          mountPath: dir,
          sizeMiB,
          ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}),
        },
      },
    );
  }

  private constructor(
    /** `druid.storage.type`. */
    public readonly kind: DruidDeepStorageKind,
    /** The extension to load, if any. */
    public readonly extension: string | undefined,
    private readonly props: ReadonlyArray<readonly [string, string]>,
    /** Environment variables of the pods that read or write deep storage. */
    public readonly env: readonly k8s.EnvVar[],
    /** Egress of the pods that read or write deep storage. */
    public readonly egress: readonly DruidEgressRule[],
    /** Volumes, identity labels and annotations. */
    public readonly volumes: DruidDeepStorageVolumes,
  ) {}

  /** Whether this is fit for production (everything but local). */
  public get production(): boolean {
    return this.kind !== 'local';
  }

  /** The `druid.storage.*` and `druid.indexer.logs.*` properties (plus the store's connection settings). */
  public properties(): Array<readonly [string, string]> {
    return [...this.props];
  }

  /** The store kind. */
  public toString(): string {
    return this.kind;
  }
}

/** Volumes and identity settings a deep storage needs. */
export interface DruidDeepStorageVolumes {
  /**
   * A Secret mounted as a directory (GCS key).
   * @default - none
   */
  secret?: {
    readonly secretName: string;
    readonly items: ReadonlyArray<{ readonly key: string; readonly path: string }>;
    readonly mountPath: string;
  };
  /**
   * The shared volume of local deep storage.
   * @default - none
   */
  shared?: { readonly mountPath: string; readonly sizeMiB: number; readonly storageClassName?: string };
  /**
   * Annotations of the ServiceAccounts (workload identity).
   * @default - none
   */
  serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /**
   * Labels of the pods (workload identity).
   * @default - none
   */
  podLabels?: Readonly<Record<string, string>>;
}

function requireBucket(ctx: string, prop: string, v: unknown): string {
  const s = requireString(ctx, prop, v, 'a bucket name');
  if (!/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/.test(s)) {
    throw propError(ctx, prop, s, 'a bucket name: 3-222 lower-case letters, digits, ".", "-" and "_"');
  }
  return s;
}

function requirePrefix(ctx: string, prop: string, v: unknown): string {
  const s = requireString(ctx, prop, v, 'a key prefix such as "druid/segments"');
  if (s.startsWith('/') || s.endsWith('/') || /\s/.test(s) || s.includes('//')) {
    throw propError(
      ctx,
      prop,
      s,
      'a key prefix without leading or trailing "/", spaces or "//", e.g. "druid/segments"',
    );
  }
  return s;
}

/** `druid/segments` -> `druid/indexing-logs`; anything else -> `<prefix>-indexing-logs`. */
export function defaultDruidTaskLogPrefix(prefix: string): string {
  const parts = prefix.split('/');
  if (parts[parts.length - 1] === 'segments') {
    parts[parts.length - 1] = 'indexing-logs';
    return parts.join('/');
  }
  return `${prefix}-indexing-logs`;
}
