/**
 * Pod Security Standards: agreement with the upstream Pod Security admission fixtures (policy
 * version 1.28) and the version-specific details those fixtures do not pin down.
 */
import { readdirSync } from 'fs';
import { join } from 'path';
import { checkManifests, evaluatePodSecurity, PSS_RULES } from '../../../lib/check';
import { PodSecurityLevel, RuleFamily } from '../../../lib/check/types';
import { KubeObject, loadManifests } from '../../../lib/manifest/load';
import { corpusDir } from './corpus';

const PSS_DIR = join(corpusDir(), 'pss');

interface Fixture {
  readonly level: PodSecurityLevel;
  readonly expect: 'pass' | 'fail';
  readonly file: string;
  readonly path: string;
}

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const level of readdirSync(PSS_DIR).sort()) {
    const versionDir = join(PSS_DIR, level, 'v1.28');
    for (const expect of ['pass', 'fail'] as const) {
      for (const file of readdirSync(join(versionDir, expect)).sort()) {
        out.push({ level: level as PodSecurityLevel, expect, file, path: join(versionDir, expect, file) });
      }
    }
  }
  return out;
}

const ALL = fixtures();

describe('agreement with the upstream Pod Security admission fixtures (v1.28)', () => {
  test('the corpus is there and has both levels, passes and failures', () => {
    expect(ALL.length).toBeGreaterThan(100);
    expect(new Set(ALL.map((f) => `${f.level}/${f.expect}`))).toEqual(
      new Set(['baseline/pass', 'baseline/fail', 'restricted/pass', 'restricted/fail']),
    );
  });

  test.each(ALL.map((f) => [`${f.level}/${f.expect}/${f.file}`, f] as const))('%s', (_name, f) => {
    const loaded = loadManifests([f.path]);
    expect(loaded.errors).toEqual([]);
    expect(loaded.manifests).toHaveLength(1);
    const pod = loaded.manifests[0].object as unknown as {
      metadata?: Record<string, unknown>;
      spec: Record<string, unknown>;
    };
    const violations = evaluatePodSecurity(pod.metadata ?? {}, pod.spec, f.level);
    if (f.expect === 'pass') {
      expect(violations.map((v) => `${v.rule.id}: ${v.violation.detail}`)).toEqual([]);
    } else {
      // the fixture name is the upstream check id plus an index: that check must be among the failures
      const check = f.file.replace(/\d+\.yaml$/, '');
      expect(violations.map((v) => v.rule.upstreamId.toLowerCase())).toContain(check);
    }
    // the engine agrees with the evaluator at the same level (no Namespace: the level option applies)
    const findings = checkManifests(loaded.manifests, { level: f.level, families: [RuleFamily.PSS] });
    expect(findings.length > 0).toBe(f.expect === 'fail');
  });
});

describe('Pod Security details', () => {
  const base = (spec: Record<string, unknown>): Record<string, unknown> => ({
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'c',
        image: 'x:1',
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ],
    ...spec,
  });
  const ids = (spec: Record<string, unknown>, level = PodSecurityLevel.RESTRICTED, metadata = {}): string[] =>
    evaluatePodSecurity(metadata, base(spec), level).map((v) => v.rule.id);

  test('sysctls: the 1.27 addition is allowed, the 1.29 additions are not yet', () => {
    expect(
      ids({
        securityContext: {
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
          sysctls: [{ name: 'net.ipv4.ip_local_reserved_ports', value: '1' }],
        },
      }),
    ).toEqual([]);
    expect(
      ids({
        securityContext: {
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
          sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '1' }],
        },
      }),
    ).toEqual(['pss/sysctls']);
  });

  test('Windows pods are exempt from the restricted capability, escalation and seccomp checks (1.25+)', () => {
    const spec = {
      os: { name: 'windows' },
      securityContext: { runAsNonRoot: true },
      containers: [{ name: 'c', image: 'x:1' }],
    };
    expect(evaluatePodSecurity({}, spec, PodSecurityLevel.RESTRICTED).map((v) => v.rule.id)).toEqual([]);
    expect(
      evaluatePodSecurity({}, { ...spec, os: { name: 'linux' } }, PodSecurityLevel.RESTRICTED).map(
        (v) => v.rule.id,
      ),
    ).toEqual([
      'pss/allow-privilege-escalation',
      'pss/seccomp-profile-restricted',
      'pss/capabilities-restricted',
    ]);
  });

  test('a volume without a source is an emptyDir after defaulting', () => {
    expect(ids({ volumes: [{ name: 'v' }] })).toEqual([]);
    expect(ids({ volumes: [{ name: 'v', gitRepo: { repository: 'x' } }] })).toEqual([
      'pss/restricted-volumes',
    ]);
  });

  test('baseline does not apply restricted checks; privileged applies none', () => {
    const spec = { containers: [{ name: 'c', image: 'x:1', securityContext: { privileged: true } }] };
    expect(evaluatePodSecurity({}, spec, PodSecurityLevel.BASELINE).map((v) => v.rule.id)).toEqual([
      'pss/privileged',
    ]);
    expect(evaluatePodSecurity({}, spec, PodSecurityLevel.PRIVILEGED)).toEqual([]);
    expect(PSS_RULES.filter((r) => r.level === PodSecurityLevel.BASELINE)).toHaveLength(11);
    expect(PSS_RULES.filter((r) => r.level === PodSecurityLevel.RESTRICTED)).toHaveLength(6);
  });

  test('ephemeral containers are checked too', () => {
    expect(
      ids({ ephemeralContainers: [{ name: 'dbg', image: 'x:1', securityContext: { privileged: true } }] }),
    ).toContain('pss/privileged');
  });

  test('a Namespace in the input sets the level of its objects', () => {
    const ns = (level: string) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'kata-system', labels: { 'pod-security.kubernetes.io/enforce': level } },
    });
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'kata-system' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: {
            hostPID: true,
            containers: [{ name: 'c', image: 'x:1', securityContext: { privileged: true } }],
          },
        },
      },
    };
    const pss = (objs: object[]) =>
      checkManifests(objs as unknown as KubeObject[], { families: [RuleFamily.PSS] })
        .map((f) => f.rule)
        .sort();
    expect(pss([ns('privileged'), ds])).toEqual([]);
    expect(pss([ns('baseline'), ds])).toEqual(['pss/host-namespaces', 'pss/privileged']);
    expect(pss([ds])).toContain('pss/run-as-non-root');
  });

  test('findings point at the offending field inside the workload', () => {
    const objs = [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'j', namespace: 'n' },
        spec: {
          schedule: '* * * * *',
          jobTemplate: {
            spec: {
              template: {
                spec: { containers: [{ name: 'c', image: 'x:1', securityContext: { privileged: true } }] },
              },
            },
          },
        },
      },
    ];
    const f = checkManifests(objs as unknown as KubeObject[], {
      families: [RuleFamily.PSS],
      level: PodSecurityLevel.BASELINE,
    });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      rule: 'pss/privileged',
      kind: 'CronJob',
      namespace: 'n',
      name: 'j',
      path: 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged',
    });
  });
});
