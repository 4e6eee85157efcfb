/** The cdk8s validation plugin: against a recording context, and once through the real `cdk8s synth`. */
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { stringify } from 'yaml';
import { KataBlueprintsValidation, PluginValidationContext, PluginViolation } from '../../../lib/check';
import { compliantApp, container } from './fixtures';

const ROOT = resolve(__dirname, '../../..');

function recordingContext(manifests: string[]): PluginValidationContext & {
  violations: PluginViolation[];
  status?: string;
  metadata?: Record<string, string>;
} {
  const ctx = {
    manifests,
    violations: [] as PluginViolation[],
    status: undefined as string | undefined,
    metadata: undefined as Record<string, string> | undefined,
    report: {
      addViolation: (v: PluginViolation) => void ctx.violations.push(v),
      submit: (status: 'success' | 'failure', metadata?: { readonly [key: string]: string }) => {
        ctx.status = status;
        ctx.metadata = { ...metadata };
      },
    },
    logger: { log: () => undefined },
  };
  return ctx;
}

function manifestFile(objects: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kb-plugin-'));
  const file = join(dir, 'app.k8s.yaml');
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  return file;
}

describe('KataBlueprintsValidation', () => {
  test('success for a compliant app', async () => {
    const ctx = recordingContext([manifestFile(compliantApp())]);
    await new KataBlueprintsValidation({ level: 'restricted' }).validate(ctx);
    expect(ctx.status).toBe('success');
    expect(ctx.violations).toEqual([]);
    expect(ctx.metadata).toMatchObject({ objects: '7', errors: '0', warnings: '0' });
  });

  test('failure on an error; one violation per rule with the resources, locations and fix', async () => {
    const objects = compliantApp();
    container(objects).securityContext.privileged = true;
    const file = manifestFile(objects);
    const ctx = recordingContext([file]);
    await new KataBlueprintsValidation({}).validate(ctx);
    expect(ctx.status).toBe('failure');
    expect(ctx.violations.map((v) => v.ruleName)).toEqual([
      'kata/privileged (warning)',
      'pss/privileged (error)',
    ]);
    const pss = ctx.violations[1];
    expect(pss.fix).toContain('Remove securityContext.privileged');
    expect(pss.violatingResources).toEqual([
      {
        resourceName: 'web',
        manifestPath: file,
        locations: [
          expect.stringContaining(
            'Deployment apps/web spec.template.spec.containers[0].securityContext.privileged: privileged',
          ),
        ],
      },
    ]);
  });

  test('warnings fail only with failOnWarnings; reportSeverity error hides them', async () => {
    const objects = compliantApp();
    container(objects).image = 'nginx:latest';
    const file = manifestFile(objects);
    const lenient = recordingContext([file]);
    await new KataBlueprintsValidation({}).validate(lenient);
    expect(lenient.status).toBe('success');
    expect(lenient.violations.map((v) => v.ruleName)).toEqual(['prod/image-tag (warning)']);
    const strict = recordingContext([file]);
    await new KataBlueprintsValidation({ failOnWarnings: true }).validate(strict);
    expect(strict.status).toBe('failure');
    const quiet = recordingContext([file]);
    await new KataBlueprintsValidation({ reportSeverity: 'error' }).validate(quiet);
    expect(quiet.violations).toEqual([]);
  });

  test('runtimeClasses as a comma-separated string; unreadable manifests fail', async () => {
    const objects = compliantApp().filter((o) => o.kind !== 'RuntimeClass');
    const ctx = recordingContext([manifestFile(objects)]);
    await new KataBlueprintsValidation({ runtimeClasses: 'kata-clh, kata-fc' }).validate(ctx);
    expect(ctx.violations.map((v) => v.ruleName)).toEqual(['kata/unknown-runtime-class (error)']);
    const missing = recordingContext(['/no/such/manifest.k8s.yaml']);
    await new KataBlueprintsValidation({}).validate(missing);
    expect(missing.status).toBe('failure');
    expect(missing.violations[0].ruleName).toBe('input/unreadable');
  });

  test('bad properties fail with the property name', () => {
    expect(() => new KataBlueprintsValidation({ level: 'strict' })).toThrow(
      'KataBlueprintsValidation: level "strict" is not allowed',
    );
    expect(() => new KataBlueprintsValidation({ disabledRules: ['x/y'] })).toThrow(
      'disabledRules entry "x/y" is not a rule id',
    );
    expect(() => new KataBlueprintsValidation({ reportSeverity: 'fatal' })).toThrow('reportSeverity "fatal"');
  });
});

describe('cdk8s synth with the plugin (real cdk8s-cli)', () => {
  test('a validations: entry referencing the plugin by local path runs the checks and fails synth on an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-synth-'));
    mkdirSync(join(dir, 'plugin'));
    // the plugin package: a local directory (cdk8s-cli loads absolute paths directly) that loads the TypeScript sources
    writeFileSync(
      join(dir, 'plugin', 'index.js'),
      [
        `require(${JSON.stringify(join(ROOT, 'node_modules', 'ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(join(ROOT, 'tsconfig.json'))} });`,
        `module.exports = require(${JSON.stringify(join(ROOT, 'lib', 'check', 'plugin.ts'))});`,
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'app.js'),
      [
        `const { App, Chart, ApiObject } = require(${JSON.stringify(join(ROOT, 'node_modules', 'cdk8s'))});`,
        'const app = new App();',
        "const chart = new Chart(app, 'demo', { namespace: 'apps' });",
        "new ApiObject(chart, 'pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [{ name: 'c', image: 'nginx:1.27.0', securityContext: { privileged: true } }] } });",
        'app.synth();',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'cdk8s.yaml'),
      stringify({
        language: 'typescript',
        app: 'node app.js',
        output: 'dist',
        validations: [
          {
            package: join(dir, 'plugin'),
            version: '0.1.0',
            class: 'KataBlueprintsValidation',
            properties: { level: 'baseline' },
          },
        ],
      }),
    );
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
      timeout: 120_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status).not.toBe(0);
    expect(out).toContain('Validation failed');
    expect(out).toMatch(/Status\s*│\s*failure/);
    expect(out).toContain('pss/privileged (error)');
    expect(out).toContain('Construct Path: demo/pod');
    expect(out).toContain('namespace "apps" enforces Pod Security "baseline"');
    expect(existsSync(join(dir, 'dist', 'demo.k8s.yaml'))).toBe(true);
  });
});
