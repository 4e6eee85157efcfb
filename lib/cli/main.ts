#!/usr/bin/env node
/** The `kata-blueprints` command. */
import { existsSync, readFileSync } from 'fs';
import { dirname, join } from 'path';
import { Command } from 'commander';
import { registerCommands } from './commands';

/** The package version, read from the nearest kata-blueprints package.json (works from lib/ and dist-lib/). */
export function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kata-blueprints' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

/** Builds the CLI program (exported for tests). */
export function buildProgram(): Command {
  const version = packageVersion();
  const program = new Command('kata-blueprints')
    .description('Blueprints, checks and capacity planning for workloads that run inside Kata Containers VMs')
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/**
 * Runs the CLI with `argv` and returns the exit code. Commands report their exit code by setting
 * `process.exitCode`; it is read here and restored afterwards, so that several runs in one process
 * (tests) do not leak exit codes into each other or into the host process.
 */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    )
      return 0;
    if (typeof err.exitCode === 'number') return err.exitCode === 1 ? 2 : err.exitCode;
    process.stderr.write(`kata-blueprints: ${err.message ?? String(e)}\n`);
    return 2;
  } finally {
    process.exitCode = previousExitCode;
  }
}

if (require.main === module) {
  // exitCode rather than process.exit(): exit() would cut off output still queued for a pipe (large JSON/SARIF reports)
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`kata-blueprints: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
