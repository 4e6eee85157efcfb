/** Persistent volume claim templates for StatefulSets. */
import { k8s } from 'cdk8s-plus-28';

/** Options of {@link volumeClaimTemplate}. */
export interface VolumeClaimTemplateOptions {
  /** Claim name (the volume name the pods mount). */
  readonly name: string;
  /** Requested size as a Kubernetes quantity (`20Gi`). */
  readonly size: string;
  /** StorageClass. @default - the cluster's default class */
  readonly storageClassName?: string;
  /** Labels of the claims. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A `ReadWriteOnce` claim template: one volume per pod, kept with its pod's identity. */
export function volumeClaimTemplate(o: VolumeClaimTemplateOptions): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name: o.name, ...(o.labels ? { labels: { ...o.labels } } : {}) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(o.storageClassName ? { storageClassName: o.storageClassName } : {}),
      resources: { requests: { storage: k8s.Quantity.fromString(o.size) } },
    },
  };
}
