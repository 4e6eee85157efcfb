/** The Pulumi example programs under examples/hosts, run under mocks with a sample configuration. */
import * as pulumi from '@pulumi/pulumi';
import {
  PLATFORM_ANALYTICS_SERVICE_ACCOUNTS as PLATFORM_ANALYTICS,
  PLATFORM_DRUID_SERVICE_ACCOUNTS as PLATFORM_DRUID,
  deployment,
  manifestDir,
  namespace,
} from './fixtures';
import { installMocks, one, ofType, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

const JOIN =
  'kubeadm join 10.20.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:' +
  'f'.repeat(64);

function platform(runtime: string): string {
  return manifestDir({
    'cluster.k8s.yaml': [namespace('kata-system')],
    'apps.k8s.yaml': [namespace('apps'), deployment('web', 'apps', runtime)],
  });
}

function load(example: string, config: Record<string, string>, secrets: string[] = []): void {
  pulumi.runtime.setAllConfig(config, secrets);
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(`../../../examples/hosts/${example}/index.ts`);
  });
}

describe('examples/hosts', () => {
  test('aws-i3-metal', async () => {
    load('aws-i3-metal', {
      'project:availabilityZones': JSON.stringify(['eu-west-1a', 'eu-west-1b']),
      'project:apiPublicAccessCidrs': JSON.stringify(['203.0.113.0/24']),
      'project:manifestsDir': platform('kata-qemu-runtime-rs'),
    });
    await settle();
    expect(one('aws:ec2/launchTemplate:LaunchTemplate', 'platform-metal-lt').inputs.instanceType).toBe(
      'i3.metal',
    );
    expect(one('kubernetes:helm.sh/v3:Release').inputs.values.shims).toEqual({
      disableAll: true,
      clh: { enabled: true },
      qemu: { enabled: true },
      'qemu-runtime-rs': { enabled: true },
    });
    const associations = ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation');
    const boundTo = (role: string) =>
      associations
        .filter((a) => a.inputs.roleArn === `arn:aws:mock:::${role}`)
        .map((a) => `${a.inputs.namespace}/${a.inputs.serviceAccount}`);
    expect(boundTo('platform-spark')).toEqual(PLATFORM_ANALYTICS);
    expect(boundTo('platform-druid')).toEqual(PLATFORM_DRUID);
  });

  test('gcp-nested-virt', async () => {
    load('gcp-nested-virt', {
      'gcp:project': 'my-project',
      'gcp:region': 'europe-west4',
      'project:masterAuthorizedCidrs': JSON.stringify([]),
      'project:manifestsDir': platform('kata-clh'),
    });
    await settle();
    const np = one('gcp:container/nodePool:NodePool', 'platform-nested-pool');
    expect(np.inputs.nodeConfig.advancedMachineFeatures).toEqual({
      threadsPerCore: 1,
      enableNestedVirtualization: true,
    });
    expect(one('gcp:container/cluster:Cluster').inputs.privateClusterConfig.enablePrivateEndpoint).toBe(true);
    const members = ofType('gcp:storage/bucketIAMMember:BucketIAMMember');
    const boundTo = (bucket: string) =>
      members
        .filter((m) => m.inputs.bucket === bucket)
        .map((m) => m.inputs.member.replace(/^.*\/subject\/ns\/(.*)\/sa\/(.*)$/, '$1/$2'));
    expect(boundTo('my-project-platform-spark')).toEqual(PLATFORM_ANALYTICS);
    expect(boundTo('my-project-platform-druid-deep-storage')).toEqual(PLATFORM_DRUID);
  });

  test('azure-aks-sandboxing', async () => {
    load('azure-aks-sandboxing', {
      'project:apiAuthorizedIpRanges': JSON.stringify(['203.0.113.0/24']),
      'project:manifestsDir': platform('kata-vm-isolation'),
    });
    await settle();
    expect(one('azure-native:containerservice:AgentPool').inputs).toMatchObject({
      workloadRuntime: 'KataVmIsolation',
      osSKU: 'AzureLinux',
      availabilityZones: ['1', '2', '3'],
    });
    expect(ofType('kubernetes:yaml/v2:ConfigGroup')).toHaveLength(2);
    const credentials = ofType('azure-native:managedidentity:FederatedIdentityCredential');
    const boundTo = (identity: string) =>
      credentials
        .filter((c) => c.inputs.resourceName === identity)
        .map((c) => c.inputs.subject.replace(/^system:serviceaccount:(.*):(.*)$/, '$1/$2'));
    expect(boundTo('platform-spark')).toEqual(PLATFORM_ANALYTICS);
    expect(boundTo('platform-druid')).toEqual(PLATFORM_DRUID);
  });

  test('bare-metal', async () => {
    load(
      'bare-metal',
      {
        'project:hosts': JSON.stringify([
          { address: '10.20.0.11', user: 'ubuntu' },
          { address: '10.20.0.12', user: 'ubuntu' },
        ]),
        'project:localDisks': JSON.stringify(['/dev/nvme1n1']),
        'project:sshPrivateKey': 'KEY',
        'project:joinCommand': JOIN,
        'project:kubeconfig': '{}',
        'project:manifestsDir': platform('kata-qemu'),
      },
      ['project:sshPrivateKey', 'project:joinCommand', 'project:kubeconfig'],
    );
    await settle();
    expect(ofType('command:remote:Command').map((c) => c.inputs.connection.host)).toEqual([
      '10.20.0.11',
      '10.20.0.12',
    ]);
    expect(ofType('command:remote:Command')[0].inputs.stdin).toContain('kind: JoinConfiguration');
    expect(one('kubernetes:helm.sh/v3:Release').inputs.values.nodeSelector).toEqual({
      'kata-blueprints.io/kata-host': 'true',
    });
  });
});
