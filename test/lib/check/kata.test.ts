/** Kata compatibility rules: when a pod counts as sandboxed, and the cases each rule must not flag. */
import { checkManifests } from '../../../lib/check';
import { CheckOptions, Finding, RuleFamily, Severity } from '../../../lib/check/types';
import { asObjects, compliantApp, container, find, Obj, podSpec } from './fixtures';

function kata(objects: Obj[], options: CheckOptions = {}): Finding[] {
  return checkManifests(asObjects(objects), { families: [RuleFamily.KATA], ...options });
}

const rules = (f: Finding[]): string[] => f.map((x) => x.rule).sort();

describe('which pods are sandboxed', () => {
  test('a RuntimeClass in the input whose handler is not Kata (gVisor) is not sandboxed', () => {
    const o = compliantApp();
    find(o, 'RuntimeClass').handler = 'runsc';
    podSpec(o).hostPID = true;
    delete container(o).resources.limits.memory;
    expect(kata(o)).toEqual([]);
  });

  test('a custom class name with a kata handler is sandboxed', () => {
    const o = compliantApp();
    find(o, 'RuntimeClass').metadata.name = 'sandboxed';
    podSpec(o).runtimeClassName = 'sandboxed';
    podSpec(o).hostPID = true;
    expect(rules(kata(o))).toEqual(['kata/host-namespaces']);
  });

  test('without RuntimeClass information: presets and kata-deploy names are trusted, other names are a warning', () => {
    const o = compliantApp().filter((x) => x.kind !== 'RuntimeClass');
    expect(kata(o)).toEqual([]);
    podSpec(o).runtimeClassName = 'kata-qemu-snp';
    expect(kata(o)).toEqual([]);
    podSpec(o).runtimeClassName = 'gvisor';
    const f = kata(o);
    expect(f.map((x) => [x.rule, x.severity])).toEqual([['kata/unknown-runtime-class', Severity.WARNING]]);
    expect(kata(o, { runtimeClasses: ['gvisor=runsc'] })).toEqual([]);
  });

  test('declared cluster classes make the set known: an undeclared name is an error', () => {
    const o = compliantApp().filter((x) => x.kind !== 'RuntimeClass');
    const f = kata(o, { runtimeClasses: ['kata-clh'] });
    expect(f.map((x) => [x.rule, x.severity])).toEqual([['kata/unknown-runtime-class', Severity.ERROR]]);
    expect(f[0].message).toContain('known: kata-clh');
    expect(kata(o, { runtimeClasses: ['kata-clh', 'kata-qemu'] })).toEqual([]);
  });

  test('a platform-managed class (AKS kata-vm-isolation) is never expected in the manifests', () => {
    const o = compliantApp();
    podSpec(o).runtimeClassName = 'kata-vm-isolation';
    expect(kata(o)).toEqual([]);
  });
});

describe('Kata rules: what they must not flag', () => {
  test('a LimitRange default memory limit in the namespace satisfies kata/memory-limit', () => {
    const o = compliantApp();
    delete container(o).resources.limits.memory;
    expect(rules(kata(o))).toEqual(['kata/memory-limit']);
    o.push({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'defaults', namespace: 'apps' },
      spec: { limits: [{ type: 'Container', default: { memory: '512Mi' } }] },
    });
    expect(kata(o)).toEqual([]);
  });

  test('init containers need a memory limit too (the pod has no memory limit otherwise)', () => {
    const o = compliantApp();
    podSpec(o).initContainers = [
      { name: 'init', image: 'busybox:1.36', resources: { limits: { cpu: '100m' } } },
    ];
    const f = kata(o);
    expect(rules(f)).toEqual(['kata/memory-limit']);
    expect(f[0].message).toContain('"init"');
  });

  test('allowed /proc files may be mount targets', () => {
    const o = compliantApp();
    container(o).volumeMounts.push({ name: 'tmp', mountPath: '/proc/meminfo' });
    expect(kata(o)).toEqual([]);
    container(o).volumeMounts.push({ name: 'tmp', mountPath: '/proc/../proc/sys' });
    expect(rules(kata(o))).toEqual(['kata/proc-mount-target']);
  });

  test('host paths outside /proc and /sys are not Kata findings; trusted pods get no Kata findings', () => {
    const o = compliantApp();
    podSpec(o).volumes.push({ name: 'kmsg', hostPath: { path: '/dev/kmsg' } });
    expect(kata(o)).toEqual([]);
    delete podSpec(o).runtimeClassName;
    podSpec(o).hostNetwork = true;
    container(o).volumeMounts[0].subPath = 'x';
    expect(kata(o)).toEqual([]);
  });

  test('legacy annotations: CRI-O TrustedSandbox with a runtime class is a warning; containerd with host namespaces an error', () => {
    const o = compliantApp();
    find(o, 'Deployment').spec.template.metadata.annotations = {
      'io.kubernetes.cri-o.TrustedSandbox': 'false',
    };
    expect(kata(o).map((x) => [x.rule, x.severity])).toEqual([
      ['kata/legacy-annotation-with-runtime-class', Severity.WARNING],
    ]);
    delete podSpec(o).runtimeClassName;
    find(o, 'Deployment').spec.template.metadata.annotations = {
      'io.kubernetes.cri.untrusted-workload': 'true',
    };
    podSpec(o).hostIPC = true;
    const f = kata(o);
    expect(f.find((x) => x.rule === 'kata/host-namespaces')?.severity).toBe(Severity.ERROR);
    expect(f.find((x) => x.rule === 'kata/legacy-untrusted-annotation')?.severity).toBe(Severity.WARNING);
  });

  test('a pod overhead equal to the RuntimeClass overhead is accepted', () => {
    const o = compliantApp();
    podSpec(o).overhead = { cpu: '250m', memory: '320Mi' };
    expect(kata(o)).toEqual([]);
    podSpec(o).overhead = { cpu: '250m', memory: '160Mi' };
    expect(rules(kata(o))).toEqual(['kata/pod-overhead-set']);
  });

  test('runtime-rs presets allow default_vcpus; the Go runtime does not', () => {
    const o = compliantApp();
    find(o, 'Deployment').spec.template.metadata.annotations = {
      'io.katacontainers.config.hypervisor.default_vcpus': '2',
    };
    expect(rules(kata(o))).toEqual(['kata/hypervisor-annotation']);
    find(o, 'RuntimeClass').metadata.name = 'kata-qemu-runtime-rs';
    find(o, 'RuntimeClass').handler = 'kata-qemu-runtime-rs';
    podSpec(o).runtimeClassName = 'kata-qemu-runtime-rs';
    expect(kata(o)).toEqual([]);
  });
});

describe('kata/overhead-exceeds-quota', () => {
  const quota = (o: Obj[], hard: Record<string, string>): void =>
    void (find(o, 'ResourceQuota').spec.hard = hard);

  test('requests that fit only without the overhead are refused; requests that do not fit at all are not an overhead problem', () => {
    const o = compliantApp();
    quota(o, { 'requests.memory': '896Mi' }); // 2 x (128Mi + 320Mi) = 896Mi: fits exactly
    expect(kata(o)).toEqual([]);
    quota(o, { 'requests.memory': '895Mi' });
    const f = kata(o);
    expect(f).toHaveLength(1);
    expect(f[0].message).toBe(
      '2 x (requests 128Mi + overhead 320Mi) = 896Mi exceeds ResourceQuota "apps" requests.memory 895Mi: the RuntimeClass overhead leaves no room, pods are refused at admission',
    );
    quota(o, { 'requests.memory': '200Mi' });
    expect(kata(o)).toEqual([]);
  });

  test('CPU and limits quotas count the overhead too; the namespace total is reported on the quota', () => {
    const o = compliantApp();
    quota(o, { 'limits.cpu': '1' }); // 2 x (500m + 250m) = 1500m
    expect(kata(o).map((x) => x.rule)).toEqual(['kata/overhead-exceeds-quota']);
    const second = JSON.parse(JSON.stringify(find(o, 'Deployment')));
    second.metadata.name = 'web2';
    o.push(second);
    quota(o, { 'requests.cpu': '800m' }); // each 2 x (100m + 250m) = 700m fits; together 1400m > 800m >= 400m
    const f = kata(o);
    expect(f.map((x) => [x.rule, x.kind])).toEqual([['kata/overhead-exceeds-quota', 'ResourceQuota']]);
    expect(f[0].message).toContain('web, web2');
  });

  test('scoped quotas are not evaluated', () => {
    const o = compliantApp();
    find(o, 'ResourceQuota').spec = { hard: { 'requests.memory': '300Mi' }, scopes: ['BestEffort'] };
    expect(kata(o)).toEqual([]);
  });
});
