/** Container and probe builders that produce L1 (`k8s.Container`) objects. */
import { k8s } from 'cdk8s-plus-28';
import { validateImage } from './image';
import { ResolvedResources, toResourceRequirements } from './units';

/** Options of {@link containerSpec}. */
export interface ContainerSpecOptions {
  /** Construct context for errors. */
  readonly context: string;
  /** Prop that holds the image, for errors. @default "image" */
  readonly imageProp?: string;
  /** Container name. */
  readonly name: string;
  /** Image (pinned tag or digest). */
  readonly image: string;
  /** Entrypoint. @default - the image's */
  readonly command?: string[];
  /** Arguments. @default - the image's */
  readonly args?: string[];
  /** Ports. @default - none */
  readonly ports?: k8s.ContainerPort[];
  /** Environment variables, in order. @default - none */
  readonly env?: k8s.EnvVar[];
  /** envFrom sources. @default - none */
  readonly envFrom?: k8s.EnvFromSource[];
  /** Resolved resources (limits always set). */
  readonly resources: ResolvedResources;
  /** Readiness probe. @default - none */
  readonly readinessProbe?: k8s.Probe;
  /** Liveness probe. @default - none */
  readonly livenessProbe?: k8s.Probe;
  /** Startup probe. @default - none */
  readonly startupProbe?: k8s.Probe;
  /** Lifecycle hooks. @default - none */
  readonly lifecycle?: k8s.Lifecycle;
  /** Volume mounts. @default - none */
  readonly volumeMounts?: k8s.VolumeMount[];
  /** Extra security context fields (user, group, readOnlyRootFilesystem). Hardening is applied by the sandbox. @default - none */
  readonly securityContext?: k8s.SecurityContext;
  /** Working directory. @default - the image's */
  readonly workingDir?: string;
  /** Image pull policy. @default IfNotPresent */
  readonly imagePullPolicy?: string;
}

/** Builds a container. The image is validated (pinned); hardening happens in `applySandbox`. */
export function containerSpec(o: ContainerSpecOptions): k8s.Container {
  validateImage(o.context, o.imageProp ?? 'image', o.image);
  return {
    name: o.name,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
    ...(o.command ? { command: o.command } : {}),
    ...(o.args ? { args: o.args } : {}),
    ...(o.workingDir ? { workingDir: o.workingDir } : {}),
    ...(o.ports && o.ports.length ? { ports: o.ports } : {}),
    ...(o.env && o.env.length ? { env: o.env } : {}),
    ...(o.envFrom && o.envFrom.length ? { envFrom: o.envFrom } : {}),
    resources: toResourceRequirements(o.resources),
    ...(o.startupProbe ? { startupProbe: o.startupProbe } : {}),
    ...(o.readinessProbe ? { readinessProbe: o.readinessProbe } : {}),
    ...(o.livenessProbe ? { livenessProbe: o.livenessProbe } : {}),
    ...(o.lifecycle ? { lifecycle: o.lifecycle } : {}),
    ...(o.volumeMounts && o.volumeMounts.length ? { volumeMounts: o.volumeMounts } : {}),
    ...(o.securityContext ? { securityContext: o.securityContext } : {}),
  };
}

/** Timing of a probe. */
export interface ProbeTiming {
  /** initialDelaySeconds. @default 0 */
  readonly initialDelaySeconds?: number;
  /** periodSeconds. @default 10 */
  readonly periodSeconds?: number;
  /** timeoutSeconds. @default 5 */
  readonly timeoutSeconds?: number;
  /** failureThreshold. @default 3 */
  readonly failureThreshold?: number;
  /** successThreshold. @default 1 */
  readonly successThreshold?: number;
}

function timing(t: ProbeTiming = {}): Omit<k8s.Probe, 'httpGet' | 'tcpSocket' | 'exec' | 'grpc'> {
  return {
    initialDelaySeconds: t.initialDelaySeconds ?? 0,
    periodSeconds: t.periodSeconds ?? 10,
    timeoutSeconds: t.timeoutSeconds ?? 5,
    failureThreshold: t.failureThreshold ?? 3,
    successThreshold: t.successThreshold ?? 1,
  };
}

/** An HTTP(S) GET probe. */
export function httpProbe(
  path: string,
  port: number | string,
  t?: ProbeTiming & { readonly scheme?: 'HTTP' | 'HTTPS' },
): k8s.Probe {
  return {
    httpGet: {
      path,
      port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
      scheme: t?.scheme ?? 'HTTP',
    },
    ...timing(t),
  };
}

/** A TCP connect probe. */
export function tcpProbe(port: number | string, t?: ProbeTiming): k8s.Probe {
  return {
    tcpSocket: {
      port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
    },
    ...timing(t),
  };
}

/** A gRPC health-checking-protocol probe. */
export function grpcProbe(port: number, service?: string, t?: ProbeTiming): k8s.Probe {
  return { grpc: { port, ...(service ? { service } : {}) }, ...timing(t) };
}

/** An exec probe. */
export function execProbe(command: string[], t?: ProbeTiming): k8s.Probe {
  return { exec: { command }, ...timing(t) };
}

/** A `preStop` hook that runs a command (e.g. `nodetool drain`, or `sleep 5` so endpoints drain first). */
export function preStopExec(command: string[]): k8s.Lifecycle {
  return { preStop: { exec: { command } } };
}

/** `env` entries from the downward API: pod name, namespace and IP. */
export function downwardEnv(vars: {
  readonly podName?: string;
  readonly namespace?: string;
  readonly podIp?: string;
  readonly nodeName?: string;
}): k8s.EnvVar[] {
  const out: k8s.EnvVar[] = [];
  const field = (name: string, fieldPath: string) =>
    out.push({ name, valueFrom: { fieldRef: { fieldPath, apiVersion: 'v1' } } });
  if (vars.podName) field(vars.podName, 'metadata.name');
  if (vars.namespace) field(vars.namespace, 'metadata.namespace');
  if (vars.podIp) field(vars.podIp, 'status.podIP');
  if (vars.nodeName) field(vars.nodeName, 'spec.nodeName');
  return out;
}

/** An env var from a Secret key. */
export function secretEnv(name: string, secretName: string, key: string, optional = false): k8s.EnvVar {
  return {
    name,
    valueFrom: { secretKeyRef: { name: secretName, key, ...(optional ? { optional: true } : {}) } },
  };
}

/** Plain env vars from a record, in key order. */
export function envFromRecord(rec: Readonly<Record<string, string>> | undefined): k8s.EnvVar[] {
  return Object.keys(rec ?? {})
    .sort()
    .map((name) => ({ name, value: rec![name] }));
}
