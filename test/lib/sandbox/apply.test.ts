import fc from 'fast-check';
import { applySandbox, PodTemplateLike } from '../../../lib/sandbox/apply';
import { KATA_NODE_TAINT_KEY, KataRuntime } from '../../../lib/sandbox/runtime';
import { CriFlavor, SANDBOX_LABEL, Sandbox } from '../../../lib/sandbox/sandbox';
import {
  cpuToMillis,
  formatMiB,
  formatMillis,
  memoryToMiB,
  parseQuantity,
} from '../../../lib/sandbox/quantity';

function template(
  extra: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
): PodTemplateLike {
  return {
    metadata: { labels: { app: 'x' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          resources: { limits: { cpu: '500m', memory: '256Mi' } },
          ...container,
        },
      ],
      ...extra,
    },
  } as PodTemplateLike;
}

describe('applySandbox', () => {
  test('kata: runtimeClassName, label, restricted security contexts, no token', () => {
    const out = applySandbox(template(), Sandbox.kata()) as unknown as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown> & { containers: Array<{ securityContext: Record<string, unknown> }> };
    };
    expect(out.spec.runtimeClassName).toBe('kata-qemu');
    expect(out.metadata.labels).toEqual({ app: 'x', [SANDBOX_LABEL]: 'kata' });
    expect(out.spec.automountServiceAccountToken).toBe(false);
    expect(out.spec.enableServiceLinks).toBe(false);
    expect(out.spec.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(out.spec.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    // RuntimeClass-scheduled: the pod itself carries no node selector or toleration.
    expect(out.spec.nodeSelector).toBeUndefined();
    expect(out.spec.tolerations).toBeUndefined();
  });

  test('does not modify its input', () => {
    const t = template();
    const copy = JSON.parse(JSON.stringify(t));
    applySandbox(t, Sandbox.kata());
    expect(t).toEqual(copy);
  });

  test('kata with a platform-managed class carries the scheduling on the pod', () => {
    const out = applySandbox(template(), Sandbox.kata(KataRuntime.AKS_VM_ISOLATION)) as unknown as {
      spec: Record<string, unknown>;
    };
    expect(out.spec.runtimeClassName).toBe('kata-vm-isolation');
    expect(out.spec.nodeSelector).toEqual({ 'kubernetes.azure.com/kata-vm-isolation': 'true' });
  });

  test.each([
    [CriFlavor.CONTAINERD, 'io.kubernetes.cri.untrusted-workload', 'true'],
    [CriFlavor.CRIO, 'io.kubernetes.cri-o.TrustedSandbox', 'false'],
  ])('legacy %s: annotation, node selector, toleration, no runtimeClassName', (cri, key, value) => {
    const out = applySandbox(template(), Sandbox.legacyUntrusted(cri)) as unknown as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: Record<string, unknown>;
    };
    expect(out.spec.runtimeClassName).toBeUndefined();
    expect(out.metadata.annotations).toEqual({ [key]: value });
    expect(out.metadata.labels[SANDBOX_LABEL]).toBe('legacy');
    expect(out.spec.nodeSelector).toEqual({ 'katacontainers.io/kata-runtime': 'true' });
    expect(out.spec.tolerations).toEqual([
      { key: KATA_NODE_TAINT_KEY, operator: 'Equal', value: 'true', effect: 'NoSchedule' },
    ]);
  });

  test('trusted: no runtime class, still hardened', () => {
    const out = applySandbox(template(), Sandbox.trusted()) as unknown as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
    expect(out.spec.runtimeClassName).toBeUndefined();
    expect(out.metadata.labels[SANDBOX_LABEL]).toBe('trusted');
    expect(out.spec.securityContext).toMatchObject({ runAsNonRoot: true });
  });

  test('VM sizing annotations land on the pod', () => {
    const out = applySandbox(
      template(),
      Sandbox.kata(KataRuntime.QEMU_RUNTIME_RS, { vcpus: 2 }),
    ) as unknown as {
      metadata: { annotations: Record<string, string> };
    };
    expect(out.metadata.annotations['io.katacontainers.config.hypervisor.default_vcpus']).toBe('2');
  });

  test('keeps what the blueprint set: user ids, NET_BIND_SERVICE, a writable root filesystem', () => {
    const out = applySandbox(
      template(
        { securityContext: { runAsUser: 1000, fsGroup: 1000 } },
        { securityContext: { readOnlyRootFilesystem: false, capabilities: { add: ['NET_BIND_SERVICE'] } } },
      ),
      Sandbox.kata(),
    ) as unknown as {
      spec: { securityContext: unknown; containers: Array<{ securityContext: Record<string, unknown> }> };
    };
    expect(out.spec.securityContext).toEqual({
      runAsUser: 1000,
      fsGroup: 1000,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(out.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    expect(out.spec.containers[0].securityContext.capabilities).toEqual({
      add: ['NET_BIND_SERVICE'],
      drop: ['ALL'],
    });
  });

  test('serviceAccountToken option mounts the token', () => {
    const out = applySandbox(template(), Sandbox.kata(), { serviceAccountToken: true }) as unknown as {
      spec: Record<string, unknown>;
    };
    expect(out.spec.automountServiceAccountToken).toBe(true);
  });

  const ctx = { context: 'KataTest "t"' };
  test.each([
    [
      'a hand-set runtimeClassName',
      template({ runtimeClassName: 'kata-clh' }),
      Sandbox.kata(),
      /KataTest "t": runtimeClassName "kata-clh" is not allowed; expected no hand-set runtimeClassName/,
    ],
    [
      'legacy combined with a runtime class',
      template({ runtimeClassName: 'kata-qemu' }),
      Sandbox.legacyUntrusted(CriFlavor.CONTAINERD),
      /runtimeClassName "kata-qemu" is not allowed; expected no runtimeClassName with Sandbox.legacyUntrusted/,
    ],
    [
      'hostNetwork',
      template({ hostNetwork: true }),
      Sandbox.kata(),
      /hostNetwork true is not allowed; expected hostNetwork: false .*Kata VM cannot join/,
    ],
    ['hostPID (L1 spelling)', template({ hostPid: true }), Sandbox.trusted(), /hostPID true is not allowed/],
    ['hostIPC', template({ hostIPC: true }), Sandbox.kata(), /hostIPC true/],
    [
      'a hostPath volume',
      template({ volumes: [{ name: 'h', hostPath: { path: '/' } }] }),
      Sandbox.kata(),
      /volumes\["h"\] "hostPath" is not allowed/,
    ],
    [
      'runAsUser 0 on the pod',
      template({ securityContext: { runAsUser: 0 } }),
      Sandbox.kata(),
      /securityContext.runAsUser 0/,
    ],
    [
      'runAsNonRoot false',
      template({ securityContext: { runAsNonRoot: false } }),
      Sandbox.kata(),
      /securityContext.runAsNonRoot false/,
    ],
    [
      'unconfined seccomp',
      template({ securityContext: { seccompProfile: { type: 'Unconfined' } } }),
      Sandbox.kata(),
      /seccompProfile.type "Unconfined"/,
    ],
    [
      'a privileged container',
      template({}, { securityContext: { privileged: true } }),
      Sandbox.kata(),
      /container "app": securityContext.privileged true/,
    ],
    [
      'privilege escalation',
      template({}, { securityContext: { allowPrivilegeEscalation: true } }),
      Sandbox.kata(),
      /allowPrivilegeEscalation true/,
    ],
    [
      'root container',
      template({}, { securityContext: { runAsUser: 0 } }),
      Sandbox.kata(),
      /container "app": securityContext.runAsUser 0/,
    ],
    [
      'SYS_ADMIN',
      template({}, { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }),
      Sandbox.kata(),
      /capabilities.add \["SYS_ADMIN"\]/,
    ],
    [
      'container seccomp unconfined',
      template({}, { securityContext: { seccompProfile: { type: 'Unconfined' } } }),
      Sandbox.kata(),
      /container "app": securityContext.seccompProfile.type/,
    ],
    [
      'subPath in a VM',
      template({}, { volumeMounts: [{ name: 'c', mountPath: '/etc/x', subPath: 'x' }] }),
      Sandbox.kata(),
      /subPath "x" is not allowed; expected no subPath in a Kata VM/,
    ],
    [
      'no memory limit',
      template({}, { resources: { limits: { cpu: '1' } } }),
      Sandbox.kata(),
      /resources.limits.memory \(unset\) is not allowed; expected a memory limit on every container \(Kata sizes the VM from limits\)/,
    ],
    ['no limits at all', template({}, { resources: {} }), Sandbox.trusted(), /resources.limits.cpu/],
    [
      'no containers',
      { spec: { containers: [] } } as unknown as PodTemplateLike,
      Sandbox.kata(),
      /containers \[\] is not allowed; expected at least one container/,
    ],
  ])('refuses %s', (_name, t, sandbox, msg) => {
    expect(() => applySandbox(t, sandbox, ctx)).toThrow(msg);
  });

  test('init containers are hardened and checked too', () => {
    const t = template({
      initContainers: [
        { name: 'init', image: 'busybox:1.36', resources: { limits: { cpu: '100m', memory: '32Mi' } } },
      ],
    });
    const out = applySandbox(t, Sandbox.kata()) as unknown as {
      spec: { initContainers: Array<{ securityContext: Record<string, unknown> }> };
    };
    expect(out.spec.initContainers[0].securityContext.allowPrivilegeEscalation).toBe(false);
    const bad = template({
      initContainers: [{ name: 'init', image: 'busybox:1.36', securityContext: { privileged: true } }],
    });
    expect(() => applySandbox(bad, Sandbox.kata())).toThrow(
      /init container "init": securityContext.privileged true/,
    );
  });

  test('subPath is fine outside a VM', () => {
    const t = template({}, { volumeMounts: [{ name: 'c', mountPath: '/etc/x', subPath: 'x' }] });
    expect(() => applySandbox(t, Sandbox.trusted())).not.toThrow();
  });
});

describe('quantities', () => {
  test.each([
    ['250m', 0.25],
    ['1', 1],
    ['1.5', 1.5],
    ['320Mi', 320 * 2 ** 20],
    ['2Gi', 2 * 2 ** 30],
    ['1G', 1e9],
    ['1e3', 1000],
    ['100k', 1e5],
  ])('parses %s', (q, v) => {
    expect(parseQuantity(q)).toBeCloseTo(v);
  });

  test('refuses garbage', () => {
    expect(() => parseQuantity('1 GB')).toThrow(/not a Kubernetes quantity/);
    expect(() => parseQuantity('abc')).toThrow();
  });

  test('millicores and MiB round-trip', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), (m) => cpuToMillis(formatMillis(m)) === m));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (mib) => memoryToMiB(formatMiB(mib)) === mib),
    );
  });
});
