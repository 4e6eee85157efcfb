/** StorageClasses for ring nodes: local NVMe through statically provisioned local PersistentVolumes. */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { propError } from '../../../lib/k8s/errors';

/** Options of {@link CassandraStorage.localNvme}. */
export interface LocalNvmeStorageOptions {
  /**
   * StorageClass name; the local volume provisioner's `storageClassMap` must use the same name.
   * @default "local-nvme"
   */
  readonly name?: string;
  /**
   * Keep a released volume (and its data) when its claim is deleted, instead of letting the local
   * volume provisioner wipe and recycle it. A ring node's claim is only deleted by hand, and the data on
   * it may be the last replica of a range during a replacement.
   * @default true
   */
  readonly retainOnDelete?: boolean;
  /**
   * Labels of the StorageClass object.
   * @default - app.kubernetes.io/managed-by: kata-blueprints
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Where a ring keeps its data. Pass {@link storageClassName} to `KataCassandraRing` as `storageClassName`
 * (or `commitLogStorage.storageClassName`).
 */
export class CassandraStorage {
  /**
   * A StorageClass for local NVMe disks: `provisioner: kubernetes.io/no-provisioner` (no dynamic
   * provisioning; a local static provisioner such as sig-storage-local-static-provisioner creates one
   * PersistentVolume per disk it discovers, with node affinity to its node) and
   * `volumeBindingMode: WaitForFirstConsumer`, so a claim binds only once its pod is scheduled and the
   * scheduler can weigh zone affinity, anti-affinity and the volume's node together. Local volumes
   * cannot grow (`allowVolumeExpansion: false`) and tie a node's data to one machine: losing the machine
   * means replacing the node (`replace_address_first_boot`), which is how Cassandra and ScyllaDB treat
   * local disks anyway.
   *
   * StorageClasses are cluster-scoped: create it once per cluster (e.g. in a chart without namespace).
   *
   * @throws PropError when the name is not a DNS-1123 subdomain
   */
  public static localNvme(
    scope: Construct,
    id: string,
    options: LocalNvmeStorageOptions = {},
  ): CassandraStorage {
    const name = options.name ?? 'local-nvme';
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      throw propError(
        `CassandraStorage.localNvme "${id}"`,
        'name',
        name,
        'a DNS-1123 subdomain (lower case letters, digits, "-" and ".")',
      );
    }
    const storageClass = new k8s.KubeStorageClass(scope, id, {
      metadata: {
        name,
        labels: { 'app.kubernetes.io/managed-by': 'kata-blueprints', ...(options.labels ?? {}) },
      },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: (options.retainOnDelete ?? true) ? 'Retain' : 'Delete',
      allowVolumeExpansion: false,
    });
    return new CassandraStorage(name, storageClass, true);
  }

  /** A StorageClass that already exists in the cluster (network block storage, a CSI driver's class...). */
  public static existing(name: string): CassandraStorage {
    if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      throw propError('CassandraStorage.existing', 'name', name, 'a StorageClass name (DNS-1123 subdomain)');
    }
    return new CassandraStorage(name, undefined, false);
  }

  private constructor(
    /** The StorageClass name to give the ring. */
    public readonly storageClassName: string,
    /** The StorageClass object, when this helper created it. */
    public readonly storageClass: k8s.KubeStorageClass | undefined,
    /** True for node-local volumes (statically provisioned, bound to one machine). */
    public readonly local: boolean,
  ) {}
}
