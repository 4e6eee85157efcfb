/**
 * Errors raised for impossible or unsafe settings. Every message names where the value came from
 * (the construct or function and the prop), the value itself, and what is allowed.
 */

/** An invalid prop value, raised at synth (or program) time. */
export class PropError extends Error {
  /** Where the value was given, e.g. `KataVaultCluster "vault"`. */
  public readonly context: string;
  /** The name of the prop, e.g. `replicas`. */
  public readonly prop: string;

  /**
   * @param context where the value was given, e.g. `KataVaultCluster "vault"`
   * @param prop the prop name, e.g. `replicas`
   * @param value the offending value (rendered with JSON.stringify unless it is a string)
   * @param allowed what would have been accepted, e.g. `an odd number >= 1`
   */
  constructor(context: string, prop: string, value: unknown, allowed: string) {
    super(`${context}: ${prop} ${formatValue(value)} is not allowed; expected ${allowed}`);
    this.name = 'PropError';
    this.context = context;
    this.prop = prop;
  }
}

/**
 * Builds a {@link PropError}.
 *
 * @example throw propError('KataVaultCluster "vault"', 'replicas', 4, 'an odd number >= 1');
 */
export function propError(context: string, prop: string, value: unknown, allowed: string): PropError {
  return new PropError(context, prop, value, allowed);
}

/** Renders a value for an error message: strings quoted, objects as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === 'object' && value !== null && 'toString' in value) {
    const s = (value as { toString(): string }).toString();
    if (s !== '[object Object]') return s;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
