/**
 * KataNodeCheck: a preflight DaemonSet that reports whether each node can run Kata, as
 * `kata-runtime check` does (kata-containers `src/runtime/cmd/kata-runtime/kata-check_amd64.go`):
 * `/dev/kvm`, the `vmx`/`svm` CPU flag, the `kvm_intel`/`kvm_amd`, `vhost`, `vhost_net` and
 * `vhost_vsock` modules. It labels every node `kata-blueprints.io/kata-capable: "true"|"false"` and
 * annotates the reasons, so a platform team can list the nodes that cannot run Kata.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Duration } from 'cdk8s';
import { propError } from '../sandbox/errors';
import { KATA_NODE_TAINT_KEY } from '../sandbox/runtime';
import { validateImage } from '../k8s/image';
import { validateDnsName } from '../k8s/labels';
import { restrictedNamespace } from '../k8s/namespace';

/** Label the check sets on every node. */
export const KATA_CAPABLE_LABEL = 'kata-blueprints.io/kata-capable';
/** Annotation with the failed checks (empty when capable). */
export const KATA_CHECK_ANNOTATION = 'kata-blueprints.io/kata-check';

/** The pinned image: curl on Alpine (BusyBox sh, uid 100). */
export const NODE_CHECK_IMAGE = 'curlimages/curl:8.14.1';

/**
 * The check script (POSIX sh, BusyBox-compatible). Pure, so it can be linted with shellcheck.
 *
 * It prints one `kata-check:` line per run, labels the node through the API server and repeats
 * every `intervalSeconds`.
 */
export function renderNodeCheckScript(intervalSeconds: number): string {
  return `#!/bin/sh
# Kata preflight: the checks of 'kata-runtime check' that a container can make.
set -u
SA=/var/run/secrets/kubernetes.io/serviceaccount
API="https://\${KUBERNETES_SERVICE_HOST}:\${KUBERNETES_SERVICE_PORT}"

check() {
  missing=""
  if [ ! -c /host/dev/kvm ]; then missing="\${missing} dev-kvm"; fi
  if grep -qw vmx /proc/cpuinfo; then
    vendor_module=kvm_intel
  elif grep -qw svm /proc/cpuinfo; then
    vendor_module=kvm_amd
  else
    vendor_module=""
    missing="\${missing} cpu-vmx-svm"
  fi
  for m in kvm \${vendor_module} vhost vhost_net vhost_vsock; do
    if [ ! -d "/sys/module/\${m}" ]; then missing="\${missing} module-\${m}"; fi
  done
  if grep -qw hypervisor /proc/cpuinfo; then nested=true; else nested=false; fi
}

label() {
  capable="$1"
  reasons="$2"
  body=$(printf '{"metadata":{"labels":{"${KATA_CAPABLE_LABEL}":"%s"},"annotations":{"${KATA_CHECK_ANNOTATION}":"%s"}}}' "\${capable}" "\${reasons}")
  curl -sS --fail --max-time 20 --cacert "\${SA}/ca.crt" \\
    -H "Authorization: Bearer $(cat "\${SA}/token")" \\
    -H 'Content-Type: application/merge-patch+json' \\
    -X PATCH "\${API}/api/v1/nodes/\${NODE_NAME}" -d "\${body}" -o /dev/null
}

while true; do
  check
  reasons=$(echo "\${missing}" | sed 's/^ *//')
  if [ -z "\${reasons}" ]; then capable=true; else capable=false; fi
  echo "kata-check: node=\${NODE_NAME} capable=\${capable} nested=\${nested} missing=\${reasons:-none}"
  if label "\${capable}" "\${reasons}"; then
    touch /tmp/checked
  else
    echo "kata-check: could not label node \${NODE_NAME}" >&2
  fi
  sleep ${intervalSeconds}
done
`;
}

/** Props of {@link KataNodeCheck}. */
export interface KataNodeCheckProps {
  /**
   * Namespace. The check mounts the host's /dev read-only, which Pod Security `baseline` forbids,
   * so it needs a `privileged` namespace of its own.
   * @default "kata-system"
   */
  readonly namespace?: string;
  /** Emit the Namespace (labelled privileged). @default true */
  readonly createNamespace?: boolean;
  /** Image (needs sh, grep, sed and curl). @default NODE_CHECK_IMAGE */
  readonly image?: string;
  /** How often to re-check. @default Duration.minutes(10) */
  readonly interval?: Duration;
  /** CIDR of the Kubernetes API server, the only egress the check has. @default "0.0.0.0/0" */
  readonly apiServerCidr?: string;
  /** Nodes to check. @default - every node (all taints tolerated) */
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

/** The preflight DaemonSet (trusted, not sandboxed: it inspects the host) with its RBAC and script. */
export class KataNodeCheck extends Construct {
  /** The DaemonSet. */
  public readonly daemonSet: k8s.KubeDaemonSet;

  constructor(scope: Construct, id: string, props: KataNodeCheckProps = {}) {
    super(scope, id);
    const ctx = `KataNodeCheck "${id}"`;
    const namespace = validateDnsName(ctx, 'namespace', props.namespace ?? 'kata-system');
    const image = validateImage(ctx, 'image', props.image ?? NODE_CHECK_IMAGE);
    const interval = props.interval?.toSeconds() ?? 600;
    if (!Number.isInteger(interval) || interval < 30)
      throw propError(ctx, 'interval', `${interval}s`, 'at least 30 seconds');
    if (props.createNamespace ?? true) restrictedNamespace(this, 'namespace', namespace, 'privileged');
    const labels = {
      'app.kubernetes.io/name': 'kata-node-check',
      'app.kubernetes.io/managed-by': 'kata-blueprints',
    };
    const name = 'kata-node-check';
    const sa = new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name, namespace, labels },
      automountServiceAccountToken: false,
    });
    const role = new k8s.KubeClusterRole(this, 'role', {
      metadata: { name, labels },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
    });
    new k8s.KubeClusterRoleBinding(this, 'binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace }],
    });
    const script = new k8s.KubeConfigMap(this, 'script', {
      metadata: { name, namespace, labels },
      data: { 'check.sh': renderNodeCheckScript(interval) },
    });
    // No ingress at all; egress only to the API server (to label the node).
    new k8s.KubeNetworkPolicy(this, 'network-policy', {
      metadata: { name, namespace, labels },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [
          {
            to: [{ ipBlock: { cidr: props.apiServerCidr ?? '0.0.0.0/0' } }],
            ports: [
              { protocol: 'TCP', port: k8s.IntOrString.fromNumber(443) },
              { protocol: 'TCP', port: k8s.IntOrString.fromNumber(6443) },
            ],
          },
        ],
      },
    });
    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('25%') },
        },
        template: {
          metadata: { labels: { ...labels, 'kata-blueprints.io/sandbox': 'trusted' } },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            ...(props.nodeSelector ? { nodeSelector: { ...props.nodeSelector } } : {}),
            tolerations: [
              { operator: 'Exists' },
              { key: KATA_NODE_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' },
            ],
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 100,
              runAsGroup: 101,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'check',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '/scripts/check.sh'],
                env: [
                  {
                    name: 'NODE_NAME',
                    valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } },
                  },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('5m'), memory: k8s.Quantity.fromString('16Mi') },
                  limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('32Mi') },
                },
                readinessProbe: {
                  exec: { command: ['test', '-f', '/tmp/checked'] },
                  periodSeconds: 10,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  exec: { command: ['sh', '-c', 'kill -0 1'] },
                  periodSeconds: 60,
                  failureThreshold: 3,
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'script', mountPath: '/scripts', readOnly: true },
                  { name: 'host-dev', mountPath: '/host/dev', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'script', configMap: { name: script.name, defaultMode: 0o555 } },
              { name: 'host-dev', hostPath: { path: '/dev', type: 'Directory' } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } },
            ],
          },
        },
      },
    });
  }
}
