/**
 * Host types that can run Kata Containers (hardware virtualization: bare metal or nested virtualization),
 * with their size, the kubelet's default `maxPods` and an on-demand price with its date and source.
 *
 * Prices are Linux on-demand list prices in USD, per hour, in one reference region per provider
 * (AWS us-east-1, GCP us-central1, Azure eastus). Each entry's `price.source` says where the number was read
 * and whether it could be checked; treat prices as an estimate and pass your own (discounts, other regions)
 * with {@link HostType.custom} or a hosts file.
 */
import { Size, SizeRoundingBehavior } from 'cdk8s';
import { propError } from '../sandbox/errors';
import { NodeReservation } from './reservation';

/** An hourly on-demand price and where it comes from. */
export interface HostPrice {
  /** Price per node-hour. */
  readonly perHour: number;
  /** ISO 4217 currency code, e.g. `USD`. */
  readonly currency: string;
  /** The region the price applies to, e.g. `us-east-1`. */
  readonly region: string;
  /** When the price was read or generated (`YYYY-MM-DD`). */
  readonly date: string;
  /** Where the price was read (URL or repository path), and whether it was verified. */
  readonly source: string;
}

/** Where a host type runs. Carries the default node reservation formula and `maxPods` of its managed Kubernetes. */
export class CloudProvider {
  /** Amazon Web Services (EKS node defaults). */
  public static readonly AWS = new CloudProvider('aws', 'AWS', NodeReservation.EKS, 110);
  /** Google Cloud (GKE node defaults: 110 pods per node on Standard clusters). */
  public static readonly GCP = new CloudProvider('gcp', 'GCP', NodeReservation.GKE, 110);
  /**
   * Microsoft Azure (AKS node defaults: 250 pods per node with Azure CNI Overlay, the AKSNodeClass
   * documentation's default for overlay networking).
   */
  public static readonly AZURE = new CloudProvider('azure', 'Azure', NodeReservation.AKS, 250);
  /**
   * Machines you run yourself. The kubelet reserves nothing by default; the GKE formula is used as a
   * conservative stand-in until you pass your kubelet's settings with `NodeReservation.fixed`.
   */
  public static readonly BARE_METAL = new CloudProvider('baremetal', 'bare metal', NodeReservation.GKE, 110);

  /** Every provider, in a stable order. */
  public static get ALL(): readonly CloudProvider[] {
    return [CloudProvider.AWS, CloudProvider.GCP, CloudProvider.AZURE, CloudProvider.BARE_METAL];
  }

  /**
   * The provider with this short name (`aws`, `gcp`, `azure`, `baremetal`).
   *
   * @throws PropError naming the known providers
   */
  public static fromName(name: string, context = 'CloudProvider.fromName'): CloudProvider {
    const found = CloudProvider.ALL.find((p) => p.name === String(name).toLowerCase());
    if (!found) {
      throw propError(context, 'provider', name, `one of ${CloudProvider.ALL.map((p) => p.name).join(', ')}`);
    }
    return found;
  }

  private constructor(
    /** Short name: `aws`, `gcp`, `azure`, `baremetal`. */
    public readonly name: string,
    /** Display name. */
    public readonly displayName: string,
    /** The reservation formula of the provider's managed Kubernetes nodes. */
    public readonly defaultReservation: NodeReservation,
    /** The default `maxPods` when the host type does not give one. */
    public readonly defaultMaxPods: number,
  ) {}

  /** The short name. */
  public toString(): string {
    return this.name;
  }
}

/** How a host gives Kata its `/dev/kvm`. */
export class Virtualization {
  /** Bare metal: native VT-x / AMD-V. */
  public static readonly BARE_METAL = new Virtualization('bare-metal');
  /** A cloud VM with nested virtualization enabled (Kata VMs run as L2 guests; expect >= 10% CPU overhead). */
  public static readonly NESTED = new Virtualization('nested');

  private constructor(
    /** `bare-metal` or `nested`. */
    public readonly name: string,
  ) {}

  /** The name. */
  public toString(): string {
    return this.name;
  }
}

/** Everything a host type is made of; the input of {@link HostType.custom}. */
export interface HostTypeProps {
  /** Instance / machine type name, e.g. `i3.metal`, `n2-standard-8`, `Standard_D8s_v5`. */
  readonly name: string;
  /**
   * The provider.
   * @default CloudProvider.BARE_METAL
   */
  readonly provider?: CloudProvider;
  /** Logical CPUs (vCPUs / hyper-threads). */
  readonly vcpus: number;
  /** Memory. */
  readonly memory: Size;
  /**
   * Local NVMe instance storage.
   * @default - none
   */
  readonly localNvme?: Size;
  /**
   * How the local NVMe is laid out, for display (e.g. `8 x 1900 GB`).
   * @default - derived from localNvme
   */
  readonly localNvmeLayout?: string;
  /**
   * How Kata gets hardware virtualization on this host.
   * @default Virtualization.BARE_METAL
   */
  readonly virtualization?: Virtualization;
  /**
   * The kubelet's `maxPods` on this host.
   * @default - the provider's default (110 on AWS/GCP/bare metal, 250 on Azure)
   */
  readonly maxPods?: number;
  /**
   * Extended resources every node offers (e.g. `{ 'nvidia.com/gpu': 8 }`).
   * @default - none
   */
  readonly extendedResources?: Readonly<Record<string, number>>;
  /**
   * The on-demand price.
   * @default - no price: monthly cost is not computed
   */
  readonly price?: HostPrice;
  /**
   * One line about the host.
   * @default - none
   */
  readonly description?: string;
}

const MONTHLY_HOURS = 730;

/** Decimal gigabytes (as cloud providers state disk sizes) as a {@link Size}. */
function decimalGB(gb: number): Size {
  return Size.mebibytes(Math.round((gb * 1e9) / 2 ** 20));
}

const KARPENTER_AWS_PRICES =
  'aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go (commit 265ee0ba, generated ' +
  '2026-02-09T13:43:35Z for us-east-1 from the AWS Pricing API); maxPods from awslabs/amazon-eks-ami ' +
  'nodeadm ENI limits (ENIs x (IPs per ENI - 1) + 2)';
const GCP_PRICES =
  'https://cloud.google.com/compute/vm-instance-pricing (Iowa us-central1 machine-type table, Default on-demand ' +
  'column; read from a stored copy of the page)';
const AZURE_PRICES =
  'UNVERIFIED: not read from prices.azure.com or the Azure pricing page; the commonly published East US Linux ' +
  'pay-as-you-go rate (several third-party tables agree). Check before relying on it';

function aws(
  name: string,
  vcpus: number,
  memoryGiB: number,
  perHour: number,
  maxPods: number,
  virtualization: Virtualization,
  extra: Partial<HostTypeProps> = {},
): HostTypeProps {
  return {
    name,
    provider: CloudProvider.AWS,
    vcpus,
    memory: Size.gibibytes(memoryGiB),
    virtualization,
    maxPods,
    price: {
      perHour,
      currency: 'USD',
      region: 'us-east-1',
      date: '2026-02-09',
      source: KARPENTER_AWS_PRICES,
    },
    ...extra,
  };
}

function gcp(
  name: string,
  vcpus: number,
  memoryGiB: number,
  perHour: number,
  description: string,
): HostTypeProps {
  return {
    name,
    provider: CloudProvider.GCP,
    vcpus,
    memory: Size.gibibytes(memoryGiB),
    virtualization: Virtualization.NESTED,
    price: { perHour, currency: 'USD', region: 'us-central1', date: '2026-12-04', source: GCP_PRICES },
    description,
  };
}

function azure(
  name: string,
  vcpus: number,
  memoryGiB: number,
  perHour: number,
  description: string,
): HostTypeProps {
  return {
    name,
    provider: CloudProvider.AZURE,
    vcpus,
    memory: Size.gibibytes(memoryGiB),
    virtualization: Virtualization.NESTED,
    price: { perHour, currency: 'USD', region: 'eastus', date: '2026-12-04', source: AZURE_PRICES },
    description,
  };
}

const AWS_NESTED = 'nested virtualization (CpuOptions.NestedVirtualization=enabled; C8i/M8i/R8i only)';
const GCE_NESTED =
  'GCE/GKE nested virtualization (Intel only; GKE Standard, UBUNTU_CONTAINERD or COS >= 1.28.4)';
const AZURE_NESTED = 'nested virtualization; AKS Pod Sandboxing (KataVmIsolation) needs a Gen2 size';

/** A host type: a machine a Kata node pool is made of. Use a preset, {@link HostType.custom} or a hosts file. */
export class HostType {
  // AWS bare metal: native /dev/kvm.
  /** AWS `i3.metal`: 72 vCPU, 512 GiB, 8 x 1900 GB NVMe. */
  public static readonly I3_METAL = new HostType(
    aws('i3.metal', 72, 512, 4.992, 737, Virtualization.BARE_METAL, {
      localNvme: decimalGB(8 * 1900),
      localNvmeLayout: '8 x 1900 GB',
      description: 'storage-optimized bare metal (Broadwell)',
    }),
  );
  /** AWS `m5.metal`: 96 vCPU, 384 GiB, EBS only. */
  public static readonly M5_METAL = new HostType(
    aws('m5.metal', 96, 384, 4.608, 737, Virtualization.BARE_METAL, {
      description: 'general-purpose bare metal (Skylake/Cascade Lake)',
    }),
  );
  /** AWS `c5.metal`: 96 vCPU, 192 GiB, EBS only. */
  public static readonly C5_METAL = new HostType(
    aws('c5.metal', 96, 192, 4.08, 737, Virtualization.BARE_METAL, {
      description: 'compute-optimized bare metal (Cascade Lake)',
    }),
  );
  /** AWS `m6i.metal`: 128 vCPU, 512 GiB, EBS only. */
  public static readonly M6I_METAL = new HostType(
    aws('m6i.metal', 128, 512, 6.144, 737, Virtualization.BARE_METAL, {
      description: 'general-purpose bare metal (Ice Lake)',
    }),
  );
  /** AWS `m7i.metal-24xl`: 96 vCPU, 384 GiB, EBS only. */
  public static readonly M7I_METAL_24XL = new HostType(
    aws('m7i.metal-24xl', 96, 384, 5.32224, 737, Virtualization.BARE_METAL, {
      description: 'general-purpose bare metal (Sapphire Rapids)',
    }),
  );
  // AWS nested virtualization (8th generation Intel).
  /** AWS `c8i.2xlarge`: 8 vCPU, 16 GiB, nested virtualization. */
  public static readonly C8I_2XLARGE = new HostType(
    aws('c8i.2xlarge', 8, 16, 0.37484, 118, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `c8i.4xlarge`: 16 vCPU, 32 GiB, nested virtualization. */
  public static readonly C8I_4XLARGE = new HostType(
    aws('c8i.4xlarge', 16, 32, 0.74968, 394, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `c8i.8xlarge`: 32 vCPU, 64 GiB, nested virtualization. */
  public static readonly C8I_8XLARGE = new HostType(
    aws('c8i.8xlarge', 32, 64, 1.49936, 492, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `c8i.16xlarge`: 64 vCPU, 128 GiB, nested virtualization. */
  public static readonly C8I_16XLARGE = new HostType(
    aws('c8i.16xlarge', 64, 128, 2.99872, 1010, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `m8i.2xlarge`: 8 vCPU, 32 GiB, nested virtualization. */
  public static readonly M8I_2XLARGE = new HostType(
    aws('m8i.2xlarge', 8, 32, 0.42336, 118, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `m8i.4xlarge`: 16 vCPU, 64 GiB, nested virtualization. */
  public static readonly M8I_4XLARGE = new HostType(
    aws('m8i.4xlarge', 16, 64, 0.84672, 394, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `m8i.8xlarge`: 32 vCPU, 128 GiB, nested virtualization. */
  public static readonly M8I_8XLARGE = new HostType(
    aws('m8i.8xlarge', 32, 128, 1.69344, 492, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `m8i.16xlarge`: 64 vCPU, 256 GiB, nested virtualization. */
  public static readonly M8I_16XLARGE = new HostType(
    aws('m8i.16xlarge', 64, 256, 3.38688, 1010, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `r8i.2xlarge`: 8 vCPU, 64 GiB, nested virtualization. */
  public static readonly R8I_2XLARGE = new HostType(
    aws('r8i.2xlarge', 8, 64, 0.55568, 118, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `r8i.4xlarge`: 16 vCPU, 128 GiB, nested virtualization. */
  public static readonly R8I_4XLARGE = new HostType(
    aws('r8i.4xlarge', 16, 128, 1.11136, 394, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `r8i.8xlarge`: 32 vCPU, 256 GiB, nested virtualization. */
  public static readonly R8I_8XLARGE = new HostType(
    aws('r8i.8xlarge', 32, 256, 2.22272, 492, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  /** AWS `r8i.16xlarge`: 64 vCPU, 512 GiB, nested virtualization. */
  public static readonly R8I_16XLARGE = new HostType(
    aws('r8i.16xlarge', 64, 512, 4.44544, 1010, Virtualization.NESTED, {
      description: AWS_NESTED,
    }),
  );
  // GCP nested virtualization (Intel machine series).
  /** GCP `n2-standard-8`: 8 vCPU, 32 GiB. */
  public static readonly N2_STANDARD_8 = new HostType(gcp('n2-standard-8', 8, 32, 0.388472, GCE_NESTED));
  /** GCP `n2-standard-16`: 16 vCPU, 64 GiB. */
  public static readonly N2_STANDARD_16 = new HostType(gcp('n2-standard-16', 16, 64, 0.776944, GCE_NESTED));
  /** GCP `n2-standard-32`: 32 vCPU, 128 GiB. */
  public static readonly N2_STANDARD_32 = new HostType(gcp('n2-standard-32', 32, 128, 1.553888, GCE_NESTED));
  /** GCP `n2-highmem-8`: 8 vCPU, 64 GiB. */
  public static readonly N2_HIGHMEM_8 = new HostType(gcp('n2-highmem-8', 8, 64, 0.524056, GCE_NESTED));
  /** GCP `n2-highmem-16`: 16 vCPU, 128 GiB. */
  public static readonly N2_HIGHMEM_16 = new HostType(gcp('n2-highmem-16', 16, 128, 1.048112, GCE_NESTED));
  /** GCP `n2-highmem-32`: 32 vCPU, 256 GiB. */
  public static readonly N2_HIGHMEM_32 = new HostType(gcp('n2-highmem-32', 32, 256, 2.096224, GCE_NESTED));
  /** GCP `c3-standard-8`: 8 vCPU, 32 GiB. */
  public static readonly C3_STANDARD_8 = new HostType(gcp('c3-standard-8', 8, 32, 0.403216, GCE_NESTED));
  /** GCP `c3-standard-22`: 22 vCPU, 88 GiB. */
  public static readonly C3_STANDARD_22 = new HostType(gcp('c3-standard-22', 22, 88, 1.108844, GCE_NESTED));
  /** GCP `c3-standard-44`: 44 vCPU, 176 GiB. */
  public static readonly C3_STANDARD_44 = new HostType(gcp('c3-standard-44', 44, 176, 2.217688, GCE_NESTED));
  /** GCP `c3-highmem-22`: 22 vCPU, 176 GiB. */
  public static readonly C3_HIGHMEM_22 = new HostType(gcp('c3-highmem-22', 22, 176, 1.455388, GCE_NESTED));
  // Azure nested virtualization (Dsv5 / Esv5).
  /** Azure `Standard_D4s_v5`: 4 vCPU, 16 GiB. */
  public static readonly STANDARD_D4S_V5 = new HostType(azure('Standard_D4s_v5', 4, 16, 0.192, AZURE_NESTED));
  /** Azure `Standard_D8s_v5`: 8 vCPU, 32 GiB. */
  public static readonly STANDARD_D8S_V5 = new HostType(azure('Standard_D8s_v5', 8, 32, 0.384, AZURE_NESTED));
  /** Azure `Standard_D16s_v5`: 16 vCPU, 64 GiB. */
  public static readonly STANDARD_D16S_V5 = new HostType(
    azure('Standard_D16s_v5', 16, 64, 0.768, AZURE_NESTED),
  );
  /** Azure `Standard_D32s_v5`: 32 vCPU, 128 GiB. */
  public static readonly STANDARD_D32S_V5 = new HostType(
    azure('Standard_D32s_v5', 32, 128, 1.536, AZURE_NESTED),
  );
  /** Azure `Standard_E8s_v5`: 8 vCPU, 64 GiB. */
  public static readonly STANDARD_E8S_V5 = new HostType(azure('Standard_E8s_v5', 8, 64, 0.504, AZURE_NESTED));
  /** Azure `Standard_E16s_v5`: 16 vCPU, 128 GiB. */
  public static readonly STANDARD_E16S_V5 = new HostType(
    azure('Standard_E16s_v5', 16, 128, 1.008, AZURE_NESTED),
  );
  /** Azure `Standard_E32s_v5`: 32 vCPU, 256 GiB. */
  public static readonly STANDARD_E32S_V5 = new HostType(
    azure('Standard_E32s_v5', 32, 256, 2.016, AZURE_NESTED),
  );

  /** Every preset, in a stable order (AWS, GCP, Azure). */
  public static get PRESETS(): readonly HostType[] {
    return [
      HostType.I3_METAL,
      HostType.M5_METAL,
      HostType.C5_METAL,
      HostType.M6I_METAL,
      HostType.M7I_METAL_24XL,
      HostType.C8I_2XLARGE,
      HostType.C8I_4XLARGE,
      HostType.C8I_8XLARGE,
      HostType.C8I_16XLARGE,
      HostType.M8I_2XLARGE,
      HostType.M8I_4XLARGE,
      HostType.M8I_8XLARGE,
      HostType.M8I_16XLARGE,
      HostType.R8I_2XLARGE,
      HostType.R8I_4XLARGE,
      HostType.R8I_8XLARGE,
      HostType.R8I_16XLARGE,
      HostType.N2_STANDARD_8,
      HostType.N2_STANDARD_16,
      HostType.N2_STANDARD_32,
      HostType.N2_HIGHMEM_8,
      HostType.N2_HIGHMEM_16,
      HostType.N2_HIGHMEM_32,
      HostType.C3_STANDARD_8,
      HostType.C3_STANDARD_22,
      HostType.C3_STANDARD_44,
      HostType.C3_HIGHMEM_22,
      HostType.STANDARD_D4S_V5,
      HostType.STANDARD_D8S_V5,
      HostType.STANDARD_D16S_V5,
      HostType.STANDARD_D32S_V5,
      HostType.STANDARD_E8S_V5,
      HostType.STANDARD_E16S_V5,
      HostType.STANDARD_E32S_V5,
    ];
  }

  /**
   * A host type that is not in the catalog (or a catalog type with your own price).
   *
   * @throws PropError when the name is empty, a size is not positive, or the price is malformed
   */
  public static custom(props: HostTypeProps): HostType {
    return new HostType(props);
  }

  /** Host type name. */
  public readonly name: string;
  /** The provider. */
  public readonly provider: CloudProvider;
  /** Logical CPUs. */
  public readonly vcpus: number;
  /** Memory. */
  public readonly memory: Size;
  /** Memory in bytes. */
  public readonly memoryBytes: number;
  /** Local NVMe instance storage, if any. */
  public readonly localNvme?: Size;
  /** How the local NVMe is laid out, for display. */
  public readonly localNvmeLayout?: string;
  /** How Kata gets hardware virtualization. */
  public readonly virtualization: Virtualization;
  /** The kubelet's `maxPods`. */
  public readonly maxPods: number;
  /** Extended resources per node. */
  public readonly extendedResources: Readonly<Record<string, number>>;
  /** The on-demand price, if known. */
  public readonly price?: HostPrice;
  /** One line about the host. */
  public readonly description?: string;

  private constructor(props: HostTypeProps) {
    const ctx = `HostType.custom(${JSON.stringify(props?.name ?? '')})`;
    if (!props || typeof props.name !== 'string' || props.name.trim() === '') {
      throw propError(ctx, 'name', props?.name, 'a host type name such as "m6i.metal"');
    }
    if (!(typeof props.vcpus === 'number' && Number.isFinite(props.vcpus) && props.vcpus > 0)) {
      throw propError(ctx, 'vcpus', props.vcpus, 'a number of vCPUs > 0');
    }
    if (!(props.memory instanceof Size))
      throw propError(ctx, 'memory', props.memory, 'a Size, e.g. Size.gibibytes(512)');
    const memoryBytes = props.memory.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
    if (!(memoryBytes > 0)) throw propError(ctx, 'memory', `${memoryBytes} bytes`, 'a Size > 0');
    const provider = props.provider ?? CloudProvider.BARE_METAL;
    if (!(provider instanceof CloudProvider)) {
      throw propError(ctx, 'provider', props.provider, 'CloudProvider.AWS, GCP, AZURE or BARE_METAL');
    }
    const maxPods = props.maxPods ?? provider.defaultMaxPods;
    if (!Number.isInteger(maxPods) || maxPods < 1)
      throw propError(ctx, 'maxPods', maxPods, 'a whole number >= 1');
    for (const [k, v] of Object.entries(props.extendedResources ?? {})) {
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
        throw propError(ctx, `extendedResources["${k}"]`, v, 'a count >= 0');
      }
    }
    if (props.price !== undefined) {
      const p = props.price;
      if (!(typeof p.perHour === 'number' && Number.isFinite(p.perHour) && p.perHour >= 0)) {
        throw propError(ctx, 'price.perHour', p.perHour, 'a price per node-hour >= 0');
      }
      if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency)) {
        throw propError(ctx, 'price.currency', p.currency, 'an ISO 4217 code such as "USD"');
      }
      if (typeof p.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(p.date)) {
        throw propError(ctx, 'price.date', p.date, 'the date the price was read, as YYYY-MM-DD');
      }
      if (typeof p.source !== 'string' || p.source.trim() === '') {
        throw propError(
          ctx,
          'price.source',
          p.source,
          'where the price comes from (URL, quote, or "UNVERIFIED: ...")',
        );
      }
      if (typeof p.region !== 'string' || p.region.trim() === '') {
        throw propError(ctx, 'price.region', p.region, 'the region the price applies to');
      }
    }
    this.name = props.name.trim();
    this.provider = provider;
    this.vcpus = props.vcpus;
    this.memory = props.memory;
    this.memoryBytes = memoryBytes;
    this.localNvme = props.localNvme;
    this.localNvmeLayout = props.localNvmeLayout;
    this.virtualization = props.virtualization ?? Virtualization.BARE_METAL;
    this.maxPods = maxPods;
    this.extendedResources = Object.freeze({ ...(props.extendedResources ?? {}) });
    this.price = props.price ? Object.freeze({ ...props.price }) : undefined;
    this.description = props.description;
  }

  /** Monthly price of one node (730 hours), if the price is known. */
  public get monthlyPrice(): number | undefined {
    return this.price ? this.price.perHour * MONTHLY_HOURS : undefined;
  }

  /** The name. */
  public toString(): string {
    return this.name;
  }
}

/** Hours in a month, as cloud pricing calculators count them. */
export const HOURS_PER_MONTH = MONTHLY_HOURS;

/**
 * A set of host types to look names up in: the presets plus your own. Your host types replace presets of
 * the same name (e.g. to use a negotiated price).
 */
export class HostCatalog {
  /** The presets only. */
  public static readonly DEFAULT = new HostCatalog(HostType.PRESETS);

  private readonly byName: ReadonlyMap<string, HostType>;
  /** Every host type, presets first then additions, each name once. */
  public readonly hosts: readonly HostType[];

  /**
   * @param hosts host types; a later entry replaces an earlier one with the same name (case-insensitive)
   */
  constructor(hosts: readonly HostType[]) {
    const map = new Map<string, HostType>();
    const order: string[] = [];
    for (const h of hosts) {
      if (!(h instanceof HostType)) throw propError('HostCatalog', 'hosts', h, 'HostType values');
      const key = h.name.toLowerCase();
      if (!map.has(key)) order.push(key);
      map.set(key, h);
    }
    this.byName = map;
    this.hosts = order.map((k) => map.get(k)!);
  }

  /** A new catalog with these host types added (replacing same-named ones). */
  public with(hosts: readonly HostType[]): HostCatalog {
    return new HostCatalog([...this.hosts, ...hosts]);
  }

  /** The host type with this name (case-insensitive), or undefined. */
  public find(name: string): HostType | undefined {
    return this.byName.get(String(name).trim().toLowerCase());
  }

  /**
   * The host type with this name.
   *
   * @throws PropError listing the known names
   */
  public get(name: string, context = 'HostCatalog'): HostType {
    const found = this.find(name);
    if (!found) {
      throw propError(
        context,
        'host',
        name,
        `a known host type (${this.hosts.map((h) => h.name).join(', ')}) or one added with a hosts file`,
      );
    }
    return found;
  }
}
