/**
 * Every example app (`examples/<name>/app.ts` exporting `buildApp(outdir)`) synthesizes in memory to
 * objects that pass the project's own checks with zero error findings.
 */
import { existsSync, mkdtempSync, readdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { App } from 'cdk8s';
import { checkManifests, findingLocation, manifestsFromApp, Severity } from '../lib/check';

const EXAMPLES = join(__dirname, '..', 'examples');
const NAMES = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES, d.name, 'app.ts')))
  .map((d) => d.name)
  .sort();

describe('examples pass the checks', () => {
  test('there are examples, the platform among them', () => {
    expect(NAMES).toContain('platform');
  });

  test.each(NAMES)('%s: zero error findings', (name) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(EXAMPLES, name, 'app.ts')) as { buildApp: (outdir?: string) => App };
    const app = mod.buildApp(mkdtempSync(join(tmpdir(), `kb-example-${name}-`)));
    const objects = manifestsFromApp(app);
    expect(objects.length).toBeGreaterThan(0);
    const errors = checkManifests(objects).filter((f) => f.severity === Severity.ERROR);
    const listing = errors
      .map((f) => `${findingLocation(f)} ${f.rule} ${f.kind} ${f.namespace ?? ''}/${f.name}: ${f.message}`)
      .join('\n');
    expect(listing).toBe('');
  });
});
