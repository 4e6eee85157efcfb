/**
 * The workloads Kata Containers' own CI runs inside Kata VMs
 * (kata-containers/kata-containers tests/integration/kubernetes/runtimeclass_workloads/).
 * They run, so a Kata-compatibility *error* on one of them needs a real, cited reason. This test
 * lists every error the checks report on that folder, each with its justification, and fails when
 * the set changes (a new error must be justified here, a vanished one removed).
 */
import { join, relative } from 'path';
import { checkManifests } from '../../../lib/check';
import { PodSecurityLevel, Severity } from '../../../lib/check/types';
import { InputErrorReason, loadManifests } from '../../../lib/manifest/load';
import { corpusDir } from './corpus';

const DIR = join(corpusDir(), 'kata-workloads');

/**
 * Level: the Kata CI namespace enforces no Pod Security (tests-namespace.yaml has no
 * pod-security.kubernetes.io labels), and Pod Security itself is tested against the upstream
 * fixtures; here the Kata, schema and production families are under test.
 */
const OPTIONS = { level: PodSecurityLevel.PRIVILEGED };

/** Why each error rule is right about a workload that Kata CI nevertheless runs. */
const JUSTIFICATION: Record<string, string> = {
  'kata/memory-limit':
    'Kata CI starts these pods without a memory limit because each tests another feature. The VM then boots with ' +
    'default_memory (2048 MiB, src/runtime/Makefile DEFMEMSZ) that the scheduler never counts (it sees requests plus the ' +
    'RuntimeClass podFixed of 160Mi), and with sandbox_cgroup_only the pod cgroup is smaller than the VM, so QEMU gets ' +
    'OOM-killed under load (kata-containers#12786, #6129); runtime-rs documents "Workload CPU and memory limits must be set" ' +
    '(docs/how-to/how-to-size-sandbox-overhead-runtime-rs.md). Fine for a CI smoke test, not for production.',
  'schema/duplicate-object':
    'Kata CI applies each fixture in its own test; checked as one input set, these objects have the same kind, namespace ' +
    'and name as an earlier file, and kubectl apply would replace one with the other.',
};

/** Every error finding expected on the folder: [file, Kind/name, rule]. */
const EXPECTED_ERRORS: ReadonlyArray<readonly [string, string, string]> = [
  ['busybox-pod.yaml', 'Pod/busybox', 'kata/memory-limit'],
  ['busybox-template.yaml', 'Pod/POD_NAME', 'kata/memory-limit'],
  ['busybox-vm-templating.yaml', 'Pod/POD_NAME', 'kata/memory-limit'],
  ['busybox-vm-templating.yaml', 'Pod/POD_NAME', 'schema/duplicate-object'],
  ['cron-job.yaml', 'CronJob/cron-job-pi-test', 'kata/memory-limit'],
  ['initContainer-shared-volume.yaml', 'Pod/initcontainer-shared-volume', 'kata/memory-limit'],
  ['initcontainer-shareprocesspid.yaml', 'Pod/busybox', 'kata/memory-limit'],
  ['initcontainer-shareprocesspid.yaml', 'Pod/busybox', 'schema/duplicate-object'],
  ['inotify-updated-configmap.yaml', 'ConfigMap/cm', 'schema/duplicate-object'],
  ['job.yaml', 'Job/job-pi-test', 'kata/memory-limit'],
  ['k8s-pod-sc-deployment.yaml', 'Deployment/policy-redis-deployment', 'schema/duplicate-object'],
  [
    'k8s-pod-sc-nobodyupdate-deployment.yaml',
    'Deployment/policy-redis-deployment',
    'schema/duplicate-object',
  ],
  [
    'k8s-pod-sc-supplementalgroups-deployment.yaml',
    'Deployment/policy-redis-deployment',
    'schema/duplicate-object',
  ],
  ['k8s-policy-deployment.yaml', 'Deployment/policy-redis-deployment', 'schema/duplicate-object'],
  ['k8s-policy-hard-coded.yaml', 'Pod/hard-coded-policy-pod', 'kata/memory-limit'],
  ['k8s-policy-job.yaml', 'Job/policy-job', 'kata/memory-limit'],
  ['k8s-policy-pod-pvc.yaml', 'Pod/policy-pod-pvc', 'kata/memory-limit'],
  ['k8s-policy-pod.yaml', 'Pod/policy-pod', 'kata/memory-limit'],
  ['k8s-policy-set-keys.yaml', 'Pod/set-keys-test', 'kata/memory-limit'],
  ['no-layer-image.yaml', 'Pod/no-layer-image', 'kata/memory-limit'],
  ['openvpn/openvpn-client-pod.yaml', 'Pod/openvpn-client', 'kata/memory-limit'],
  ['openvpn/openvpn-server-pod.yaml', 'Pod/openvpn-server', 'kata/memory-limit'],
  ['openvpn/pod-openvpn-init-secrets.yaml', 'Pod/openvpn-init-secrets', 'kata/memory-limit'],
  ['pod-besteffort.yaml', 'Pod/besteffort-test', 'kata/memory-limit'],
  ['pod-block-pv.yaml', 'Pod/pod-block-pv', 'kata/memory-limit'],
  ['pod-caps.yaml', 'Pod/pod-caps', 'kata/memory-limit'],
  ['pod-confidential-unencrypted.yaml', 'Deployment/confidential-unencrypted', 'kata/memory-limit'],
  ['pod-configmap-volume.yaml', 'Pod/configmap-volume-test-pod', 'kata/memory-limit'],
  ['pod-configmap.yaml', 'Pod/config-env-test-pod', 'kata/memory-limit'],
  ['pod-custom-dns.yaml', 'Pod/custom-dns-test', 'kata/memory-limit'],
  ['pod-empty-dir.yaml', 'Pod/sharevol-kata', 'kata/memory-limit'],
  ['pod-env.yaml', 'Pod/test-env', 'kata/memory-limit'],
  ['pod-erofs-dmverity-probe.yaml', 'Pod/erofs-dmverity-probe', 'kata/memory-limit'],
  ['pod-file-volume.yaml', 'Pod/test-file-volume', 'kata/memory-limit'],
  ['pod-footloose.yaml', 'Pod/footubuntu', 'kata/memory-limit'],
  ['pod-graceful-termination.yaml', 'Pod/graceful-termination-test', 'kata/memory-limit'],
  ['pod-hostname.yaml', 'Pod/test-pod-hostname', 'kata/memory-limit'],
  ['pod-hostpath-kmsg.yaml', 'Pod/hostpath-kmsg', 'kata/memory-limit'],
  ['pod-istio.yaml', 'Pod/pod-istio', 'kata/memory-limit'],
  ['pod-liveness.yaml', 'Pod/liveness-exec', 'kata/memory-limit'],
  ['pod-nested-configmap-secret.yaml', 'Pod/nested-configmap-secret-pod', 'kata/memory-limit'],
  ['pod-optional-empty-configmap.yaml', 'Pod/optional-empty-config-test-pod', 'kata/memory-limit'],
  ['pod-optional-empty-secret.yaml', 'Pod/optional-empty-secret-test-pod', 'kata/memory-limit'],
  ['pod-privileged.yaml', 'Pod/privileged', 'kata/memory-limit'],
  ['pod-projected-volume.yaml', 'Pod/test-projected-volume', 'kata/memory-limit'],
  ['pod-quota-deployment.yaml', 'Deployment/deploymenttest', 'kata/memory-limit'],
  ['pod-readonly-volume.yaml', 'Pod/test-readonly-volume', 'kata/memory-limit'],
  ['pod-sandbox-cgroup.yaml', 'Pod/sandbox-cgroup-pod', 'kata/memory-limit'],
  ['pod-sealed-secret-as-file.yaml', 'Pod/secret-test-pod-cc', 'kata/memory-limit'],
  ['pod-sealed-secret.yaml', 'Pod/secret-test-pod-cc', 'kata/memory-limit'],
  ['pod-sealed-secret.yaml', 'Pod/secret-test-pod-cc', 'schema/duplicate-object'],
  ['pod-seccomp.yaml', 'Pod/seccomp-container', 'kata/memory-limit'],
  ['pod-secret-env.yaml', 'Pod/secret-envars-test-pod', 'kata/memory-limit'],
  ['pod-secret.yaml', 'Pod/secret-test-pod', 'kata/memory-limit'],
  ['pod-security-context.yaml', 'Pod/security-context-test', 'kata/memory-limit'],
  ['pod-shared-volume.yaml', 'Pod/test-shared-volume', 'kata/memory-limit'],
  ['pod-smb-volume.yaml', 'Pod/smb-client-test', 'kata/memory-limit'],
  ['pod-sysctl.yaml', 'Pod/sysctl-test', 'kata/memory-limit'],
  ['pod-termination-log-fail.yaml', 'Pod/pod-termination-log-fail', 'kata/memory-limit'],
  ['pod-termination-log-success.yaml', 'Pod/pod-termination-log-success', 'kata/memory-limit'],
  ['pod-trusted-ephemeral-data-storage.yaml', 'Pod/trusted-ephemeral-data-storage', 'kata/memory-limit'],
  ['pv-pod.yaml', 'Pod/pv-pod', 'kata/memory-limit'],
];

describe('Kata CI workloads (kata-containers runtimeclass_workloads)', () => {
  const loaded = loadManifests([DIR]);
  const findings = checkManifests(loaded.manifests, OPTIONS);

  test('loads without crashing; templates and non-Kubernetes files are unreadable input with their file name', () => {
    expect(loaded.manifests.length).toBeGreaterThan(80);
    const byFile = new Map(loaded.errors.map((e) => [relative(DIR, e.file), e.reason]));
    expect(byFile.get('default-initdata.toml')).toBe(InputErrorReason.NOT_MANIFEST_FILE);
    expect(byFile.get('k8s-policy-set-keys.rego')).toBe(InputErrorReason.NOT_MANIFEST_FILE);
    expect(byFile.get('lifecycle-events.yaml')).toBe(InputErrorReason.PLACEHOLDER);
    expect(byFile.get('pod-config.yaml.in')).toBe(InputErrorReason.PLACEHOLDER);
    expect(byFile.get('nvidia-cuda-vectoradd.yaml.in')).toBe(InputErrorReason.PLACEHOLDER);
    for (const e of loaded.errors) expect(e.message.length).toBeGreaterThan(0);
  });

  test('every error is listed with its justification', () => {
    const actual = findings
      .filter((f) => f.severity === Severity.ERROR)
      .map((f) => [relative(DIR, f.file), `${f.kind}/${f.name}`, f.rule] as const);
    const unexpected = actual.filter((a) => !EXPECTED_ERRORS.some((e) => e.join('|') === a.join('|')));
    const unjustified = actual.filter(([, , rule]) => !JUSTIFICATION[rule]);
    const missing = EXPECTED_ERRORS.filter((e) => !actual.some((a) => a.join('|') === e.join('|')));
    const explain = (list: ReadonlyArray<readonly string[]>): string =>
      list
        .map((x) => {
          const f = findings.find((y) => relative(DIR, y.file) === x[0] && y.rule === x[2]);
          return `${x.join(' ')}: ${f?.message ?? ''}`;
        })
        .join('\n');
    expect({
      unexpected: explain(unexpected),
      unjustified: explain(unjustified),
      missing: explain(missing),
    }).toEqual({
      unexpected: '',
      unjustified: '',
      missing: '',
    });
  });

  test('no Kata rule calls a Kata CI workload impossible to run', () => {
    const impossible = [
      'kata/host-network',
      'kata/proc-mount-target',
      'kata/unknown-runtime-class',
      'kata/legacy-annotation-with-runtime-class',
    ];
    expect(findings.filter((f) => impossible.includes(f.rule))).toEqual([]);
  });

  test('what Kata CI does on purpose is reported as a warning, not an error', () => {
    const warned = (rule: string, file: string): boolean =>
      findings.some(
        (f) => f.rule === rule && f.severity === Severity.WARNING && relative(DIR, f.file) === file,
      );
    expect(warned('kata/privileged', 'pod-privileged.yaml')).toBe(true);
    expect(warned('kata/subpath', 'pod-footloose.yaml')).toBe(true);
    expect(warned('kata/host-proc-sys-volume', 'pod-footloose.yaml')).toBe(true);
    // shareProcessNamespace works inside the VM: only the missing memory limit is reported (the CPU limit comes
    // from limit-range.yaml, a LimitRange with a default cpu for the same namespace)
    expect(
      findings
        .filter(
          (f) => f.rule.startsWith('kata/') && relative(DIR, f.file) === 'initcontainer-shareprocesspid.yaml',
        )
        .map((f) => f.rule),
    ).toEqual(['kata/memory-limit']);
    expect(findings.some((f) => f.rule === 'kata/cpu-limit')).toBe(false);
    // sysctls apply to the guest kernel: pod-sysctl.yaml gets no sysctl finding from the Kata rules
    expect(
      findings
        .filter((f) => relative(DIR, f.file) === 'pod-sysctl.yaml' && f.rule.startsWith('kata/'))
        .map((f) => f.rule)
        .sort(),
    ).toEqual(['kata/memory-limit', 'kata/privileged']);
  });
});
