/**
 * Manifest checks: schema, Pod Security Standards, Kata Containers compatibility and production
 * readiness over plain Kubernetes objects, with text/JSON/SARIF reporters and a cdk8s validation plugin.
 */
export * from './types';
export type { CheckInput, SourcedObject, KnownRuntimeClass } from './context';
export { PSS_ENFORCE_LABEL } from './context';
export { ALL_RULES, checkManifests, hasErrors, ruleById, sortFindings, summarizeFindings } from './engine';
export type { SchemaResult } from './rules/schema';
export { SCHEMA_RULES, validateSchema } from './rules/schema';
export type { PssRule, PssViolation } from './rules/pss';
export {
  PSS_RULES,
  evaluatePodSecurity,
  SAFE_SYSCTLS_1_28,
  RESTRICTED_VOLUME_SOURCES_1_28,
} from './rules/pss';
export { KATA_RULES } from './rules/kata';
export {
  PROD_RULES,
  BLUEPRINT_WARNING_ANNOTATION,
  RUNTIME_POD_LABELS,
  RUNTIME_SELECTOR_LABELS_ANNOTATION,
} from './rules/prod';
export type { CheckReport } from './report';
export {
  CheckReportFormat,
  renderCheckReport,
  checkReportJson,
  checkReportSarif,
  checkReportText,
  findingLocation,
} from './report';
export { renderRulesMarkdown, rulesAsJson, RULES_TABLE_START, RULES_TABLE_END } from './docs';
export { manifestsFromApp, manifestsFromChart } from './cdk8s';
export type { KataBlueprintsValidationProps, PluginValidationContext, PluginViolation } from './plugin';
export { KataBlueprintsValidation } from './plugin';
