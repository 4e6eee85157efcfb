/** Spreading replicas over hosts and zones, so that one node or zone loss takes few of them. */
import { k8s } from 'cdk8s-plus-28';

/** Zone label (well-known). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Hostname label (well-known). */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** How replicas are spread. Use a preset. */
export class SpreadPolicy {
  /**
   * Required hostname anti-affinity (never two replicas on one node) and a zone spread that prefers
   * balance (`ScheduleAnyway`). The default for quorum-based data stores.
   */
  public static readonly ONE_PER_HOST = new SpreadPolicy('required', 'ScheduleAnyway');
  /** Preferred hostname anti-affinity and a preferred zone spread. The default for stateless services. */
  public static readonly PREFERRED = new SpreadPolicy('preferred', 'ScheduleAnyway');
  /** Required hostname anti-affinity and a strict zone spread (`DoNotSchedule`, maxSkew 1). */
  public static readonly STRICT_ZONES = new SpreadPolicy('required', 'DoNotSchedule');
  /** No spreading at all (development only; the production checks will warn). */
  public static readonly NONE = new SpreadPolicy('none', 'none');

  private constructor(
    /** Hostname anti-affinity: `required`, `preferred` or `none`. */
    public readonly hostAntiAffinity: 'required' | 'preferred' | 'none',
    /** Zone spread: `DoNotSchedule`, `ScheduleAnyway` or `none`. */
    public readonly zoneSpread: 'DoNotSchedule' | 'ScheduleAnyway' | 'none',
  ) {}

  /**
   * Affinity and topology spread constraints for pods with these selector labels.
   * Nothing is returned for a single replica.
   */
  public render(
    selector: Readonly<Record<string, string>>,
    replicas: number,
  ): { affinity?: k8s.Affinity; topologySpreadConstraints?: k8s.TopologySpreadConstraint[] } {
    if (replicas <= 1) return {};
    const labelSelector: k8s.LabelSelector = { matchLabels: { ...selector } };
    const out: { affinity?: k8s.Affinity; topologySpreadConstraints?: k8s.TopologySpreadConstraint[] } = {};
    if (this.hostAntiAffinity === 'required') {
      out.affinity = {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector, topologyKey: HOSTNAME_LABEL }],
        },
      };
    } else if (this.hostAntiAffinity === 'preferred') {
      out.affinity = {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 100, podAffinityTerm: { labelSelector, topologyKey: HOSTNAME_LABEL } },
          ],
        },
      };
    }
    if (this.zoneSpread !== 'none') {
      out.topologySpreadConstraints = [
        { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: this.zoneSpread, labelSelector },
      ];
    }
    return out;
  }
}

/** Required node affinity to one zone (e.g. one Cassandra rack per zone). */
export function zoneNodeAffinity(zone: string): k8s.Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: [zone] }] }],
      },
    },
  };
}

/** Merges affinities (node affinity from `a`/`b`, pod anti-affinity terms concatenated). */
export function mergeAffinity(
  a: k8s.Affinity | undefined,
  b: k8s.Affinity | undefined,
): k8s.Affinity | undefined {
  if (!a) return b;
  if (!b) return a;
  const req = [
    ...(a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(b.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
  ];
  const pref = [
    ...(a.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(b.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []),
  ];
  const podAntiAffinity =
    req.length || pref.length
      ? {
          ...(req.length ? { requiredDuringSchedulingIgnoredDuringExecution: req } : {}),
          ...(pref.length ? { preferredDuringSchedulingIgnoredDuringExecution: pref } : {}),
        }
      : undefined;
  const nodeAffinity = b.nodeAffinity ?? a.nodeAffinity;
  return {
    ...(nodeAffinity ? { nodeAffinity } : {}),
    ...(a.podAffinity || b.podAffinity ? { podAffinity: b.podAffinity ?? a.podAffinity } : {}),
    ...(podAntiAffinity ? { podAntiAffinity } : {}),
  };
}
