import { KATA_NODE_TAINT_KEY, KATA_RUNTIME_LABEL, KataRuntime } from '../../../lib/sandbox';
import { AwsMetalNodePool, KATA_HOST_LABEL, LocalDiskLayout, LocalDisks } from '../../../blueprints/hosts';
import { installMocks, one, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

const base = {
  clusterName: 'prod',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/nodes',
  subnetIds: ['subnet-a', 'subnet-b'],
};

function userDataOf(): string {
  const lt = one('aws:ec2/launchTemplate:LaunchTemplate');
  return Buffer.from(lt.inputs.userData, 'base64').toString('utf8');
}

describe('AwsMetalNodePool', () => {
  test('i3.metal: hardened launch template, labels and taints of the runtimes', async () => {
    const pool = new AwsMetalNodePool('kata', {
      ...base,
      instanceType: 'i3.metal',
      desiredSize: 2,
      minSize: 1,
      maxSize: 4,
      runtimes: [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR],
    });
    await settle();
    const lt = one('aws:ec2/launchTemplate:LaunchTemplate', 'kata-lt');
    expect(lt.inputs.instanceType).toBe('i3.metal');
    expect(lt.inputs.metadataOptions).toEqual({
      httpEndpoint: 'enabled',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
      instanceMetadataTags: 'disabled',
    });
    expect(lt.inputs.blockDeviceMappings[0].deviceName).toBe('/dev/xvda');
    expect(lt.inputs.blockDeviceMappings[0].ebs).toMatchObject({
      encrypted: 'true',
      volumeType: 'gp3',
      volumeSize: 100,
    });
    expect(lt.inputs.networkInterfaces[0]).toMatchObject({
      associatePublicIpAddress: 'false',
      securityGroups: ['sg-cluster'],
    });
    expect(lt.inputs.cpuOptions).toBeUndefined();

    const ng = one('aws:eks/nodeGroup:NodeGroup', 'kata-ng');
    expect(ng.inputs.amiType).toBe('AL2023_x86_64_STANDARD');
    expect(ng.inputs.instanceTypes).toBeUndefined();
    expect(ng.inputs.scalingConfig).toEqual({ desiredSize: 2, minSize: 1, maxSize: 4 });
    expect(ng.inputs.launchTemplate).toEqual({ id: 'kata-lt-id', version: '3' });
    expect(ng.inputs.labels).toEqual({ [KATA_RUNTIME_LABEL]: 'true', [KATA_HOST_LABEL]: 'true' });
    expect(ng.inputs.taints).toEqual([{ key: KATA_NODE_TAINT_KEY, value: 'true', effect: 'NO_SCHEDULE' }]);
    expect(pool.contract.kataDeployShims).toEqual(['clh', 'qemu']);

    const ud = userDataOf();
    expect(ud).toMatch(/^MIME-Version: 1.0\nContent-Type: multipart\/mixed; boundary="/);
    expect(ud).toContain('Content-Type: text/x-shellscript');
    expect(ud).toContain('modules+=(vhost vhost_net vhost_vsock)');
    expect(ud).toContain('Amazon EC2 NVMe Instance Storage');
    expect(ud).toContain('LOCAL_DISKS_ROOT=/mnt/disks');
  });

  test('c8i: nested virtualization switched on in the launch template', async () => {
    new AwsMetalNodePool('nested', {
      ...base,
      instanceType: 'c8i.4xlarge',
      desiredSize: 1,
      securityGroupIds: ['sg-1'],
    });
    await settle();
    const lt = one('aws:ec2/launchTemplate:LaunchTemplate');
    expect(lt.inputs.cpuOptions).toEqual({ nestedVirtualization: 'enabled' });
    expect(lt.inputs.networkInterfaces[0].securityGroups).toEqual(['sg-1']);
  });

  test('Graviton metal uses the arm64 AMI and refuses amd64-only shims', async () => {
    new AwsMetalNodePool('arm', {
      ...base,
      instanceType: 'c7g.metal',
      desiredSize: 1,
      runtimes: [KataRuntime.QEMU_RUNTIME_RS],
    });
    await settle();
    expect(one('aws:eks/nodeGroup:NodeGroup').inputs.amiType).toBe('AL2023_ARM_64_STANDARD');
    expect(
      () =>
        new AwsMetalNodePool('arm2', {
          ...base,
          instanceType: 'm7g.metal',
          desiredSize: 1,
          runtimes: [KataRuntime.FIRECRACKER],
        }),
    ).toThrow(/AwsMetalNodePool "arm2": runtimes\[0\] "kata-fc".*fc is amd64-only/);
  });

  test('RAID 0 layout and extra NodeConfig are rendered into the user data', async () => {
    new AwsMetalNodePool('raid', {
      ...base,
      instanceType: 'i4i.metal',
      desiredSize: 1,
      localDisks: LocalDisks.awsInstanceStore(LocalDiskLayout.RAID0),
      nodeConfig: { kubelet: { config: { maxPods: 250 } } },
    });
    await settle();
    const ud = userDataOf();
    expect(ud).toContain('mdadm --create "${md}" --level=0');
    expect(ud).toContain('Content-Type: application/node.eks.aws');
    expect(ud).toContain('kind: NodeConfig');
    expect(ud).toContain('maxPods: 250');
  });

  test.each([
    ['m5.xlarge', /instanceType "m5.xlarge" is not allowed; expected a bare-metal type/],
    ['t3.large', /a t3 VM has no \/dev\/kvm/],
    ['mac2.metal', /Mac bare metal runs only macOS/],
    ['metal', /instanceType "metal" is not allowed/],
  ])('refuses instance type %s', (instanceType, message) => {
    expect(() => new AwsMetalNodePool('bad', { ...base, instanceType, desiredSize: 1 })).toThrow(message);
  });

  test('refuses sizes outside min/max and an empty runtime list', () => {
    expect(
      () =>
        new AwsMetalNodePool('s', {
          ...base,
          instanceType: 'm5.metal',
          desiredSize: 5,
          minSize: 1,
          maxSize: 3,
        }),
    ).toThrow(
      'AwsMetalNodePool "s": desiredSize 5 is not allowed; expected a size between minSize (1) and maxSize (3)',
    );
    expect(() => new AwsMetalNodePool('s2', { ...base, instanceType: 'm5.metal', desiredSize: 1.5 })).toThrow(
      /desiredSize 1.5/,
    );
    expect(
      () =>
        new AwsMetalNodePool('s3', {
          ...base,
          instanceType: 'm5.metal',
          desiredSize: 1,
          minSize: 3,
          maxSize: 2,
        }),
    ).toThrow(/minSize 3 is not allowed; expected at most maxSize \(2\)/);
    expect(
      () => new AwsMetalNodePool('e', { ...base, instanceType: 'm5.metal', desiredSize: 1, runtimes: [] }),
    ).toThrow(/AwsMetalNodePool "e": runtimes \[\] is not allowed; expected at least one KataRuntime/);
    expect(
      () =>
        new AwsMetalNodePool('p', {
          ...base,
          instanceType: 'm5.metal',
          desiredSize: 1,
          runtimes: [KataRuntime.AKS_VM_ISOLATION],
        }),
    ).toThrow(/runtimes\[0\] "kata-vm-isolation".*platform-managed/);
  });
});
