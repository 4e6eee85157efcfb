/**
 * The one function every blueprint calls: it applies a {@link Sandbox} and the hardened pod defaults
 * (Pod Security `restricted`, no service-account token unless asked, resource limits present) to a
 * pod template. Plain objects in, plain objects out: cdk8s L1 specs, pod templates written into
 * ConfigMaps (Spark) and custom resources (SparkApplication, FlinkDeployment) all go through it.
 */
import { propError } from './errors';
import { SANDBOX_LABEL, Sandbox, SandboxKind } from './sandbox';

/** A container, as far as {@link applySandbox} reads and writes it. */
export interface ContainerLike {
  /** Container name. */
  readonly name: string;
  /** Image. */
  readonly image?: string;
  /** Resources. */
  readonly resources?: {
    readonly limits?: { readonly [key: string]: unknown };
    readonly requests?: { readonly [key: string]: unknown };
  };
  /** Container security context. */
  readonly securityContext?: ContainerSecurityContextLike;
  /** Volume mounts. */
  readonly volumeMounts?: ReadonlyArray<{
    readonly name: string;
    readonly mountPath: string;
    readonly subPath?: string;
  }>;
}

/** Container security context fields the restricted profile governs. */
export interface ContainerSecurityContextLike {
  /** allowPrivilegeEscalation. */
  readonly allowPrivilegeEscalation?: boolean;
  /** privileged. */
  readonly privileged?: boolean;
  /** readOnlyRootFilesystem. */
  readonly readOnlyRootFilesystem?: boolean;
  /** runAsNonRoot. */
  readonly runAsNonRoot?: boolean;
  /** runAsUser. */
  readonly runAsUser?: number;
  /** runAsGroup. */
  readonly runAsGroup?: number;
  /** capabilities. */
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  /** seccompProfile. */
  readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string };
}

/** A pod spec, as far as {@link applySandbox} reads and writes it. */
export interface PodSpecLike {
  /** Containers. */
  readonly containers: readonly ContainerLike[];
  /** Init containers. */
  readonly initContainers?: readonly ContainerLike[];
  /** runtimeClassName. */
  readonly runtimeClassName?: string;
  /** hostNetwork. */
  readonly hostNetwork?: boolean;
  /** hostPID. */
  readonly hostPID?: boolean;
  /** hostPID, as cdk8s L1 types spell it (serialized as hostPID). */
  readonly hostPid?: boolean;
  /** hostIPC. */
  readonly hostIPC?: boolean;
  /** hostIPC, as cdk8s L1 types spell it (serialized as hostIPC). */
  readonly hostIpc?: boolean;
  /** nodeSelector. */
  readonly nodeSelector?: { readonly [key: string]: string };
  /** tolerations. */
  readonly tolerations?: ReadonlyArray<{
    readonly key?: string;
    readonly operator?: string;
    readonly value?: string;
    readonly effect?: string;
  }>;
  /** automountServiceAccountToken. */
  readonly automountServiceAccountToken?: boolean;
  /** enableServiceLinks. */
  readonly enableServiceLinks?: boolean;
  /** Pod security context. */
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string };
    readonly sysctls?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  };
  /** Volumes. */
  readonly volumes?: ReadonlyArray<{ readonly name: string; readonly hostPath?: unknown }>;
}

/** A pod template (`metadata` + `spec`). */
export interface PodTemplateLike<S extends PodSpecLike = PodSpecLike> {
  /** Metadata. */
  readonly metadata?: {
    readonly labels?: { readonly [key: string]: string };
    readonly annotations?: { readonly [key: string]: string };
    readonly [key: string]: unknown;
  };
  /** Spec. */
  readonly spec: S;
}

/** Options of {@link applySandbox}. */
export interface ApplySandboxOptions {
  /**
   * Where the template comes from, for error messages (e.g. `KataVaultCluster "vault"`).
   * @default "pod template"
   */
  readonly context?: string;
  /**
   * Mount the service-account token. Only pods that talk to the API server need it.
   * @default false
   */
  readonly serviceAccountToken?: boolean;
  /**
   * Require CPU and memory limits on every container (Kata sizes the VM from limits).
   * @default true
   */
  readonly requireLimits?: boolean;
}

/** Volume types the Pod Security `restricted` profile allows. */
export const RESTRICTED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
] as const;

/** Capabilities `restricted` lets a container add. */
const ADDABLE_CAPABILITIES = ['NET_BIND_SERVICE'];

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Applies a sandbox and the hardened defaults to a pod template and returns a new template.
 * The input is not modified.
 *
 * - kata: `runtimeClassName`; platform-managed classes also get their node selector and tolerations on the pod.
 * - legacy: the CRI untrusted-workload annotation, the `katacontainers.io/kata-runtime: "true"` node
 *   selector and the Kata node toleration; never a `runtimeClassName`.
 * - trusted: nothing extra.
 * - always: the `kata-blueprints.io/sandbox` label; pod `runAsNonRoot` and `seccompProfile: RuntimeDefault`;
 *   per container `allowPrivilegeEscalation: false`, `capabilities.drop: [ALL]`, `readOnlyRootFilesystem: true`
 *   unless set false; `automountServiceAccountToken: false` unless asked; `enableServiceLinks: false`
 *   unless set.
 *
 * @throws PropError for settings that cannot be hardened (privileged, host namespaces, hostPath,
 *   root user, unconfined seccomp, capabilities other than NET_BIND_SERVICE), a hand-set
 *   `runtimeClassName`, `subPath` mounts in a VM, and containers without CPU and memory limits.
 */
export function applySandbox<T extends PodTemplateLike>(
  template: T,
  sandbox: Sandbox,
  options: ApplySandboxOptions = {},
): T {
  const ctx = options.context ?? 'pod template';
  if (!(sandbox instanceof Sandbox)) {
    throw propError(
      ctx,
      'sandbox',
      sandbox,
      'Sandbox.kata(...), Sandbox.legacyUntrusted(...) or Sandbox.trusted()',
    );
  }
  const spec = template.spec;
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    throw propError(ctx, 'containers', spec?.containers, 'at least one container');
  }
  if (spec.runtimeClassName !== undefined && spec.runtimeClassName !== sandbox.runtimeClassName) {
    throw propError(
      ctx,
      'runtimeClassName',
      spec.runtimeClassName,
      sandbox.kind === SandboxKind.LEGACY
        ? 'no runtimeClassName with Sandbox.legacyUntrusted (containerd refuses an untrusted workload with an explicit runtime handler)'
        : 'no hand-set runtimeClassName: choose the runtime with the sandbox prop (Sandbox.kata(KataRuntime.X))',
    );
  }
  const hostNs = {
    hostNetwork: spec.hostNetwork,
    hostPID: spec.hostPID ?? spec.hostPid,
    hostIPC: spec.hostIPC ?? spec.hostIpc,
  };
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (hostNs[ns]) {
      throw propError(
        ctx,
        ns,
        true,
        `${ns}: false (Pod Security baseline forbids host namespaces${sandbox.isolated ? ', and a Kata VM cannot join them' : ''})`,
      );
    }
  }
  const podSc = spec.securityContext ?? {};
  if (podSc.runAsNonRoot === false)
    throw propError(ctx, 'securityContext.runAsNonRoot', false, 'true (Pod Security restricted)');
  if (podSc.runAsUser === 0)
    throw propError(ctx, 'securityContext.runAsUser', 0, 'a non-zero user id (Pod Security restricted)');
  if (podSc.seccompProfile && !['RuntimeDefault', 'Localhost'].includes(podSc.seccompProfile.type)) {
    throw propError(
      ctx,
      'securityContext.seccompProfile.type',
      podSc.seccompProfile.type,
      'RuntimeDefault or Localhost',
    );
  }
  for (const v of spec.volumes ?? []) {
    const types = Object.keys(v).filter((k) => k !== 'name');
    const bad = types.filter((t) => !(RESTRICTED_VOLUME_TYPES as readonly string[]).includes(t));
    if (bad.length > 0) {
      throw propError(
        ctx,
        `volumes["${v.name}"]`,
        bad.join(','),
        `one of ${RESTRICTED_VOLUME_TYPES.join(', ')} (Pod Security restricted)`,
      );
    }
  }

  const harden = (c: ContainerLike, kind: string): ContainerLike => {
    const cctx = `${ctx} ${kind} "${c.name}"`;
    const sc = c.securityContext ?? {};
    if (sc.privileged)
      throw propError(cctx, 'securityContext.privileged', true, 'false (Pod Security baseline)');
    if (sc.allowPrivilegeEscalation === true) {
      throw propError(
        cctx,
        'securityContext.allowPrivilegeEscalation',
        true,
        'false (Pod Security restricted)',
      );
    }
    if (sc.runAsNonRoot === false)
      throw propError(cctx, 'securityContext.runAsNonRoot', false, 'true (Pod Security restricted)');
    if (sc.runAsUser === 0)
      throw propError(cctx, 'securityContext.runAsUser', 0, 'a non-zero user id (Pod Security restricted)');
    if (sc.seccompProfile && !['RuntimeDefault', 'Localhost'].includes(sc.seccompProfile.type)) {
      throw propError(
        cctx,
        'securityContext.seccompProfile.type',
        sc.seccompProfile.type,
        'RuntimeDefault or Localhost',
      );
    }
    const add = sc.capabilities?.add ?? [];
    const badCaps = add.filter((cap) => !ADDABLE_CAPABILITIES.includes(cap));
    if (badCaps.length > 0) {
      throw propError(
        cctx,
        'securityContext.capabilities.add',
        badCaps,
        'only NET_BIND_SERVICE (Pod Security restricted)',
      );
    }
    if (sandbox.isolated) {
      const sub = (c.volumeMounts ?? []).find((m) => m.subPath !== undefined);
      if (sub) {
        throw propError(
          cctx,
          `volumeMounts["${sub.mountPath}"].subPath`,
          sub.subPath,
          'no subPath in a Kata VM (Kata Limitations.md: subPath is not supported); mount the whole volume or project single keys with items',
        );
      }
    }
    if (options.requireLimits ?? true) {
      for (const res of ['cpu', 'memory']) {
        const limit = c.resources?.limits?.[res];
        if (limit === undefined || limit === null || limit === '') {
          throw propError(
            cctx,
            `resources.limits.${res}`,
            undefined,
            `a ${res} limit on every container${sandbox.isolated ? ' (Kata sizes the VM from limits)' : ''}`,
          );
        }
      }
    }
    const drop = sc.capabilities?.drop ?? [];
    const hardened: Mutable<ContainerSecurityContextLike> = {
      ...sc,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: sc.readOnlyRootFilesystem ?? true,
      runAsNonRoot: true,
      capabilities: {
        ...(add.length > 0 ? { add: [...add] } : {}),
        drop: drop.includes('ALL') ? [...drop] : ['ALL', ...drop],
      },
    };
    return { ...c, securityContext: hardened };
  };

  const newSpec: Mutable<PodSpecLike> = {
    ...spec,
    containers: spec.containers.map((c) => harden(c, 'container')),
    ...(spec.initContainers
      ? { initContainers: spec.initContainers.map((c) => harden(c, 'init container')) }
      : {}),
    automountServiceAccountToken: options.serviceAccountToken ?? false,
    enableServiceLinks: spec.enableServiceLinks ?? false,
    securityContext: {
      ...podSc,
      runAsNonRoot: true,
      seccompProfile: podSc.seccompProfile ?? { type: 'RuntimeDefault' },
    },
  };
  if (sandbox.runtimeClassName) newSpec.runtimeClassName = sandbox.runtimeClassName;
  const nodeSelector = { ...(spec.nodeSelector ?? {}), ...sandbox.podNodeSelector };
  if (Object.keys(nodeSelector).length > 0) newSpec.nodeSelector = nodeSelector;
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of sandbox.podTolerations) {
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect && x.value === t.value))
      tolerations.push(t);
  }
  if (tolerations.length > 0) newSpec.tolerations = tolerations;

  const labels = { ...(template.metadata?.labels ?? {}), [SANDBOX_LABEL]: sandbox.kind.label };
  const annotations = { ...(template.metadata?.annotations ?? {}), ...sandbox.annotations };
  return {
    ...template,
    metadata: {
      ...(template.metadata ?? {}),
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: newSpec,
  } as T;
}
