/** The engine around the rules: inputs (plain, sourced, cdk8s), options, ordering, summaries and reports. */
import { ApiObject, Chart, Testing } from 'cdk8s';
import {
  checkManifests,
  hasErrors,
  manifestsFromApp,
  manifestsFromChart,
  renderCheckReport,
  CheckReportFormat,
  summarizeFindings,
  checkReportSarif,
} from '../../../lib/check';
import { PodSecurityLevel, RuleFamily, Severity } from '../../../lib/check/types';
import { InputErrorReason, parseManifests } from '../../../lib/manifest/load';
import { compliantApp, container } from './fixtures';

describe('inputs', () => {
  test('plain objects and loaded manifests give the same findings, with their source', () => {
    const objects = compliantApp();
    container(objects).image = 'nginx';
    const plain = checkManifests(objects);
    expect(plain.map((f) => [f.rule, f.file, f.documentIndex])).toEqual([['prod/image-tag', '<memory>', 2]]);
    const text = objects.map((o) => JSON.stringify(o)).join('\n---\n');
    const loaded = checkManifests(parseManifests(text, 'app.yaml').manifests);
    expect(loaded.map((f) => [f.rule, f.file, f.documentIndex, f.line])).toEqual([
      ['prod/image-tag', 'app.yaml', 2, 5],
    ]);
  });

  test('objects from a cdk8s Chart and App, in memory', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'apps', { namespace: 'apps', disableResourceNameHashes: true });
    for (const o of compliantApp()) new ApiObject(chart, `${o.kind}-${o.metadata.name}`, o);
    const fromChart = manifestsFromChart(chart);
    expect(fromChart).toHaveLength(7);
    expect(fromChart[0]).toMatchObject({ file: 'chart:apps', documentIndex: 0 });
    expect(manifestsFromApp(app)).toEqual(fromChart);
    expect(checkManifests(manifestsFromApp(app))).toEqual([]);
  });
});

describe('options', () => {
  test('invalid options throw with the option, the value and what is allowed', () => {
    expect(() => checkManifests([], { level: 'strict' as PodSecurityLevel })).toThrow(
      'checkManifests: level "strict" is not allowed; expected one of privileged, baseline, restricted',
    );
    expect(() => checkManifests([], { families: ['style' as RuleFamily] })).toThrow('family "style"');
    expect(() => checkManifests([], { runtimeClasses: ['Kata QEMU'] })).toThrow(
      'runtimeClasses entry "Kata QEMU"',
    );
  });

  test('families and disabled rules restrict what runs', () => {
    const objects = compliantApp();
    container(objects).securityContext.privileged = true;
    expect(checkManifests(objects).map((f) => f.rule)).toEqual(['pss/privileged', 'kata/privileged']);
    expect(checkManifests(objects, { families: [RuleFamily.KATA] }).map((f) => f.rule)).toEqual([
      'kata/privileged',
    ]);
    expect(checkManifests(objects, { disabledRules: ['kata/privileged'] }).map((f) => f.rule)).toEqual([
      'pss/privileged',
    ]);
  });

  test('defaultNamespace places objects without a namespace (and so picks the Namespace level)', () => {
    const objects = compliantApp().map((o) => {
      const c = JSON.parse(JSON.stringify(o));
      delete c.metadata.namespace;
      return c;
    });
    objects[0].metadata.labels['pod-security.kubernetes.io/enforce'] = 'privileged';
    container(objects).securityContext.privileged = true;
    expect(checkManifests(objects).map((f) => [f.rule, f.namespace])).toEqual([
      ['pss/privileged', 'default'],
      ['kata/privileged', 'default'],
    ]);
    expect(checkManifests(objects, { defaultNamespace: 'apps' }).map((f) => [f.rule, f.namespace])).toEqual([
      ['kata/privileged', 'apps'],
    ]);
  });
});

describe('summaries and reports', () => {
  const objects = compliantApp();
  container(objects).securityContext.privileged = true;
  const findings = checkManifests(objects);
  const inputErrors = [
    {
      file: 'broken.yaml',
      line: 3,
      column: 1,
      reason: InputErrorReason.PARSE,
      message: 'YAML does not parse: x',
    },
  ];
  const report = { findings, summary: summarizeFindings(findings, objects.length), inputErrors };

  test('summary counts by severity and rule', () => {
    expect(report.summary).toEqual({
      objects: 7,
      errors: 1,
      warnings: 1,
      infos: 0,
      byRule: { 'kata/privileged': 1, 'pss/privileged': 1 },
    });
    expect(hasErrors(findings)).toBe(true);
    expect(hasErrors(findings.filter((f) => f.severity !== Severity.ERROR))).toBe(false);
  });

  test('text report: unreadable inputs first, one line per finding, a summary line', () => {
    const text = renderCheckReport(report, CheckReportFormat.TEXT);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('broken.yaml:3:1: YAML does not parse: x [unreadable input]');
    expect(lines[1]).toBe(
      '<memory>#2: error pss/privileged Deployment apps/web: privileged (container "web" must not set securityContext.privileged=true); namespace "apps" enforces Pod Security "restricted"',
    );
    expect(lines[lines.length - 1]).toBe(
      '7 objects checked: 1 errors, 1 warnings, 0 infos, 1 unreadable input',
    );
  });

  test('SARIF: input errors become failed execution notifications; relative URIs under the base dir', () => {
    const sarif = checkReportSarif(
      { ...report, findings: [{ ...findings[0], file: '/repo/dist/app.k8s.yaml', line: 12 }] },
      '1.2.3',
      '/repo',
    ) as { runs: Array<Record<string, never>> };
    const run = sarif.runs[0] as unknown as {
      invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications: unknown[] }>;
      results: Array<{
        locations: Array<{
          physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
        }>;
      }>;
      tool: { driver: { version: string } };
    };
    expect(run.tool.driver.version).toBe('1.2.3');
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications).toHaveLength(1);
    expect(run.results[0].locations[0].physicalLocation).toMatchObject({
      artifactLocation: { uri: 'dist/app.k8s.yaml' },
      region: { startLine: 12 },
    });
  });
});
