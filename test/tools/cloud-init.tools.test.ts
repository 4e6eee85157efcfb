/**
 * The cloud-config and MIME user data the host blueprints render, checked with the real cloud-init:
 * `cloud-init schema --config-file` for cloud-config, and cloud-init's own user-data processor for the
 * EKS MIME multi-part archive.
 */
import { parse } from 'yaml';
import { KataRuntime } from '../../lib/sandbox';
import {
  AwsMetalNodePool,
  AzureNestedVirtScaleSet,
  LocalDiskLayout,
  LocalDisks,
  renderCloudConfig,
  renderJoinConfiguration,
  renderNodeScript,
  parseJoinCommand,
  hostPoolContract,
} from '../../blueprints/hosts';
import { installMocks, one, settle } from '../blueprints/hosts/mocks';
import { cloudInitPython, requireTool, run, tempFile } from './tools';

const JOIN =
  'kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:' +
  'e'.repeat(64);

beforeAll(() => {
  requireTool('cloud-init');
  installMocks();
});

function schema(name: string, cloudConfig: string): void {
  const file = tempFile(name, cloudConfig);
  const r = run('cloud-init', ['schema', '--config-file', file]);
  expect({ status: r.status, output: r.output.trim() }).toEqual({
    status: 0,
    output: `Valid cloud-config: ${file}`,
  });
}

describe('cloud-init schema over rendered cloud-config', () => {
  test('cloud-init rejects an invalid cloud-config (the check can fail)', () => {
    const file = tempFile(
      'bad.yaml',
      '#cloud-config\nwrite_files:\n  - content: x\n    permissions: 0644\nruncmd: 5\n',
    );
    const r = run('cloud-init', ['schema', '--config-file', file]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("'path' is a required property");
  });

  test('bootstrap with a JoinConfiguration (bare metal via cloud-init)', () => {
    const contract = hostPoolContract('x', [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR]);
    const join = renderJoinConfiguration({
      target: parseJoinCommand('x', JOIN),
      labels: contract.appliedLabels,
      taints: contract.taints,
    });
    const script = renderNodeScript({
      description: 'BareMetalNodePool "pxe"',
      localDisks: LocalDisks.devices(['/dev/nvme1n1', '/dev/nvme2n1'], LocalDiskLayout.RAID0),
      kubeadm: { kubernetesMinor: '1.33', installPackages: true },
    });
    const cc = renderCloudConfig({ script, joinConfiguration: join });
    schema('bootstrap-join.yaml', cc);
    expect(parse(cc).write_files[0].content).toBe(script);
  });

  test('bootstrap without joining', () => {
    schema(
      'bootstrap-only.yaml',
      renderCloudConfig({ script: renderNodeScript({ description: 'prepare only' }) }),
    );
  });

  test('the custom data of AzureNestedVirtScaleSet', async () => {
    new AzureNestedVirtScaleSet('ci-az', {
      resourceGroupName: 'rg',
      subnetId: 's',
      vmSize: 'Standard_D8s_v5',
      instanceCount: 2,
      joinCommand: JOIN,
      sshPublicKey: 'ssh-ed25519 AAAA',
    });
    await settle();
    const vmss = one('azure-native:compute:VirtualMachineScaleSet', 'ci-az-vmss');
    schema(
      'azure-custom-data.yaml',
      Buffer.from(vmss.inputs.virtualMachineProfile.osProfile.customData, 'base64').toString('utf8'),
    );
  });
});

describe("cloud-init's user-data processor over the EKS MIME user data", () => {
  test('parts and content types as cloud-init sees them', () => {
    const pool = new AwsMetalNodePool('ci-aws', {
      clusterName: 'c',
      nodeRoleArn: 'arn:aws:iam::123456789012:role/n',
      subnetIds: ['s'],
      securityGroupIds: ['sg'],
      instanceType: 'i3.metal',
      desiredSize: 1,
      nodeConfig: { kubelet: { config: { maxPods: 200 } } },
    });
    const file = tempFile('user-data.mime', pool.userData);
    const program = [
      'import sys, tempfile',
      'from cloudinit import helpers',
      'from cloudinit.user_data import UserDataProcessor',
      'd = tempfile.mkdtemp()',
      "msg = UserDataProcessor(helpers.Paths({'cloud_dir': d, 'run_dir': d})).process(open(sys.argv[1]).read())",
      'for p in msg.walk():',
      '    if not p.is_multipart():',
      '        body = p.get_payload(decode=True).decode()',
      '        print(p.get_content_type(), body.splitlines()[0])',
    ].join('\n');
    const r = run(cloudInitPython(), ['-c', program, file]);
    expect(r).toEqual({
      status: 0,
      output: 'text/x-shellscript #!/usr/bin/env bash\napplication/node.eks.aws ---\n',
    });
  });
});
