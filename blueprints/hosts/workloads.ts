/**
 * `KataWorkloads`: puts the synthesized cdk8s output on a cluster whose Kata pools are known, after
 * checking that every runtime class the manifests use is served by a pool. Order: namespaces, CRDs and
 * RuntimeClasses; then kata-deploy; then the workloads.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { propError } from '../../lib/sandbox';
import { IKataHostPool, RuntimeInstaller } from './contract';
import { KATA_DEPLOY_NAMESPACE, KataDeployRelease } from './kata-deploy';
import {
  ManifestObject,
  PoolRuntimes,
  RuntimeClassUse,
  checkKataDeployReachesPools,
  checkRuntimeClassesServed,
  describeObject,
  kataDeployWorkloads,
  loadManifestDirectory,
  missingRuntimeClasses,
  splitFoundation,
} from './manifests';
import { componentContext } from './validate';

/** What {@link preflightWorkloads} found. */
export interface WorkloadsPreflight {
  /** The objects of the manifests. */
  readonly objects: readonly ManifestObject[];
  /** The runtime classes they use. */
  readonly uses: readonly RuntimeClassUse[];
  /** Whether kata-deploy is to be installed with Helm. */
  readonly installKataDeploy: boolean;
}

/**
 * Reads the manifests and checks them against the pools before anything is created: every runtime
 * class used is served, RuntimeClass handlers agree, and kata-deploy is installed exactly once. The
 * environments call it first thing, so a bad combination fails before any cloud resource is registered.
 *
 * kata-deploy: with `installKataDeploy` unset, the Helm chart is installed when a pool needs kata-deploy
 * and the manifests do not install it themselves; when they do, their kata-deploy must reach every
 * kata-deploy pool (node selector and tolerations).
 *
 * @throws PropError on any mismatch
 */
export function preflightWorkloads(
  context: string,
  manifestsDir: string,
  pools: readonly PoolRuntimes[],
  installKataDeploy?: boolean,
): WorkloadsPreflight {
  const { objects } = loadManifestDirectory(context, manifestsDir);
  const uses = checkRuntimeClassesServed(context, objects, pools);
  missingRuntimeClasses(context, objects, pools, uses);
  const kataDeployPools = pools.filter((p) => p.contract.installer === RuntimeInstaller.KATA_DEPLOY);
  const own = kataDeployWorkloads(objects);
  const install = installKataDeploy ?? (kataDeployPools.length > 0 && own.length === 0);
  if (install && own.length > 0) {
    throw propError(
      context,
      'installKataDeploy',
      true,
      `false when the manifests install kata-deploy themselves (${own.map(describeObject).join(', ')}); install it once`,
    );
  }
  for (const w of own) checkKataDeployReachesPools(context, w, kataDeployPools);
  return { objects, uses, installKataDeploy: install };
}

/** Props of {@link KataWorkloads}. */
export interface KataWorkloadsProps {
  /** The Kubernetes provider of the cluster. */
  readonly provider: k8s.Provider;
  /** The cluster's Kata node pools. */
  readonly pools: readonly IKataHostPool[];
  /**
   * The directory of synthesized manifests (`npm run synth` writes the platform there). Only files
   * directly in it are read.
   * @default "dist"
   */
  readonly manifestsDir?: string;
  /**
   * Install kata-deploy (Helm, chart 4.1.0) on the pools whose runtimes it installs.
   * @default - true when a pool's runtimes come from kata-deploy and the manifests do not install
   *   kata-deploy themselves (the platform's cdk8s `KataDeploy`)
   */
  readonly installKataDeploy?: boolean;
  /**
   * Extra kata-deploy Helm values.
   * @default - none
   */
  readonly kataDeployValues?: Readonly<Record<string, unknown>>;
}

/**
 * The synthesized manifests, applied with `yaml.v2.ConfigGroup`, on a cluster whose pools serve every
 * runtime class they use; kata-deploy installed for those pools, and RuntimeClasses created from the
 * sandbox contract for runtimes the manifests use without defining.
 */
export class KataWorkloads extends pulumi.ComponentResource {
  /** The runtime classes the manifests use, with the objects that use them. */
  public readonly runtimeClassUses: readonly RuntimeClassUse[];
  /** Namespaces, CRDs, RuntimeClasses, priority and storage classes of the manifests. */
  public readonly foundation?: k8s.yaml.v2.ConfigGroup;
  /** RuntimeClasses created for used runtimes the manifests do not define. */
  public readonly runtimeClasses: readonly k8s.node.v1.RuntimeClass[];
  /** kata-deploy, when installed. */
  public readonly kataDeploy?: KataDeployRelease;
  /** Everything else in the manifests. */
  public readonly workloads?: k8s.yaml.v2.ConfigGroup;

  constructor(name: string, props: KataWorkloadsProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:kubernetes:KataWorkloads', name, {}, opts);
    const ctx = componentContext('KataWorkloads', name);
    if (!props || !Array.isArray(props.pools) || props.pools.length === 0) {
      throw propError(ctx, 'pools', props?.pools, 'at least one Kata host pool');
    }
    const pre = preflightWorkloads(ctx, props.manifestsDir ?? 'dist', props.pools, props.installKataDeploy);
    const { objects, uses } = pre;
    const install = pre.installKataDeploy;
    const missing = missingRuntimeClasses(ctx, objects, props.pools, uses);

    const { foundation, workloads } = splitFoundation(objects);
    const provider = props.provider;
    const after: pulumi.Resource[] = [];
    if (foundation.length > 0) {
      this.foundation = new k8s.yaml.v2.ConfigGroup(
        `${name}-foundation`,
        { objs: foundation },
        { parent: this, provider },
      );
      after.push(this.foundation);
    }
    this.runtimeClasses = missing.map(
      (r) =>
        new k8s.node.v1.RuntimeClass(
          `${name}-rc-${r.name}`,
          r.toRuntimeClassManifest() as unknown as k8s.node.v1.RuntimeClassArgs,
          { parent: this, provider },
        ),
    );
    after.push(...this.runtimeClasses);
    if (install) {
      const nsInManifests = foundation.some(
        (o) => o.kind === 'Namespace' && o.metadata?.name === KATA_DEPLOY_NAMESPACE,
      );
      this.kataDeploy = new KataDeployRelease(
        `${name}-kata-deploy`,
        {
          pools: props.pools.filter((p) => p.contract.installer === RuntimeInstaller.KATA_DEPLOY),
          provider,
          createNamespace: !nsInManifests,
          extraValues: props.kataDeployValues,
        },
        { parent: this, dependsOn: this.foundation ? [this.foundation] : [] },
      );
      after.push(this.kataDeploy);
    }
    if (workloads.length > 0) {
      this.workloads = new k8s.yaml.v2.ConfigGroup(
        `${name}-workloads`,
        { objs: workloads },
        { parent: this, provider, dependsOn: after },
      );
    }
    this.runtimeClassUses = uses;
    this.registerOutputs({
      runtimeClassUses: uses.map((u) => ({ runtimeClassName: u.runtimeClassName, usedBy: [...u.usedBy] })),
      foundationObjects: foundation.map(describeObject),
      workloadObjects: workloads.length,
    });
  }
}
