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
import { loadManifests } from '../../../lib/manifest/load';
import { DEFAULT_DRUID_SERVICE_ACCOUNTS, DEFAULT_VAULT_SERVICE_ACCOUNT } from '../../../blueprints/hosts';
import { PLATFORM_ANALYTICS_SERVICE_ACCOUNTS, PLATFORM_DRUID_SERVICE_ACCOUNTS } from './fixtures';

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

  test('the service accounts the environments bind to cloud identities exist, and Druid runs as them', () => {
    const { manifests, errors } = loadManifests([dir]);
    expect(errors).toEqual([]);
    const objects = manifests.map((m) => m.object as unknown as KubeLike);
    const accounts = objects
      .filter((o) => o.kind === 'ServiceAccount')
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    const ref = (sa: { namespace: string; name: string }) => `${sa.namespace}/${sa.name}`;
    expect(DEFAULT_DRUID_SERVICE_ACCOUNTS.map(ref)).toEqual(PLATFORM_DRUID_SERVICE_ACCOUNTS);
    for (const sa of [
      ref(DEFAULT_VAULT_SERVICE_ACCOUNT),
      ...PLATFORM_DRUID_SERVICE_ACCOUNTS,
      ...PLATFORM_ANALYTICS_SERVICE_ACCOUNTS,
    ]) {
      expect(accounts).toContain(sa);
    }
    // Every Druid pod (historicals, indexers and the overlord use deep storage) runs as a bound account.
    const druidPods = objects.filter(
      (o) => o.metadata.namespace === 'druid' && o.spec?.template?.spec?.containers !== undefined,
    );
    expect(druidPods.length).toBeGreaterThan(0);
    for (const o of druidPods) {
      expect(PLATFORM_DRUID_SERVICE_ACCOUNTS).toContain(
        `druid/${o.spec?.template?.spec?.serviceAccountName}`,
      );
    }
  });
});

interface KubeLike {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: {
    readonly template?: {
      readonly spec?: { readonly containers?: unknown[]; readonly serviceAccountName?: string };
    };
  };
}
