/**
 * `kata-blueprints plan <files or folders...> --host <type>[,<type>...]`: how many Kata hosts the manifests
 * need and what they cost.
 */
import { writeFileSync } from 'fs';
import { Command } from 'commander';
import { Size } from 'cdk8s';
import { formatInputError, InputErrorReason, loadManifests } from '../manifest/load';
import { memoryToBytes } from '../sandbox/quantity';
import {
  HostCatalog,
  HostType,
  HpaSizing,
  loadHostTypes,
  NodePoolSpec,
  planCapacity,
  PoolServes,
  renderPlanJson,
  renderPlanSvg,
  renderPlanTable,
  ShmSize,
} from '../plan';

/** Options of the `plan` command as commander parses them. */
interface PlanCommandOptions {
  readonly host?: string;
  readonly format: string;
  readonly hostsFile?: string;
  readonly zones: string;
  readonly hpa: string;
  readonly shm: string;
  readonly output?: string;
  readonly failOnUnschedulable?: boolean;
  readonly listHosts?: boolean;
}

/** A usage or input error: printed without a stack, exit code 2. */
class PlanUsageError extends Error {}

const FORMATS = ['table', 'json', 'svg'];

/** Parses `--shm`: `half`, `unlimited`, a fraction of RAM (`0.75`) or a size (`300Gi`). */
export function parseShmOption(value: string): ShmSize {
  const v = value.trim();
  if (v === 'half') return ShmSize.HALF_OF_MEMORY;
  if (v === 'unlimited') return ShmSize.UNLIMITED;
  if (/^(0?\.\d+|1(\.0+)?)$/.test(v)) return ShmSize.fraction(Number(v));
  let bytes: number;
  try {
    bytes = memoryToBytes(v);
  } catch {
    throw new PlanUsageError(
      `--shm ${JSON.stringify(value)} is not allowed; expected half, unlimited, a fraction of RAM (0.75) or a size (300Gi)`,
    );
  }
  if (!(bytes > 0)) throw new PlanUsageError(`--shm ${JSON.stringify(value)} must be > 0`);
  return ShmSize.fixed(Size.kibibytes(Math.ceil(bytes / 1024)));
}

/**
 * Parses `--host`: comma-separated host types, each optionally followed by `:<serves>` (`all`, `kata`,
 * `trusted`, or RuntimeClass names joined by `+`), e.g. `m6i.metal:kata,m5.xlarge:trusted`.
 */
export function parseHostOption(value: string, catalog: HostCatalog, shm: ShmSize): NodePoolSpec[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0)
    throw new PlanUsageError('--host needs at least one host type, e.g. --host m6i.metal');
  const seen = new Map<string, number>();
  return entries.map((entry) => {
    const colon = entry.indexOf(':');
    const name = colon >= 0 ? entry.slice(0, colon) : entry;
    const servesSpec = colon >= 0 ? entry.slice(colon + 1) : 'all';
    const host = catalog.find(name);
    if (!host) {
      throw new PlanUsageError(
        `unknown host type ${JSON.stringify(name)}; known: ${catalog.hosts.map((h) => h.name).join(', ')} ` +
          '(add your own with --hosts-file)',
      );
    }
    const serves = PoolServes.parse(servesSpec);
    const n = (seen.get(host.name) ?? 0) + 1;
    seen.set(host.name, n);
    return { host, serves, shm, ...(n > 1 ? { name: `${host.name}#${n}` } : {}) };
  });
}

function hostList(catalog: HostCatalog): string {
  const rows = catalog.hosts.map((h: HostType) => [
    h.name,
    h.provider.name,
    h.virtualization.name,
    String(h.vcpus),
    `${Math.round(h.memoryBytes / 2 ** 30)}Gi`,
    h.localNvmeLayout ?? '-',
    String(h.maxPods),
    h.price ? `${h.price.perHour} ${h.price.currency}/h ${h.price.region} (${h.price.date})` : '-',
  ]);
  const headers = [
    'HOST',
    'PROVIDER',
    'VIRTUALIZATION',
    'VCPU',
    'MEMORY',
    'LOCAL NVME',
    'MAX PODS',
    'ON-DEMAND PRICE',
  ];
  const widths = headers.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

function runPlan(paths: string[], opts: PlanCommandOptions): number {
  let catalog = HostCatalog.DEFAULT;
  if (opts.hostsFile) {
    try {
      catalog = catalog.with(loadHostTypes(opts.hostsFile));
    } catch (e) {
      throw new PlanUsageError((e as Error).message);
    }
  }
  if (opts.listHosts) {
    process.stdout.write(hostList(catalog));
    return 0;
  }
  if (!FORMATS.includes(opts.format)) {
    throw new PlanUsageError(
      `--format ${JSON.stringify(opts.format)} is not allowed; expected ${FORMATS.join(', ')}`,
    );
  }
  const zones = Number(opts.zones);
  if (!Number.isInteger(zones) || zones < 1)
    throw new PlanUsageError(`--zones ${JSON.stringify(opts.zones)} must be a whole number >= 1`);
  let hpa: HpaSizing;
  try {
    hpa = HpaSizing.fromName(opts.hpa);
  } catch (e) {
    throw new PlanUsageError(`--hpa: ${(e as Error).message}`);
  }
  if (!opts.host)
    throw new PlanUsageError(
      '--host is required, e.g. --host m6i.metal or --host m6i.metal:kata,m5.metal:trusted',
    );
  if (paths.length === 0)
    throw new PlanUsageError(
      'give the manifest files or folders to plan, e.g. kata-blueprints plan dist/ --host m6i.metal',
    );
  const pools = parseHostOption(opts.host, catalog, parseShmOption(opts.shm));

  const loaded = loadManifests(paths);
  const fatal = loaded.errors.filter(
    (e) =>
      e.reason === InputErrorReason.NOT_FOUND ||
      e.reason === InputErrorReason.PARSE ||
      e.reason === InputErrorReason.PLACEHOLDER,
  );
  if (fatal.length > 0) {
    throw new PlanUsageError(
      `cannot read the input:\n${fatal.map((e) => `  ${formatInputError(e)}`).join('\n')}`,
    );
  }
  const plan = planCapacity(loaded.manifests, { pools, zones, hpa });
  const skipped = loaded.errors.map((e) => `skipped ${formatInputError(e)}`);
  const full = skipped.length > 0 ? { ...plan, notes: [...plan.notes, ...skipped].sort() } : plan;
  const text =
    opts.format === 'json'
      ? renderPlanJson(full)
      : opts.format === 'svg'
        ? renderPlanSvg(full)
        : renderPlanTable(full);
  if (opts.output) {
    try {
      writeFileSync(opts.output, text);
    } catch (e) {
      throw new PlanUsageError(`cannot write ${opts.output}: ${(e as Error).message}`);
    }
  } else {
    process.stdout.write(text);
  }
  return opts.failOnUnschedulable && full.unschedulable.length > 0 ? 1 : 0;
}

/** Adds the `plan` command to the program. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'Plan the Kata hosts a set of manifests needs: nodes per pool, utilization, cost, and what cannot run',
    )
    .argument('[paths...]', 'manifest files or folders (e.g. dist/ from cdk8s synth)')
    .option(
      '--host <types>',
      'host types, comma-separated, in order of preference; each may end with :<serves> (all, kata, trusted, or RuntimeClass names joined by +)',
    )
    .option('--format <format>', 'output format: table, json or svg', 'table')
    .option(
      '--hosts-file <file>',
      'JSON or YAML file with more host types (replacing catalog types of the same name)',
    )
    .option('--zones <n>', 'availability zones the nodes are spread over', '1')
    .option('--hpa <min|max>', 'plan autoscaled workloads at HPA minReplicas or maxReplicas', 'min')
    .option(
      '--shm <size>',
      '/dev/shm per node: half (of RAM), unlimited, a fraction (0.75) or a size (300Gi)',
      'half',
    )
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on-unschedulable', 'exit 1 when some pods cannot be placed')
    .option('--list-hosts', 'list the host catalog and exit')
    .action((paths: string[], opts: PlanCommandOptions) => {
      try {
        const code = runPlan(paths ?? [], opts);
        if (code !== 0) process.exitCode = code;
      } catch (e) {
        if (e instanceof PlanUsageError) {
          process.stderr.write(`kata-blueprints plan: ${e.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw e;
      }
    });
}
