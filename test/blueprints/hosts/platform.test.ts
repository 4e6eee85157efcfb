/**
 * The example platform's synthesized output against the host pools an environment would build for it:
 * the contract between the cdk8s side (RuntimeClasses, kata-deploy) and the Pulumi side (pool labels and taints).
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { buildApp, PLATFORM_RUNTIMES } from '../../../examples/platform/app';
import {
  CpuArchitecture,
  RuntimeInstaller,
  hostPoolContract,
  preflightWorkloads,
} from '../../../blueprints/hosts';
import { KataRuntime } from '../../../lib/sandbox';

describe('the example platform on kata-blueprints host pools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kata-platform-'));
  beforeAll(() => buildApp(dir).synth());

  test('pools serving the platform runtimes serve every runtime class the platform uses', () => {
    const pools = [{ poolName: 'metal', contract: hostPoolContract('metal', PLATFORM_RUNTIMES) }];
    const pre = preflightWorkloads('platform', dir, pools);
    expect(pre.uses.length).toBeGreaterThan(0);
    for (const use of pre.uses) expect(PLATFORM_RUNTIMES.map((r) => r.name)).toContain(use.runtimeClassName);
  });

  test('a pool without the platform runtimes is refused', () => {
    const fcOnly = [
      {
        poolName: 'fc',
        contract: hostPoolContract('fc', [KataRuntime.FIRECRACKER], { architecture: CpuArchitecture.AMD64 }),
      },
    ];
    expect(() => preflightWorkloads('platform', dir, fcOnly)).toThrow(
      /runtimeClassName "kata-[a-z-]+" is not allowed; expected a runtime class served by one of the node pools \(kata-fc \(pool fc\)\)/,
    );
    const aks = [
      {
        poolName: 'aks',
        contract: hostPoolContract('aks', [KataRuntime.AKS_VM_ISOLATION], {
          installer: RuntimeInstaller.PLATFORM,
        }),
      },
    ];
    expect(() => preflightWorkloads('platform', dir, aks)).toThrow(
      /served by one of the node pools \(kata-vm-isolation \(pool aks\)\)/,
    );
  });
});
