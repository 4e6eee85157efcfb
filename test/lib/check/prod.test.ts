/** Production readiness rules: exemptions and the selector semantics behind them. */
import { checkManifests } from '../../../lib/check';
import { CheckOptions, Finding, RuleFamily, Severity } from '../../../lib/check/types';
import { asObjects, compliantApp, container, find, LABELS, Obj, podSpec } from './fixtures';

function prod(objects: Obj[], options: CheckOptions = {}): Finding[] {
  return checkManifests(asObjects(objects), { families: [RuleFamily.PROD], ...options });
}

const rules = (f: Finding[]): string[] => [...new Set(f.map((x) => x.rule))].sort();

function asKind(o: Obj[], kind: string, apiVersion: string): Obj {
  const d = find(o, 'Deployment');
  d.kind = kind;
  d.apiVersion = apiVersion;
  return d;
}

describe('exemptions', () => {
  test('Jobs need no readiness/liveness probe, PDB or spread', () => {
    const o = compliantApp().filter((x) => x.kind !== 'PodDisruptionBudget' && x.kind !== 'Service');
    const job = asKind(o, 'Job', 'batch/v1');
    job.spec = { template: job.spec.template };
    job.spec.template.spec.restartPolicy = 'Never';
    delete container(o).readinessProbe;
    delete container(o).livenessProbe;
    delete podSpec(o).affinity;
    expect(prod(o)).toEqual([]);
  });

  test('DaemonSets need no PDB or spread, but probes', () => {
    const o = compliantApp().filter((x) => x.kind !== 'PodDisruptionBudget');
    const ds = asKind(o, 'DaemonSet', 'apps/v1');
    delete ds.spec.replicas;
    delete podSpec(o).affinity;
    expect(prod(o)).toEqual([]);
    delete container(o).readinessProbe;
    expect(rules(prod(o))).toEqual(['prod/readiness-probe']);
  });

  test('one replica needs no PDB or spread; an HPA with minReplicas 2 makes it two', () => {
    const o = compliantApp().filter((x) => x.kind !== 'PodDisruptionBudget');
    find(o, 'Deployment').spec.replicas = 1;
    delete podSpec(o).affinity;
    expect(prod(o)).toEqual([]);
    o.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 5,
      },
    });
    expect(rules(prod(o))).toEqual(['prod/pdb', 'prod/spread']);
  });

  test('requests default to limits, and LimitRange defaults count', () => {
    const o = compliantApp();
    delete podSpec(o).runtimeClassName;
    delete container(o).resources.requests;
    expect(prod(o)).toEqual([]);
    delete container(o).resources;
    expect(rules(prod(o))).toEqual(['prod/resources']);
    o.push({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'd', namespace: 'apps' },
      spec: { limits: [{ type: 'Container', default: { cpu: '1', memory: '1Gi' } }] },
    });
    expect(prod(o)).toEqual([]);
  });

  test('run-as-non-root is left to Pod Security in restricted namespaces', () => {
    const o = compliantApp();
    delete podSpec(o).securityContext.runAsNonRoot;
    delete podSpec(o).securityContext.runAsUser;
    expect(rules(checkManifests(asObjects(o)))).toEqual(['pss/run-as-non-root']);
    // without the Pod Security rule (disabled, or its family not run) the production rule reports it
    expect(rules(checkManifests(asObjects(o), { disabledRules: ['pss/run-as-non-root'] }))).toEqual([
      'prod/run-as-non-root',
    ]);
    expect(rules(prod(o))).toEqual(['prod/run-as-non-root']);
  });

  test('a digest pins an image; an untagged image does not', () => {
    const o = compliantApp();
    container(o).image = `nginx@sha256:${'a'.repeat(64)}`;
    expect(prod(o)).toEqual([]);
    container(o).image = 'registry.example.com:5000/team/nginx';
    expect(prod(o)[0].message).toContain('is not tagged');
  });
});

describe('selectors', () => {
  test('spread must select the pod itself: an anti-affinity on other labels does not count, a topology spread does', () => {
    const o = compliantApp();
    podSpec(
      o,
    ).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector =
      {
        matchLabels: { app: 'db' },
      };
    expect(rules(prod(o))).toEqual(['prod/spread']);
    podSpec(o).topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] },
      },
    ];
    expect(prod(o)).toEqual([]);
  });

  test('NetworkPolicies: types default to Ingress (+ Egress when egress rules exist) and combine across policies', () => {
    const o = compliantApp();
    const np = find(o, 'NetworkPolicy');
    delete np.spec.policyTypes;
    delete np.spec.egress;
    expect(prod(o)[0].message).toContain('restricts egress');
    o.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'apps' },
      spec: { podSelector: {}, policyTypes: ['Egress'] },
    });
    expect(prod(o)).toEqual([]);
  });

  test('a policy in another namespace does not select the pod', () => {
    const o = compliantApp();
    find(o, 'NetworkPolicy').metadata.namespace = 'other';
    expect(rules(prod(o))).toEqual(['prod/network-policy']);
  });

  test('a ServiceAccount with automountServiceAccountToken false, or a dedicated account, satisfies the token rule', () => {
    const o = compliantApp();
    delete podSpec(o).automountServiceAccountToken;
    expect(rules(prod(o))).toEqual(['prod/service-account-token']);
    o.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'apps' },
      automountServiceAccountToken: false,
    });
    expect(prod(o)).toEqual([]);
    const o2 = compliantApp();
    delete podSpec(o2).automountServiceAccountToken;
    podSpec(o2).serviceAccountName = 'web';
    expect(prod(o2)).toEqual([]);
  });

  test('Services: runtime labels are ignored, operator-managed namespaces lower the severity, selector-less Services are skipped', () => {
    const o = compliantApp();
    find(o, 'Service').spec.selector = { ...LABELS, 'vault-active': 'true' };
    expect(prod(o)).toEqual([]);
    find(o, 'Service').spec.selector = { ...LABELS, 'statefulset.kubernetes.io/pod-name': 'web-0' };
    expect(prod(o)).toEqual([]);
    find(o, 'Service').spec.selector = { ...LABELS, role: 'leader' };
    expect(rules(prod(o))).toEqual(['prod/service-no-pods']);
    find(o, 'Service').metadata.annotations = { 'kata-blueprints.io/runtime-selector-labels': 'role' };
    expect(prod(o)).toEqual([]);
    delete find(o, 'Service').metadata.annotations;
    o.push({
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkDeployment',
      metadata: { name: 'f', namespace: 'apps' },
      spec: {},
    });
    expect(prod(o).map((f) => [f.rule, f.severity])).toEqual([['prod/service-no-pods', Severity.WARNING]]);
    delete find(o, 'Service').spec.selector;
    expect(prod(o)).toEqual([]);
  });

  test('minAvailable at or above the replica count blocks evictions', () => {
    const o = compliantApp();
    const pdb = find(o, 'PodDisruptionBudget');
    delete pdb.spec.maxUnavailable;
    pdb.spec.minAvailable = 1;
    expect(prod(o)).toEqual([]);
    pdb.spec.minAvailable = 2;
    expect(prod(o)[0].message).toContain('minAvailable 2 >= replicas of Deployment web (2)');
  });

  test('a PodTemplate is checked as a pod but no selector counts it', () => {
    const o = compliantApp().filter(
      (x) => x.kind === 'Namespace' || x.kind === 'RuntimeClass' || x.kind === 'Service',
    );
    const template = compliantApp().find((x) => x.kind === 'Deployment').spec.template;
    o.push({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 't', namespace: 'apps' }, template });
    expect(rules(prod(o))).toEqual(['prod/service-no-pods']);
  });
});

describe('PDBs for pods an operator creates', () => {
  const flink = (namespace: string): Obj => ({
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name: 'sessions', namespace },
    spec: {},
  });

  test('a PDB that selects no pod is a warning, and only an info next to a custom resource', () => {
    const o = compliantApp();
    const pdb = find(o, 'PodDisruptionBudget');
    pdb.spec.selector.matchLabels = { app: 'taskmanager' };
    const alone = prod(o).filter((f) => f.rule === 'prod/pdb-no-match');
    expect(alone.map((f) => f.severity)).toEqual([Severity.WARNING]);
    const withCr = prod([...o, flink(pdb.metadata.namespace)]).filter((f) => f.rule === 'prod/pdb-no-match');
    expect(withCr.map((f) => f.severity)).toEqual([Severity.INFO]);
    expect(withCr[0].message).toContain('a custom resource in the namespace may create them');
  });

  test('a custom resource in another namespace changes nothing', () => {
    const o = compliantApp();
    find(o, 'PodDisruptionBudget').spec.selector.matchLabels = { app: 'taskmanager' };
    const f = prod([...o, flink('elsewhere')]).filter((x) => x.rule === 'prod/pdb-no-match');
    expect(f.map((x) => x.severity)).toEqual([Severity.WARNING]);
  });
});
