/** Apache Kafka versions: what each release supports and which official image runs it. */
import { propError } from '../../../lib/k8s/errors';

/** How the KRaft controller quorum is declared. */
export class KafkaQuorumMode {
  /**
   * Static voters: `controller.quorum.voters=<id>@<host>:<port>,...` on every node. Works on every
   * KRaft release; changing the controller set needs a full restart of the cluster.
   */
  public static readonly STATIC = new KafkaQuorumMode('static');
  /**
   * Dynamic quorum (KIP-853, Kafka >= 3.9): `controller.quorum.bootstrap.servers=<host>:<port>,...`,
   * controllers formatted with `--initial-controllers`, and later membership changes through
   * `kafka-metadata-quorum add-controller` / `remove-controller`.
   */
  public static readonly DYNAMIC = new KafkaQuorumMode('dynamic');

  private constructor(
    /** `static` or `dynamic`. */
    public readonly name: string,
  ) {}

  /** The mode's name. */
  public toString(): string {
    return this.name;
  }
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

/**
 * An Apache Kafka release. Use a preset (`KafkaVersion.V4_3_2`) or `KafkaVersion.of('4.1.0')`.
 * The version decides the quorum configuration (static voters before 3.9, bootstrap servers from
 * 3.9), the logging backend (log4j 1 before 4.0, log4j2 from 4.0) and which internal topics exist.
 */
export class KafkaVersion {
  /** Kafka 3.9.2: the last 3.x line; the first with the dynamic quorum (KIP-853). */
  public static readonly V3_9_2 = new KafkaVersion('3.9.2');
  /** Kafka 4.0.2: KRaft only, log4j2, share groups (early access). */
  public static readonly V4_0_2 = new KafkaVersion('4.0.2');
  /** Kafka 4.1.2. */
  public static readonly V4_1_2 = new KafkaVersion('4.1.2');
  /** Kafka 4.2.2. */
  public static readonly V4_2_2 = new KafkaVersion('4.2.2');
  /** Kafka 4.3.2. */
  public static readonly V4_3_2 = new KafkaVersion('4.3.2');

  /** The presets, oldest first. */
  public static get PRESETS(): readonly KafkaVersion[] {
    return [
      KafkaVersion.V3_9_2,
      KafkaVersion.V4_0_2,
      KafkaVersion.V4_1_2,
      KafkaVersion.V4_2_2,
      KafkaVersion.V4_3_2,
    ];
  }

  /**
   * Any release from 3.7.0 on (the first with an official `apache/kafka` image).
   *
   * @throws PropError for strings that are not `MAJOR.MINOR.PATCH` or releases before 3.7.0
   */
  public static of(version: string): KafkaVersion {
    const preset = KafkaVersion.PRESETS.find((v) => v.version === version);
    return preset ?? new KafkaVersion(version);
  }

  /** `MAJOR.MINOR.PATCH`. */
  public readonly version: string;
  /** Major version. */
  public readonly major: number;
  /** Minor version. */
  public readonly minor: number;
  /** Patch version. */
  public readonly patch: number;

  private constructor(version: string) {
    const m = typeof version === 'string' ? VERSION.exec(version) : null;
    if (!m) throw propError('KafkaVersion.of', 'version', version, 'a Kafka release such as "4.1.1"');
    this.version = version;
    this.major = Number(m[1]);
    this.minor = Number(m[2]);
    this.patch = Number(m[3]);
    if (!this.atLeast(3, 7)) {
      throw propError(
        'KafkaVersion.of',
        'version',
        version,
        'Kafka 3.7.0 or later (the first release with an official apache/kafka image)',
      );
    }
  }

  /** True when this release is `major.minor` or later. */
  public atLeast(major: number, minor: number): boolean {
    return this.major > major || (this.major === major && this.minor >= minor);
  }

  /** The official image, `apache/kafka:<version>` (runs as `appuser`, uid 1000). */
  public get image(): string {
    return `apache/kafka:${this.version}`;
  }

  /** Whether the release supports the dynamic controller quorum (KIP-853, 3.9+). */
  public get supportsDynamicQuorum(): boolean {
    return this.atLeast(3, 9);
  }

  /**
   * Whether controllers (and combined nodes) advertise their controller listener in
   * `advertised.listeners` (KIP-853, 3.9+). Earlier releases refuse `advertised.listeners` on
   * controller-only nodes and controller listeners in it on combined nodes.
   */
  public get advertisesControllerListener(): boolean {
    return this.atLeast(3, 9);
  }

  /** The quorum mode used when none is given: dynamic from 3.9, static before. */
  public get defaultQuorumMode(): KafkaQuorumMode {
    return this.supportsDynamicQuorum ? KafkaQuorumMode.DYNAMIC : KafkaQuorumMode.STATIC;
  }

  /** Whether the server logs through log4j2 (4.0+) rather than log4j 1 (reload4j). */
  public get usesLog4j2(): boolean {
    return this.major >= 4;
  }

  /** Whether the share-group state topic (KIP-932, `share.coordinator.state.topic.*`) exists (4.0+). */
  public get hasShareGroupStateTopic(): boolean {
    return this.major >= 4;
  }

  /** The version string. */
  public toString(): string {
    return this.version;
  }
}
