/**
 * The metadata store: PostgreSQL or MySQL, reached over JDBC, the password only from a Secret
 * (an environment variable read through Druid's environment password provider,
 * docs/operations/password-provider.md).
 */
import { propError } from '../../../lib/k8s/errors';
import { NetworkPeer } from '../../../lib/k8s/network';
import {
  DruidEgressRule,
  DruidSecretKeyRef,
  HostPort,
  distinctPorts,
  parseHostPorts,
  requireString,
  validatePeer,
  validateSecretRef,
} from './refs';

/** The environment variable that carries the metadata store password. */
export const DRUID_METADATA_PASSWORD_ENV = 'METADATA_STORAGE_PASSWORD';

/** Options of {@link DruidMetadataStore.postgresql} and {@link DruidMetadataStore.mysql}. */
export interface DruidSqlMetadataStoreOptions {
  /** JDBC URI, e.g. `jdbc:postgresql://druid-db.example.com:5432/druid?sslmode=verify-full`. */
  readonly connectUri: string;
  /** Database user. */
  readonly user: string;
  /** The Secret key holding the password (never in the ConfigMap). */
  readonly passwordSecret: DruidSecretKeyRef;
  /**
   * Let Druid create its tables on start (`druid.metadata.storage.connector.createTables`).
   * @default true
   */
  readonly createTables?: boolean;
  /**
   * Who the pods may reach on the database port(s). Narrow it to the database's address range.
   * @default NetworkPeer.anywhere()
   */
  readonly peer?: NetworkPeer;
}

/** Where Druid keeps its metadata (segments, tasks, supervisors, rules). */
export class DruidMetadataStore {
  /**
   * PostgreSQL (`postgresql-metadata-storage`, included in the Apache Druid distribution).
   *
   * @throws PropError for a missing or non-PostgreSQL connect URI, a missing user or a bad Secret reference
   */
  public static postgresql(options: DruidSqlMetadataStoreOptions): DruidMetadataStore {
    return new DruidMetadataStore('postgresql', 'postgresql-metadata-storage', 5432, false, options);
  }

  /**
   * MySQL (`mysql-metadata-storage`). The Apache distribution does not ship MySQL Connector/J (its
   * licence): the cluster's image must add it to `extensions/mysql-metadata-storage`, so the blueprint
   * refuses the official `apache/druid` image with this store.
   *
   * @throws PropError as {@link DruidMetadataStore.postgresql}
   */
  public static mysql(options: DruidSqlMetadataStoreOptions): DruidMetadataStore {
    return new DruidMetadataStore('mysql', 'mysql-metadata-storage', 3306, true, options);
  }

  /** Database user. */
  public readonly user: string;
  /** JDBC URI. */
  public readonly connectUri: string;
  /** Password Secret. */
  public readonly passwordSecret: DruidSecretKeyRef;
  /** Whether Druid creates its tables. */
  public readonly createTables: boolean;
  /** Hosts and ports of the URI. */
  public readonly hosts: readonly HostPort[];
  /** Where the pods may connect. */
  public readonly egress: DruidEgressRule;

  private constructor(
    /** `druid.metadata.storage.type`. */
    public readonly type: 'postgresql' | 'mysql',
    /** The extension to load. */
    public readonly extension: string,
    defaultPort: number,
    /** Whether the JDBC driver must be added to the image. */
    public readonly needsDriverInImage: boolean,
    o: DruidSqlMetadataStoreOptions,
  ) {
    const ctx = `DruidMetadataStore.${type}`;
    if (!o || typeof o !== 'object') {
      throw propError(ctx, 'options', o, '{ connectUri, user, passwordSecret: { name, key } }');
    }
    const example = `jdbc:${type}://db.example.com:${defaultPort}/druid`;
    const uri = requireString(
      ctx,
      'connectUri',
      o.connectUri,
      `a JDBC URI such as "${example}" (the metadata store needs one)`,
    );
    const m = new RegExp(`^jdbc:${type}://([^/?#]+)(/[^?#]*)?(\\?[^#]*)?$`).exec(uri);
    if (!m) throw propError(ctx, 'connectUri', uri, `a ${type} JDBC URI such as "${example}"`);
    this.hosts = parseHostPorts(ctx, 'connectUri', m[1], defaultPort);
    this.connectUri = uri;
    this.user = requireString(ctx, 'user', o.user, 'the database user');
    this.passwordSecret = validateSecretRef(ctx, 'passwordSecret', o.passwordSecret);
    if (o.createTables !== undefined && typeof o.createTables !== 'boolean') {
      throw propError(ctx, 'createTables', o.createTables, 'true or false');
    }
    this.createTables = o.createTables ?? true;
    this.egress = {
      peer: validatePeer(ctx, 'peer', o.peer) ?? NetworkPeer.anywhere(),
      ports: distinctPorts(this.hosts),
    };
  }

  /** The `druid.metadata.storage.*` properties. */
  public properties(): Array<readonly [string, string]> {
    return [
      ['druid.metadata.storage.type', this.type],
      ['druid.metadata.storage.connector.connectURI', this.connectUri],
      ['druid.metadata.storage.connector.user', this.user],
      [
        'druid.metadata.storage.connector.password',
        JSON.stringify({ type: 'environment', variable: DRUID_METADATA_PASSWORD_ENV }),
      ],
      ['druid.metadata.storage.connector.createTables', String(this.createTables)],
    ];
  }

  /** The store type. */
  public toString(): string {
    return this.type;
  }
}
