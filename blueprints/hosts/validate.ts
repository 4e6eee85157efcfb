/** Program-time checks shared by the host blueprints. */
import { KataRuntime, propError } from '../../lib/sandbox';

/** The runtimes a kata-deploy pool serves when none are given: the default of `Sandbox.kata()`. */
export const DEFAULT_POOL_RUNTIMES: readonly KataRuntime[] = [KataRuntime.QEMU];

/**
 * Requires a whole number within bounds.
 *
 * @throws PropError naming the prop and value
 */
export function requireWholeNumber(
  context: string,
  prop: string,
  value: unknown,
  min: number,
  max?: number,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    (max !== undefined && value > max)
  ) {
    throw propError(
      context,
      prop,
      value,
      max === undefined ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** A pool's size: desired count within [min, max]. */
export interface ScalingBounds {
  /** Minimum. */
  readonly min: number;
  /** Desired. */
  readonly desired: number;
  /** Maximum. */
  readonly max: number;
}

/** Prop names of {@link scalingBounds}. */
export interface ScalingPropNames {
  /** Name of the desired-size prop. */
  readonly desired: string;
  /** Name of the minimum prop. */
  readonly min: string;
  /** Name of the maximum prop. */
  readonly max: string;
}

/**
 * Checks desired/min/max sizes. Unset min and max default to the desired size (a fixed-size pool).
 *
 * @throws PropError when a size is not a whole number >= 0, max is 0, or desired is outside [min, max]
 */
export function scalingBounds(
  context: string,
  names: ScalingPropNames,
  desired: unknown,
  min?: unknown,
  max?: unknown,
): ScalingBounds {
  const d = requireWholeNumber(context, names.desired, desired, 0);
  const lo = min === undefined ? d : requireWholeNumber(context, names.min, min, 0);
  const hi = max === undefined ? Math.max(d, 1) : requireWholeNumber(context, names.max, max, 1);
  if (lo > hi) throw propError(context, names.min, lo, `at most ${names.max} (${hi})`);
  if (d < lo || d > hi) {
    throw propError(
      context,
      names.desired,
      d,
      `a size between ${names.min} (${lo}) and ${names.max} (${hi})`,
    );
  }
  return { min: lo, desired: d, max: hi };
}

/** `Component "name"`: the context string of a host component's errors. */
export function componentContext(kind: string, name: string): string {
  return `${kind} "${name}"`;
}

/** A Kubernetes service account that gets cloud permissions. */
export interface ServiceAccountRef {
  /** Namespace. */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
}

/**
 * Checks a service account reference.
 *
 * @throws PropError unless namespace and name are DNS-1123 names
 */
export function checkServiceAccount(context: string, prop: string, sa: ServiceAccountRef): ServiceAccountRef {
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const subdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  if (!sa || !label.test(sa.namespace ?? '') || !subdomain.test(sa.name ?? '')) {
    throw propError(context, prop, sa, '{ namespace, name } with DNS-1123 names');
  }
  return sa;
}
