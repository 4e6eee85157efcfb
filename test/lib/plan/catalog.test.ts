import { Size } from 'cdk8s';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  aksCpuReservationMillis,
  CloudProvider,
  gkeMemoryReservationBytes,
  HostCatalog,
  HostType,
  loadHostTypes,
  NodeReservation,
  parseHostTypes,
  tieredCpuReservationMillis,
  Virtualization,
} from '../../../lib/plan';

const MI = 2 ** 20;
const GI = 2 ** 30;

describe('node reservations', () => {
  test('tiered CPU (GKE / EKS nodeadm): 6% + 1% + 2 x 0.5% + 0.25% per core above 4', () => {
    expect(tieredCpuReservationMillis(1)).toBe(60);
    expect(tieredCpuReservationMillis(2)).toBe(70);
    expect(tieredCpuReservationMillis(4)).toBe(80);
    expect(tieredCpuReservationMillis(8)).toBe(90);
    expect(tieredCpuReservationMillis(72)).toBe(250);
    expect(tieredCpuReservationMillis(128)).toBe(390);
  });

  test('GKE memory: 25% of 4Gi + 20% of 4Gi + 10% of 8Gi + 6% of 112Gi + 2% above 128Gi', () => {
    expect(gkeMemoryReservationBytes(0.5 * GI)).toBe(255 * MI);
    expect(gkeMemoryReservationBytes(4 * GI)).toBe(1 * GI);
    expect(gkeMemoryReservationBytes(16 * GI)).toBe(Math.ceil((1 + 0.8 + 0.8) * GI));
    expect(gkeMemoryReservationBytes(512 * GI)).toBe(Math.ceil((1 + 0.8 + 0.8 + 6.72 + 7.68) * GI));
    const r = NodeReservation.GKE.reserve({ vcpus: 8, memoryBytes: 32 * GI, maxPods: 110 });
    expect(r.cpuMillis).toBe(90);
    expect(r.evictionBytes).toBe(100 * MI);
  });

  test('EKS memory: 11Mi per max pod + 255Mi (i3.metal: 737 pods = 8362Mi)', () => {
    const r = NodeReservation.EKS.reserve({ vcpus: 72, memoryBytes: 512 * GI, maxPods: 737 });
    expect(r.memoryBytes).toBe(8362 * MI);
    expect(r.cpuMillis).toBe(250);
  });

  test('AKS: the published CPU table and min(20Mi x maxPods + 50Mi, 25%) memory', () => {
    expect([1, 2, 4, 8, 16, 32, 64].map(aksCpuReservationMillis)).toEqual([60, 100, 140, 180, 260, 420, 740]);
    expect(aksCpuReservationMillis(96)).toBe(1060);
    expect(NodeReservation.AKS.reserve({ vcpus: 8, memoryBytes: 32 * GI, maxPods: 250 }).memoryBytes).toBe(
      5050 * MI,
    );
    expect(NodeReservation.AKS.reserve({ vcpus: 2, memoryBytes: 4 * GI, maxPods: 250 }).memoryBytes).toBe(GI);
  });

  test('reservations grow with the node and never exceed it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 448 }), fc.integer({ min: 1, max: 24576 }), (vcpus, memGi) => {
        for (const r of [NodeReservation.GKE, NodeReservation.EKS, NodeReservation.AKS]) {
          const a = r.reserve({ vcpus, memoryBytes: memGi * GI, maxPods: 110 });
          const b = r.reserve({ vcpus: vcpus + 1, memoryBytes: (memGi + 1) * GI, maxPods: 110 });
          expect(b.cpuMillis).toBeGreaterThanOrEqual(a.cpuMillis);
          expect(b.memoryBytes).toBeGreaterThanOrEqual(a.memoryBytes);
          expect(a.cpuMillis).toBeLessThan(vcpus * 1000);
        }
      }),
    );
  });

  test('fixed reservations parse quantities and reject bad ones', () => {
    const r = NodeReservation.fixed({ cpu: '500m', memory: '2Gi' }).reserve({
      vcpus: 4,
      memoryBytes: 8 * GI,
      maxPods: 110,
    });
    expect(r).toEqual({ cpuMillis: 500, memoryBytes: 2 * GI, evictionBytes: 100 * MI });
    expect(() => NodeReservation.fixed({ cpu: 'lots', memory: '1Gi' })).toThrow(
      /NodeReservation.fixed: cpu "lots" is not allowed/,
    );
  });
});

describe('host catalog', () => {
  test('every preset has a price with region, date and source, and a unique name', () => {
    const names = HostType.PRESETS.map((h) => h.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    for (const h of HostType.PRESETS) {
      expect(h.price).toBeDefined();
      expect(h.price!.source.length).toBeGreaterThan(10);
      expect(h.price!.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    for (const name of [
      'i3.metal',
      'm5.metal',
      'c5.metal',
      'm6i.metal',
      'm7i.metal-24xl',
      'c8i.4xlarge',
      'n2-standard-8',
      'Standard_D8s_v5',
    ]) {
      expect(HostCatalog.DEFAULT.find(name)).toBeDefined();
    }
    expect(HostType.I3_METAL.vcpus).toBe(72);
    expect(HostType.I3_METAL.memoryBytes).toBe(512 * GI);
    expect(HostType.I3_METAL.localNvmeLayout).toBe('8 x 1900 GB');
    expect(HostType.I3_METAL.monthlyPrice).toBeCloseTo(4.992 * 730, 6);
    expect(HostType.C8I_4XLARGE.virtualization).toBe(Virtualization.NESTED);
    expect(HostType.STANDARD_D8S_V5.price!.source).toMatch(/^UNVERIFIED/);
  });

  test('lookups are case-insensitive and unknown names list the catalog', () => {
    expect(HostCatalog.DEFAULT.get('standard_d8s_v5')).toBe(HostType.STANDARD_D8S_V5);
    expect(() => HostCatalog.DEFAULT.get('i3.huge')).toThrow(
      /host "i3.huge" is not allowed; expected a known host type \(i3.metal, /,
    );
  });

  test('custom host types are validated', () => {
    expect(() => HostType.custom({ name: 'x', vcpus: 0, memory: Size.gibibytes(1) })).toThrow(
      /vcpus 0 is not allowed/,
    );
    expect(() =>
      HostType.custom({
        name: 'x',
        vcpus: 2,
        memory: Size.gibibytes(1),
        price: { perHour: 1, currency: 'usd', region: 'r', date: '2026-01-01', source: 's' },
      }),
    ).toThrow(/price.currency "usd" is not allowed/);
    const h = HostType.custom({
      name: 'x',
      vcpus: 2,
      memory: Size.gibibytes(1),
      provider: CloudProvider.AZURE,
    });
    expect(h.maxPods).toBe(250);
  });

  test('hosts files (YAML or JSON) add host types and replace catalog ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-hosts-'));
    const file = join(dir, 'hosts.yaml');
    writeFileSync(
      file,
      [
        'hosts:',
        '  - name: r650',
        '    vcpus: 64',
        '    memory: 256Gi',
        '    localNvme: 3840G',
        '    extendedResources: { nvidia.com/gpu: 2 }',
        '    price: { perHour: 2.1, currency: EUR, region: fra1, date: 2026-11-02, source: vendor quote }',
        '  - name: i3.metal',
        '    provider: aws',
        '    vcpus: 72',
        '    memory: 512Gi',
        '    price: { perHour: 3.0, currency: USD, region: us-east-1, date: 2026-11-02, source: negotiated }',
      ].join('\n'),
    );
    const hosts = loadHostTypes(file);
    expect(hosts.map((h) => h.name)).toEqual(['r650', 'i3.metal']);
    expect(hosts[0].price).toEqual({
      perHour: 2.1,
      currency: 'EUR',
      region: 'fra1',
      date: '2026-11-02',
      source: 'vendor quote',
    });
    expect(hosts[0].extendedResources).toEqual({ 'nvidia.com/gpu': 2 });
    const catalog = HostCatalog.DEFAULT.with(hosts);
    expect(catalog.get('i3.metal').price!.perHour).toBe(3.0);
    expect(catalog.hosts.filter((h) => h.name === 'i3.metal')).toHaveLength(1);
    expect(parseHostTypes('[{"name": "j", "vcpus": 4, "memory": "16Gi"}]', 'hosts.json')[0].memoryBytes).toBe(
      16 * GI,
    );
  });

  test('hosts file errors name the file, the entry and the field', () => {
    expect(() => parseHostTypes('hosts: [{ name: a, vcpus: 4 }]', 'h.yaml')).toThrow(
      'h.yaml: hosts[0] "a": memory is required',
    );
    expect(() => parseHostTypes('hosts: [{ name: a, vcpus: 4, memory: lots }]', 'h.yaml')).toThrow(
      /memory "lots" is not a quantity/,
    );
    expect(() => parseHostTypes('foo: 1', 'h.yaml')).toThrow(/expected a list of host types/);
    expect(() =>
      parseHostTypes('hosts: [{ name: a, vcpus: 4, memory: 1Gi, provider: ibm }]', 'h.yaml'),
    ).toThrow(/provider "ibm"/);
    expect(() => loadHostTypes('/nonexistent/hosts.yaml')).toThrow(
      /cannot read hosts file \(no such file or directory\)/,
    );
  });
});
