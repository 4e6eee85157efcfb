/**
 * kata-deploy: installs the Kata artifacts on labelled nodes and configures their CRI, for clusters
 * whose node images do not ship Kata.
 *
 * The DaemonSet follows the raw manifests of kata-deploy 3.21.0 (`tools/packaging/kata-deploy/
 * kata-deploy/base/kata-deploy.yaml` and `kata-rbac/base/kata-rbac.yaml` in
 * kata-containers/kata-containers), the last release whose DaemonSet interface (the bash
 * `kata-deploy.sh` with `SHIMS`, `DEFAULT_SHIM`, `CREATE_RUNTIMECLASSES`... environment variables) is
 * published as plain manifests; from 3.22 the project ships only the Helm chart. Clusters on 4.x use
 * the Helm chart (the Pulumi environments of kata-blueprints/hosts install it with `KataDeployRelease`) together with `KataRuntimeClasses`.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { propError } from '../sandbox/errors';
import { KATA_HOST_LABEL, KATA_NODE_TAINT_KEY, KataRuntime } from '../sandbox/runtime';
import { validateImage } from '../k8s/image';
import { validateDnsName } from '../k8s/labels';
import { restrictedNamespace } from '../k8s/namespace';

/** The pinned kata-deploy image (see the module comment for why 3.21.0). */
export const KATA_DEPLOY_IMAGE = 'quay.io/kata-containers/kata-deploy:3.21.0';

/** The Kubernetes distribution, which decides where containerd's configuration lives. */
export class K8sDistribution {
  /** Upstream kubeadm-style nodes (`/etc/containerd/`). */
  public static readonly K8S = new K8sDistribution('k8s', '/etc/containerd/');
  /** k3s (`/var/lib/rancher/k3s/agent/etc/containerd/`). */
  public static readonly K3S = new K8sDistribution('k3s', '/var/lib/rancher/k3s/agent/etc/containerd/');
  /** RKE2 (`/var/lib/rancher/rke2/agent/etc/containerd/`). */
  public static readonly RKE2 = new K8sDistribution('rke2', '/var/lib/rancher/rke2/agent/etc/containerd/');
  /** k0s (`/etc/k0s/containerd.d/`). */
  public static readonly K0S = new K8sDistribution('k0s', '/etc/k0s/containerd.d/');
  private constructor(
    /** Name. */
    public readonly name: string,
    /** Host directory of the containerd configuration. */
    public readonly containerdConfigDir: string,
  ) {}
}

/** Props of {@link KataDeploy}. */
export interface KataDeployProps {
  /** The runtimes to install (their handlers must be `kata-<shim>`). */
  readonly runtimes: readonly KataRuntime[];
  /**
   * The runtime used when a pod names the plain `kata` handler.
   * @default - the first runtime
   */
  readonly defaultRuntime?: KataRuntime;
  /**
   * Namespace. The installer runs privileged (hostPID, host root mount), so the namespace must allow
   * that and should hold nothing else.
   * @default "kata-system"
   */
  readonly namespace?: string;
  /**
   * Emit the Namespace, labelled `pod-security.kubernetes.io/enforce: privileged` (set false when the
   * namespace exists, e.g. kube-system).
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Image.
   * @default KATA_DEPLOY_IMAGE
   */
  readonly image?: string;
  /**
   * Nodes to install on. Never select on `katacontainers.io/kata-runtime`: kata-deploy changes that
   * label itself while it installs and would evict its own pod.
   * @default - { "kata-blueprints.io/kata-host": "true" }, the label kata-blueprints host pools set
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Kubernetes distribution.
   * @default K8sDistribution.K8S
   */
  readonly distribution?: K8sDistribution;
  /**
   * Hypervisor annotation base names to allow per pod, on top of the runtime's defaults
   * (`ALLOWED_HYPERVISOR_ANNOTATIONS`, e.g. `default_vcpus default_memory`).
   * @default - the union of the runtimes' `allowedAnnotations` beyond their shim defaults
   */
  readonly allowedHypervisorAnnotations?: readonly string[];
}

/**
 * The kata-deploy DaemonSet with its ServiceAccount, ClusterRole and ClusterRoleBinding.
 * RuntimeClasses are not created by kata-deploy (`CREATE_RUNTIMECLASSES=false`): `KataRuntimeClasses` owns them,
 * so their overhead and scheduling match the node pools.
 */
export class KataDeploy extends Construct {
  /** The DaemonSet. */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** Shim names installed (`qemu`, `clh`...). */
  public readonly shims: readonly string[];

  constructor(scope: Construct, id: string, props: KataDeployProps) {
    super(scope, id);
    const ctx = `KataDeploy "${id}"`;
    if (!props.runtimes || props.runtimes.length === 0) {
      throw propError(ctx, 'runtimes', props.runtimes, 'at least one KataRuntime to install');
    }
    const shims = props.runtimes.map((r, i) => {
      if (!(r instanceof KataRuntime)) throw propError(ctx, `runtimes[${i}]`, r, 'a KataRuntime');
      if (r.managedByPlatform) {
        throw propError(
          ctx,
          `runtimes[${i}]`,
          r.name,
          'a runtime kata-deploy installs (the platform installs managed runtimes itself)',
        );
      }
      if (!r.handler.startsWith('kata-')) {
        throw propError(ctx, `runtimes[${i}].handler`, r.handler, 'a kata-deploy handler named kata-<shim>');
      }
      return r.handler.slice('kata-'.length);
    });
    const def = props.defaultRuntime ?? props.runtimes[0];
    if (!props.runtimes.includes(def)) {
      throw propError(
        ctx,
        'defaultRuntime',
        def.name,
        `one of the runtimes (${props.runtimes.map((r) => r.name).join(', ')})`,
      );
    }
    const namespace = validateDnsName(ctx, 'namespace', props.namespace ?? 'kata-system');
    if (props.createNamespace ?? true) restrictedNamespace(this, 'namespace', namespace, 'privileged');
    const image = validateImage(ctx, 'image', props.image ?? KATA_DEPLOY_IMAGE);
    const dist = props.distribution ?? K8sDistribution.K8S;
    const extraAnnotations =
      props.allowedHypervisorAnnotations ??
      [
        ...new Set(
          props.runtimes.flatMap((r) =>
            r.allowedAnnotations.filter((a) => !r.shim.defaultAllowedAnnotations.includes(a)),
          ),
        ),
      ].sort();
    this.shims = shims;

    const labels = {
      name: 'kata-deploy',
      'app.kubernetes.io/name': 'kata-deploy',
      'app.kubernetes.io/managed-by': 'kata-blueprints',
    };
    const sa = new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name: 'kata-deploy-sa', namespace, labels },
      automountServiceAccountToken: false,
    });
    const role = new k8s.KubeClusterRole(this, 'role', {
      metadata: { name: 'kata-deploy-role', labels },
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
        { apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['list'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'binding', {
      metadata: { name: 'kata-deploy-rb', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace }],
    });

    const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name: 'kata-deploy', namespace, labels },
      spec: {
        selector: { matchLabels: { name: 'kata-deploy' } },
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels: { ...labels, 'kata-blueprints.io/sandbox': 'trusted' } },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: true,
            hostPid: true,
            priorityClassName: 'system-node-critical',
            nodeSelector: { ...(props.nodeSelector ?? { [KATA_HOST_LABEL]: 'true' }) },
            tolerations: [{ key: KATA_NODE_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' }],
            // The installer restores the CRI configuration on SIGTERM; give it time (kata-deploy 4.x uses 600 s).
            terminationGracePeriodSeconds: 600,
            containers: [
              {
                name: 'kube-kata',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['bash', '-c', '/opt/kata-artifacts/scripts/kata-deploy.sh install'],
                lifecycle: {
                  preStop: {
                    exec: { command: ['bash', '-c', '/opt/kata-artifacts/scripts/kata-deploy.sh cleanup'] },
                  },
                },
                env: [
                  {
                    name: 'NODE_NAME',
                    valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } },
                  },
                  env('DEBUG', 'false'),
                  env('SHIMS', shims.join(' ')),
                  env('DEFAULT_SHIM', def.handler.slice('kata-'.length)),
                  env('CREATE_RUNTIMECLASSES', 'false'),
                  env('CREATE_DEFAULT_RUNTIMECLASS', 'false'),
                  env('ALLOWED_HYPERVISOR_ANNOTATIONS', extraAnnotations.join(' ')),
                  env('SNAPSHOTTER_HANDLER_MAPPING', shims.includes('fc') ? 'fc:devmapper' : ''),
                  env('AGENT_HTTPS_PROXY', ''),
                  env('AGENT_NO_PROXY', ''),
                  env('PULL_TYPE_MAPPING', ''),
                  env('INSTALLATION_PREFIX', ''),
                  env('MULTI_INSTALL_SUFFIX', ''),
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('25m'), memory: k8s.Quantity.fromString('64Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString('512Mi') },
                },
                securityContext: { privileged: true },
                volumeMounts: [
                  { name: 'crio-conf', mountPath: '/etc/crio/' },
                  { name: 'containerd-conf', mountPath: '/etc/containerd/' },
                  { name: 'host', mountPath: '/host/' },
                ],
              },
            ],
            volumes: [
              { name: 'crio-conf', hostPath: { path: '/etc/crio/' } },
              { name: 'containerd-conf', hostPath: { path: dist.containerdConfigDir } },
              { name: 'host', hostPath: { path: '/' } },
            ],
          },
        },
      },
    });
  }
}
