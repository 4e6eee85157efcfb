import { KATA_RUNTIME_LABEL, KataRuntime } from '../../../lib/sandbox';
import { AwsKataEnvironment, KATA_HOST_LABEL } from '../../../blueprints/hosts';
import { platformDir } from './fixtures';
import { installMocks, one, ofType, registered, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

const props = {
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  apiPublicAccessCidrs: ['203.0.113.0/24'],
  kataPools: [
    {
      name: 'metal',
      instanceType: 'i3.metal',
      desiredSize: 2,
      maxSize: 4,
      runtimes: [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR],
    },
  ],
};

describe('AwsKataEnvironment', () => {
  test('network, cluster, pools, KMS, buckets, kata-deploy and the manifests', async () => {
    const env = new AwsKataEnvironment('prod', { ...props, manifestsDir: platformDir() });
    await settle();
    expect(one('kata-blueprints:aws:KataEnvironment').custom).toBe(false);

    expect(one('aws:ec2/vpc:Vpc').inputs.cidrBlock).toBe('10.0.0.0/16');
    const privateSubnets = ofType('aws:ec2/subnet:Subnet').filter((s) => s.name.includes('private'));
    expect(privateSubnets.map((s) => s.inputs.cidrBlock)).toEqual([
      '10.0.0.0/19',
      '10.0.32.0/19',
      '10.0.64.0/19',
    ]);
    expect(privateSubnets.every((s) => s.inputs.mapPublicIpOnLaunch === false)).toBe(true);
    expect(ofType('aws:ec2/natGateway:NatGateway')).toHaveLength(3);
    expect(one('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup').inputs).toMatchObject({
      ingress: [],
      egress: [],
    });

    const cluster = one('aws:eks/cluster:Cluster');
    expect(cluster.inputs).toMatchObject({
      name: 'prod',
      version: '1.33',
      accessConfig: { authenticationMode: 'API' },
      vpcConfig: {
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        publicAccessCidrs: ['203.0.113.0/24'],
      },
    });
    expect(cluster.inputs.encryptionConfig.resources).toEqual(['secrets']);
    expect(cluster.inputs.enabledClusterLogTypes).toContain('audit');

    const kataNg = one('aws:eks/nodeGroup:NodeGroup', 'prod-metal-ng');
    expect(kataNg.inputs.labels).toEqual({ [KATA_RUNTIME_LABEL]: 'true', [KATA_HOST_LABEL]: 'true' });
    expect(kataNg.inputs.scalingConfig).toEqual({ desiredSize: 2, minSize: 2, maxSize: 4 });
    const kataLt = one('aws:ec2/launchTemplate:LaunchTemplate', 'prod-metal-lt');
    expect(kataLt.inputs.networkInterfaces[0].securityGroups).toEqual(['sg-cluster']);
    expect(one('aws:eks/nodeGroup:NodeGroup', 'prod-system').inputs.labels).toEqual({
      'kata-blueprints.io/role': 'system',
    });

    const vaultKey = one('aws:kms/key:Key', 'prod-vault-unseal');
    expect(vaultKey.inputs.enableKeyRotation).toBe(true);
    expect(one('aws:kms/alias:Alias').inputs.name).toBe('alias/prod-vault-unseal');
    const vaultBinding = one('aws:eks/podIdentityAssociation:PodIdentityAssociation', 'prod-vault');
    expect(vaultBinding.inputs).toMatchObject({ namespace: 'vault', serviceAccount: 'vault' });
    const vaultPolicy = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'prod-vault').inputs.policy);
    expect(vaultPolicy.Statement[0].Action).toEqual(['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey']);
    expect(
      JSON.parse(one('aws:iam/role:Role', 'prod-vault').inputs.assumeRolePolicy).Statement[0].Principal
        .Service,
    ).toBe('pods.eks.amazonaws.com');

    expect(
      ofType('aws:s3/bucket:Bucket')
        .map((b) => b.inputs.bucket)
        .sort(),
    ).toEqual(['prod-druid-deep-storage', 'prod-spark']);
    for (const pab of ofType('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock')) {
      expect(pab.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
    const sse = one(
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
      'prod-spark',
    );
    expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe('aws:kms');
    const tlsOnly = JSON.parse(
      one('aws:s3/bucketPolicy:BucketPolicy', 'prod-druid-deep-storage').inputs.policy,
    );
    expect(tlsOnly.Statement[0].Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    // Druid: both accounts of a KataDruidCluster named "druid" assume the one deep-storage role.
    expect(one('aws:iam/role:Role', 'prod-druid').inputs.assumeRolePolicy).toContain(
      'pods.eks.amazonaws.com',
    );
    const druidAssociations = ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation').filter((a) =>
      a.name.startsWith('prod-druid-'),
    );
    expect(druidAssociations.map((a) => [a.name, a.inputs.namespace, a.inputs.serviceAccount])).toEqual([
      ['prod-druid-druid_druid-druid', 'druid', 'druid-druid'],
      ['prod-druid-druid_druid-druid-master', 'druid', 'druid-druid-master'],
    ]);
    for (const a of druidAssociations) {
      expect(a.inputs.roleArn).toBe('arn:aws:mock:::prod-druid');
      expect(a.inputs.clusterName).toBe('prod');
    }
    const druidPolicy = JSON.parse(one('aws:iam/rolePolicy:RolePolicy', 'prod-druid').inputs.policy);
    expect(druidPolicy.Statement[1].Resource).toBe('arn:aws:mock:::prod-druid-deep-storage/*');
    // Analytics: the role exists, but no service account is listed by default, so nothing assumes it.
    expect(env.workloadRoles.spark).toBeDefined();
    expect(
      ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation').filter((a) =>
        a.name.startsWith('prod-spark'),
      ),
    ).toEqual([]);
    expect(one('aws:eks/addon:Addon', 'prod-ebs-csi').inputs.podIdentityAssociations[0].serviceAccount).toBe(
      'ebs-csi-controller-sa',
    );

    const release = one('kubernetes:helm.sh/v3:Release');
    expect(release.inputs.values.shims).toEqual({
      disableAll: true,
      clh: { enabled: true },
      qemu: { enabled: true },
    });
    expect(release.inputs.values.nodeSelector).toEqual({ [KATA_HOST_LABEL]: 'true' });
    // The kata-system namespace comes from the manifests, so kata-deploy does not create it.
    expect(ofType('kubernetes:core/v1:Namespace')).toHaveLength(0);
    const foundation = one('kubernetes:yaml/v2:ConfigGroup', 'prod-workloads-foundation');
    expect(foundation.inputs.objs.map((o: { kind: string }) => o.kind).sort()).toEqual([
      'Namespace',
      'Namespace',
      'RuntimeClass',
      'RuntimeClass',
    ]);
    const workloads = one('kubernetes:yaml/v2:ConfigGroup', 'prod-workloads-workloads');
    expect(workloads.inputs.objs.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual([
      'web',
    ]);
    expect(env.workloads?.runtimeClassUses).toEqual([
      { runtimeClassName: 'kata-qemu', usedBy: ['Deployment apps/web'] },
    ]);
    const kubeconfig = JSON.parse(one('pulumi:providers:kubernetes').inputs.kubeconfig);
    expect(kubeconfig.users[0].user.exec.args).toEqual([
      'eks',
      'get-token',
      '--cluster-name',
      'prod',
      '--output',
      'json',
    ]);
  });

  test('fails when the manifests use a runtime class no pool serves', async () => {
    expect(() => new AwsKataEnvironment('bad', { ...props, manifestsDir: platformDir('kata-fc') })).toThrow(
      /AwsKataEnvironment "bad": runtimeClassName "kata-fc" is not allowed; expected a runtime class served by one of the node pools \(kata-clh \(pool bad-metal\), kata-qemu \(pool bad-metal\)\); used by Deployment apps\/web/,
    );
    await settle();
    expect(registered.filter((r) => r.custom)).toEqual([]);
  });

  test('a private endpoint, one NAT gateway, no workloads', async () => {
    new AwsKataEnvironment('priv', {
      ...props,
      apiPublicAccessCidrs: [],
      singleNatGateway: true,
      deployWorkloads: false,
    });
    await settle();
    expect(one('aws:eks/cluster:Cluster', 'priv-eks').inputs.vpcConfig).toMatchObject({
      endpointPublicAccess: false,
    });
    expect(one('aws:eks/cluster:Cluster', 'priv-eks').inputs.vpcConfig.publicAccessCidrs).toBeUndefined();
    expect(ofType('aws:ec2/natGateway:NatGateway').filter((n) => n.name.startsWith('priv-'))).toHaveLength(1);
    expect(registered.some((r) => r.type.startsWith('kubernetes:helm'))).toBe(false);
  });

  test('one Pod Identity association per listed service account, against the same role', async () => {
    new AwsKataEnvironment('lake', {
      ...props,
      deployWorkloads: false,
      druidServiceAccounts: [{ namespace: 'olap', name: 'events-druid' }],
      analyticsServiceAccounts: [
        { namespace: 'analytics', name: 'clickstream-spark' },
        { namespace: 'analytics', name: 'nightly-rollup-spark' },
        { namespace: 'analytics', name: 'sessions-flink' },
      ],
    });
    await settle();
    const associations = ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation');
    const byRole = (role: string) =>
      associations
        .filter((a) => a.inputs.roleArn === `arn:aws:mock:::${role}`)
        .map((a) => `${a.inputs.namespace}/${a.inputs.serviceAccount}`);
    expect(byRole('lake-spark')).toEqual([
      'analytics/clickstream-spark',
      'analytics/nightly-rollup-spark',
      'analytics/sessions-flink',
    ]);
    expect(byRole('lake-druid')).toEqual(['olap/events-druid']);
    expect(byRole('lake-vault')).toEqual(['vault/vault']);
    expect(associations).toHaveLength(5);
    expect(
      one('aws:eks/podIdentityAssociation:PodIdentityAssociation', 'lake-spark-analytics_sessions-flink')
        .inputs,
    ).toMatchObject({ namespace: 'analytics', serviceAccount: 'sessions-flink', clusterName: 'lake' });
  });

  test.each([
    [
      {
        analyticsServiceAccounts: [
          { namespace: 'analytics', name: 'clickstream-spark' },
          { namespace: 'analytics', name: 'clickstream-spark' },
        ],
      },
      'AwsKataEnvironment "env1": analyticsServiceAccounts[1] {"namespace":"analytics","name":"clickstream-spark"} is not allowed; expected a service account listed once (analyticsServiceAccounts[0] is the same account)',
    ],
    [
      { druidServiceAccounts: [{ namespace: 'druid', name: 'Druid' }] },
      'AwsKataEnvironment "env1": druidServiceAccounts[0] {"namespace":"druid","name":"Druid"} is not allowed; expected { namespace, name } with DNS-1123 names',
    ],
    [
      { druidServiceAccounts: { namespace: 'druid', name: 'druid-druid' } },
      'AwsKataEnvironment "env1": druidServiceAccounts {"namespace":"druid","name":"druid-druid"} is not allowed; expected a list of { namespace, name }',
    ],
    [
      { analyticsServiceAccounts: [{ namespace: 'druid', name: 'druid-druid-master' }] },
      'AwsKataEnvironment "env1": analyticsServiceAccounts[0] {"namespace":"druid","name":"druid-druid-master"} is not allowed; expected a service account bound to one purpose only (druidServiceAccounts[1] binds it already; EKS Pod Identity associates one role with each service account)',
    ],
    [
      { druidServiceAccounts: [{ namespace: 'vault', name: 'vault' }] },
      /druidServiceAccounts\[0\] \{"namespace":"vault","name":"vault"\} is not allowed; expected a service account bound to one purpose only \(vaultServiceAccount binds it already/,
    ],
  ])('refuses bad service account lists %#', async (override, message) => {
    expect(
      () =>
        new AwsKataEnvironment('env1', {
          ...props,
          deployWorkloads: false,
          ...(override as object),
        }),
    ).toThrow(message);
    await settle();
    expect(registered.filter((r) => r.custom)).toEqual([]);
  });

  test.each([
    [
      { availabilityZones: ['eu-west-1a'] },
      /availabilityZones \["eu-west-1a"\] is not allowed; expected at least 2 distinct zones/,
    ],
    [{ kataPools: [] }, /kataPools \[\] is not allowed; expected at least one Kata pool/],
    [
      { kataPools: [{ name: 'v', instanceType: 'm5.2xlarge', desiredSize: 1 }] },
      /AwsKataEnvironment "env1" kataPools\["v"\]: instanceType "m5.2xlarge" is not allowed/,
    ],
    [
      { kataPools: [{ name: 'v', instanceType: 'm5.metal', desiredSize: 0, minSize: 1, maxSize: 2 }] },
      /kataPools\["v"\]: desiredSize 0 is not allowed; expected a size between minSize \(1\) and maxSize \(2\)/,
    ],
    [{ vpcCidr: '10.0.0.0/24' }, /vpcCidr "10.0.0.0\/24" is not allowed; expected a block of \/20 or larger/],
    [
      { apiPublicAccessCidrs: ['0.0.0.1/0'] },
      /apiPublicAccessCidrs\[0\] "0.0.0.1\/0" is not allowed; expected the network address/,
    ],
  ])('refuses bad props %#', (override, message) => {
    expect(() => new AwsKataEnvironment('env1', { ...props, deployWorkloads: false, ...override })).toThrow(
      message,
    );
  });
});
