/** Application protocols of service ports, named so that Istio (and other meshes) pick the right protocol. */
import { propError } from '../../../lib/k8s/errors';

/** Ports the Istio sidecar (Envoy) and its agent listen on inside the pod (Istio "Application Requirements"). */
export const ISTIO_RESERVED_PORTS: readonly number[] = [
  15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090,
];

/** The user and group id Istio reserves for its proxy: traffic from this uid/gid bypasses the sidecar's redirect rules. */
export const ISTIO_PROXY_UID = 1337;

const IANA_SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;
const APP_PROTOCOL = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * The application protocol of a port. It sets the Service port's `appProtocol` (which Istio prefers
 * over the port name) and the port name prefix (`<protocol>[-<suffix>]`, Istio's fallback).
 */
export class AppProtocol {
  /** HTTP/1.1 (and HTTP/2 upgrade). */
  public static readonly HTTP = new AppProtocol('http', 'http');
  /** HTTP/2 (cleartext or TLS terminated by the mesh). */
  public static readonly HTTP2 = new AppProtocol('http2', 'http2');
  /** HTTPS: TLS the application terminates itself; the mesh passes it through as TLS. */
  public static readonly HTTPS = new AppProtocol('https', 'https');
  /** gRPC. */
  public static readonly GRPC = new AppProtocol('grpc', 'grpc');
  /** gRPC-Web. */
  public static readonly GRPC_WEB = new AppProtocol('grpc-web', 'grpc-web');
  /** Opaque TCP. */
  public static readonly TCP = new AppProtocol('tcp', 'tcp');
  /** Opaque TLS. */
  public static readonly TLS = new AppProtocol('tls', 'tls');

  /**
   * Another `appProtocol` value: an IANA service name (`mysql`, `redis`, `mongo`) or a
   * domain-prefixed name (`kubernetes.io/h2c`, `kubernetes.io/ws`).
   *
   * @param value the appProtocol
   * @param portNamePrefix the prefix of port names. @default - the value (the part after the last "/")
   */
  public static custom(value: string, portNamePrefix?: string): AppProtocol {
    if (typeof value !== 'string' || !APP_PROTOCOL.test(value)) {
      throw propError(
        'AppProtocol.custom',
        'value',
        value,
        'an IANA service name (e.g. "mysql") or a domain-prefixed name (e.g. "kubernetes.io/h2c")',
      );
    }
    const prefix = portNamePrefix ?? value.slice(value.lastIndexOf('/') + 1).toLowerCase();
    if (!IANA_SVC_NAME.test(prefix) || prefix.length > 12) {
      throw propError(
        'AppProtocol.custom',
        'portNamePrefix',
        prefix,
        'a port name prefix of at most 12 lower case letters, digits and "-" (so that "<prefix>-<suffix>" fits the 15-character port name limit)',
      );
    }
    return new AppProtocol(value, prefix);
  }

  private constructor(
    /** The Service port `appProtocol`. */
    public readonly value: string,
    /** The port name prefix, e.g. `grpc` for `grpc` / `grpc-admin`. */
    public readonly portNamePrefix: string,
  ) {}

  /** The appProtocol value. */
  public toString(): string {
    return this.value;
  }
}

/** A further port of the service (admin, metrics, a second protocol). */
export interface ServicePortSpec {
  /**
   * Port name (an IANA service name: at most 15 lower case letters, digits and "-"). For Istio's
   * name-based protocol selection, start it with the protocol, e.g. `grpc`, `http-metrics`.
   */
  readonly name: string;
  /** Port the container listens on (1-65535). */
  readonly port: number;
  /**
   * Application protocol.
   * @default AppProtocol.TCP for TCP ports, none for UDP ports (meshes do not proxy UDP)
   */
  readonly appProtocol?: AppProtocol;
  /**
   * Port number on the Service.
   * @default - the container port
   */
  readonly servicePort?: number;
  /**
   * Publish the port on the Service (and open it to the service's clients). A port that is not
   * published is reachable only through explicit `allowFrom(peer, ports)` rules, e.g. for metrics.
   * @default true
   */
  readonly expose?: boolean;
  /**
   * Transport protocol.
   * @default TCP
   */
  readonly udp?: boolean;
}

/** Checks a port number. */
export function validatePort(context: string, prop: string, port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw propError(context, prop, port, 'a whole port number from 1 to 65535');
  }
  return port;
}

/** Checks a port name (IANA_SVC_NAME, as Kubernetes validates container and service port names). */
export function validatePortName(context: string, prop: string, name: unknown): string {
  if (typeof name !== 'string' || !IANA_SVC_NAME.test(name)) {
    throw propError(
      context,
      prop,
      name,
      'an IANA service name: 1-15 lower case letters, digits and single "-", with at least one letter, not starting or ending with "-"',
    );
  }
  return name;
}
