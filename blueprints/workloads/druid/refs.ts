/** Small shared pieces of the Druid presets: Secret key references, egress rules and host:port parsing. */
import { propError } from '../../../lib/k8s/errors';
import { NetworkPeer, NetworkPort } from '../../../lib/k8s/network';

/** A key of a Secret in the Druid namespace. */
export interface DruidSecretKeyRef {
  /** Secret name. */
  readonly name: string;
  /** Key in the Secret. */
  readonly key: string;
}

/** Egress a dependency needs: a peer and its ports. */
export interface DruidEgressRule {
  /** Where to. */
  readonly peer: NetworkPeer;
  /** Which ports. */
  readonly ports: readonly NetworkPort[];
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Checks a Secret key reference.
 *
 * @throws PropError for a name that is not a DNS-1123 subdomain or a key with characters a Secret key cannot have
 */
export function validateSecretRef(
  context: string,
  prop: string,
  ref: DruidSecretKeyRef | undefined,
): DruidSecretKeyRef {
  if (!ref || typeof ref !== 'object') {
    throw propError(context, prop, ref, 'a Secret key reference { name, key }');
  }
  if (typeof ref.name !== 'string' || !DNS1123_SUBDOMAIN.test(ref.name) || ref.name.length > 253) {
    throw propError(context, `${prop}.name`, ref.name, 'the name of a Secret (DNS-1123 subdomain)');
  }
  if (typeof ref.key !== 'string' || !SECRET_KEY.test(ref.key) || ref.key.length > 253) {
    throw propError(context, `${prop}.key`, ref.key, 'a Secret key (letters, digits, "-", "_" and ".")');
  }
  return { name: ref.name, key: ref.key };
}

/** A host and a port. */
export interface HostPort {
  /** Host name or address. */
  readonly host: string;
  /** Port. */
  readonly port: number;
}

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)$/;

/**
 * Parses `host[:port]` entries separated by commas (`[v6]:port` allowed).
 *
 * @throws PropError for an empty list, a malformed host or a port outside 1-65535
 */
export function parseHostPorts(context: string, prop: string, list: string, defaultPort: number): HostPort[] {
  const out: HostPort[] = [];
  for (const raw of list.split(',')) {
    const entry = raw.trim();
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m || !HOST.test(m[1])) {
      throw propError(
        context,
        prop,
        list,
        'comma-separated host[:port] entries, e.g. "db-0.example.com:5432"',
      );
    }
    const port = m[2] !== undefined ? Number(m[2]) : defaultPort;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw propError(context, prop, list, 'ports from 1 to 65535');
    }
    out.push({ host: m[1], port });
  }
  return out;
}

/** The distinct ports of a host list, sorted. */
export function distinctPorts(hosts: readonly HostPort[]): NetworkPort[] {
  return [...new Set(hosts.map((h) => h.port))].sort((a, b) => a - b).map((port) => ({ port }));
}

/**
 * Checks an optional peer prop.
 *
 * @throws PropError when it is not a NetworkPeer
 */
export function validatePeer(
  context: string,
  prop: string,
  peer: NetworkPeer | undefined,
): NetworkPeer | undefined {
  if (peer !== undefined && !(peer instanceof NetworkPeer)) {
    throw propError(
      context,
      prop,
      peer,
      'a NetworkPeer (NetworkPeer.ipBlock(...), .namespace(...), .pods(...))',
    );
  }
  return peer;
}

/**
 * Checks a required non-empty single-line string.
 *
 * @throws PropError naming the prop when it is missing, empty or has line breaks
 */
export function requireString(context: string, prop: string, v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '' || /[\r\n]/.test(v)) throw propError(context, prop, v, what);
  return v;
}
