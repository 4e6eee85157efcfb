import { Testing, Duration } from 'cdk8s';
import { KataRuntimeClasses } from '../../../lib/cluster/runtime-classes';
import { KataDeploy, K8sDistribution } from '../../../lib/cluster/kata-deploy';
import { KATA_CAPABLE_LABEL, KataNodeCheck, renderNodeCheckScript } from '../../../lib/cluster/node-check';
import { KataRuntime } from '../../../lib/sandbox/runtime';

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};

function synth(build: (chart: ReturnType<typeof Testing.chart>) => void): Obj[] {
  const chart = Testing.chart();
  build(chart);
  return Testing.synth(chart) as Obj[];
}

describe('KataRuntimeClasses', () => {
  test('one RuntimeClass per self-managed preset, with handler, overhead and scheduling', () => {
    const objs = synth((c) => new KataRuntimeClasses(c, 'rc', { runtimes: KataRuntime.PRESETS }));
    expect(objs.map((o) => o.metadata.name)).toEqual([
      'kata-qemu',
      'kata-qemu-runtime-rs',
      'kata-clh',
      'kata-fc',
      'kata-dragonball',
      'kata-qemu-nvidia-gpu',
    ]);
    for (const o of objs) {
      const r = KataRuntime.fromName(o.metadata.name);
      expect(o).toMatchObject({
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        handler: r.handler,
        overhead: { podFixed: { cpu: r.overhead.cpu, memory: r.overhead.memory } },
        scheduling: {
          nodeSelector: { ...r.nodeSelector },
          tolerations: [
            { key: 'kata-blueprints.io/kata', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
          ],
        },
      });
    }
  });

  test('platform-managed classes only on request', () => {
    const objs = synth(
      (c) =>
        new KataRuntimeClasses(c, 'rc', {
          runtimes: [KataRuntime.AKS_VM_ISOLATION],
          includePlatformManaged: true,
        }),
    );
    expect(objs).toHaveLength(1);
    expect(objs[0]).toMatchObject({
      handler: 'kata',
      scheduling: { nodeSelector: { 'kubernetes.azure.com/kata-vm-isolation': 'true' } },
    });
    expect((objs[0].scheduling as Record<string, unknown>).tolerations).toBeUndefined();
  });

  test('custom runtimes', () => {
    const r = KataRuntime.custom({
      name: 'kata-qemu-gold',
      handler: 'kata-qemu-gold',
      overhead: { cpu: '500m', memory: '512Mi' },
    });
    const objs = synth((c) => new KataRuntimeClasses(c, 'rc', { runtimes: [r] }));
    expect(objs[0]).toMatchObject({
      metadata: { name: 'kata-qemu-gold' },
      overhead: { podFixed: { cpu: '500m', memory: '512Mi' } },
    });
  });

  test.each([
    [[], /KataRuntimeClasses "rc": runtimes \[\] is not allowed; expected at least one KataRuntime/],
    [['kata-qemu'], /runtimes\[0\] "kata-qemu" is not allowed; expected a KataRuntime preset \(kata-qemu, /],
    [
      [KataRuntime.QEMU, KataRuntime.QEMU],
      /runtimes\[1\] "kata-qemu" is not allowed; expected each runtime once/,
    ],
  ])('refuses %j', (runtimes, msg) => {
    expect(() => synth((c) => new KataRuntimeClasses(c, 'rc', { runtimes: runtimes as never }))).toThrow(msg);
  });
});

describe('KataDeploy', () => {
  test('DaemonSet with pinned image, shims, no RuntimeClass creation, RBAC and a privileged namespace', () => {
    const objs = synth(
      (c) =>
        new KataDeploy(c, 'kd', {
          runtimes: [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR, KataRuntime.FIRECRACKER],
        }),
    );
    const ns = objs.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
    const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as {
      metadata: { namespace: string };
      spec: {
        template: {
          spec: Record<string, unknown> & {
            containers: Array<{ image: string; env: Array<{ name: string; value?: string }> }>;
          };
        };
      };
    };
    expect(ds.metadata.namespace).toBe('kata-system');
    const pod = ds.spec.template.spec;
    expect(pod.hostPID).toBe(true);
    expect(pod.nodeSelector).toEqual({ 'kata-blueprints.io/kata-host': 'true' });
    expect(pod.tolerations).toEqual([
      { key: 'kata-blueprints.io/kata', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const c = pod.containers[0];
    expect(c.image).toBe('quay.io/kata-containers/kata-deploy:3.21.0');
    const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      SHIMS: 'qemu clh fc',
      DEFAULT_SHIM: 'qemu',
      CREATE_RUNTIMECLASSES: 'false',
      SNAPSHOTTER_HANDLER_MAPPING: 'fc:devmapper',
    });
    expect(objs.filter((o) => o.kind === 'ClusterRole')[0]).toMatchObject({
      rules: expect.arrayContaining([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]),
    });
    expect(objs.find((o) => o.kind === 'ClusterRoleBinding')).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'kata-deploy-sa', namespace: 'kata-system' }],
    });
  });

  test('extra allowed annotations of custom runtimes reach the installer; k3s containerd path', () => {
    const sized = KataRuntime.custom({
      name: 'kata-qemu',
      handler: 'kata-qemu',
      allowedAnnotations: [
        'enable_iommu',
        'kernel_params',
        'kernel_verity_params',
        'default_vcpus',
        'default_memory',
      ],
    });
    const objs = synth(
      (c) =>
        new KataDeploy(c, 'kd', {
          runtimes: [sized, KataRuntime.QEMU_RUNTIME_RS],
          distribution: K8sDistribution.K3S,
          namespace: 'kube-system',
          createNamespace: false,
        }),
    );
    expect(objs.some((o) => o.kind === 'Namespace')).toBe(false);
    const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as {
      spec: {
        template: {
          spec: {
            volumes: Array<{ name: string; hostPath: { path: string } }>;
            containers: Array<{ env: Array<{ name: string; value?: string }> }>;
          };
        };
      };
    };
    expect(ds.spec.template.spec.volumes.find((v) => v.name === 'containerd-conf')!.hostPath.path).toBe(
      '/var/lib/rancher/k3s/agent/etc/containerd/',
    );
    expect(
      ds.spec.template.spec.containers[0].env.find((e) => e.name === 'ALLOWED_HYPERVISOR_ANNOTATIONS')!.value,
    ).toBe('default_memory default_vcpus');
  });

  test.each([
    [{ runtimes: [] }, /runtimes \[\] is not allowed/],
    [
      { runtimes: [KataRuntime.AKS_VM_ISOLATION] },
      /runtimes\[0\] "kata-vm-isolation" is not allowed; expected a runtime kata-deploy installs/,
    ],
    [{ runtimes: [KataRuntime.custom({ name: 'gold', handler: 'gold' })] }, /runtimes\[0\].handler "gold"/],
    [
      { runtimes: [KataRuntime.QEMU], defaultRuntime: KataRuntime.CLOUD_HYPERVISOR },
      /defaultRuntime "kata-clh" is not allowed; expected one of the runtimes \(kata-qemu\)/,
    ],
    [
      { runtimes: [KataRuntime.QEMU], image: 'quay.io/kata-containers/kata-deploy:latest' },
      /image .* "latest" moves/,
    ],
    [{ runtimes: [KataRuntime.QEMU], namespace: 'Kata_System' }, /namespace "Kata_System"/],
  ])('refuses %#', (props, msg) => {
    expect(() => synth((c) => new KataDeploy(c, 'kd', props as never))).toThrow(msg);
  });
});

describe('KataNodeCheck', () => {
  test('trusted DaemonSet on every node, RBAC to patch nodes, hardened container', () => {
    const objs = synth((c) => new KataNodeCheck(c, 'nc', { interval: Duration.minutes(5) }));
    const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as {
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> };
        };
      };
    };
    expect(ds.spec.template.metadata.labels['kata-blueprints.io/sandbox']).toBe('trusted');
    expect(ds.spec.template.spec.runtimeClassName).toBeUndefined();
    expect(ds.spec.template.spec.tolerations).toContainEqual({ operator: 'Exists' });
    expect(ds.spec.template.spec.containers[0].securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const cm = objs.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(cm.data['check.sh']).toContain('sleep 300');
    expect(objs.find((o) => o.kind === 'NetworkPolicy')).toMatchObject({
      spec: {
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [{ ports: [{ port: 443 }, { port: 6443 }] }],
      },
    });
    expect(objs.find((o) => o.kind === 'ClusterRole')).toMatchObject({
      rules: [{ resources: ['nodes'], verbs: ['get', 'patch'] }],
    });
  });

  test('the script checks what kata-runtime check checks and labels the node', () => {
    const s = renderNodeCheckScript(600);
    for (const needle of [
      '/host/dev/kvm',
      'vmx',
      'svm',
      'kvm_intel',
      'kvm_amd',
      'vhost',
      'vhost_net',
      'vhost_vsock',
      KATA_CAPABLE_LABEL,
    ]) {
      expect(s).toContain(needle);
    }
  });

  test('refuses a too-short interval', () => {
    expect(() => synth((c) => new KataNodeCheck(c, 'nc', { interval: Duration.seconds(5) }))).toThrow(
      /interval "5s" is not allowed; expected at least 30 seconds/,
    );
  });
});
