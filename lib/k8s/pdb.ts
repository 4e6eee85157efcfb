/** PodDisruptionBudgets (policy/v1). */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { propError } from './errors';

/** Options of {@link podDisruptionBudget}. */
export interface PdbOptions {
  /** Construct context for errors. */
  readonly context: string;
  /** PDB name. */
  readonly name: string;
  /** Selector labels (the workload's). */
  readonly selector: Readonly<Record<string, string>>;
  /** Labels of the PDB object. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** maxUnavailable (exactly one of maxUnavailable / minAvailable). */
  readonly maxUnavailable?: number;
  /** minAvailable. */
  readonly minAvailable?: number;
  /**
   * unhealthyPodEvictionPolicy: `AlwaysAllow` lets a drain evict pods that are not ready (stateless
   * services); `IfHealthyBudget` protects quorum members.
   * @default IfHealthyBudget
   */
  readonly unhealthyPodEvictionPolicy?: 'AlwaysAllow' | 'IfHealthyBudget';
}

/** Creates a PodDisruptionBudget. */
export function podDisruptionBudget(
  scope: Construct,
  id: string,
  o: PdbOptions,
): k8s.KubePodDisruptionBudget {
  if ((o.maxUnavailable === undefined) === (o.minAvailable === undefined)) {
    throw propError(o.context, 'podDisruptionBudget', o, 'exactly one of maxUnavailable or minAvailable');
  }
  const n = o.maxUnavailable ?? o.minAvailable!;
  if (!Number.isInteger(n) || n < 0)
    throw propError(o.context, 'podDisruptionBudget', n, 'a whole number >= 0');
  return new k8s.KubePodDisruptionBudget(scope, id, {
    metadata: { name: o.name, ...(o.labels ? { labels: { ...o.labels } } : {}) },
    spec: {
      selector: { matchLabels: { ...o.selector } },
      ...(o.maxUnavailable !== undefined
        ? { maxUnavailable: k8s.IntOrString.fromNumber(o.maxUnavailable) }
        : { minAvailable: k8s.IntOrString.fromNumber(o.minAvailable!) }),
      unhealthyPodEvictionPolicy: o.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget',
    },
  });
}

/** maxUnavailable that keeps a majority quorum: floor((n - 1) / 2). */
export function quorumMaxUnavailable(members: number): number {
  return Math.max(0, Math.floor((members - 1) / 2));
}
