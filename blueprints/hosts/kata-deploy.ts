/**
 * kata-deploy through its Helm chart (kata-containers `tools/packaging/kata-deploy/helm-chart`,
 * published as an OCI chart), with values computed from the host pools: only their shims, only on
 * their nodes, tolerating their taints.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { propError } from '../../lib/sandbox';
import { HostPoolContract, IKataHostPool, KATA_HOST_LABEL, RuntimeInstaller } from './contract';
import { componentContext } from './validate';

/** The kata-deploy OCI chart. */
export const KATA_DEPLOY_CHART = 'oci://ghcr.io/kata-containers/kata-deploy-charts/kata-deploy';

/** The pinned chart (and Kata) version. */
export const KATA_DEPLOY_CHART_VERSION = '4.1.0';

/** The namespace kata-deploy runs in (privileged: it writes the host's containerd configuration). */
export const KATA_DEPLOY_NAMESPACE = 'kata-system';

const ARCHES = ['amd64', 'arm64', 's390x', 'ppc64le'] as const;

/**
 * The Helm values for kata-deploy serving the given pools:
 * - `deploymentMode: daemonset`, so that nodes a pool adds later get Kata without a Helm upgrade;
 * - `nodeSelector` on {@link KATA_HOST_LABEL} (never on `katacontainers.io/kata-runtime`, which kata-deploy
 *   flips to `false` while installing) and tolerations for every pool taint;
 * - `shims.disableAll` with exactly the pools' shims enabled, `defaultShim` among them;
 * - `runtimeClasses.enabled: false`: the RuntimeClasses come from the sandbox contract (`KataRuntimeClasses`
 *   or `KataWorkloads`), which carry the pools' tolerations.
 *
 * @throws PropError when no pool is served by kata-deploy
 */
export function kataDeployValues(
  context: string,
  pools: readonly HostPoolContract[],
): Record<string, unknown> {
  const served = pools.filter((p) => p.installer === RuntimeInstaller.KATA_DEPLOY);
  if (served.length === 0) {
    throw propError(context, 'pools', pools.length, 'at least one pool whose runtimes kata-deploy installs');
  }
  const shims = [...new Set(served.flatMap((p) => p.kataDeployShims))].sort();
  const tolerations: Array<Record<string, string>> = [];
  for (const p of served) {
    for (const t of p.taints) {
      if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) {
        tolerations.push({ key: t.key, operator: 'Exists', effect: t.effect });
      }
    }
  }
  tolerations.sort((a, b) =>
    a.key === b.key ? a.effect.localeCompare(b.effect) : a.key.localeCompare(b.key),
  );
  const shimValues: Record<string, unknown> = { disableAll: true };
  for (const s of shims) shimValues[s] = { enabled: true };
  const qemu = shims.find((s) => s.startsWith('qemu'));
  const defaultShim: Record<string, string> = {};
  for (const arch of ARCHES) defaultShim[arch] = arch === 'amd64' ? shims[0] : (qemu ?? shims[0]);
  return {
    deploymentMode: 'daemonset',
    k8sDistribution: 'k8s',
    nodeSelector: { [KATA_HOST_LABEL]: 'true' },
    tolerations,
    shims: shimValues,
    defaultShim,
    runtimeClasses: { enabled: false, createDefault: false },
  };
}

/** Props of {@link KataDeployRelease}. */
export interface KataDeployReleaseProps {
  /** The pools kata-deploy installs Kata on. */
  readonly pools: readonly IKataHostPool[];
  /** The Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /**
   * The namespace of the release.
   * @default "kata-system"
   */
  readonly namespace?: string;
  /**
   * Create the namespace (labelled Pod Security `privileged`). Leave off when the namespace comes from
   * the synthesized manifests (the platform's `kata-system` chart).
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Extra Helm values, merged over the computed ones (top-level keys replace).
   * @default - none
   */
  readonly extraValues?: Readonly<Record<string, unknown>>;
}

/**
 * kata-deploy, pinned to chart 4.1.0, installed with Helm on the nodes of the given pools.
 */
export class KataDeployRelease extends pulumi.ComponentResource {
  /** The Helm values used. */
  public readonly values: Record<string, unknown>;
  /** The Helm release. */
  public readonly release: k8s.helm.v3.Release;
  /** The namespace, when this component created it. */
  public readonly namespace?: k8s.core.v1.Namespace;

  constructor(name: string, props: KataDeployReleaseProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:kubernetes:KataDeployRelease', name, {}, opts);
    const ctx = componentContext('KataDeployRelease', name);
    if (!props || !Array.isArray(props.pools) || props.pools.length === 0) {
      throw propError(ctx, 'pools', props?.pools, 'at least one Kata host pool');
    }
    const ns = props.namespace ?? KATA_DEPLOY_NAMESPACE;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63) {
      throw propError(ctx, 'namespace', ns, 'a DNS-1123 label');
    }
    this.values = {
      ...kataDeployValues(
        ctx,
        props.pools.map((p) => p.contract),
      ),
      ...(props.extraValues ?? {}),
    };
    if (props.createNamespace ?? true) {
      this.namespace = new k8s.core.v1.Namespace(
        `${name}-ns`,
        {
          metadata: {
            name: ns,
            labels: {
              'pod-security.kubernetes.io/enforce': 'privileged',
              'pod-security.kubernetes.io/warn': 'privileged',
              'app.kubernetes.io/managed-by': 'kata-blueprints',
            },
          },
        },
        { parent: this, provider: props.provider },
      );
    }
    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: 'kata-deploy',
        chart: KATA_DEPLOY_CHART,
        version: KATA_DEPLOY_CHART_VERSION,
        namespace: ns,
        createNamespace: false,
        values: this.values,
        atomic: true,
        cleanupOnFail: true,
        maxHistory: 10,
        timeout: 1200,
      },
      { parent: this, provider: props.provider, ...(this.namespace ? { dependsOn: [this.namespace] } : {}) },
    );
    this.registerOutputs({ releaseStatus: this.release.status, values: this.values });
  }
}
