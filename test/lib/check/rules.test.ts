/**
 * Every rule has a negative case (the compliant app produces no finding at all) and a positive case
 * (one mutation of it makes exactly that rule fire, with the expected severity). The last test makes
 * sure no rule id is left without a positive case.
 */
import { ALL_RULES, checkManifests } from '../../../lib/check';
import { CheckOptions, Finding, PodSecurityLevel, Severity } from '../../../lib/check/types';
import { asObjects, compliantApp, container, find, LABELS, Obj, podSpec } from './fixtures';

interface Case {
  readonly rule: string;
  readonly what: string;
  readonly mutate: (objects: Obj[]) => Obj[] | void;
  readonly severity?: Severity;
  readonly options?: CheckOptions;
}

const restrictedBase = (o: Obj[]): Obj => podSpec(o);

const CASES: Case[] = [
  // schema
  {
    rule: 'schema/not-kubernetes',
    what: 'a document without kind',
    mutate: (o) => void o.push({ apiVersion: 'v1', metadata: { name: 'x' } }),
  },
  {
    rule: 'schema/invalid',
    what: 'replicas as a string',
    mutate: (o) => void (find(o, 'Deployment').spec.replicas = 'two'),
  },
  {
    rule: 'schema/unknown-field',
    what: 'a misspelt container field',
    mutate: (o) => void (container(o).imagePullPolicyy = 'Always'),
  },
  {
    rule: 'schema/removed-api',
    what: 'policy/v1beta1 PDB',
    mutate: (o) => void (find(o, 'PodDisruptionBudget').apiVersion = 'policy/v1beta1'),
  },
  {
    rule: 'schema/duplicate-object',
    what: 'the Service twice',
    mutate: (o) => void o.push(JSON.parse(JSON.stringify(find(o, 'Service')))),
  },
  {
    rule: 'schema/skipped',
    what: 'a custom resource',
    severity: Severity.INFO,
    mutate: (o) =>
      void o.push({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: 'apps' },
        spec: {},
      }),
  },
  // pss baseline
  { rule: 'pss/host-namespaces', what: 'hostIPC', mutate: (o) => void (restrictedBase(o).hostIPC = true) },
  {
    rule: 'pss/privileged',
    what: 'privileged',
    mutate: (o) => void (container(o).securityContext.privileged = true),
  },
  {
    rule: 'pss/capabilities-baseline',
    what: 'SYS_ADMIN',
    mutate: (o) => void (container(o).securityContext.capabilities.add = ['SYS_ADMIN']),
  },
  {
    rule: 'pss/host-path-volumes',
    what: 'hostPath /data',
    mutate: (o) => void (restrictedBase(o).volumes = [{ name: 'tmp', hostPath: { path: '/data' } }]),
  },
  { rule: 'pss/host-ports', what: 'hostPort', mutate: (o) => void (container(o).ports[0].hostPort = 8080) },
  {
    rule: 'pss/apparmor-profile',
    what: 'unconfined annotation',
    mutate: (o) =>
      void (find(o, 'Deployment').spec.template.metadata.annotations = {
        'container.apparmor.security.beta.kubernetes.io/web': 'unconfined',
      }),
  },
  {
    rule: 'pss/selinux-options',
    what: 'custom SELinux user',
    mutate: (o) => void (restrictedBase(o).securityContext.seLinuxOptions = { user: 'root' }),
  },
  {
    rule: 'pss/proc-mount',
    what: 'Unmasked procMount',
    mutate: (o) => void (container(o).securityContext.procMount = 'Unmasked'),
  },
  {
    rule: 'pss/seccomp-profile-baseline',
    what: 'Unconfined on the container',
    mutate: (o) => void (container(o).securityContext.seccompProfile = { type: 'Unconfined' }),
  },
  {
    rule: 'pss/sysctls',
    what: 'kernel.msgmax',
    mutate: (o) => void (restrictedBase(o).securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]),
  },
  {
    rule: 'pss/windows-host-process',
    what: 'hostProcess',
    mutate: (o) => void (container(o).securityContext.windowsOptions = { hostProcess: true }),
  },
  // pss restricted
  {
    rule: 'pss/restricted-volumes',
    what: 'an nfs volume',
    mutate: (o) => void (restrictedBase(o).volumes = [{ name: 'tmp', nfs: { server: 'nfs', path: '/' } }]),
  },
  {
    rule: 'pss/allow-privilege-escalation',
    what: 'allowPrivilegeEscalation unset',
    mutate: (o) => void delete container(o).securityContext.allowPrivilegeEscalation,
  },
  {
    rule: 'pss/run-as-non-root',
    what: 'runAsNonRoot unset',
    mutate: (o) => void delete restrictedBase(o).securityContext.runAsNonRoot,
  },
  {
    rule: 'pss/run-as-user',
    what: 'runAsUser 0',
    mutate: (o) => void (container(o).securityContext.runAsUser = 0),
  },
  {
    rule: 'pss/seccomp-profile-restricted',
    what: 'no seccomp profile',
    mutate: (o) => void delete restrictedBase(o).securityContext.seccompProfile,
  },
  {
    rule: 'pss/capabilities-restricted',
    what: 'no drop ALL',
    mutate: (o) => void (container(o).securityContext.capabilities.drop = ['NET_RAW']),
  },
  // kata
  {
    rule: 'kata/host-network',
    what: 'hostNetwork in a VM',
    mutate: (o) => void (podSpec(o).hostNetwork = true),
  },
  {
    rule: 'kata/host-namespaces',
    what: 'hostPID in a VM',
    severity: Severity.WARNING,
    mutate: (o) => void (podSpec(o).hostPID = true),
  },
  {
    rule: 'kata/proc-mount-target',
    what: 'a volume over /proc/sys',
    mutate: (o) => void container(o).volumeMounts.push({ name: 'tmp', mountPath: '/proc/sys/net' }),
  },
  {
    rule: 'kata/host-proc-sys-volume',
    what: 'hostPath /sys/fs/cgroup',
    severity: Severity.WARNING,
    mutate: (o) => void podSpec(o).volumes.push({ name: 'cg', hostPath: { path: '/sys/fs/cgroup' } }),
  },
  {
    rule: 'kata/subpath',
    what: 'subPath',
    severity: Severity.WARNING,
    mutate: (o) => void (container(o).volumeMounts[0].subPath = 'x'),
  },
  {
    rule: 'kata/memory-limit',
    what: 'no memory limit',
    mutate: (o) => void delete container(o).resources.limits.memory,
  },
  {
    rule: 'kata/cpu-limit',
    what: 'no CPU limit',
    severity: Severity.WARNING,
    mutate: (o) => void delete container(o).resources.limits.cpu,
  },
  {
    rule: 'kata/unknown-runtime-class',
    what: 'a class nobody defines',
    mutate: (o) => void (podSpec(o).runtimeClassName = 'kata-nope'),
  },
  {
    rule: 'kata/pod-overhead-set',
    what: 'spec.overhead by hand',
    mutate: (o) => void (podSpec(o).overhead = { cpu: '1', memory: '1Gi' }),
  },
  {
    rule: 'kata/legacy-annotation-with-runtime-class',
    what: 'containerd untrusted annotation plus runtimeClassName',
    mutate: (o) =>
      void (find(o, 'Deployment').spec.template.metadata.annotations = {
        'io.kubernetes.cri.untrusted-workload': 'true',
      }),
  },
  {
    rule: 'kata/legacy-untrusted-annotation',
    what: 'annotation without a runtime class',
    severity: Severity.WARNING,
    mutate: (o) => {
      delete podSpec(o).runtimeClassName;
      find(o, 'Deployment').spec.template.metadata.annotations = {
        'io.kubernetes.cri.untrusted-workload': 'true',
      };
    },
  },
  {
    rule: 'kata/privileged',
    what: 'privileged in a VM',
    severity: Severity.WARNING,
    options: { disabledRules: ['pss/privileged'] },
    mutate: (o) => void (container(o).securityContext.privileged = true),
  },
  {
    rule: 'kata/hypervisor-annotation',
    what: 'default_vcpus on the Go runtime',
    severity: Severity.WARNING,
    mutate: (o) =>
      void (find(o, 'Deployment').spec.template.metadata.annotations = {
        'io.katacontainers.config.hypervisor.default_vcpus': '2',
      }),
  },
  {
    rule: 'kata/overhead-exceeds-quota',
    what: '2 x 128Mi fits 300Mi, 2 x (128Mi + 320Mi) does not',
    mutate: (o) => void (find(o, 'ResourceQuota').spec.hard = { 'requests.memory': '300Mi' }),
  },
  // prod
  {
    rule: 'prod/resources',
    what: 'trusted pod without requests and limits',
    mutate: (o) => {
      delete podSpec(o).runtimeClassName;
      delete container(o).resources;
    },
  },
  {
    rule: 'prod/readiness-probe',
    what: 'no readiness probe',
    mutate: (o) => void delete container(o).readinessProbe,
  },
  {
    rule: 'prod/liveness-probe',
    what: 'no liveness probe',
    mutate: (o) => void delete container(o).livenessProbe,
  },
  { rule: 'prod/image-tag', what: 'latest', mutate: (o) => void (container(o).image = 'nginx:latest') },
  {
    rule: 'prod/read-only-root-fs',
    what: 'writable root',
    mutate: (o) => void (container(o).securityContext.readOnlyRootFilesystem = false),
  },
  {
    rule: 'prod/run-as-non-root',
    what: 'root in a baseline namespace',
    mutate: (o) => {
      find(o, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
      delete restrictedBase(o).securityContext.runAsNonRoot;
      delete restrictedBase(o).securityContext.runAsUser;
    },
  },
  { rule: 'prod/pdb', what: 'no PDB', mutate: (o) => o.filter((x) => x.kind !== 'PodDisruptionBudget') },
  {
    rule: 'prod/pdb-no-match',
    what: 'PDB selecting another app',
    mutate: (o) => void (find(o, 'PodDisruptionBudget').spec.selector.matchLabels = { app: 'other' }),
  },
  {
    rule: 'prod/pdb-blocks-eviction',
    what: 'maxUnavailable 0',
    mutate: (o) => void (find(o, 'PodDisruptionBudget').spec.maxUnavailable = 0),
  },
  { rule: 'prod/spread', what: 'no anti-affinity', mutate: (o) => void delete podSpec(o).affinity },
  {
    rule: 'prod/network-policy',
    what: 'ingress-only policy',
    mutate: (o) => void (find(o, 'NetworkPolicy').spec.policyTypes = ['Ingress']),
  },
  {
    rule: 'prod/service-account-token',
    what: 'default token mounted',
    mutate: (o) => void delete podSpec(o).automountServiceAccountToken,
  },
  {
    rule: 'prod/selector-mismatch',
    what: 'selector app=other',
    mutate: (o) => void (find(o, 'Deployment').spec.selector.matchLabels = { ...LABELS, tier: 'front' }),
  },
  {
    rule: 'prod/service-no-pods',
    what: 'Service selecting app=other',
    mutate: (o) => void (find(o, 'Service').spec.selector = { app: 'other' }),
  },
  {
    rule: 'prod/blueprint-warning',
    what: 'the warning annotation',
    mutate: (o) =>
      void (find(o, 'Service').metadata.annotations = { 'kata-blueprints.io/warning': 'TLS is disabled' }),
  },
];

function run(objects: Obj[], options: CheckOptions = {}): Finding[] {
  return checkManifests(asObjects(objects), options);
}

describe('every rule', () => {
  test('the compliant app has no finding (negative case of every rule)', () => {
    expect(run(compliantApp())).toEqual([]);
  });

  test.each(CASES.map((c) => [c.rule, c.what, c] as const))('%s fires for %s', (rule, _what, c) => {
    const objects = compliantApp();
    const replaced = c.mutate(objects);
    const findings = run(replaced ?? objects, c.options);
    const hits = findings.filter((f) => f.rule === rule);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0].severity).toBe(c.severity ?? ALL_RULES.find((r) => r.id === rule)!.severity);
    expect(hits[0].message.length).toBeGreaterThan(10);
    expect(hits[0].fix.length).toBeGreaterThan(10);
  });

  test('every rule id has a positive case', () => {
    const covered = new Set(CASES.map((c) => c.rule));
    expect(ALL_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  test('rule ids are unique and carry their family as prefix', () => {
    const ids = ALL_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of ALL_RULES) expect(r.id.startsWith(`${r.family}/`)).toBe(true);
    for (const r of ALL_RULES) expect(r.sources.length).toBeGreaterThan(0);
  });

  test('the level option applies where no Namespace sets one', () => {
    const objects = compliantApp().filter((o) => o.kind !== 'Namespace');
    delete podSpec(objects).securityContext.seccompProfile;
    expect(run(objects).map((f) => f.rule)).toContain('pss/seccomp-profile-restricted');
    expect(run(objects, { level: PodSecurityLevel.BASELINE }).map((f) => f.rule)).not.toContain(
      'pss/seccomp-profile-restricted',
    );
  });
});
