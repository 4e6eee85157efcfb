/** `kata-blueprints check`: formats and exit codes, through the real CLI entry point (runCli). */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { ALL_RULES } from '../../../lib/check';
import { runCli } from '../../../lib/cli/main';
import { compliantApp, container } from './fixtures';
import { corpusDir } from './corpus';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await runCli(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function writeYaml(objects: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kb-cli-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  return file;
}

describe('kata-blueprints check', () => {
  const good = writeYaml(compliantApp());
  const badObjects = compliantApp();
  container(badObjects).securityContext.privileged = true;
  const bad = writeYaml(badObjects);

  test('exit 0 without errors, with a summary line', async () => {
    const r = await cli('check', good);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('7 objects checked: 0 errors, 0 warnings, 0 infos\n');
  });

  test('exit 1 with an error finding; text lines carry file:line, rule, object and fix', async () => {
    const r = await cli('check', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: error pss/privileged Deployment apps/web: privileged`,
        'm',
      ),
    );
    expect(r.stdout).toContain('    fix: Remove securityContext.privileged');
    expect(r.stdout).toContain('warning kata/privileged');
  });

  test('--format json: findings with rule, severity, file, kind, namespace, name, message, and a summary', async () => {
    const r = await cli('check', bad, '--format', 'json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    const f = json.findings.find((x: { rule: string }) => x.rule === 'pss/privileged');
    expect(f).toMatchObject({
      severity: 'error',
      file: bad,
      kind: 'Deployment',
      namespace: 'apps',
      name: 'web',
      documentIndex: 2,
    });
    expect(typeof f.message).toBe('string');
    expect(typeof f.line).toBe('number');
    expect(json.summary).toMatchObject({ objects: 7, errors: 1, warnings: 1, infos: 0, inputErrors: 0 });
    expect(json.summary.byRule).toEqual({ 'kata/privileged': 1, 'pss/privileged': 1 });
  });

  test('--format sarif: SARIF 2.1.0 with every rule and located results', async () => {
    const r = await cli('check', bad, '--format', 'sarif');
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout);
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('kata-blueprints');
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(ALL_RULES.map((x) => x.id));
    for (const rule of run.tool.driver.rules) expect(rule.help.text.length).toBeGreaterThan(20);
    const result = run.results.find((x: { ruleId: string }) => x.ruleId === 'pss/privileged');
    expect(result.level).toBe('error');
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe('pss/privileged');
    const loc = result.locations[0].physicalLocation;
    expect(loc.artifactLocation.uri).toMatch(/app\.yaml$/);
    expect(loc.region.startLine).toBeGreaterThan(1);
    expect(run.invocations[0].executionSuccessful).toBe(true);
  });

  test('--level baseline and --runtime-classes change the verdict', async () => {
    const objs = compliantApp().filter((o) => o.kind !== 'Namespace' && o.kind !== 'RuntimeClass');
    delete objs.find((o) => o.kind === 'Deployment').spec.template.spec.securityContext.seccompProfile;
    const file = writeYaml(objs);
    expect((await cli('check', file)).code).toBe(1);
    expect((await cli('check', file, '--level', 'baseline')).code).toBe(0);
    const unknown = await cli('check', file, '--level', 'baseline', '--runtime-classes', 'kata-clh');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('kata/unknown-runtime-class');
    expect(
      (await cli('check', file, '--level', 'baseline', '--runtime-classes', 'kata-clh,kata-qemu')).code,
    ).toBe(0);
    expect((await cli('check', file, '--disable', 'pss/seccomp-profile-restricted')).code).toBe(0);
  });

  test('exit 2 for a missing file, without a stack trace', async () => {
    const r = await cli('check', '/no/such/dir');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('/no/such/dir: cannot read: no such file or directory');
    expect(r.stdout + r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  test('exit 2 for YAML that does not parse, naming file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-cli-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n');
    const r = await cli('check', file, '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`broken\\.yaml:\\d+:\\d+: YAML does not parse`));
    expect(JSON.parse(r.stdout).inputErrors[0]).toMatchObject({ file, reason: 'parse' });
  });

  test('exit 2 for bad options or no input', async () => {
    expect((await cli('check', good, '--level', 'strict')).code).toBe(2);
    expect((await cli('check', good, '--format', 'xml')).code).toBe(2);
    const noInput = await cli('check');
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain('no input');
    const badRule = await cli('check', good, '--disable', 'pss/nope');
    expect(badRule.code).toBe(2);
    expect(badRule.stderr).toContain('"pss/nope" is not a rule id');
  });

  test('the Kata CI corpus: unreadable files are reported by name, nothing crashes', async () => {
    const r = await cli(
      'check',
      join(corpusDir(), 'kata-workloads'),
      '--level',
      'privileged',
      '--format',
      'json',
    );
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout);
    expect(json.summary.objects).toBeGreaterThan(80);
    expect(json.inputErrors.map((e: { file: string }) => e.file).join('\n')).toContain(
      'default-initdata.toml',
    );
    expect(r.stderr).toContain('default-initdata.toml');
  });

  test('--list-rules prints every rule', async () => {
    const md = await cli('check', '--list-rules');
    expect(md.code).toBe(0);
    for (const r of ALL_RULES) expect(md.stdout).toContain(`\`${r.id}\``);
    const json = await cli('check', '--list-rules', '--format', 'json');
    expect(JSON.parse(json.stdout)).toHaveLength(ALL_RULES.length);
  });

  test('exit codes do not leak into the process', async () => {
    await cli('check', bad);
    expect(process.exitCode).toBeUndefined();
  });
});
