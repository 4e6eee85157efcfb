/**
 * The platform's Vault in namespace `vault`: three Raft servers in Kata VMs, TLS from the platform's
 * cert-manager ClusterIssuer, and auto-unseal with AWS KMS through IRSA, so restarts and node drains
 * need no key holders.
 */
import { App, Chart, Size } from 'cdk8s';
import { IssuerKind } from '../../lib/k8s/cert-manager';
import { restrictedNamespace } from '../../lib/k8s/namespace';
import { KataRuntime } from '../../lib/sandbox/runtime';
import { Sandbox } from '../../lib/sandbox/sandbox';
import {
  KataVaultCluster,
  VaultKmsCredentials,
  VaultSeal,
  VaultStorage,
  VaultTls,
} from '../../blueprints/workloads/vault';

/** Adds the `vault` chart (namespace `vault`) to the platform and returns the cluster. */
export function addVault(app: App): KataVaultCluster {
  const chart = new Chart(app, 'vault', { namespace: 'vault', disableResourceNameHashes: true });
  restrictedNamespace(chart, 'namespace', 'vault');
  return new KataVaultCluster(chart, 'vault', {
    replicas: 3,
    sandbox: Sandbox.kata(KataRuntime.QEMU),
    tls: VaultTls.certManager({ issuerName: 'platform-ca', issuerKind: IssuerKind.CLUSTER_ISSUER }),
    storage: VaultStorage.raft({ size: Size.gibibytes(20) }),
    seal: VaultSeal.awsKms({
      region: 'eu-west-1',
      kmsKeyId: 'alias/platform-vault-unseal',
      credentials: VaultKmsCredentials.workloadIdentity(
        'arn:aws:iam::123456789012:role/platform-vault-unseal',
      ),
    }),
    auditStorageSize: Size.gibibytes(10),
  });
}
