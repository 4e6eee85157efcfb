/** Helpers of the tool-backed tests: run a real tool, failing (never skipping) when it is missing. */
import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** What a tool run produced. */
export interface ToolRun {
  /** Exit status. */
  readonly status: number;
  /** stdout and stderr together. */
  readonly output: string;
}

/** The Debian package that provides each tool. */
const PACKAGES: Record<string, string> = { shellcheck: 'shellcheck', 'cloud-init': 'cloud-init' };

/** Finds a tool on PATH or throws, naming the apt package to install. */
export function requireTool(tool: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new Error(
      `${tool} is not installed; install it with: apt-get install -y ${PACKAGES[tool] ?? tool}`,
    );
  }
  return path;
}

/** Runs a tool and returns its status and output. */
export function run(tool: string, args: readonly string[], input?: string): ToolRun {
  const r = spawnSync(tool, [...args], { encoding: 'utf8', input });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Writes text to a new temporary file and returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kata-tools-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The Python interpreter cloud-init runs under (from the shebang of the cloud-init command). */
export function cloudInitPython(): string {
  const first = readFileSync(requireTool('cloud-init'), 'utf8').split('\n')[0];
  const m = /^#!\s*(\S+)/.exec(first);
  if (!m) throw new Error(`cannot find cloud-init's interpreter in "${first}"`);
  return m[1];
}
