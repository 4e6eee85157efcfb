/**
 * Bare-metal Kata nodes: machines reached over SSH are prepared (kernel modules, containerd, local
 * NVMe volumes) and joined to an existing kubeadm cluster with the Kata labels and taints; then
 * kata-deploy and the synthesized manifests are applied to the cluster.
 *
 * In your own repository import from 'kata-blueprints/hosts' instead of the relative path.
 */
import * as path from 'path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime } from '../../../lib/sandbox';
import { BareMetalNodePool, KataWorkloads, LocalDiskLayout, LocalDisks } from '../../../blueprints/hosts';

interface HostConfig {
  readonly address: string;
  readonly user?: string;
  readonly port?: number;
  readonly hostKey?: string;
}

const config = new pulumi.Config();
const sshPrivateKey = config.requireSecret('sshPrivateKey');
const disks = config.getObject<string[]>('localDisks') ?? [];

const pool = new BareMetalNodePool('metal', {
  hosts: config.requireObject<HostConfig[]>('hosts').map((h) => ({ ...h, privateKey: sshPrivateKey })),
  joinCommand: config.requireSecret('joinCommand'),
  runtimes: [KataRuntime.QEMU, KataRuntime.QEMU_RUNTIME_RS, KataRuntime.CLOUD_HYPERVISOR],
  kubernetesVersion: '1.33',
  localDisks: disks.length > 0 ? LocalDisks.devices(disks, LocalDiskLayout.PER_DISK) : LocalDisks.none(),
});

const provider = new k8s.Provider('cluster', { kubeconfig: config.requireSecret('kubeconfig') });

const workloads = new KataWorkloads(
  'platform',
  {
    provider,
    pools: [pool],
    manifestsDir: path.resolve(__dirname, config.get('manifestsDir') ?? '../../../dist'),
  },
  { dependsOn: [...pool.bootstraps] },
);

export const nodeLabels = pool.contract.labels;
export const nodeTaints = pool.contract.taints;
export const runtimeClassesInUse = workloads.runtimeClassUses.map((u) => u.runtimeClassName);
