/** Health probes of a service: HTTP, gRPC, TCP or exec, with timings that depend on the probe's role. */
import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { propError } from '../../../lib/k8s/errors';

/** Timing of a probe. Unset fields take the defaults of the probe's role (readiness, liveness, startup). */
export interface ServiceProbeOptions {
  /**
   * The port to probe: a port name (`http`, `grpc`, an extra port's name) or number of the container.
   * @default - the main port
   */
  readonly port?: string | number;
  /**
   * Delay before the first probe.
   * @default - none (a startup probe covers slow starts)
   */
  readonly initialDelay?: Duration;
  /**
   * How often to probe.
   * @default - 5s for readiness and startup, 10s for liveness
   */
  readonly period?: Duration;
  /**
   * Probe timeout.
   * @default - 2s for readiness and startup, 5s for liveness
   */
  readonly timeout?: Duration;
  /**
   * Consecutive failures before the pod is taken out of the endpoints (readiness), restarted
   * (liveness) or given up on (startup).
   * @default - 3 for readiness, 6 for liveness (a pod leaves the load balancer long before it is killed), 60 for startup (5 minutes)
   */
  readonly failureThreshold?: number;
  /**
   * Consecutive successes to count as healthy again (readiness only; Kubernetes requires 1 for liveness and startup).
   * @default 1
   */
  readonly successThreshold?: number;
}

/** Options of {@link ServiceProbe.http}. */
export interface HttpProbeOptions extends ServiceProbeOptions {
  /**
   * Probe over HTTPS (the kubelet does not verify the certificate).
   * @default false
   */
  readonly https?: boolean;
}

/** What a probe is used for; it selects the default timings. */
export class ProbeRole {
  /** Readiness: decides whether the pod receives traffic. */
  public static readonly READINESS = new ProbeRole('readiness', { period: 5, timeout: 2, failure: 3 });
  /** Liveness: restarts a wedged container. */
  public static readonly LIVENESS = new ProbeRole('liveness', { period: 10, timeout: 5, failure: 6 });
  /** Startup: holds liveness and readiness back until the application has started. */
  public static readonly STARTUP = new ProbeRole('startup', { period: 5, timeout: 2, failure: 60 });

  private constructor(
    /** `readiness`, `liveness` or `startup`. */
    public readonly name: string,
    /** Default period, timeout (seconds) and failure threshold. */
    public readonly defaults: { readonly period: number; readonly timeout: number; readonly failure: number },
  ) {}
}

/** A port of the container as the probe resolves it. */
export interface ProbePortRef {
  /** Port name. */
  readonly name: string;
  /** Port number. */
  readonly port: number;
}

type ProbeKind = 'http' | 'grpc' | 'tcp' | 'exec';

/**
 * A readiness, liveness or startup probe. Use the static factories:
 * `ServiceProbe.http('/readyz')`, `ServiceProbe.grpc()`, `ServiceProbe.tcp()`, `ServiceProbe.exec([...])`.
 */
export class ServiceProbe {
  /**
   * An HTTP GET probe; any 2xx or 3xx answer is a success.
   *
   * @param path request path, starting with "/". @default "/"
   */
  public static http(path = '/', options: HttpProbeOptions = {}): ServiceProbe {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw propError('ServiceProbe.http', 'path', path, 'a request path starting with "/", e.g. "/readyz"');
    }
    return new ServiceProbe('http', options, { path, https: options.https ?? false });
  }

  /**
   * A gRPC probe using the gRPC Health Checking Protocol (`grpc.health.v1.Health/Check`), built into the kubelet.
   *
   * @param service the service name sent in the HealthCheckRequest. @default - "" (the server's overall health)
   */
  public static grpc(service?: string, options: ServiceProbeOptions = {}): ServiceProbe {
    if (service !== undefined && (typeof service !== 'string' || service.length === 0)) {
      throw propError(
        'ServiceProbe.grpc',
        'service',
        service,
        'a non-empty gRPC service name, or nothing for the overall health',
      );
    }
    return new ServiceProbe('grpc', options, { service });
  }

  /** A TCP connect probe: succeeds when the port accepts a connection. */
  public static tcp(options: ServiceProbeOptions = {}): ServiceProbe {
    return new ServiceProbe('tcp', options, {});
  }

  /** A command run in the container; exit code 0 is a success. Runs inside the VM under Kata. */
  public static exec(command: readonly string[], options: ServiceProbeOptions = {}): ServiceProbe {
    if (!Array.isArray(command) || command.length === 0 || command.some((c) => typeof c !== 'string')) {
      throw propError('ServiceProbe.exec', 'command', command, 'a non-empty list of strings');
    }
    return new ServiceProbe('exec', options, { command: [...command] });
  }

  private constructor(
    /** The probe mechanism. */
    public readonly kind: ProbeKind,
    /** Port and timing options. */
    public readonly options: ServiceProbeOptions,
    private readonly detail: {
      readonly path?: string;
      readonly https?: boolean;
      readonly service?: string;
      readonly command?: readonly string[];
    },
  ) {}

  /**
   * The L1 probe for a role.
   *
   * @param context construct context for errors
   * @param prop the prop the probe came from, e.g. `readiness`
   * @param role what the probe is used for
   * @param mainPort the main port (the default target)
   * @param ports every container port, to resolve names and numbers
   * @throws PropError for unknown ports, bad timings, or a successThreshold other than 1 on liveness/startup
   */
  public render(
    context: string,
    prop: string,
    role: ProbeRole,
    mainPort: ProbePortRef,
    ports: readonly ProbePortRef[],
  ): k8s.Probe {
    const target = this.resolvePort(context, prop, mainPort, ports);
    const seconds = (name: string, d: Duration | undefined, fallback: number, min: number): number => {
      if (d === undefined) return fallback;
      if (!d || typeof d.toMilliseconds !== 'function') {
        throw propError(context, `${prop}.${name}`, d, 'a cdk8s Duration such as Duration.seconds(5)');
      }
      const s = d.toMilliseconds({ integral: false }) / 1000;
      if (!Number.isInteger(s) || s < min)
        throw propError(context, `${prop}.${name}`, `${s}s`, `a whole number of seconds >= ${min}`);
      return s;
    };
    const count = (name: string, n: number | undefined, fallback: number): number => {
      if (n === undefined) return fallback;
      if (!Number.isInteger(n) || n < 1)
        throw propError(context, `${prop}.${name}`, n, 'a whole number >= 1');
      return n;
    };
    const o = this.options;
    const period = seconds('period', o.period, role.defaults.period, 1);
    const timeout = seconds('timeout', o.timeout, role.defaults.timeout, 1);
    if (timeout > period) {
      throw propError(
        context,
        `${prop}.timeout`,
        `${timeout}s`,
        `at most the period ${period}s (probes would overlap)`,
      );
    }
    const successThreshold = count('successThreshold', o.successThreshold, 1);
    if (role !== ProbeRole.READINESS && successThreshold !== 1) {
      throw propError(
        context,
        `${prop}.successThreshold`,
        successThreshold,
        `1 (Kubernetes requires it for ${role.name} probes)`,
      );
    }
    const timing = {
      initialDelaySeconds: seconds('initialDelay', o.initialDelay, 0, 0),
      periodSeconds: period,
      timeoutSeconds: timeout,
      failureThreshold: count('failureThreshold', o.failureThreshold, role.defaults.failure),
      successThreshold,
    };
    switch (this.kind) {
      case 'http':
        return {
          httpGet: {
            path: this.detail.path!,
            port: k8s.IntOrString.fromString(target.name),
            scheme: this.detail.https ? 'HTTPS' : 'HTTP',
          },
          ...timing,
        };
      case 'grpc':
        // The grpc probe takes a port number only (core/v1 GRPCAction.port is int32).
        return {
          grpc: { port: target.port, ...(this.detail.service ? { service: this.detail.service } : {}) },
          ...timing,
        };
      case 'exec':
        return { exec: { command: [...this.detail.command!] }, ...timing };
      case 'tcp':
      default:
        return { tcpSocket: { port: k8s.IntOrString.fromString(target.name) }, ...timing };
    }
  }

  /** A short description, e.g. `http(/readyz)`. */
  public toString(): string {
    switch (this.kind) {
      case 'http':
        return `http(${this.detail.path})`;
      case 'grpc':
        return `grpc(${this.detail.service ?? ''})`;
      case 'exec':
        return `exec(${this.detail.command!.join(' ')})`;
      default:
        return 'tcp()';
    }
  }

  private resolvePort(
    context: string,
    prop: string,
    mainPort: ProbePortRef,
    ports: readonly ProbePortRef[],
  ): ProbePortRef {
    const want = this.options.port;
    if (want === undefined) return mainPort;
    const found = ports.find((p) => (typeof want === 'number' ? p.port === want : p.name === want));
    if (!found) {
      throw propError(
        context,
        `${prop}.port`,
        want,
        `a port of the container (${ports.map((p) => `${p.name}=${p.port}`).join(', ')})`,
      );
    }
    return found;
  }
}
