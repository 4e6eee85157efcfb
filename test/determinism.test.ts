/** The same code synthesizes byte-identical YAML: every example, built twice. */
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import type { App } from 'cdk8s';

const examplesDir = join(__dirname, '..', 'examples');
const names = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(examplesDir, d.name, 'app.ts')))
  .map((d) => d.name)
  .sort();

test('there are examples to compare', () => {
  expect(names).toEqual(expect.arrayContaining(['platform', 'microservice', 'vault', 'kafka', 'spark']));
});

test.each(names)('examples/%s synthesizes byte-identical YAML twice', (name) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildApp } = require(join(examplesDir, name, 'app.ts')) as { buildApp: (outdir: string) => App };
  const first = buildApp('/nonexistent').synthYaml();
  const second = buildApp('/nonexistent').synthYaml();
  expect(first.length).toBeGreaterThan(0);
  expect(second).toBe(first);
});
