/** IPv4 CIDR arithmetic for the environments' networks (pure). */
import { propError } from '../../lib/sandbox';

/** A parsed IPv4 CIDR block. */
export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  /** Prefix length. */
  readonly prefix: number;
}

/**
 * Parses `a.b.c.d/n`, requiring the address to be the network address.
 *
 * @throws PropError when it is not an IPv4 CIDR or has host bits set
 */
export function parseCidr(context: string, prop: string, cidr: string): Ipv4Cidr {
  const m =
    typeof cidr === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr) : null;
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix > 32)
    throw propError(context, prop, cidr, 'an IPv4 CIDR block such as "10.0.0.0/16"');
  const network = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((network & mask) >>> 0 !== network) {
    throw propError(
      context,
      prop,
      cidr,
      `the network address of the block (${formatCidr({ network: (network & mask) >>> 0, prefix })})`,
    );
  }
  return { network, prefix };
}

/** Formats a CIDR block. */
export function formatCidr(c: Ipv4Cidr): string {
  const n = c.network;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${c.prefix}`;
}

/**
 * The `index`-th subnet of `newPrefix` inside `base` (like Terraform's `cidrsubnet`).
 *
 * @throws RangeError when the subnet does not fit
 */
export function subnetCidr(base: Ipv4Cidr, newPrefix: number, index: number): Ipv4Cidr {
  if (newPrefix < base.prefix || newPrefix > 32)
    throw new RangeError(`prefix /${newPrefix} does not fit in /${base.prefix}`);
  const count = 2 ** (newPrefix - base.prefix);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `subnet ${index} of /${newPrefix} does not fit in /${base.prefix} (${count} subnets)`,
    );
  }
  return { network: (base.network + index * 2 ** (32 - newPrefix)) >>> 0, prefix: newPrefix };
}

/** Private and public subnets per zone. */
export interface ZoneSubnets {
  /** Private (node) subnets, one per zone. */
  readonly privateSubnets: readonly string[];
  /** Public (NAT, load balancer) subnets, one per zone. */
  readonly publicSubnets: readonly string[];
}

/**
 * Carves a VPC block into one large private subnet per zone (an eighth of the block each: nodes and,
 * with the VPC CNI, pods) and one small public subnet per zone (from the last eighth).
 *
 * @throws PropError when the block is smaller than /20 or there are not 1-6 zones
 */
export function carveZoneSubnets(context: string, vpcCidr: string, zones: number): ZoneSubnets {
  const base = parseCidr(context, 'vpcCidr', vpcCidr);
  if (base.prefix > 20) throw propError(context, 'vpcCidr', vpcCidr, 'a block of /20 or larger (e.g. /16)');
  if (!Number.isInteger(zones) || zones < 1 || zones > 6) {
    throw propError(context, 'availabilityZones', zones, 'between 1 and 6 zones');
  }
  const eighth = base.prefix + 3;
  const publicBlock = subnetCidr(base, eighth, 7);
  const privateSubnets: string[] = [];
  const publicSubnets: string[] = [];
  for (let i = 0; i < zones; i++) {
    privateSubnets.push(formatCidr(subnetCidr(base, eighth, i)));
    publicSubnets.push(formatCidr(subnetCidr(publicBlock, publicBlock.prefix + 3, i)));
  }
  return { privateSubnets, publicSubnets };
}
