/**
 * Every shell script the host blueprints render, checked with the real shellcheck (all optional
 * checks on) and `bash -n`.
 */
import { KataRuntime } from '../../lib/sandbox';
import {
  AwsMetalNodePool,
  AzureNestedVirtScaleSet,
  BareMetalNodePool,
  LocalDiskLayout,
  LocalDisks,
  MIME_BOUNDARY,
  renderNodeScript,
  renderRemoteBootstrapCommand,
  renderRemoteResetCommand,
} from '../../blueprints/hosts';
import { installMocks, settle } from '../blueprints/hosts/mocks';
import { requireTool, run, tempFile } from './tools';

const JOIN =
  'kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:' +
  'c'.repeat(64);

beforeAll(() => {
  requireTool('shellcheck');
  installMocks();
});
afterAll(settle);

function shellcheck(name: string, script: string, shell = 'bash'): void {
  const file = tempFile(name, script);
  const sc = run('shellcheck', ['--shell', shell, '--enable', 'all', '--severity', 'style', file]);
  expect({ file: name, status: sc.status, output: sc.output }).toEqual({ file: name, status: 0, output: '' });
  const syntax = run(shell, ['-n', file]);
  expect(syntax).toEqual({ status: 0, output: '' });
}

/** The shell-script part of a MIME multi-part user data. */
function shellPart(userData: string): string {
  const parts = userData.split(`--${MIME_BOUNDARY}`);
  const part = parts.find((p) => p.includes('Content-Type: text/x-shellscript'));
  if (!part) throw new Error('no shell script part in the user data');
  return `${part.slice(part.indexOf('\n\n') + 2).replace(/\n$/, '')}\n`;
}

describe('shellcheck over rendered host scripts', () => {
  test('shellcheck itself rejects a broken script (the check can fail)', () => {
    const file = tempFile('broken.sh', '#!/usr/bin/env bash\nfor f in $(ls *.txt); do echo $f; done\n');
    expect(run('shellcheck', ['--shell', 'bash', file]).status).not.toBe(0);
  });

  test('AWS user data (instance store, per disk) from AwsMetalNodePool', () => {
    const pool = new AwsMetalNodePool('sc-aws', {
      clusterName: 'c',
      nodeRoleArn: 'arn:aws:iam::123456789012:role/n',
      subnetIds: ['s'],
      securityGroupIds: ['sg'],
      instanceType: 'i3.metal',
      desiredSize: 1,
    });
    shellcheck('aws-user-data.sh', shellPart(pool.userData));
  });

  test('AWS user data with a RAID 0 of the instance store', () => {
    const pool = new AwsMetalNodePool('sc-aws-raid', {
      clusterName: 'c',
      nodeRoleArn: 'arn:aws:iam::123456789012:role/n',
      subnetIds: ['s'],
      securityGroupIds: ['sg'],
      instanceType: 'i4i.metal',
      desiredSize: 1,
      localDisks: LocalDisks.awsInstanceStore(LocalDiskLayout.RAID0),
      nodeConfig: { kubelet: { config: { maxPods: 200 } } },
    });
    shellcheck('aws-raid0.sh', shellPart(pool.userData));
  });

  test('bare-metal bootstrap (packages, containerd, named disks, kubeadm join)', () => {
    const pool = new BareMetalNodePool('sc-bm', {
      hosts: [{ address: '10.0.1.1', privateKey: 'k' }],
      joinCommand: JOIN,
      runtimes: [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR],
      localDisks: LocalDisks.devices(
        ['/dev/nvme1n1', '/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0T123456'],
        LocalDiskLayout.PER_DISK,
      ),
    });
    shellcheck('baremetal.sh', pool.script);
  });

  test('bare-metal bootstrap without package installation, RAID 0', () => {
    shellcheck(
      'baremetal-noinstall.sh',
      renderNodeScript({
        description: 'BareMetalNodePool "x"',
        localDisks: LocalDisks.devices(['/dev/sdb', '/dev/sdc'], LocalDiskLayout.RAID0),
        kubeadm: { kubernetesMinor: '1.32', installPackages: false },
      }),
    );
  });

  test('Azure scale set bootstrap', () => {
    const vmss = new AzureNestedVirtScaleSet('sc-az', {
      resourceGroupName: 'rg',
      subnetId: 's',
      vmSize: 'Standard_D8s_v5',
      instanceCount: 1,
      joinCommand: JOIN,
      sshPublicKey: 'ssh-ed25519 AAAA',
    });
    shellcheck('azure-vmss.sh', vmss.script);
  });

  test('the minimal script (modules only)', () => {
    shellcheck('minimal.sh', renderNodeScript({ description: 'modules only' }));
  });

  test('remote bootstrap and reset commands (POSIX sh, as the SSH login shell runs them)', () => {
    const sha = 'd'.repeat(64);
    shellcheck(
      'remote-bootstrap-sudo.sh',
      `#!/bin/sh\n${renderRemoteBootstrapCommand('/var/tmp/kata-blueprints/bootstrap.sh', sha, true)}`,
      'sh',
    );
    shellcheck(
      'remote-bootstrap-root.sh',
      `#!/bin/sh\n${renderRemoteBootstrapCommand('/var/tmp/kata-blueprints/bootstrap.sh', sha, false)}`,
      'sh',
    );
    shellcheck('remote-reset.sh', `#!/bin/sh\n${renderRemoteResetCommand(true)}`, 'sh');
  });
});
