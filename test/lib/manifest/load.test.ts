import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  findPlaceholder,
  formatInputError,
  InputErrorReason,
  isManifestFileName,
  loadManifests,
  parseManifests,
} from '../../../lib/manifest/load';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kb-load-'));
}

const POD =
  'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers: [{name: c, image: busybox:1.36}]\n';

describe('parseManifests', () => {
  test('multi-document YAML: document index and start line per document, empty documents skipped', () => {
    const text = `# header\n${POD}---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n`;
    const r = parseManifests(text, 'x.yaml');
    expect(r.errors).toEqual([]);
    expect(r.manifests.map((m) => [m.object.kind, m.documentIndex, m.line])).toEqual([
      ['Pod', 0, 2],
      ['ConfigMap', 2, 10],
    ]);
    expect(r.manifests[0].file).toBe('x.yaml');
  });

  test('JSON and kind: List are read; List items keep their own line', () => {
    const json = parseManifests(
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }),
      'n.json',
    );
    expect(json.manifests[0].object.kind).toBe('Namespace');
    const list = parseManifests(
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n',
      'l.yaml',
    );
    expect(list.manifests.map((m) => [m.object.metadata?.name, m.line])).toEqual([
      ['a', 4],
      ['b', 7],
    ]);
  });

  test('YAML that does not parse: file, line and column, no throw', () => {
    const r = parseManifests(`${POD}---\nkind: Pod\nmetadata:\n  name: [unclosed\n`, 'bad.yaml');
    expect(r.manifests).toHaveLength(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'bad.yaml', reason: InputErrorReason.PARSE, documentIndex: 1 });
    expect(r.errors[0].line).toBeGreaterThanOrEqual(9);
    expect(formatInputError(r.errors[0])).toMatch(/^bad\.yaml:\d+:\d+: YAML does not parse/);
  });

  test('duplicate keys are a parse error', () => {
    const r = parseManifests('apiVersion: v1\nkind: Pod\nkind: Service\n', 'dup.yaml');
    expect(r.errors[0].reason).toBe(InputErrorReason.PARSE);
    expect(r.errors[0].line).toBe(3);
  });

  test('documents that are not Kubernetes objects', () => {
    const r = parseManifests('a: 1\n---\n- x\n---\nkind: Pod\n', 'n.yaml');
    expect(r.errors.map((e) => [e.reason, e.documentIndex])).toEqual([
      [InputErrorReason.NOT_KUBERNETES, 0],
      [InputErrorReason.NOT_KUBERNETES, 1],
      [InputErrorReason.NOT_KUBERNETES, 2],
    ]);
    expect(r.errors[2].message).toContain('missing apiVersion');
  });

  test('unrendered ${VAR} and $VAR placeholders are unreadable input; shell variables in scripts are not', () => {
    const tpl = parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${POD_NAME}\n', 't.yaml.in');
    expect(tpl.errors[0]).toMatchObject({ reason: InputErrorReason.PLACEHOLDER, line: 1 });
    expect(tpl.errors[0].message).toContain('${POD_NAME} at metadata.name');
    const env = parseManifests(
      'apiVersion: v1\nkind: Pod\nspec:\n  runtimeClassName: $RUNTIMECLASS\n',
      'e.yaml',
    );
    expect(env.errors[0].reason).toBe(InputErrorReason.PLACEHOLDER);
    const script = parseManifests(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sh, -c, \'echo "${HOME}" $PATH\']\n',
      's.yaml',
    );
    expect(script.errors).toEqual([]);
    expect(findPlaceholder({ image: 'repo/${TAG}' })).toEqual({ path: 'image', value: '${TAG}' });
    expect(findPlaceholder({ data: { script: 'x=${y}' } })).toBeUndefined();
  });
});

describe('loadManifests', () => {
  test('files and folders, walked in sorted order; hidden entries skipped; non-manifest files reported', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'b.yaml'), POD.replace('name: a', 'name: b'));
    writeFileSync(join(dir, 'a.yml'), POD);
    writeFileSync(
      join(dir, 'sub', 'c.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }),
    );
    writeFileSync(join(dir, '.git', 'config.yaml'), 'not: kubernetes\n');
    writeFileSync(join(dir, 'README.md'), '# hi\n');
    const r = loadManifests([dir]);
    expect(r.manifests.map((m) => m.object.metadata?.name)).toEqual(['a', 'b', 'c']);
    expect(r.errors.map((e) => [e.reason, e.file])).toEqual([
      [InputErrorReason.NOT_MANIFEST_FILE, join(dir, 'README.md')],
    ]);
  });

  test('a missing path is reported, not thrown', () => {
    const r = loadManifests(['/no/such/file.yaml']);
    expect(r.manifests).toEqual([]);
    expect(r.errors).toEqual([
      {
        file: '/no/such/file.yaml',
        reason: InputErrorReason.NOT_FOUND,
        message: 'cannot read: no such file or directory',
      },
    ]);
  });

  test('a file given explicitly is parsed whatever its name', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'manifest.txt'), POD);
    expect(loadManifests([join(dir, 'manifest.txt')]).manifests).toHaveLength(1);
    expect(isManifestFileName('x.yaml.in')).toBe(true);
    expect(isManifestFileName('Dockerfile')).toBe(false);
  });
});
