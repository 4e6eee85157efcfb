import { buildProgram, packageVersion, runCli } from '../../../lib/cli/main';

describe('kata-blueprints CLI', () => {
  let out: string;
  let spy: jest.SpyInstance;
  beforeEach(() => {
    out = '';
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out += String(s);
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  test('--help names the command and exits 0', async () => {
    expect(await runCli(['--help'])).toBe(0);
    expect(out).toContain('Usage: kata-blueprints');
  });

  test('--version prints the package version', async () => {
    expect(await runCli(['--version'])).toBe(0);
    expect(out.trim()).toBe(packageVersion());
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('an unknown command exits 2', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['no-such-command'])).toBe(2);
    err.mockRestore();
  });

  test('program name', () => {
    expect(buildProgram().name()).toBe('kata-blueprints');
  });
});
