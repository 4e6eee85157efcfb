/**
 * Which EC2 instance types can run Kata: bare metal (`*.metal`, `*.metal-<n>xl`, native `/dev/kvm`) and
 * the virtual types with nested virtualization (C8i, M8i, R8i and their `d` and `-flex` variants, with
 * `cpuOptions.nestedVirtualization: enabled`; AWS EC2 User Guide "Nested virtualization").
 */
import { propError } from '../../../lib/sandbox';
import { CpuArchitecture } from '../contract';

/** What an instance type is, as far as Kata cares. */
export interface AwsKataInstanceType {
  /** The instance type, e.g. `i3.metal`. */
  readonly instanceType: string;
  /** The family, e.g. `i3`. */
  readonly family: string;
  /** True for virtual C8i/M8i/R8i types that need `cpuOptions.nestedVirtualization: enabled`. */
  readonly nestedVirtualization: boolean;
  /** The CPU architecture (Graviton bare metal is arm64). */
  readonly architecture: CpuArchitecture;
  /** The EKS AL2023 AMI type for the architecture. */
  readonly amiType: string;
}

/** Families whose virtual sizes support nested virtualization (8th-generation Intel). */
const NESTED_FAMILY = /^(c8i|m8i|r8i)d?(-flex)?$/;

/**
 * Classifies an instance type for a Kata pool.
 *
 * @param context for error messages, e.g. `AwsMetalNodePool "kata"`
 * @throws PropError for types without hardware virtualization (any virtual type outside C8i/M8i/R8i)
 *   and for Mac bare metal (macOS only, no EKS nodes)
 */
export function classifyAwsInstanceType(context: string, instanceType: string): AwsKataInstanceType {
  const allowed =
    'a bare-metal type (*.metal or *.metal-<n>xl, e.g. "i3.metal", "m5.metal", "c7i.metal-24xl") or a virtual type ' +
    'with nested virtualization (C8i, M8i, R8i families and their d/flex variants, e.g. "c8i.2xlarge")';
  const m = typeof instanceType === 'string' ? /^([a-z][a-z0-9-]*)\.([a-z0-9-]+)$/.exec(instanceType) : null;
  if (!m) throw propError(context, 'instanceType', instanceType, allowed);
  const [, family, size] = m;
  if (family.startsWith('mac')) {
    throw propError(
      context,
      'instanceType',
      instanceType,
      `${allowed}; Mac bare metal runs only macOS, not EKS nodes`,
    );
  }
  const metal = size === 'metal' || /^metal-\d+xl$/.test(size);
  if (metal) {
    const arm = family === 'a1' || /^[a-z]+\d+g/.test(family);
    return {
      instanceType,
      family,
      nestedVirtualization: false,
      architecture: arm ? CpuArchitecture.ARM64 : CpuArchitecture.AMD64,
      amiType: arm ? 'AL2023_ARM_64_STANDARD' : 'AL2023_x86_64_STANDARD',
    };
  }
  if (NESTED_FAMILY.test(family)) {
    return {
      instanceType,
      family,
      nestedVirtualization: true,
      architecture: CpuArchitecture.AMD64,
      amiType: 'AL2023_x86_64_STANDARD',
    };
  }
  throw propError(
    context,
    'instanceType',
    instanceType,
    `${allowed}; a ${family} VM has no /dev/kvm for Kata`,
  );
}
