/** Reporters: plain text for people, JSON for scripts, SARIF 2.1.0 for code-scanning UIs. */
import { isAbsolute, relative, sep } from 'path';
import { formatInputError, ManifestInputError } from '../manifest/load';
import { ALL_RULES } from './engine';
import { Finding, FindingSummary, RuleInfo, Severity } from './types';

/** Everything a report shows. */
export interface CheckReport {
  /** Findings (sorted). */
  readonly findings: readonly Finding[];
  /** Counts. */
  readonly summary: FindingSummary;
  /** Inputs that could not be read or parsed. */
  readonly inputErrors: readonly ManifestInputError[];
}

/** Output formats of the `check` command. */
export enum CheckReportFormat {
  /** One line per finding plus a summary. */
  TEXT = 'text',
  /** `{"findings": [...], "summary": {...}, "inputErrors": [...]}`. */
  JSON = 'json',
  /** SARIF 2.1.0. */
  SARIF = 'sarif',
}

/** Renders a report in a format. */
export function renderCheckReport(
  report: CheckReport,
  format: CheckReportFormat,
  options: { readonly toolVersion?: string; readonly baseDir?: string } = {},
): string {
  switch (format) {
    case CheckReportFormat.JSON:
      return `${JSON.stringify(checkReportJson(report), null, 2)}\n`;
    case CheckReportFormat.SARIF:
      return `${JSON.stringify(checkReportSarif(report, options.toolVersion ?? '0.0.0', options.baseDir ?? process.cwd()), null, 2)}\n`;
    default:
      return checkReportText(report);
  }
}

/** Where a finding is, as `file:line`. */
export function findingLocation(f: Finding): string {
  return `${f.file}${f.line !== undefined ? `:${f.line}` : f.documentIndex !== undefined ? `#${f.documentIndex}` : ''}`;
}

/** The text report: `file:line: severity rule Kind namespace/name: message`, the fix indented below, then a summary. */
export function checkReportText(report: CheckReport): string {
  const lines: string[] = [];
  for (const e of report.inputErrors) lines.push(`${formatInputError(e)} [unreadable input]`);
  for (const f of report.findings) {
    lines.push(
      `${findingLocation(f)}: ${f.severity} ${f.rule} ${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}: ${f.message}`,
    );
    lines.push(`    fix: ${f.fix}`);
  }
  const s = report.summary;
  const unreadable = report.inputErrors.length
    ? `, ${report.inputErrors.length} unreadable ${report.inputErrors.length === 1 ? 'input' : 'inputs'}`
    : '';
  lines.push(
    `${s.objects} ${s.objects === 1 ? 'object' : 'objects'} checked: ${s.errors} errors, ${s.warnings} warnings, ${s.infos} infos${unreadable}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The JSON report object. */
export function checkReportJson(report: CheckReport): Record<string, unknown> {
  return {
    findings: report.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      file: f.file,
      documentIndex: f.documentIndex ?? null,
      line: f.line ?? null,
      apiVersion: f.apiVersion,
      kind: f.kind,
      namespace: f.namespace ?? null,
      name: f.name,
      message: f.message,
      fix: f.fix,
      path: f.path ?? null,
    })),
    summary: { ...report.summary, inputErrors: report.inputErrors.length },
    inputErrors: report.inputErrors.map((e) => ({
      file: e.file,
      line: e.line ?? null,
      column: e.column ?? null,
      documentIndex: e.documentIndex ?? null,
      reason: e.reason,
      message: e.message,
    })),
  };
}

const SARIF_LEVEL: Record<Severity, string> = {
  [Severity.ERROR]: 'error',
  [Severity.WARNING]: 'warning',
  [Severity.INFO]: 'note',
};

function sarifUri(file: string, baseDir: string): string {
  if (!isAbsolute(file)) return file.split(sep).join('/');
  const rel = relative(baseDir, file);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return `file://${file.split(sep).join('/')}`;
}

function sarifRule(r: RuleInfo): Record<string, unknown> {
  return {
    id: r.id,
    name: r.id.replace(/[/-](.)/g, (_m, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: r.why },
    help: {
      text: `${r.title}\n\nWhy: ${r.why}\n\nFix: ${r.fix}\n\nSources: ${r.sources.join('; ')}`,
      markdown: `**${r.title}**\n\n${r.why}\n\n**Fix:** ${r.fix}\n\n**Sources:** ${r.sources.join('; ')}`,
    },
    defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
    properties: { tags: [r.id.split('/')[0], 'kubernetes'] },
  };
}

/** The SARIF 2.1.0 log: one run, every rule with help text, results located at the document's start line. */
export function checkReportSarif(
  report: CheckReport,
  toolVersion: string,
  baseDir: string,
): Record<string, unknown> {
  const index = new Map(ALL_RULES.map((r, i) => [r.id, i]));
  const location = (file: string, line: number | undefined): Record<string, unknown> => ({
    physicalLocation: {
      artifactLocation: { uri: sarifUri(file, baseDir) },
      ...(line !== undefined ? { region: { startLine: line } } : {}),
    },
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kata-blueprints',
            semanticVersion: toolVersion,
            version: toolVersion,
            informationUri: 'https://www.npmjs.com/package/kata-blueprints',
            rules: ALL_RULES.map(sarifRule),
          },
        },
        invocations: [
          {
            executionSuccessful: report.inputErrors.length === 0,
            toolExecutionNotifications: report.inputErrors.map((e) => ({
              level: 'error',
              message: { text: `unreadable input: ${e.message}` },
              locations: [location(e.file, e.line)],
            })),
          },
        ],
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule) } : {}),
          level: SARIF_LEVEL[f.severity],
          message: {
            text: `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}: ${f.message}. Fix: ${f.fix}`,
          },
          locations: [
            {
              ...location(f.file, f.line),
              logicalLocations: [
                {
                  name: f.name,
                  kind: 'object',
                  fullyQualifiedName: `${f.kind}/${f.namespace ? `${f.namespace}/` : ''}${f.name}${f.path ? `/${f.path}` : ''}`,
                },
              ],
            },
          ],
          partialFingerprints: {
            'kataBlueprints/v1': `${f.rule}|${f.kind}|${f.namespace ?? ''}|${f.name}|${f.path ?? ''}`,
          },
        })),
      },
    ],
  };
}
