/**
 * `kata-blueprints check <files or folders...>`: runs the manifest checks and prints text, JSON or
 * SARIF. Exit code 0 without error findings, 1 with at least one, 2 for unusable input (missing
 * file, YAML that does not parse, non-Kubernetes documents, unrendered templates) or bad options.
 */
import { Command, Option } from 'commander';
import { checkManifests, summarizeFindings } from '../check/engine';
import { renderRulesMarkdown, rulesAsJson } from '../check/docs';
import { renderCheckReport, CheckReportFormat } from '../check/report';
import { PodSecurityLevel, Severity } from '../check/types';
import { formatInputError, loadManifests } from '../manifest/load';

/** Parsed options of the check command. */
interface CheckCommandOptions {
  readonly format: CheckReportFormat;
  readonly level: PodSecurityLevel;
  readonly runtimeClasses?: string;
  readonly disable?: string;
  readonly listRules?: boolean;
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Adds the `check` command to the program. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check Kubernetes manifests: schema, Pod Security, Kata compatibility, production readiness')
    .argument('[paths...]', 'YAML or JSON files, or folders (walked recursively)')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(Object.values(CheckReportFormat))
        .default(CheckReportFormat.TEXT),
    )
    .addOption(
      new Option(
        '--level <level>',
        'Pod Security level for namespaces without a Namespace object that sets one',
      )
        .choices(Object.values(PodSecurityLevel))
        .default(PodSecurityLevel.RESTRICTED),
    )
    .option(
      '--runtime-classes <names>',
      'RuntimeClasses of the target cluster, comma-separated (name or name=handler)',
    )
    .option('--disable <rules>', 'rule ids to skip, comma-separated')
    .option('--list-rules', 'print the rules (Markdown table, or JSON with --format json) and exit')
    .action((paths: string[], opts: CheckCommandOptions, command: Command) => {
      process.exitCode = runCheck(paths ?? [], opts, command.parent?.version() ?? '0.0.0');
    });
}

function runCheck(paths: readonly string[], opts: CheckCommandOptions, version: string): number {
  if (opts.listRules) {
    process.stdout.write(
      opts.format === CheckReportFormat.JSON
        ? `${JSON.stringify(rulesAsJson(), null, 2)}\n`
        : `${renderRulesMarkdown()}\n`,
    );
    return 0;
  }
  if (paths.length === 0) {
    process.stderr.write('kata-blueprints check: no input; give one or more files or folders\n');
    return 2;
  }
  const loaded = loadManifests(paths);
  let findings;
  try {
    findings = checkManifests(loaded.manifests, {
      level: opts.level,
      runtimeClasses: list(opts.runtimeClasses),
      disabledRules: list(opts.disable),
    });
  } catch (e) {
    process.stderr.write(`kata-blueprints check: ${(e as Error).message}\n`);
    return 2;
  }
  const report = {
    findings,
    summary: summarizeFindings(findings, loaded.manifests.length),
    inputErrors: loaded.errors,
  };
  process.stdout.write(renderCheckReport(report, opts.format, { toolVersion: version }));
  if (loaded.errors.length > 0) {
    if (opts.format !== CheckReportFormat.TEXT) {
      for (const e of loaded.errors)
        process.stderr.write(`kata-blueprints check: unreadable input: ${formatInputError(e)}\n`);
    }
    return 2;
  }
  return findings.some((f) => f.severity === Severity.ERROR) ? 1 : 0;
}
