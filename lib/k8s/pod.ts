/** Sandboxed, hardened pod templates: the only way blueprints build pods. */
import { k8s } from 'cdk8s-plus-28';
import { applySandbox } from '../sandbox/apply';
import { Sandbox } from '../sandbox/sandbox';

/** Options of {@link sandboxedPodTemplate}. */
export interface SandboxedPodOptions {
  /** Construct context for errors. */
  readonly context: string;
  /** How the pod is isolated. */
  readonly sandbox: Sandbox;
  /** Pod labels (must include the workload's selector labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Pod annotations. @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Containers. */
  readonly containers: k8s.Container[];
  /** Init containers. @default - none */
  readonly initContainers?: k8s.Container[];
  /** Volumes. @default - none */
  readonly volumes?: k8s.Volume[];
  /** Service account. @default - the namespace's default account (with no token mounted) */
  readonly serviceAccountName?: string;
  /** Mount the service-account token (only for pods that call the API server). @default false */
  readonly serviceAccountToken?: boolean;
  /** Affinity. @default - none */
  readonly affinity?: k8s.Affinity;
  /** Topology spread constraints. @default - none */
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
  /** terminationGracePeriodSeconds. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** Pod security context fields (runAsUser, runAsGroup, fsGroup...). Hardening is added on top. @default - none */
  readonly securityContext?: k8s.PodSecurityContext;
  /** Node selector (besides what the sandbox adds). @default - none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Tolerations (besides what the sandbox adds). @default - none */
  readonly tolerations?: k8s.Toleration[];
  /** Priority class. @default - none */
  readonly priorityClassName?: string;
  /** Restart policy (Jobs: `Never` or `OnFailure`). @default - Kubernetes default (Always) */
  readonly restartPolicy?: string;
  /** Hostname (StatefulSet-like pods). @default - none */
  readonly hostname?: string;
  /** Subdomain. @default - none */
  readonly subdomain?: string;
  /** Require CPU and memory limits on every container. @default true */
  readonly requireLimits?: boolean;
  /**
   * Share one PID namespace between the pod's containers (e.g. a sidecar that signals the main
   * process). In a Kata VM this is the sandbox-wide guest PID namespace. @default false
   */
  readonly shareProcessNamespace?: boolean;
}

/** A pod spec with the sandbox and the hardened defaults applied (see `applySandbox`). */
export function sandboxedPodSpec(o: SandboxedPodOptions): k8s.PodSpec {
  return sandboxedPodTemplate(o).spec!;
}

/** A pod template with the sandbox and the hardened defaults applied (see `applySandbox`). */
export function sandboxedPodTemplate(o: SandboxedPodOptions): k8s.PodTemplateSpec {
  const spec: k8s.PodSpec = {
    ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
    ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
    ...(o.hostname ? { hostname: o.hostname } : {}),
    ...(o.subdomain ? { subdomain: o.subdomain } : {}),
    ...(o.shareProcessNamespace ? { shareProcessNamespace: true } : {}),
    ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? 30,
    ...(o.securityContext ? { securityContext: o.securityContext } : {}),
    ...(o.nodeSelector && Object.keys(o.nodeSelector).length ? { nodeSelector: { ...o.nodeSelector } } : {}),
    ...(o.tolerations && o.tolerations.length ? { tolerations: o.tolerations } : {}),
    ...(o.affinity ? { affinity: o.affinity } : {}),
    ...(o.topologySpreadConstraints && o.topologySpreadConstraints.length
      ? { topologySpreadConstraints: o.topologySpreadConstraints }
      : {}),
    ...(o.initContainers && o.initContainers.length ? { initContainers: o.initContainers } : {}),
    containers: o.containers,
    ...(o.volumes && o.volumes.length ? { volumes: o.volumes } : {}),
  };
  const template = {
    metadata: {
      labels: { ...o.labels },
      ...(o.annotations && Object.keys(o.annotations).length ? { annotations: { ...o.annotations } } : {}),
    },
    spec,
  };
  return applySandbox(template as never, o.sandbox, {
    context: o.context,
    serviceAccountToken: o.serviceAccountToken ?? false,
    requireLimits: o.requireLimits ?? true,
  }) as unknown as k8s.PodTemplateSpec;
}

/**
 * A pod template as plain Kubernetes JSON (API field names, quantities as strings): for templates that
 * go into ConfigMaps (Spark pod template files) or custom resources (SparkApplication, FlinkDeployment).
 */
export function podTemplateToJson(t: k8s.PodTemplateSpec): Record<string, unknown> {
  return JSON.parse(JSON.stringify(k8s.toJson_PodTemplateSpec(t))) as Record<string, unknown>;
}
