import fc from 'fast-check';
import { KATA_NODE_TAINT_KEY, KATA_RUNTIME_LABEL, KataRuntime } from '../../../lib/sandbox';
import {
  CpuArchitecture,
  KATA_HOST_LABEL,
  RuntimeInstaller,
  hostPoolContract,
  kataDeployShim,
  toCloudTaints,
  toNodeLabelsFlag,
  toTaintStrings,
  tolerates,
} from '../../../blueprints/hosts';

const GPU_SELECTOR = 'nvidia.com/cc.ready.state';

describe('hostPoolContract', () => {
  test('labels are the union of node selectors plus the host label; taints come from the runtimes', () => {
    const c = hostPoolContract('pool', [KataRuntime.QEMU, KataRuntime.QEMU_NVIDIA_GPU]);
    expect(c.labels).toEqual({
      [KATA_HOST_LABEL]: 'true',
      [KATA_RUNTIME_LABEL]: 'true',
      [GPU_SELECTOR]: 'false',
    });
    expect(Object.keys(c.labels)).toEqual([KATA_HOST_LABEL, KATA_RUNTIME_LABEL, GPU_SELECTOR]);
    expect(c.appliedLabels).toEqual(c.labels);
    expect(c.taints).toEqual([{ key: KATA_NODE_TAINT_KEY, value: 'true', effect: 'NoSchedule' }]);
    expect(c.kataDeployShims).toEqual(['qemu', 'qemu-nvidia-gpu']);
    expect(c.installer).toBe(RuntimeInstaller.KATA_DEPLOY);
  });

  test('refuses runtimes whose selectors conflict', () => {
    const gpuTrue = KataRuntime.custom({
      name: 'kata-qemu-nvidia-gpu-snp',
      handler: 'kata-qemu-nvidia-gpu-snp',
      nodeSelector: { [KATA_RUNTIME_LABEL]: 'true', [GPU_SELECTOR]: 'true' },
    });
    expect(() => hostPoolContract('AwsMetalNodePool "gpu"', [KataRuntime.QEMU_NVIDIA_GPU, gpuTrue])).toThrow(
      `AwsMetalNodePool "gpu": runtimes ["kata-qemu-nvidia-gpu","kata-qemu-nvidia-gpu-snp"] is not allowed; expected runtimes whose node ` +
        `selectors agree; "kata-qemu-nvidia-gpu" selects ${GPU_SELECTOR}=false but "kata-qemu-nvidia-gpu-snp" selects ${GPU_SELECTOR}=true, ` +
        'and one node cannot carry both (put them in separate pools)',
    );
  });

  test('refuses runtimes whose taints conflict or that do not tolerate each other', () => {
    const other = KataRuntime.custom({
      name: 'kata-clh-dedicated',
      handler: 'kata-clh',
      tolerations: [
        { key: KATA_NODE_TAINT_KEY, operator: 'Equal', value: 'dedicated', effect: 'NoSchedule' },
      ],
    });
    expect(() => hostPoolContract('p', [KataRuntime.QEMU, other])).toThrow(
      /expected runtimes whose taints agree; "kata-qemu" taints kata-blueprints.io\/kata=true:NoSchedule but "kata-clh-dedicated" taints kata-blueprints.io\/kata=dedicated:NoSchedule/,
    );
    const extra = KataRuntime.custom({
      name: 'kata-qemu-tenant-a',
      handler: 'kata-qemu',
      tolerations: [
        { key: KATA_NODE_TAINT_KEY, operator: 'Equal', value: 'true', effect: 'NoSchedule' },
        { key: 'tenant', operator: 'Equal', value: 'a', effect: 'NoSchedule' },
      ],
    });
    expect(() => hostPoolContract('p', [KataRuntime.QEMU, extra])).toThrow(
      /"kata-qemu" does not tolerate tenant=a:NoSchedule of "kata-qemu-tenant-a"/,
    );
  });

  test('platform pools take only platform runtimes and apply none of their labels', () => {
    const c = hostPoolContract('aks', [KataRuntime.AKS_VM_ISOLATION], {
      installer: RuntimeInstaller.PLATFORM,
    });
    expect(c.labels).toEqual({ 'kubernetes.azure.com/kata-vm-isolation': 'true' });
    expect(c.appliedLabels).toEqual({});
    expect(c.taints).toEqual([]);
    expect(c.kataDeployShims).toEqual([]);
    expect(() =>
      hostPoolContract('aks', [KataRuntime.QEMU], { installer: RuntimeInstaller.PLATFORM }),
    ).toThrow(/expected a platform-managed runtime/);
    expect(() => hostPoolContract('metal', [KataRuntime.AKS_VM_ISOLATION])).toThrow(
      /expected a runtime kata-deploy installs/,
    );
  });

  test('refuses empty lists, duplicates, non-runtimes, foreign handlers and amd64-only shims on arm64', () => {
    expect(() => hostPoolContract('p', [])).toThrow(
      'p: runtimes [] is not allowed; expected at least one KataRuntime (e.g. [KataRuntime.QEMU]); a pool that serves no runtime is not a Kata pool',
    );
    expect(() => hostPoolContract('p', undefined)).toThrow(/runtimes \(unset\) is not allowed/);
    expect(() => hostPoolContract('p', [KataRuntime.QEMU, KataRuntime.QEMU])).toThrow(
      'p: runtimes[1] "kata-qemu" is not allowed; expected each runtime once',
    );
    expect(() => hostPoolContract('p', ['kata-qemu' as unknown as KataRuntime])).toThrow(
      /runtimes\[0\] "kata-qemu" is not allowed; expected a KataRuntime preset/,
    );
    const handMade = KataRuntime.custom({ name: 'kata', handler: 'kata' });
    expect(() => hostPoolContract('p', [handMade])).toThrow(
      'p: runtimes[0].handler "kata" is not allowed; expected a kata-deploy handler "kata-<shim>" (kata-deploy names every handler kata-<shim>)',
    );
    expect(() =>
      hostPoolContract('p', [KataRuntime.CLOUD_HYPERVISOR], { architecture: CpuArchitecture.ARM64 }),
    ).toThrow(/clh is amd64-only/);
    expect(
      hostPoolContract('p', [KataRuntime.QEMU_RUNTIME_RS], { architecture: CpuArchitecture.ARM64 })
        .architecture,
    ).toBe(CpuArchitecture.ARM64);
  });

  test('property: any accepted set of presets yields labels and taints every runtime schedules onto', () => {
    const presets = KataRuntime.PRESETS.filter((r) => !r.managedByPlatform);
    fc.assert(
      fc.property(fc.subarray(presets, { minLength: 1 }), (runtimes) => {
        const c = hostPoolContract('p', runtimes);
        for (const r of runtimes) {
          for (const [k, v] of Object.entries(r.nodeSelector)) expect(c.labels[k]).toBe(v);
          for (const t of c.taints) expect(r.tolerations.some((tol) => tolerates(tol, t))).toBe(true);
          expect(c.kataDeployShims).toContain(kataDeployShim(r));
        }
        expect(c.labels[KATA_HOST_LABEL]).toBe('true');
      }),
    );
  });
});

describe('taint and label renderers', () => {
  const taints = [
    { key: 'a', value: 'x', effect: 'NoSchedule' as const },
    { key: 'b', value: 'y', effect: 'PreferNoSchedule' as const },
    { key: 'c', value: 'z', effect: 'NoExecute' as const },
  ];
  test('cloud form, string form and kubelet flag', () => {
    expect(toCloudTaints(taints).map((t) => t.effect)).toEqual([
      'NO_SCHEDULE',
      'PREFER_NO_SCHEDULE',
      'NO_EXECUTE',
    ]);
    expect(toTaintStrings(taints)).toEqual(['a=x:NoSchedule', 'b=y:PreferNoSchedule', 'c=z:NoExecute']);
    expect(toNodeLabelsFlag({ z: '1', a: '2' })).toBe('a=2,z=1');
  });
  test('toleration matching follows Kubernetes rules', () => {
    expect(tolerates({ key: 'a', operator: 'Exists' }, taints[0])).toBe(true);
    expect(tolerates({ key: 'a', operator: 'Equal', value: 'y', effect: 'NoSchedule' }, taints[0])).toBe(
      false,
    );
    expect(tolerates({ key: 'a', operator: 'Equal', value: 'x', effect: 'NoExecute' }, taints[0])).toBe(
      false,
    );
    expect(tolerates({ key: 'b', operator: 'Exists' }, taints[0])).toBe(false);
  });
});
