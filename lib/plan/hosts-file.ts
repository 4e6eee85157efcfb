/**
 * Host types from a file (JSON or YAML): a list under `hosts:` (or a top-level list), each entry
 *
 * ```yaml
 * hosts:
 *   - name: r650-256          # required
 *     provider: baremetal     # aws | gcp | azure | baremetal (default baremetal)
 *     vcpus: 64               # required
 *     memory: 256Gi           # required, Kubernetes quantity
 *     localNvme: 3840G        # optional quantity
 *     maxPods: 250            # optional
 *     virtualization: bare-metal   # or nested (default bare-metal)
 *     extendedResources: { nvidia.com/gpu: 4 }
 *     price: { perHour: 2.10, currency: USD, region: fra1, date: 2026-11-02, source: "vendor quote Q-1234" }
 * ```
 *
 * An entry named like a catalog type replaces it (e.g. to plan with a negotiated price).
 */
import { readFileSync } from 'fs';
import { Size } from 'cdk8s';
import { parse } from 'yaml';
import { memoryToBytes } from '../sandbox/quantity';
import { CloudProvider, HostPrice, HostType, Virtualization } from './catalog';

function rec(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/**
 * Parses host types from JSON or YAML text.
 *
 * @param text the file content
 * @param file the name used in error messages
 * @throws Error naming the file, the entry and the field for anything malformed
 */
export function parseHostTypes(text: string, file: string): HostType[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(
      `${file}: hosts file does not parse as YAML or JSON: ${(e as Error).message.split('\n')[0]}`,
      { cause: e },
    );
  }
  const list = Array.isArray(doc) ? doc : rec(doc)?.hosts;
  if (!Array.isArray(list)) {
    throw new Error(`${file}: expected a list of host types (a top-level list or a "hosts:" list)`);
  }
  return list.map((raw, i) => {
    const e = rec(raw);
    const where = `${file}: hosts[${i}]${e && typeof e.name === 'string' ? ` "${e.name}"` : ''}`;
    if (!e) throw new Error(`${where}: expected a mapping with name, vcpus and memory`);
    const quantity = (field: string, required: boolean): Size | undefined => {
      const v = e[field];
      if (v === undefined || v === null) {
        if (required) throw new Error(`${where}: ${field} is required (a quantity such as "256Gi")`);
        return undefined;
      }
      let bytes: number;
      try {
        bytes = memoryToBytes(v as string | number);
      } catch {
        throw new Error(
          `${where}: ${field} ${JSON.stringify(v)} is not a quantity such as "256Gi" or "3840G"`,
        );
      }
      if (!(bytes > 0)) throw new Error(`${where}: ${field} ${JSON.stringify(v)} must be > 0`);
      return Size.kibibytes(Math.ceil(bytes / 1024));
    };
    const virtualization =
      e.virtualization === undefined || e.virtualization === 'bare-metal'
        ? Virtualization.BARE_METAL
        : e.virtualization === 'nested'
          ? Virtualization.NESTED
          : undefined;
    if (!virtualization) {
      throw new Error(
        `${where}: virtualization ${JSON.stringify(e.virtualization)} is not allowed; expected "bare-metal" or "nested"`,
      );
    }
    let price: HostPrice | undefined;
    if (e.price !== undefined && e.price !== null) {
      const p = rec(e.price);
      if (!p)
        throw new Error(`${where}: price must be a mapping with perHour, currency, region, date and source`);
      price = {
        perHour: Number(p.perHour),
        currency: String(p.currency ?? 'USD'),
        region: String(p.region ?? ''),
        date: p.date instanceof Date ? p.date.toISOString().slice(0, 10) : String(p.date ?? ''),
        source: String(p.source ?? ''),
      };
    }
    const extended = e.extendedResources === undefined ? undefined : rec(e.extendedResources);
    if (e.extendedResources !== undefined && !extended)
      throw new Error(`${where}: extendedResources must be a mapping`);
    try {
      return HostType.custom({
        name: String(e.name ?? ''),
        provider:
          e.provider === undefined
            ? CloudProvider.BARE_METAL
            : CloudProvider.fromName(String(e.provider), where),
        vcpus: Number(e.vcpus),
        memory: quantity('memory', true)!,
        ...(quantity('localNvme', false) ? { localNvme: quantity('localNvme', false) } : {}),
        ...(e.maxPods !== undefined ? { maxPods: Number(e.maxPods) } : {}),
        virtualization,
        ...(extended
          ? {
              extendedResources: Object.fromEntries(Object.entries(extended).map(([k, v]) => [k, Number(v)])),
            }
          : {}),
        ...(price ? { price } : {}),
        ...(typeof e.description === 'string' ? { description: e.description } : {}),
      });
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
    }
  });
}

/**
 * Reads host types from a JSON or YAML file.
 *
 * @throws Error when the file cannot be read or an entry is malformed
 */
export function loadHostTypes(file: string): HostType[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `${file}: cannot read hosts file (${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message})`,
      { cause: e },
    );
  }
  return parseHostTypes(text, file);
}
