import { Size } from 'cdk8s';
import {
  HYPERVISOR_ANNOTATION_PREFIX,
  Hypervisor,
  KATA_NODE_TAINT,
  KATA_RUNTIME_LABEL,
  KataRuntime,
  ShimImplementation,
} from '../../../lib/sandbox/runtime';
import { PropError } from '../../../lib/sandbox/errors';
import { Sandbox } from '../../../lib/sandbox/sandbox';

// The values every preset must carry (kata-deploy 4.1.0 templates/runtimeclasses.yaml).
const EXPECTED: Array<[KataRuntime, string, string, string, string, string]> = [
  [KataRuntime.QEMU, 'kata-qemu', 'kata-qemu', '250m', '320Mi', 'go'],
  [KataRuntime.QEMU_RUNTIME_RS, 'kata-qemu-runtime-rs', 'kata-qemu-runtime-rs', '250m', '320Mi', 'rust'],
  [KataRuntime.CLOUD_HYPERVISOR, 'kata-clh', 'kata-clh', '250m', '130Mi', 'go'],
  [KataRuntime.FIRECRACKER, 'kata-fc', 'kata-fc', '250m', '130Mi', 'go'],
  [KataRuntime.DRAGONBALL, 'kata-dragonball', 'kata-dragonball', '250m', '130Mi', 'rust'],
  [KataRuntime.QEMU_NVIDIA_GPU, 'kata-qemu-nvidia-gpu', 'kata-qemu-nvidia-gpu', '1', '10240Mi', 'go'],
  [KataRuntime.AKS_VM_ISOLATION, 'kata-vm-isolation', 'kata', '250m', '130Mi', 'go'],
];

describe('KataRuntime presets', () => {
  test.each(EXPECTED)('%s has name, handler, overhead and shim', (r, name, handler, cpu, memory, shim) => {
    expect(r.name).toBe(name);
    expect(r.handler).toBe(handler);
    expect(r.overhead).toEqual({ cpu, memory });
    expect(r.shim.name).toBe(shim);
    expect(KataRuntime.fromName(name)).toBe(r);
  });

  test('PRESETS lists every preset once, in a stable order', () => {
    expect(KataRuntime.PRESETS.map((r) => r.name)).toEqual(EXPECTED.map((e) => e[1]));
  });

  test('self-managed presets schedule on kata-deploy nodes and tolerate the Kata taint', () => {
    for (const r of KataRuntime.PRESETS.filter((p) => !p.managedByPlatform)) {
      expect(r.nodeSelector[KATA_RUNTIME_LABEL]).toBe('true');
      expect(r.nodeTaints).toEqual([KATA_NODE_TAINT]);
    }
  });

  test('the GPU preset adds the NVIDIA node selector', () => {
    expect(KataRuntime.QEMU_NVIDIA_GPU.nodeSelector).toEqual({
      [KATA_RUNTIME_LABEL]: 'true',
      'nvidia.com/cc.ready.state': 'false',
    });
  });

  test('AKS Pod Sandboxing is platform-managed and selects AKS nodes', () => {
    const r = KataRuntime.AKS_VM_ISOLATION;
    expect(r.managedByPlatform).toBe(true);
    expect(r.nodeSelector).toEqual({ 'kubernetes.azure.com/kata-vm-isolation': 'true' });
    expect(r.tolerations).toEqual([]);
  });

  test('only QEMU guests are backed by /dev/shm', () => {
    expect(KataRuntime.PRESETS.filter((r) => r.hypervisor.guestMemoryOnShm).map((r) => r.name)).toEqual([
      'kata-qemu',
      'kata-qemu-runtime-rs',
      'kata-qemu-nvidia-gpu',
    ]);
  });

  test('annotation allow lists follow the shim defaults', () => {
    expect(KataRuntime.QEMU.allowsAnnotation(`${HYPERVISOR_ANNOTATION_PREFIX}default_vcpus`)).toBe(false);
    expect(KataRuntime.QEMU.allowsAnnotation('kernel_params')).toBe(true);
    expect(
      KataRuntime.QEMU_RUNTIME_RS.allowsAnnotation(`${HYPERVISOR_ANNOTATION_PREFIX}default_memory`),
    ).toBe(true);
    expect(KataRuntime.DRAGONBALL.allowsAnnotation('default_vcpus')).toBe(true);
  });

  test('overhead in numbers', () => {
    expect(KataRuntime.QEMU.overheadCpuMillis).toBe(250);
    expect(KataRuntime.QEMU.overheadMemoryMiB).toBe(320);
    expect(KataRuntime.QEMU_NVIDIA_GPU.overheadCpuMillis).toBe(1000);
  });

  test('toRuntimeClassManifest renders node.k8s.io/v1', () => {
    expect(KataRuntime.CLOUD_HYPERVISOR.toRuntimeClassManifest()).toMatchObject({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'kata-clh' },
      handler: 'kata-clh',
      overhead: { podFixed: { cpu: '250m', memory: '130Mi' } },
      scheduling: { nodeSelector: { [KATA_RUNTIME_LABEL]: 'true' } },
    });
  });
});

describe('KataRuntime.custom', () => {
  test('fills defaults', () => {
    const r = KataRuntime.custom({ name: 'kata-qemu-tenant-a', handler: 'kata-qemu-tenant-a' });
    expect(r.overhead).toEqual({ cpu: '250m', memory: '320Mi' });
    expect(r.hypervisor).toBe(Hypervisor.QEMU);
    expect(r.shim).toBe(ShimImplementation.GO);
    expect(r.defaultVmMemoryMiB).toBe(2048);
  });

  test('allowedAnnotations are regular expressions of the base name', () => {
    const r = KataRuntime.custom({ name: 'k', handler: 'k', allowedAnnotations: ['default_.*'] });
    expect(r.allowsAnnotation('default_memory')).toBe(true);
    expect(r.allowsAnnotation('kernel_params')).toBe(false);
  });

  test.each([
    [{ name: '', handler: 'x' }, /name "" is not allowed/],
    [{ name: 'Kata_QEMU', handler: 'x' }, /name "Kata_QEMU" is not allowed; expected a DNS-1123 subdomain/],
    [{ name: 'kata-x' } as never, /handler \(unset\) is not allowed; expected the CRI runtime handler/],
    [{ name: 'kata-x', handler: 'Bad Handler' }, /handler "Bad Handler" is not allowed/],
    [{ name: 'kata-x', handler: 'kata-x', overhead: { cpu: 'lots', memory: '1Gi' } }, /overhead.cpu "lots"/],
    [{ name: 'kata-x', handler: 'kata-x', overhead: { cpu: '1', memory: '1 GB' } }, /overhead.memory "1 GB"/],
    [{ name: 'kata-x', handler: 'kata-x', defaultVmMemoryMiB: 10 }, /defaultVmMemoryMiB 10/],
  ])('refuses %j', (props, msg) => {
    expect(() => KataRuntime.custom(props as never)).toThrow(PropError);
    expect(() => KataRuntime.custom(props as never)).toThrow(msg);
  });

  test('fromName refuses unknown names and lists the presets', () => {
    expect(() => KataRuntime.fromName('kata-gvisor')).toThrow(
      /runtime "kata-gvisor" is not allowed; expected one of kata-qemu, kata-qemu-runtime-rs, kata-clh/,
    );
  });
});

describe('VM sizing', () => {
  test('runtime-rs accepts default_vcpus and default_memory', () => {
    const s = Sandbox.kata(KataRuntime.QEMU_RUNTIME_RS, { vcpus: 2, memory: Size.gibibytes(4) });
    expect(s.annotations).toEqual({
      [`${HYPERVISOR_ANNOTATION_PREFIX}default_vcpus`]: '2',
      [`${HYPERVISOR_ANNOTATION_PREFIX}default_memory`]: '4096',
    });
  });

  test('the Go runtime refuses VM sizing with the allowed list in the message', () => {
    expect(() => Sandbox.kata(KataRuntime.QEMU, { vcpus: 2 })).toThrow(
      /Sandbox.kata\(kata-qemu\): vcpus "2" is not allowed; expected an annotation the runtime kata-qemu allows \(enable_annotations: enable_iommu, kernel_params, kernel_verity_params\)/,
    );
    expect(() => Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR, { memory: Size.gibibytes(1) })).toThrow(
      /memory "1024"/,
    );
  });

  test('refuses nonsense sizes and foreign annotations', () => {
    expect(() => Sandbox.kata(KataRuntime.QEMU_RUNTIME_RS, { vcpus: 0 })).toThrow(/vcpus 0/);
    expect(() => Sandbox.kata(KataRuntime.QEMU_RUNTIME_RS, { memory: Size.mebibytes(16) })).toThrow(
      /memory "16MiB"/,
    );
    expect(() => Sandbox.kata(KataRuntime.QEMU, { annotations: { 'example.com/x': 'y' } })).toThrow(
      /annotations\["example.com\/x"\] "y" is not allowed; expected keys under io.katacontainers/,
    );
    expect(() =>
      Sandbox.kata(KataRuntime.QEMU, {
        annotations: { [`${HYPERVISOR_ANNOTATION_PREFIX}machine_type`]: 'q35' },
      }),
    ).toThrow(/machine_type/);
  });

  test('non-hypervisor Kata annotations pass through', () => {
    const s = Sandbox.kata(KataRuntime.QEMU, {
      annotations: { 'io.katacontainers.config.runtime.sandbox_cgroup_only': 'true' },
    });
    expect(s.annotations['io.katacontainers.config.runtime.sandbox_cgroup_only']).toBe('true');
  });
});
