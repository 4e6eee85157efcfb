/** Kubernetes label selectors, evaluated over plain label maps (shared by the checks and the planner). */

/** A label selector (`matchLabels` and `matchExpressions`), as in the API. */
export interface LabelSelectorLike {
  /** Equality requirements. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Set-based requirements. */
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }>;
}

/**
 * Whether `labels` satisfy `selector`, with Kubernetes semantics: every `matchLabels` entry and every
 * expression (`In`, `NotIn`, `Exists`, `DoesNotExist`) must hold; an unknown operator never matches;
 * an empty selector matches everything.
 */
export function labelSelectorMatches(
  selector: LabelSelectorLike,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
