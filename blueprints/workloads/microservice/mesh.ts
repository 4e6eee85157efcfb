/**
 * Service mesh settings of a microservice. The output is Istio-compatible whatever is chosen here
 * (named ports with `appProtocol`, app/version labels, no uid 1337, no Istio ports); this class decides
 * whether the pods ask for a sidecar and how it starts and stops.
 */
import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { propError } from '../../../lib/k8s/errors';
import { cpuMillis, sizeToMiB, sizeToQuantity } from '../../../lib/k8s/units';
import { formatMillis } from '../../../lib/sandbox/quantity';

/** The pod label that turns Istio sidecar injection on or off for one pod (it overrides the namespace label). */
export const ISTIO_INJECT_LABEL = 'sidecar.istio.io/inject';
/** The pod annotation that carries per-pod ProxyConfig overrides. */
export const ISTIO_PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';
/** The pod annotation that selects native (init-container) sidecars for one pod. */
export const ISTIO_NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';

/** Resources of the injected `istio-proxy` container (the `sidecar.istio.io/proxy*` annotations). */
export interface IstioProxyResources {
  /** CPU request (`sidecar.istio.io/proxyCPU`). */
  readonly cpuRequest: Cpu;
  /** CPU limit (`sidecar.istio.io/proxyCPULimit`). */
  readonly cpuLimit: Cpu;
  /** Memory request (`sidecar.istio.io/proxyMemory`). */
  readonly memoryRequest: Size;
  /** Memory limit (`sidecar.istio.io/proxyMemoryLimit`). */
  readonly memoryLimit: Size;
}

/** Options of {@link ServiceMesh.istio}. */
export interface IstioSidecarOptions {
  /**
   * Start the application container only once the proxy is ready
   * (`proxy.istio.io/config: {holdApplicationUntilProxyStarts: true}`), so that the app's first
   * outbound calls do not fail.
   * @default true
   */
  readonly holdApplicationUntilProxyStarts?: boolean;
  /**
   * Run the proxy as a Kubernetes native sidecar (`sidecar.istio.io/nativeSidecar`): it starts
   * before and stops after the application container.
   * @default - the mesh-wide setting
   */
  readonly nativeSidecar?: boolean;
  /**
   * How long the proxy keeps serving after the pod is asked to stop (`terminationDrainDuration`).
   * @default - the service's drain delay, so the proxy outlives the preStop pause
   */
  readonly terminationDrainDuration?: Duration;
  /**
   * Requests and limits of the injected proxy. Under Kata they add to the VM size, so set them
   * rather than inheriting the mesh-wide defaults (Istio's chart: 100m/128Mi requests, 2 CPU/1Gi limits).
   * @default - the mesh-wide proxy resources
   */
  readonly proxyResources?: IstioProxyResources;
  /**
   * Namespace of istiod; the NetworkPolicy lets the pods reach it on 15012 (xDS and certificates).
   * @default "istio-system"
   */
  readonly istioNamespace?: string;
}

/** Whether and how the pods join an Istio mesh. */
export class ServiceMesh {
  /** No per-pod choice: the namespace's `istio-injection` label (or none) decides. */
  public static readonly NAMESPACE_DEFAULT = new ServiceMesh('default', {}, {});
  /** Never inject a sidecar (`sidecar.istio.io/inject: "false"`), even in an injection-enabled namespace. */
  public static readonly NO_SIDECAR = new ServiceMesh('off', {}, {});

  /**
   * Inject the Istio sidecar (`sidecar.istio.io/inject: "true"`).
   *
   * @throws PropError for an invalid istiod namespace, drain duration or proxy resources
   */
  public static istio(options: IstioSidecarOptions = {}): ServiceMesh {
    const ctx = 'ServiceMesh.istio';
    const ns = options.istioNamespace ?? 'istio-system';
    if (typeof ns !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63) {
      throw propError(ctx, 'istioNamespace', ns, 'a namespace name (DNS-1123 label)');
    }
    if (options.terminationDrainDuration !== undefined) {
      const ms = options.terminationDrainDuration.toMilliseconds({ integral: false });
      if (!Number.isInteger(ms / 1000) || ms < 1000) {
        throw propError(ctx, 'terminationDrainDuration', `${ms / 1000}s`, 'a whole number of seconds >= 1');
      }
    }
    const proxy: Record<string, string> = {};
    if (options.proxyResources) {
      const r = options.proxyResources;
      const cpuReq = cpuMillis(ctx, 'proxyResources.cpuRequest', r.cpuRequest);
      const cpuLim = cpuMillis(ctx, 'proxyResources.cpuLimit', r.cpuLimit);
      if (cpuLim < cpuReq) {
        throw propError(
          ctx,
          'proxyResources.cpuLimit',
          formatMillis(cpuLim),
          `>= the request ${formatMillis(cpuReq)}`,
        );
      }
      const memReq = sizeToMiB(ctx, 'proxyResources.memoryRequest', r.memoryRequest);
      const memLim = sizeToMiB(ctx, 'proxyResources.memoryLimit', r.memoryLimit);
      if (memLim < memReq) {
        throw propError(ctx, 'proxyResources.memoryLimit', `${memLim}Mi`, `>= the request ${memReq}Mi`);
      }
      proxy['sidecar.istio.io/proxyCPU'] = formatMillis(cpuReq);
      proxy['sidecar.istio.io/proxyCPULimit'] = formatMillis(cpuLim);
      proxy['sidecar.istio.io/proxyMemory'] = sizeToQuantity(
        ctx,
        'proxyResources.memoryRequest',
        r.memoryRequest,
      );
      proxy['sidecar.istio.io/proxyMemoryLimit'] = sizeToQuantity(
        ctx,
        'proxyResources.memoryLimit',
        r.memoryLimit,
      );
    }
    return new ServiceMesh('istio', { ...options, istioNamespace: ns }, proxy);
  }

  private constructor(
    /** `default`, `off` or `istio`. */
    public readonly mode: 'default' | 'off' | 'istio',
    /** Istio options (istio only). */
    public readonly istioOptions: IstioSidecarOptions,
    private readonly proxyAnnotations: Readonly<Record<string, string>>,
  ) {}

  /** Namespace of istiod (istio only). */
  public get istioNamespace(): string | undefined {
    return this.mode === 'istio' ? this.istioOptions.istioNamespace : undefined;
  }

  /** True when a sidecar is injected for sure. */
  public get injects(): boolean {
    return this.mode === 'istio';
  }

  /** True unless injection is switched off for these pods: the pods must then leave Istio's ports and uid alone. */
  public get mayInject(): boolean {
    return this.mode !== 'off';
  }

  /** Pod labels. */
  public podLabels(): Record<string, string> {
    if (this.mode === 'istio') return { [ISTIO_INJECT_LABEL]: 'true' };
    if (this.mode === 'off') return { [ISTIO_INJECT_LABEL]: 'false' };
    return {};
  }

  /**
   * Pod annotations.
   *
   * @param drainSeconds the service's preStop pause, used as the proxy's drain duration unless set
   */
  public podAnnotations(drainSeconds: number): Record<string, string> {
    if (this.mode !== 'istio') return {};
    const o = this.istioOptions;
    const proxyConfig: Record<string, unknown> = {};
    if (o.holdApplicationUntilProxyStarts ?? true) proxyConfig.holdApplicationUntilProxyStarts = true;
    const drain = o.terminationDrainDuration
      ? o.terminationDrainDuration.toMilliseconds({ integral: false }) / 1000
      : drainSeconds > 0
        ? drainSeconds
        : undefined;
    if (drain !== undefined) proxyConfig.terminationDrainDuration = `${drain}s`;
    const out: Record<string, string> = {};
    if (Object.keys(proxyConfig).length > 0) out[ISTIO_PROXY_CONFIG_ANNOTATION] = JSON.stringify(proxyConfig);
    if (o.nativeSidecar !== undefined) out[ISTIO_NATIVE_SIDECAR_ANNOTATION] = String(o.nativeSidecar);
    Object.assign(out, this.proxyAnnotations);
    return out;
  }

  /** A short description. */
  public toString(): string {
    return this.mode === 'istio' ? 'istio' : this.mode === 'off' ? 'no-sidecar' : 'namespace-default';
  }
}
