/** Runs every rule family over a set of Kubernetes objects. */
import { CheckContext, CheckInput } from './context';
import { KATA_RULES, runKataRules } from './rules/kata';
import { PROD_RULES, runProdRules } from './rules/prod';
import { PSS_RULES, runPssRules } from './rules/pss';
import { SCHEMA_RULES, runSchemaRules } from './rules/schema';
import {
  CheckOptions,
  Finding,
  FindingSummary,
  PodSecurityLevel,
  RuleFamily,
  RuleInfo,
  Severity,
} from './types';

/** Every rule, by family (schema, pss, kata, prod), in documentation order. */
export const ALL_RULES: readonly RuleInfo[] = [
  ...Object.values(SCHEMA_RULES),
  ...PSS_RULES,
  ...Object.values(KATA_RULES),
  ...Object.values(PROD_RULES),
];

/** The rule with an id, or undefined. */
export function ruleById(id: string): RuleInfo | undefined {
  return ALL_RULES.find((r) => r.id === id);
}

const SEVERITY_RANK: Record<Severity, number> = {
  [Severity.ERROR]: 0,
  [Severity.WARNING]: 1,
  [Severity.INFO]: 2,
};

/**
 * Checks Kubernetes objects: schema, Pod Security (per namespace level), Kata compatibility and
 * production readiness.
 *
 * @param inputs plain objects (e.g. `chart.toJson()`), or objects with their source (`loadManifests(...).manifests`)
 * @param options level, declared RuntimeClasses, families and rules to run
 * @returns the findings, sorted by file, document, severity and rule
 * @throws Error for invalid options (unknown level, family or rule id)
 */
export function checkManifests(inputs: readonly CheckInput[], options: CheckOptions = {}): Finding[] {
  validateOptions(options);
  const ctx = new CheckContext(inputs, options);
  if (ctx.familyEnabled(RuleFamily.SCHEMA)) runSchemaRules(ctx);
  if (ctx.familyEnabled(RuleFamily.PSS)) runPssRules(ctx);
  if (ctx.familyEnabled(RuleFamily.KATA)) runKataRules(ctx);
  if (ctx.familyEnabled(RuleFamily.PROD)) runProdRules(ctx);
  return sortFindings(ctx.findings);
}

/** Sorts findings deterministically: file, document, severity, rule, message. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      cmp(a.file, b.file) ||
      (a.documentIndex ?? -1) - (b.documentIndex ?? -1) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      cmp(a.kind, b.kind) ||
      cmp(a.name, b.name) ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      cmp(a.rule, b.rule) ||
      cmp(a.message, b.message),
  );
}

/** Counts findings by severity and rule. */
export function summarizeFindings(findings: readonly Finding[], objects: number): FindingSummary {
  const byRule: Record<string, number> = {};
  for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  const sorted: Record<string, number> = {};
  for (const k of Object.keys(byRule).sort()) sorted[k] = byRule[k];
  return {
    objects,
    errors: findings.filter((f) => f.severity === Severity.ERROR).length,
    warnings: findings.filter((f) => f.severity === Severity.WARNING).length,
    infos: findings.filter((f) => f.severity === Severity.INFO).length,
    byRule: sorted,
  };
}

/** Whether any finding is an error. */
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === Severity.ERROR);
}

function validateOptions(o: CheckOptions): void {
  if (o.level !== undefined && !(Object.values(PodSecurityLevel) as string[]).includes(o.level)) {
    throw new Error(
      `checkManifests: level ${JSON.stringify(o.level)} is not allowed; expected one of ${Object.values(PodSecurityLevel).join(', ')}`,
    );
  }
  for (const f of o.families ?? []) {
    if (!(Object.values(RuleFamily) as string[]).includes(f)) {
      throw new Error(
        `checkManifests: family ${JSON.stringify(f)} is not allowed; expected one of ${Object.values(RuleFamily).join(', ')}`,
      );
    }
  }
  for (const id of o.disabledRules ?? []) {
    if (!ruleById(id))
      throw new Error(
        `checkManifests: disabledRules entry ${JSON.stringify(id)} is not a rule id (see README.md)`,
      );
  }
  for (const rc of o.runtimeClasses ?? []) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(=[A-Za-z0-9_.-]+)?$/.test(rc)) {
      throw new Error(
        `checkManifests: runtimeClasses entry ${JSON.stringify(rc)} is not allowed; expected "name" or "name=handler"`,
      );
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
