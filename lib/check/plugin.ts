/**
 * A cdk8s-cli validation plugin: `cdk8s synth` runs the checks over the synthesized manifests when
 * cdk8s.yaml lists it under `validations:`
 *
 * ```yaml
 * validations:
 *   - package: kata-blueprints
 *     version: 0.1.0
 *     class: KataBlueprintsValidation
 *     properties:
 *       level: restricted
 *       runtimeClasses: [kata-qemu, kata-clh]
 * ```
 *
 * The contract (cdk8s-cli `lib/plugins/validation.d.ts`): the CLI loads the package, calls
 * `new Class(properties)`, then `await instance.validate(context)`; the plugin adds violations to
 * `context.report` and must `submit('success' | 'failure')`. A failure fails `cdk8s synth`.
 * The types below restate that contract structurally so that no cdk8s-cli import is needed at run time.
 */
import { formatInputError, loadManifests } from '../manifest/load';
import { checkManifests, ruleById, summarizeFindings } from './engine';
import { Finding, PodSecurityLevel, Severity } from './types';

/** The part of cdk8s-cli's `ValidationViolation` the plugin fills in. */
export interface PluginViolation {
  /** Rule name. */
  readonly ruleName: string;
  /** Recommendation. */
  readonly recommendation: string;
  /** How to fix. */
  readonly fix: string;
  /** Violating resources. */
  readonly violatingResources: ReadonlyArray<{
    readonly resourceName: string;
    readonly locations: readonly string[];
    readonly manifestPath: string;
  }>;
}

/** The part of cdk8s-cli's `ValidationContext` the plugin uses. */
export interface PluginValidationContext {
  /** Paths of the synthesized manifests. */
  readonly manifests: readonly string[];
  /** The report. */
  readonly report: {
    addViolation(violation: PluginViolation): void;
    submit(status: 'success' | 'failure', metadata?: { readonly [key: string]: string }): void;
  };
  /** Logger. */
  readonly logger: { log(message: string): void };
}

/** Properties of {@link KataBlueprintsValidation} (the `properties:` of the cdk8s.yaml entry). */
export interface KataBlueprintsValidationProps {
  /**
   * Pod Security level for namespaces without a Namespace object that sets one: `baseline`, `restricted` or `privileged`.
   * @default "restricted"
   */
  readonly level?: string;
  /**
   * RuntimeClasses of the target cluster (`name` or `name=handler`), as a list or a comma-separated string.
   * @default - only RuntimeClasses in the synthesized manifests
   */
  readonly runtimeClasses?: readonly string[] | string;
  /**
   * Rule ids to skip.
   * @default - none
   */
  readonly disabledRules?: readonly string[];
  /**
   * Also fail synth on warnings.
   * @default false
   */
  readonly failOnWarnings?: boolean;
  /**
   * Lowest severity listed in the report: `error`, `warning` or `info`.
   * @default "warning"
   */
  readonly reportSeverity?: string;
}

const RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

/** The cdk8s validation plugin class (`class: KataBlueprintsValidation`). */
export class KataBlueprintsValidation {
  private readonly level: PodSecurityLevel;
  private readonly runtimeClasses: readonly string[];
  private readonly disabledRules: readonly string[];
  private readonly failOnWarnings: boolean;
  private readonly reportSeverity: Severity;

  /**
   * @param props the `properties` of the cdk8s.yaml validation entry
   * @throws Error naming the property, the value and what is allowed
   */
  constructor(props: KataBlueprintsValidationProps = {}) {
    const p = props ?? {};
    const level = p.level ?? PodSecurityLevel.RESTRICTED;
    if (!(Object.values(PodSecurityLevel) as string[]).includes(level)) {
      throw new Error(
        `KataBlueprintsValidation: level ${JSON.stringify(level)} is not allowed; expected one of ${Object.values(PodSecurityLevel).join(', ')}`,
      );
    }
    this.level = level as PodSecurityLevel;
    const rc = p.runtimeClasses ?? [];
    this.runtimeClasses =
      typeof rc === 'string'
        ? rc
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [...rc];
    this.disabledRules = [...(p.disabledRules ?? [])];
    for (const id of this.disabledRules) {
      if (!ruleById(id))
        throw new Error(
          `KataBlueprintsValidation: disabledRules entry ${JSON.stringify(id)} is not a rule id`,
        );
    }
    this.failOnWarnings = p.failOnWarnings ?? false;
    const rs = p.reportSeverity ?? Severity.WARNING;
    if (!(rs in RANK))
      throw new Error(
        `KataBlueprintsValidation: reportSeverity ${JSON.stringify(rs)} is not allowed; expected error, warning or info`,
      );
    this.reportSeverity = rs as Severity;
  }

  /** Runs the checks over `context.manifests` and submits the report. */
  public async validate(context: PluginValidationContext): Promise<void> {
    const loaded = loadManifests(context.manifests);
    const findings = checkManifests(loaded.manifests, {
      level: this.level,
      runtimeClasses: this.runtimeClasses,
      disabledRules: this.disabledRules,
    });
    for (const e of loaded.errors) {
      context.report.addViolation({
        ruleName: 'input/unreadable',
        recommendation: 'The synthesized manifest could not be read as Kubernetes objects.',
        fix: 'Check the chart output (see the message).',
        violatingResources: [
          { resourceName: e.file, manifestPath: e.file, locations: [formatInputError(e)] },
        ],
      });
    }
    const byRule = new Map<string, Finding[]>();
    for (const f of findings) {
      if (RANK[f.severity] > RANK[this.reportSeverity]) continue;
      const list = byRule.get(`${f.rule}\u0000${f.severity}`) ?? [];
      list.push(f);
      byRule.set(`${f.rule}\u0000${f.severity}`, list);
    }
    for (const key of [...byRule.keys()].sort()) {
      const list = byRule.get(key)!;
      const rule = ruleById(list[0].rule);
      context.report.addViolation({
        ruleName: `${list[0].rule} (${list[0].severity})`,
        recommendation: rule ? `${rule.title} ${rule.why}` : list[0].message,
        fix: rule?.fix ?? list[0].fix,
        violatingResources: list.map((f) => ({
          resourceName: f.name,
          manifestPath: f.file,
          locations: [
            `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}${f.path ? ` ${f.path}` : ''}: ${f.message}`,
          ],
        })),
      });
    }
    const s = summarizeFindings(findings, loaded.manifests.length);
    const failed = loaded.errors.length > 0 || s.errors > 0 || (this.failOnWarnings && s.warnings > 0);
    context.report.submit(failed ? 'failure' : 'success', {
      objects: String(s.objects),
      errors: String(s.errors),
      warnings: String(s.warnings),
      infos: String(s.infos),
      level: this.level,
    });
  }
}
