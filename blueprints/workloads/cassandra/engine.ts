/** Which database a {@link KataCassandraRing} runs: Apache Cassandra or ScyllaDB. */
import { propError } from '../../../lib/k8s/errors';
import { parseImage, validateImage } from '../../../lib/k8s/image';

/**
 * The pinned default Apache Cassandra image: the Docker official image (`docker-library/cassandra`,
 * eclipse-temurin JRE 17, user `cassandra` uid 999 / gid 999, `CASSANDRA_CONF=/etc/cassandra`).
 */
export const CASSANDRA_IMAGE = 'docker.io/library/cassandra:5.0.9';
/** The pinned default ScyllaDB image (`scylladb/scylla`, the 2026.1 long-term-support line). */
export const SCYLLA_IMAGE = 'docker.io/scylladb/scylla:2026.1.6';
/** uid and gid of the `cassandra` user of the official image (`groupadd -r cassandra --gid=999; useradd -r -g cassandra --uid=999`). */
export const CASSANDRA_IMAGE_UID = 999;
/**
 * uid and gid the ScyllaDB containers run as. The image creates its `scylla` user with
 * `adduser --system` in the package's postinst, so its uid is whatever was free at build time and is
 * not a stable contract; every path ScyllaDB writes is a volume owned through `fsGroup`, so a fixed
 * high uid is used instead.
 */
export const SCYLLA_RUN_AS_UID = 10001;

/** The two databases. */
export class CassandraEngineKind {
  /** Apache Cassandra. */
  public static readonly CASSANDRA = new CassandraEngineKind('cassandra');
  /** ScyllaDB. */
  public static readonly SCYLLA = new CassandraEngineKind('scylla');
  private constructor(
    /** `cassandra` or `scylla` (also the `app.kubernetes.io/name` label). */
    public readonly name: string,
  ) {}
}

/** Pre-measured disk capabilities for ScyllaDB's I/O scheduler (`--io-properties-file`). */
export interface ScyllaIoProperties {
  /** Random 4 KiB read IOPS of the data disk. */
  readonly readIops: number;
  /** Sequential read bandwidth of the data disk, bytes per second. */
  readonly readBandwidth: number;
  /** Random 4 KiB write IOPS of the data disk. */
  readonly writeIops: number;
  /** Sequential write bandwidth of the data disk, bytes per second. */
  readonly writeBandwidth: number;
}

/** Options of {@link CassandraEngine.cassandra}. */
export interface CassandraEngineOptions {
  /**
   * Apache Cassandra image, 5.0 or later (pinned tag or digest). It must keep the layout of the
   * official image: `CASSANDRA_CONF=/etc/cassandra`, `cassandra`, `nodetool` and `cqlsh` on the PATH,
   * user 999.
   * @default CASSANDRA_IMAGE
   */
  readonly image?: string;
}

/** Options of {@link CassandraEngine.scylla}. */
export interface ScyllaEngineOptions {
  /**
   * ScyllaDB image (pinned tag or digest) with `/usr/bin/scylla`, `iotune`, `nodetool` and `cqlsh`.
   * @default SCYLLA_IMAGE
   */
  readonly image?: string;
  /**
   * `--overprovisioned`: yield the CPU instead of busy-polling and do not pin shards to CPUs. Use it
   * when the node's vCPUs are shared with other work.
   * @default - false when the pod is Guaranteed with whole cores (requests equal limits), else true
   */
  readonly overprovisioned?: boolean;
  /**
   * Disk capabilities for the I/O scheduler, measured once with `iotune` on the target disk type.
   * @default - `iotune` runs in an init container on the first start of each node (about two minutes)
   *   and its result is kept on the data volume
   */
  readonly ioProperties?: ScyllaIoProperties;
}

/** The database of a ring and its image. Use {@link CassandraEngine.CASSANDRA} or {@link CassandraEngine.SCYLLA}. */
export class CassandraEngine {
  /** Apache Cassandra 5.0 from the Docker official image. */
  public static readonly CASSANDRA = new CassandraEngine(
    CassandraEngineKind.CASSANDRA,
    CASSANDRA_IMAGE,
    undefined,
    undefined,
  );
  /** ScyllaDB 2026.1 with `iotune` on first start and overprovisioning derived from the pod's QoS. */
  public static readonly SCYLLA = new CassandraEngine(
    CassandraEngineKind.SCYLLA,
    SCYLLA_IMAGE,
    undefined,
    undefined,
  );

  /**
   * Apache Cassandra with another image.
   *
   * @throws PropError when the image is not pinned, or its tag names a release before 5.0
   */
  public static cassandra(options: CassandraEngineOptions = {}): CassandraEngine {
    const image = options.image ?? CASSANDRA_IMAGE;
    validateImage('CassandraEngine.cassandra', 'image', image);
    const major = majorVersion(image);
    if (major !== undefined && major < 5) {
      throw propError(
        'CassandraEngine.cassandra',
        'image',
        image,
        'Apache Cassandra 5.0 or later (the generated cassandra.yaml uses the 5.0 key names and parameterized authenticator)',
      );
    }
    return new CassandraEngine(CassandraEngineKind.CASSANDRA, image, undefined, undefined);
  }

  /**
   * ScyllaDB with another image, fixed overprovisioning or pre-measured disk capabilities.
   *
   * @throws PropError when the image is not pinned or an I/O property is not a positive number
   */
  public static scylla(options: ScyllaEngineOptions = {}): CassandraEngine {
    const image = options.image ?? SCYLLA_IMAGE;
    validateImage('CassandraEngine.scylla', 'image', image);
    const io = options.ioProperties;
    if (io !== undefined) {
      for (const key of ['readIops', 'readBandwidth', 'writeIops', 'writeBandwidth'] as const) {
        const v = io[key];
        if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
          throw propError(
            'CassandraEngine.scylla',
            `ioProperties.${key}`,
            v,
            'a whole number > 0 (as measured by iotune)',
          );
        }
      }
    }
    return new CassandraEngine(
      CassandraEngineKind.SCYLLA,
      image,
      options.overprovisioned,
      io ? { ...io } : undefined,
    );
  }

  private constructor(
    /** Which database. */
    public readonly kind: CassandraEngineKind,
    /** The image. */
    public readonly image: string,
    /** Forced `--overprovisioned` (ScyllaDB), undefined to derive it. */
    public readonly overprovisioned: boolean | undefined,
    /** Pre-measured I/O properties (ScyllaDB). */
    public readonly ioProperties: ScyllaIoProperties | undefined,
  ) {}

  /** True for ScyllaDB. */
  public get isScylla(): boolean {
    return this.kind === CassandraEngineKind.SCYLLA;
  }

  /** The uid (and gid, fsGroup) the pods run as. */
  public get uid(): number {
    return this.isScylla ? SCYLLA_RUN_AS_UID : CASSANDRA_IMAGE_UID;
  }

  /** `cassandra` or `scylla`. */
  public toString(): string {
    return this.kind.name;
  }
}

/** The major version in an image tag such as `5.0.9` or `4.1`, if the tag starts with one. */
function majorVersion(image: string): number | undefined {
  const tag = parseImage(image)?.tag;
  const m = tag ? /^v?(\d+)(?:\.|$|-)/.exec(tag) : null;
  return m ? Number(m[1]) : undefined;
}
