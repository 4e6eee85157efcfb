/**
 * Kubernetes resource quantities (`250m`, `1.5`, `320Mi`, `2G`, `1e3`), parsed without any framework.
 * The checks, the planner and the sandbox contract all use these, so `lib/sandbox` stays plain TypeScript.
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/**
 * Parses a Kubernetes quantity to its plain number (bytes for memory, cores for CPU).
 *
 * @throws Error when the string is not a Kubernetes quantity
 */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new Error(`quantity ${q} is not a finite number`);
    return q;
  }
  const m = QUANTITY.exec(String(q).trim());
  if (!m)
    throw new Error(`quantity ${JSON.stringify(q)} is not a Kubernetes quantity (e.g. 250m, 1, 512Mi, 2Gi)`);
  const base = Number(m[1]);
  if (m[3] !== undefined) return base * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return base * BINARY[suffix];
  return base * DECIMAL[suffix];
}

/** True when `q` parses as a Kubernetes quantity. */
export function isQuantity(q: unknown): boolean {
  if (typeof q !== 'string' && typeof q !== 'number') return false;
  try {
    parseQuantity(q);
    return true;
  } catch {
    return false;
  }
}

/** CPU quantity to millicores (rounded up, as the scheduler counts). */
export function cpuToMillis(q: string | number): number {
  return Math.ceil(parseQuantity(q) * 1000 - 1e-9);
}

/** Memory quantity to bytes (rounded up). */
export function memoryToBytes(q: string | number): number {
  return Math.ceil(parseQuantity(q) - 1e-6);
}

/** Memory quantity to mebibytes (fractional). */
export function memoryToMiB(q: string | number): number {
  return parseQuantity(q) / 2 ** 20;
}

/** Formats millicores as a canonical quantity: `250m`, `1`, `1500m`. */
export function formatMillis(millis: number): string {
  if (!Number.isInteger(millis) || millis < 0)
    throw new Error(`millicores ${millis} must be a whole number >= 0`);
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Formats mebibytes as a canonical quantity: `512Mi`, `2Gi`. */
export function formatMiB(mib: number): string {
  if (!Number.isInteger(mib) || mib < 0) throw new Error(`mebibytes ${mib} must be a whole number >= 0`);
  return mib % 1024 === 0 && mib !== 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}
