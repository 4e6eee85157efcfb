/**
 * Azure VM sizes that can run Kata: generation-2 capable sizes with nested virtualization
 * (MicrosoftDocs azure-docs size pages "Nested Virtualization: Supported": Dv3/Dsv3, Dv4/Dsv4/Ddv4/Ddsv4,
 * Dv5/Dsv5/Ddv5/Ddsv5, Dasv5/Dadsv5, Dsv6/Ddsv6 and the matching E series; AKS Pod Sandboxing: "any
 * Azure VM size that is a generation 2 VM and supports nested virtualization", e.g. Standard_D4s_v3).
 */
import { propError } from '../../../lib/sandbox';

/** Allowed additive-feature suffixes per family and version (`Standard_D4ds_v5` -> D, "ds", 5). */
const NESTED_VIRT_SIZES: Readonly<Record<string, Readonly<Record<number, readonly string[]>>>> = {
  D: { 3: ['', 's'], 4: ['', 's', 'd', 'ds'], 5: ['', 's', 'd', 'ds', 'as', 'ads'], 6: ['s', 'ds'] },
  E: {
    3: ['', 's'],
    4: ['', 's', 'd', 'ds'],
    5: ['', 's', 'd', 'ds', 'as', 'ads', 'bs', 'bds'],
    6: ['s', 'ds'],
  },
};

/** A parsed Azure VM size. */
export interface AzureVmSize {
  /** The size, e.g. `Standard_D8s_v5`. */
  readonly vmSize: string;
  /** Family letters, e.g. `D`. */
  readonly family: string;
  /** vCPUs. */
  readonly vcpus: number;
  /** Additive features, e.g. `ds`. */
  readonly features: string;
  /** Version, e.g. 5. */
  readonly version: number;
}

/** The families the check accepts, for messages: `Dv3, Dsv3, Dv4, ...`. */
export function nestedVirtFamilies(): string[] {
  const out: string[] = [];
  for (const [family, versions] of Object.entries(NESTED_VIRT_SIZES)) {
    for (const [version, features] of Object.entries(versions)) {
      for (const f of features) out.push(`${family}${f}v${version}`);
    }
  }
  return out;
}

/**
 * Parses a VM size and refuses those without nested virtualization.
 *
 * @throws PropError naming the size, and the families that can run Kata
 */
export function checkAzureVmSize(context: string, vmSize: string): AzureVmSize {
  const allowed = `a generation-2 VM size with nested virtualization (${nestedVirtFamilies().join(', ')}; e.g. "Standard_D8s_v5")`;
  const m =
    typeof vmSize === 'string' ? /^Standard_([A-Z]+)(\d+)(?:-\d+)?([a-z]*)_v(\d+)$/.exec(vmSize) : null;
  if (!m) {
    throw propError(
      context,
      'vmSize',
      vmSize,
      `${allowed}${typeof vmSize === 'string' && /^Standard_[A-Z]+\d+[a-z]*$/.test(vmSize) ? '; sizes without a version (v1) are generation 1 and have no nested virtualization' : ''}`,
    );
  }
  const [, family, cpus, features, v] = m;
  const version = Number(v);
  const ok = NESTED_VIRT_SIZES[family]?.[version]?.includes(features) ?? false;
  if (!ok) {
    const why = features.includes('p')
      ? 'Arm (Ampere) sizes have no nested virtualization'
      : ['B', 'A', 'F'].includes(family)
        ? `${family}-series sizes have no nested virtualization`
        : family.startsWith('DC') || family.startsWith('EC')
          ? 'confidential sizes have no nested virtualization'
          : features.includes('a') && version === 4
            ? 'Dav4/Dasv4/Eav4/Easv4 have no nested virtualization'
            : `${family}${features}v${version} is not a size with documented nested virtualization`;
    throw propError(context, 'vmSize', vmSize, `${allowed}; ${why}`);
  }
  return { vmSize, family, vcpus: Number(cpus), features, version };
}
