/** Where Vault keeps its data: integrated storage (Raft) on volume claims, or an external Consul cluster. */
import { Size } from 'cdk8s';
import { NetworkPeer } from '../../../lib/k8s/network';

/** Options of {@link VaultStorage.raft}. */
export interface VaultRaftStorageOptions {
  /**
   * Size of each server's data volume claim.
   * @default Size.gibibytes(10)
   */
  readonly size?: Size;
  /**
   * StorageClass of the data volume claims. Prefer a class with `volumeBindingMode: WaitForFirstConsumer`
   * so that each volume is created in the zone of its pod.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/** Options of {@link VaultStorage.consul}. */
export interface VaultConsulStorageOptions {
  /**
   * `host:port` of the Consul agent or server, e.g. `consul-server.consul.svc:8501`.
   */
  readonly address: string;
  /**
   * Key-value path under which Vault keeps its data.
   * @default "vault/"
   */
  readonly path?: string;
  /**
   * Secret with `ca.crt`, `tls.crt` and `tls.key` for TLS to Consul. When set, Vault talks `https`.
   * @default - plain http (only for a node-local agent)
   */
  readonly tlsSecret?: string;
  /**
   * Secret whose key `token` holds the Consul ACL token (passed as `CONSUL_HTTP_TOKEN`, never written
   * into the configuration).
   * @default - no token (Consul without ACLs)
   */
  readonly tokenSecret?: string;
  /**
   * Who the NetworkPolicy lets Vault reach on the address's port.
   * @default - pods in any namespace (NetworkPeer.anyNamespace()); use an ipBlock for Consul outside the cluster
   */
  readonly peer?: NetworkPeer;
}

/** Storage backend of a Vault cluster. */
export class VaultStorage {
  /**
   * Integrated storage (Raft): every server keeps a replica on its own volume claim, and joins its
   * peers with one `retry_join` stanza per peer over TLS.
   */
  public static raft(options: VaultRaftStorageOptions = {}): VaultStorage {
    return new VaultStorage('raft', options, undefined);
  }

  /** Consul as the storage and HA backend (Vault keeps no data on its own volumes). */
  public static consul(options: VaultConsulStorageOptions): VaultStorage {
    return new VaultStorage('consul', undefined, options);
  }

  private constructor(
    /** `raft` or `consul`. */
    public readonly kind: 'raft' | 'consul',
    /** Raft options (raft only). */
    public readonly raftOptions: VaultRaftStorageOptions | undefined,
    /** Consul options (consul only). */
    public readonly consulOptions: VaultConsulStorageOptions | undefined,
  ) {}

  /** `raft` or `consul`. */
  public toString(): string {
    return this.kind;
  }
}
