import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { runCli } from '../../../lib/cli/main';
import {
  HostType,
  planToJson,
  planWorkloads,
  renderPlanJson,
  renderPlanSvg,
  renderPlanTable,
} from '../../../lib/plan';

const deployment = (
  name: string,
  replicas: number,
  runtimeClassName: string | undefined,
  cpu: string,
  memory: string,
) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'apps' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        ...(runtimeClassName ? { runtimeClassName } : {}),
        containers: [
          { name: 'c', image: 'x:1', resources: { requests: { cpu, memory }, limits: { cpu, memory } } },
        ],
      },
    },
  },
});

function samplePlan() {
  return planWorkloads(
    [
      {
        id: 'apps/Deployment/web',
        namespace: 'apps',
        kind: 'Deployment',
        name: 'web',
        replicas: 6,
        template: {
          spec: {
            runtimeClassName: 'kata-qemu',
            containers: [{ name: 'c', resources: { limits: { cpu: '2', memory: '4Gi' } } }],
          },
        },
      },
      {
        id: 'apps/Deployment/huge',
        namespace: 'apps',
        kind: 'Deployment',
        name: 'huge',
        replicas: 1,
        template: {
          spec: { containers: [{ name: 'c', resources: { limits: { cpu: '64', memory: '1Gi' } } }] },
        },
      },
    ],
    { pools: [{ host: HostType.C8I_4XLARGE }] },
  );
}

describe('reports', () => {
  test('JSON has the documented pool fields and the unschedulable list', () => {
    const json = JSON.parse(renderPlanJson(samplePlan()));
    expect(Object.keys(json.pools[0]).slice(0, 7)).toEqual([
      'host',
      'nodes',
      'lowerBound',
      'cpuUtilization',
      'memoryUtilization',
      'bindingResource',
      'monthlyCost',
    ]);
    expect(json.pools[0].host).toBe('c8i.4xlarge');
    expect(json.pools[0].monthlyCost).toBeCloseTo(json.pools[0].nodes * 0.74968 * 730, 2);
    expect(json.unschedulable).toEqual([
      expect.objectContaining({ workload: 'apps/Deployment/huge', pods: 1, code: 'too-large' }),
    ]);
    expect(planToJson(samplePlan())).toEqual(json);
  });

  test('the table names pools, reservations, prices and unschedulable pods', () => {
    const text = renderPlanTable(samplePlan());
    expect(text).toMatch(
      /^Capacity plan: 6 of 7 pods placed on \d+ nodes in 1 zone; \$[\d,]+\.\d\d per month/,
    );
    expect(text).toContain('c8i.4xlarge: c8i.4xlarge (AWS, nested) x');
    expect(text).toContain('(EKS, maxPods 394)');
    expect(text).toContain('$0.74968/h on-demand us-east-1 (2026-02-09)');
    expect(text).toContain('apps/Deployment/huge (1 pod, too-large): pod requests 64 CPU cpu');
  });

  test('the SVG is well-formed, self-contained and deterministic', () => {
    const svg = renderPlanSvg(samplePlan());
    expect(svg).toBe(renderPlanSvg(samplePlan()));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/href=|<script|@import|url\(/);
    // Well-formed: every element closes in order, text has no raw markup characters.
    const stack: string[] = [];
    for (const tag of svg.match(/<[^>]+>/g) ?? []) {
      if (tag.startsWith('</')) expect(stack.pop()).toBe(tag.slice(2, -1));
      else if (!tag.endsWith('/>')) stack.push(/^<([a-z]+)/.exec(tag)![1]);
    }
    expect(stack).toEqual([]);
    expect(svg.replace(/<[^>]+>/g, '')).not.toMatch(/[<>]/);
    const nodes = samplePlan().pools[0].nodes;
    expect((svg.match(/<title>node /g) ?? []).length).toBe(nodes * 3);
    expect(svg).toContain('Unschedulable: 1 pods');
  });
});

describe('kata-blueprints plan', () => {
  let out = '';
  let err = '';
  let spies: jest.SpyInstance[] = [];
  beforeEach(() => {
    out = '';
    err = '';
    process.exitCode = undefined;
    spies = [
      jest
        .spyOn(process.stdout, 'write')
        .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true)),
      jest
        .spyOn(process.stderr, 'write')
        .mockImplementation((s: string | Uint8Array) => ((err += String(s)), true)),
    ];
  });
  afterEach(() => {
    spies.forEach((s) => s.mockRestore());
    process.exitCode = undefined;
  });

  const dir = mkdtempSync(join(tmpdir(), 'plan-cli-'));
  const manifests = join(dir, 'app.yaml');
  writeFileSync(
    manifests,
    [deployment('web', 6, 'kata-qemu', '2', '4Gi'), deployment('api', 2, undefined, '1', '1Gi')]
      .map((o) => JSON.stringify(o))
      .join('\n---\n'),
  );

  test('prints JSON for tools', async () => {
    const code = await runCli(['plan', manifests, '--host', 'm6i.metal', '--format', 'json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.pools).toHaveLength(1);
    expect(json.pools[0]).toEqual(
      expect.objectContaining({
        host: 'm6i.metal',
        nodes: 1,
        lowerBound: 1,
        bindingResource: expect.any(String),
        monthlyCost: 4485.12,
      }),
    );
    expect(json.unschedulable).toEqual([]);
    expect(json.placedPods).toBe(8);
  });

  test('splits pools with host:serves and writes SVG to a file', async () => {
    const file = join(dir, 'plan.svg');
    const code = await runCli([
      'plan',
      manifests,
      '--host',
      'c8i.4xlarge:kata,m6i.metal:trusted',
      '--format',
      'svg',
      '--output',
      file,
    ]);
    expect(code).toBe(0);
    expect(out).toBe('');
    const svg = readFileSync(file, 'utf8');
    expect(svg).toContain('c8i.4xlarge (c8i.4xlarge, serves kata)');
    expect(svg).toContain('m6i.metal (m6i.metal, serves trusted)');
  });

  test('exits 2 for an unknown host type', async () => {
    const code = await runCli(['plan', manifests, '--host', 'i3.huge']);
    expect(code).toBe(2);
    expect(err).toContain('kata-blueprints plan: unknown host type "i3.huge"; known: i3.metal, ');
  });

  test('exits 2 for unreadable input', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kind: [unclosed\n');
    expect(await runCli(['plan', join(dir, 'missing.yaml'), '--host', 'm6i.metal'])).toBe(2);
    expect(err).toContain('cannot read the input');
    expect(err).toContain('missing.yaml: cannot read: no such file or directory');
    err = '';
    expect(await runCli(['plan', bad, '--host', 'm6i.metal'])).toBe(2);
    expect(err).toContain('YAML does not parse');
  });

  test('exits 2 for a bad format and 1 with --fail-on-unschedulable when pods do not fit', async () => {
    expect(await runCli(['plan', manifests, '--host', 'm6i.metal', '--format', 'xml'])).toBe(2);
    expect(err).toContain('--format "xml" is not allowed; expected table, json, svg');
    process.exitCode = undefined;
    expect(
      await runCli(['plan', manifests, '--host', 'c8i.2xlarge:trusted', '--fail-on-unschedulable']),
    ).toBe(1);
    expect(out).toContain('no pool serves RuntimeClass "kata-qemu"');
  });

  test('uses host types from --hosts-file and lists the catalog', async () => {
    const hosts = join(dir, 'hosts.yaml');
    writeFileSync(hosts, 'hosts:\n  - { name: lab-box, vcpus: 32, memory: 128Gi }\n');
    expect(
      await runCli(['plan', manifests, '--host', 'lab-box', '--hosts-file', hosts, '--format', 'json']),
    ).toBe(0);
    const json = JSON.parse(out);
    expect(json.pools[0].host).toBe('lab-box');
    expect(json.pools[0].monthlyCost).toBeNull();
    out = '';
    expect(await runCli(['plan', '--list-hosts', '--hosts-file', hosts])).toBe(0);
    expect(out).toMatch(/^HOST\s+PROVIDER/);
    expect(out).toContain('lab-box');
    expect(out).toContain('i3.metal');
  });
});
