/**
 * `npm run bench`: synth speed and memory against a plain cdk8s-plus-28 baseline, check throughput and
 * planner speed. Each case runs in its own child process; results are printed as a table and written
 * to bench/results/latest.json. Never part of `npm test`.
 */
import { execFileSync } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import { cpus, totalmem } from 'os';
import { join } from 'path';
import type { CaseResult } from './cases';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

function runChild(name: string, n: number): CaseResult {
  const out = execFileSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, 'cases.ts'), name, String(n)],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' },
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as CaseResult;
}

/** The median run of `REPEAT` (by time); memory of that run. */
function median(name: string, n: number): CaseResult {
  const runs = Array.from({ length: REPEAT }, () => runChild(name, n)).sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(runs.length / 2)];
}

const cases: Array<[string, number[]]> = [
  ['synth-ours', SIZES],
  ['synth-baseline', SIZES],
  ['synth-ours-with-data', SIZES],
  ['check-throughput', [Number(process.env.BENCH_CHECK_OBJECTS ?? 12000)]],
  ['plan-speed', [Number(process.env.BENCH_PLAN_PODS ?? 5000)]],
];

const results: CaseResult[] = [];
for (const [name, sizes] of cases) {
  for (const n of sizes) {
    const r = median(name, n);
    results.push(r);
    process.stderr.write(`${name} n=${n}: ${r.ms} ms, ${r.objects} objects, peak RSS ${r.peakRssMiB} MiB\n`);
  }
}

const by = (name: string, n: number) => results.find((r) => r.name === name && r.n === n);
const rows = results.map((r) => {
  const base = r.name === 'synth-ours' ? by('synth-baseline', r.n) : undefined;
  const ratio = base ? (r.ms / base.ms).toFixed(2) : '';
  const rate = r.ms > 0 ? Math.round((r.objects / r.ms) * 1000) : 0;
  return {
    case: r.name,
    n: r.n,
    ms: r.ms,
    objects: r.objects,
    perSecond: rate,
    peakRssMiB: r.peakRssMiB,
    heapUsedMiB: r.heapUsedMiB,
    ratioVsBaseline: ratio,
    ...(r.extra ?? {}),
  };
});

// Growth with N: time per service between the smallest and largest N.
const growth: Record<string, string> = {};
for (const name of ['synth-ours', 'synth-baseline']) {
  const lo = by(name, Math.min(...SIZES));
  const hi = by(name, Math.max(...SIZES));
  if (lo && hi) {
    growth[name] =
      `${(lo.ms / lo.n).toFixed(2)} -> ${(hi.ms / hi.n).toFixed(2)} ms per service (N ${lo.n} -> ${hi.n})`;
  }
}

const header = ['case', 'n', 'ms', 'objects', 'objects/s', 'peak RSS MiB', 'heap MiB', 'ours/baseline'];
const table = [
  header,
  ...rows.map((r) =>
    [r.case, r.n, r.ms, r.objects, r.perSecond, r.peakRssMiB, r.heapUsedMiB, r.ratioVsBaseline].map(String),
  ),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ');
process.stdout.write(table.map(line).join('\n') + '\n');
for (const [k, v] of Object.entries(growth)) process.stdout.write(`growth ${k}: ${v}\n`);

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
};
mkdirSync(join(__dirname, 'results'), { recursive: true });
writeFileSync(
  join(__dirname, 'results', 'latest.json'),
  JSON.stringify({ machine, repeat: REPEAT, results: rows, growth }, null, 2) + '\n',
);
process.stdout.write(
  `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}\n`,
);
process.stdout.write('written bench/results/latest.json\n');
