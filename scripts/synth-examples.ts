/**
 * Synthesizes every cdk8s example (`examples/<name>/app.ts` exporting `buildApp`) to
 * `dist/examples/<name>/`, and the platform to `dist/` as well. Pulumi examples (`examples/hosts`) are skipped.
 */
import { existsSync, readdirSync, rmSync } from 'fs';
import { join, resolve } from 'path';

const root = resolve(__dirname, '..');
const examplesDir = join(root, 'examples');
const names = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(examplesDir, d.name, 'app.ts')))
  .map((d) => d.name)
  .sort();

let count = 0;
for (const name of names) {
  const outdir = name === 'platform' ? join(root, 'dist') : join(root, 'dist', 'examples', name);
  if (name !== 'platform') rmSync(outdir, { recursive: true, force: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(examplesDir, name, 'app.ts')) as {
    buildApp: (outdir: string) => { synth(): void };
  };
  mod.buildApp(outdir).synth();
  count++;
  process.stdout.write(`synthesized ${name} -> ${outdir}\n`);
}
process.stdout.write(`${count} examples synthesized\n`);
