import { Chart, Size, Testing } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-28';
import fc from 'fast-check';
import { validateImage, parseImage } from '../../../lib/k8s/image';
import { resolveResources, sizeToMiB, sizeToQuantity, toResourceRequirements } from '../../../lib/k8s/units';
import { componentLabels, defaultName, imageVersion, validateDnsName } from '../../../lib/k8s/labels';
import { SpreadPolicy, mergeAffinity, zoneNodeAffinity } from '../../../lib/k8s/scheduling';
import { podDisruptionBudget, quorumMaxUnavailable } from '../../../lib/k8s/pdb';
import { Connections, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';
import { configFiles, configHash, renderProperties } from '../../../lib/k8s/config';
import { containerSpec, httpProbe } from '../../../lib/k8s/container';
import { sandboxedPodTemplate } from '../../../lib/k8s/pod';
import { restrictedNamespace } from '../../../lib/k8s/namespace';
import { volumeClaimTemplate } from '../../../lib/k8s/storage';
import { Sandbox } from '../../../lib/sandbox/sandbox';

describe('images', () => {
  test.each([
    'nginx:1.27',
    'docker.io/hashicorp/vault:1.18.3',
    'registry:5000/team/app:v2',
    `app@sha256:${'a'.repeat(64)}`,
    `app:1@sha256:${'b'.repeat(64)}`,
  ])('accepts %s', (img) => expect(validateImage('T', 'image', img)).toBe(img));
  test.each([
    ['nginx', /a pinned image/],
    ['nginx:latest', /"latest" moves/],
    ['Nginx:1', /an image reference/],
    ['', /an image reference/],
  ])('refuses %s', (img, msg) => expect(() => validateImage('T "x"', 'image', img)).toThrow(msg));
  test('parses registry, repository, tag', () => {
    expect(parseImage('ghcr.io/a/b:1.2')).toEqual({
      registry: 'ghcr.io',
      repository: 'a/b',
      tag: '1.2',
      digest: undefined,
    });
    expect(imageVersion('ghcr.io/a/b:1.2')).toBe('1.2');
    expect(imageVersion(`b@sha256:${'c'.repeat(64)}`)).toBe('cccccccccccc');
  });
});

describe('units and resources', () => {
  test('sizes', () => {
    expect(sizeToMiB('T', 'memory', Size.gibibytes(2))).toBe(2048);
    expect(sizeToQuantity('T', 'memory', Size.mebibytes(1536))).toBe('1536Mi');
    expect(sizeToQuantity('T', 'memory', Size.gibibytes(4))).toBe('4Gi');
    expect(() => sizeToMiB('T "x"', 'storageSize', Size.gibibytes(NaN))).toThrow(/T "x": storageSize/);
    expect(() => sizeToMiB('T', 'storageSize', Size.gibibytes(0))).toThrow(/a size > 0/);
    expect(() => sizeToMiB('T', 'memory', Size.kibibytes(1))).toThrow(/whole number of MiB/);
  });

  const defaults = {
    cpu: { request: Cpu.millis(100), limit: Cpu.millis(500) },
    memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
  };
  test('defaults, request-only and limit-only', () => {
    expect(resolveResources('T', 'resources', undefined, defaults)).toEqual({
      cpuRequestMillis: 100,
      cpuLimitMillis: 500,
      memoryRequestMiB: 128,
      memoryLimitMiB: 256,
    });
    const r = resolveResources(
      'T',
      'resources',
      { cpu: { request: Cpu.units(1) }, memory: { limit: Size.gibibytes(1) } },
      defaults,
    );
    expect(r).toMatchObject({
      cpuRequestMillis: 1000,
      cpuLimitMillis: 1000,
      memoryRequestMiB: 1024,
      memoryLimitMiB: 1024,
    });
    expect(JSON.parse(JSON.stringify(toResourceRequirements(r)))).toEqual({
      requests: { cpu: { value: '1' }, memory: { value: '1Gi' } },
      limits: { cpu: { value: '1' }, memory: { value: '1Gi' } },
    });
  });
  test('limits below requests are refused', () => {
    expect(() =>
      resolveResources(
        'KataX "a"',
        'resources',
        { cpu: { request: Cpu.units(2), limit: Cpu.units(1) } },
        defaults,
      ),
    ).toThrow(/KataX "a": resources.cpu.limit "1" is not allowed; expected >= the request 2/);
    expect(() =>
      resolveResources(
        'T',
        'resources',
        { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } },
        defaults,
      ),
    ).toThrow(/resources.memory.limit "1024Mi" is not allowed; expected >= the request 2048Mi/);
  });
  test('property: resolved limits are never below requests', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64000 }), fc.integer({ min: 1, max: 64000 }), (a, b) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const r = resolveResources(
          'T',
          'r',
          {
            cpu: { request: Cpu.millis(lo), limit: Cpu.millis(hi) },
            memory: { request: Size.mebibytes(lo), limit: Size.mebibytes(hi) },
          },
          defaults,
        );
        return r.cpuLimitMillis >= r.cpuRequestMillis && r.memoryLimitMiB >= r.memoryRequestMiB;
      }),
    );
  });
});

describe('labels and names', () => {
  test('component labels', () => {
    const l = componentLabels('vault', 'vault', 'server', '1.18.3');
    expect(l.selector).toEqual({
      'app.kubernetes.io/name': 'vault',
      'app.kubernetes.io/instance': 'vault',
      'app.kubernetes.io/component': 'server',
    });
    expect(l.all['app.kubernetes.io/version']).toBe('1.18.3');
    expect(l.all['app.kubernetes.io/managed-by']).toBe('kata-blueprints');
  });
  test('names', () => {
    expect(defaultName('Payments_API')).toBe('payments-api');
    expect(validateDnsName('T', 'name', 'vault')).toBe('vault');
    expect(() => validateDnsName('T', 'name', '1vault')).toThrow(/DNS-1035/);
    expect(() => validateDnsName('T', 'name', 'a'.repeat(60), 50)).toThrow(/at most 50/);
  });
});

describe('scheduling', () => {
  const sel = { app: 'x' };
  test('one replica: nothing', () => expect(SpreadPolicy.ONE_PER_HOST.render(sel, 1)).toEqual({}));
  test('ONE_PER_HOST', () => {
    const r = SpreadPolicy.ONE_PER_HOST.render(sel, 3);
    expect(r.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0].topologyKey).toBe(
      'kubernetes.io/hostname',
    );
    expect(r.topologySpreadConstraints![0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      maxSkew: 1,
    });
  });
  test('PREFERRED, STRICT_ZONES, NONE', () => {
    expect(
      SpreadPolicy.PREFERRED.render(sel, 2).affinity!.podAntiAffinity!
        .preferredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
    expect(SpreadPolicy.STRICT_ZONES.render(sel, 2).topologySpreadConstraints![0].whenUnsatisfiable).toBe(
      'DoNotSchedule',
    );
    expect(SpreadPolicy.NONE.render(sel, 5)).toEqual({});
  });
  test('merge keeps zone pinning and anti-affinity', () => {
    const m = mergeAffinity(
      SpreadPolicy.ONE_PER_HOST.render(sel, 3).affinity,
      zoneNodeAffinity('eu-west-1a'),
    )!;
    expect(
      m.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]
        .matchExpressions![0].values,
    ).toEqual(['eu-west-1a']);
    expect(m.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  });
});

describe('PDB', () => {
  test('quorum arithmetic', () => {
    expect([1, 3, 5, 7].map(quorumMaxUnavailable)).toEqual([0, 1, 2, 3]);
  });
  test('renders and validates', () => {
    const chart = Testing.chart();
    podDisruptionBudget(chart, 'pdb', { context: 'T', name: 'x', selector: { a: 'b' }, maxUnavailable: 1 });
    expect(Testing.synth(chart)[0]).toMatchObject({
      kind: 'PodDisruptionBudget',
      spec: { maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } },
    });
    expect(() =>
      podDisruptionBudget(chart, 'pdb2', {
        context: 'T',
        name: 'y',
        selector: {},
        maxUnavailable: 1,
        minAvailable: 1,
      }),
    ).toThrow(/exactly one/);
  });
});

describe('network policies and connections', () => {
  test('default deny with DNS; connections open both sides across namespaces', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'apps' });
    const b = new Chart(app, 'b', { namespace: 'vault' });
    const pa = new PodNetworkPolicy(a, 'pa', { context: 'T', name: 'api', selector: { app: 'api' } });
    const pb = new PodNetworkPolicy(b, 'pb', { context: 'T', name: 'vault', selector: { app: 'vault' } });
    const ca = new Connections(NetworkPeer.pods({ app: 'api' }, 'apps'), pa, [{ port: 8080 }]);
    const cb = new Connections(NetworkPeer.pods({ app: 'vault' }, 'vault'), pb, [{ port: 8200 }]);
    ca.allowTo({ connections: cb });
    const [polA] = a.toJson() as Array<{
      spec: { egress: unknown[]; ingress: unknown[]; policyTypes: string[] };
    }>;
    const [polB] = b.toJson() as Array<{ spec: { egress: unknown[]; ingress: unknown[] } }>;
    expect(polA.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(polA.spec.ingress).toEqual([]);
    expect(polA.spec.egress).toHaveLength(2); // DNS + vault
    expect(polA.spec.egress[1]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vault' } },
          podSelector: { matchLabels: { app: 'vault' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 8200 }],
    });
    expect(polB.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } },
            podSelector: { matchLabels: { app: 'api' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8200 }],
      },
    ]);
  });
  test('same-namespace peers need no namespace selector; duplicate rules merge', () => {
    const chart = Testing.chart();
    const p = new PodNetworkPolicy(chart, 'p', {
      context: 'T',
      name: 'x',
      selector: { app: 'x' },
      allowDns: false,
    });
    p.allowIngress(NetworkPeer.pods({ app: 'y' }), [{ port: 80 }]);
    p.allowIngress(NetworkPeer.pods({ app: 'y' }), [{ port: 80 }, { port: 443 }]);
    p.allowEgress(NetworkPeer.anywhere(), [{ port: 443 }]);
    const [pol] = Testing.synth(chart) as Array<{ spec: { ingress: unknown[]; egress: unknown[] } }>;
    expect(pol.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { app: 'y' } } }],
        ports: [
          { protocol: 'TCP', port: 80 },
          { protocol: 'TCP', port: 443 },
        ],
      },
    ]);
    expect(pol.spec.egress).toEqual([
      {
        to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
        ports: [{ protocol: 'TCP', port: 443 }],
      },
    ]);
  });
  test('ipBlock validates', () => expect(() => NetworkPeer.ipBlock('nope')).toThrow(/cidr "nope"/));
});

describe('config files', () => {
  test('hash is stable, order-independent and content-sensitive', () => {
    expect(configHash({ a: '1', b: '2' })).toBe(configHash({ b: '2', a: '1' }));
    expect(configHash({ a: '1' })).not.toBe(configHash({ a: '2' }));
    const chart = Testing.chart();
    const f = configFiles(chart, 'cfg', 'x-config', { 'z.conf': 'z', 'a.conf': 'a' });
    expect(Object.keys((Testing.synth(chart)[0] as { data: Record<string, string> }).data)).toEqual([
      'a.conf',
      'z.conf',
    ]);
    expect(f.hash).toHaveLength(16);
  });
  test('properties escape newlines and backslashes', () => {
    expect(
      renderProperties(
        [
          ['a', 'x\\y'],
          ['b', 'l1\nl2'],
          ['c', 3],
        ],
        'hdr',
      ),
    ).toBe('# hdr\na=x\\\\y\nb=l1\\nl2\nc=3\n');
  });
});

describe('sandboxed pods', () => {
  test('a container built by containerSpec passes through the sandbox', () => {
    const r = resolveResources('T', 'resources', undefined, {
      cpu: { limit: Cpu.millis(200) },
      memory: { limit: Size.mebibytes(128) },
    });
    const c = containerSpec({
      context: 'T',
      name: 'app',
      image: 'nginx:1.27',
      resources: r,
      readinessProbe: httpProbe('/healthz', 8080),
    });
    const t = sandboxedPodTemplate({
      context: 'T',
      sandbox: Sandbox.kata(),
      labels: { app: 'x' },
      containers: [c],
    });
    expect(t.spec!.runtimeClassName).toBe('kata-qemu');
    expect(t.spec!.containers[0].securityContext!.capabilities).toEqual({ drop: ['ALL'] });
    expect(() => containerSpec({ context: 'KataX "a"', name: 'app', image: 'nginx', resources: r })).toThrow(
      /KataX "a": image "nginx"/,
    );
  });
  test('restricted namespace labels', () => {
    const chart = Testing.chart();
    restrictedNamespace(chart, 'ns', 'apps');
    expect(Testing.synth(chart)[0]).toMatchObject({
      metadata: { name: 'apps', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
  });
});

describe('volume claim templates', () => {
  test('ReadWriteOnce, size, optional class and labels', () => {
    expect(
      k8s.toJson_KubePersistentVolumeClaimProps(volumeClaimTemplate({ name: 'data', size: '20Gi' })),
    ).toEqual({
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
    });
    expect(
      k8s.toJson_KubePersistentVolumeClaimProps(
        volumeClaimTemplate({
          name: 'log',
          size: '5Gi',
          storageClassName: 'local-nvme',
          labels: { app: 'x' },
        }),
      ),
    ).toEqual({
      metadata: { name: 'log', labels: { app: 'x' } },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'local-nvme',
        resources: { requests: { storage: '5Gi' } },
      },
    });
  });
});
