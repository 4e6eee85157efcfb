/**
 * A highly available Vault the way a platform team would run it on its own: three servers in Kata
 * VMs with integrated storage (Raft), a cert-manager certificate for every hop, Shamir unseal keys held
 * by people, an audit volume, and client access from the `apps` namespace only.
 * `npm run synth:examples` writes it to dist/examples/vault/.
 *
 * Before applying: cert-manager must be installed and the Issuer `vault-ca` must exist in namespace
 * `vault` (the Vault section of README.md shows a CA Issuer). After applying: initialise and unseal as described
 * there.
 */
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { KataVaultCluster, VaultStorage, VaultTls } from '../../blueprints/workloads/vault';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { NetworkPeer } from '../../lib/k8s/network';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';

/** Builds the example (charts only; the caller synthesizes). */
export function buildApp(outdir = 'dist/examples/vault'): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'vault', { namespace: 'vault', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'vault');

  const vault = new KataVaultCluster(chart, 'vault', {
    replicas: 3,
    sandbox: Sandbox.kata(KataRuntime.QEMU),
    tls: VaultTls.certManager({ issuerName: 'vault-ca', extraDnsNames: ['vault.example.com'] }),
    storage: VaultStorage.raft({ size: Size.gibibytes(20), storageClassName: 'ssd' }),
    auditStorageSize: Size.gibibytes(10),
    resources: {
      cpu: { request: Cpu.millis(500), limit: Cpu.units(2) },
      memory: { request: Size.gibibytes(2), limit: Size.gibibytes(2) },
    },
  });

  // Applications in namespace `apps` may call Vault; Prometheus scrapes /v1/sys/metrics with a token.
  vault.connections.allowFrom(NetworkPeer.namespace('apps'));
  vault.connections.allowFrom(NetworkPeer.namespace('monitoring'));
  return app;
}
