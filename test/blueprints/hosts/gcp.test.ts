import { KATA_NODE_TAINT_KEY, KATA_RUNTIME_LABEL, KataRuntime } from '../../../lib/sandbox';
import {
  GcpKataEnvironment,
  GcpNestedVirtNodePool,
  GkeLocalSsd,
  KATA_HOST_LABEL,
  checkGcpMachineType,
} from '../../../blueprints/hosts';
import { platformDir } from './fixtures';
import { installMocks, one, ofType, registered, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

describe('GcpNestedVirtNodePool', () => {
  test('nested virtualization, Ubuntu containerd, shielded nodes, labels and taints', async () => {
    const pool = new GcpNestedVirtNodePool('kata', {
      cluster: 'prod',
      location: 'europe-west4',
      machineType: 'n2-standard-16',
      nodeCount: 2,
      runtimes: [KataRuntime.QEMU_RUNTIME_RS],
      localSsd: GkeLocalSsd.rawBlock(2),
    });
    await settle();
    const np = one('gcp:container/nodePool:NodePool', 'kata-pool');
    expect(np.inputs).toMatchObject({ cluster: 'prod', location: 'europe-west4', nodeCount: 2 });
    expect(np.inputs.management).toEqual({ autoRepair: true, autoUpgrade: true });
    const nc = np.inputs.nodeConfig;
    expect(nc.machineType).toBe('n2-standard-16');
    expect(nc.imageType).toBe('UBUNTU_CONTAINERD');
    expect(nc.advancedMachineFeatures).toEqual({ threadsPerCore: 2, enableNestedVirtualization: true });
    expect(nc.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableIntegrityMonitoring: true });
    expect(nc.workloadMetadataConfig).toEqual({ mode: 'GKE_METADATA' });
    expect(nc.localNvmeSsdBlockConfig).toEqual({ localSsdCount: 2 });
    expect(nc.minCpuPlatform).toBeUndefined();
    expect(nc.labels).toEqual({ [KATA_RUNTIME_LABEL]: 'true', [KATA_HOST_LABEL]: 'true' });
    expect(nc.taints).toEqual([{ key: KATA_NODE_TAINT_KEY, value: 'true', effect: 'NO_SCHEDULE' }]);
    expect(pool.contract.kataDeployShims).toEqual(['qemu-runtime-rs']);
  });

  test('autoscaling, SMT off, N1 pinned to Haswell or later, ephemeral local SSD', async () => {
    new GcpNestedVirtNodePool('auto', {
      cluster: 'prod',
      location: 'europe-west4-a',
      machineType: 'n1-standard-8',
      nodeCount: 1,
      minNodeCount: 1,
      maxNodeCount: 5,
      threadsPerCore: 1,
      localSsd: GkeLocalSsd.ephemeralStorage(1),
    });
    await settle();
    const np = one('gcp:container/nodePool:NodePool');
    expect(np.inputs.autoscaling).toEqual({ minNodeCount: 1, maxNodeCount: 5 });
    expect(np.inputs.initialNodeCount).toBe(1);
    expect(np.inputs.nodeCount).toBeUndefined();
    expect(np.inputs.nodeConfig.advancedMachineFeatures.threadsPerCore).toBe(1);
    expect(np.inputs.nodeConfig.minCpuPlatform).toBe('Intel Haswell');
    expect(np.inputs.nodeConfig.ephemeralStorageLocalSsdConfig).toEqual({ localSsdCount: 1 });
  });

  test.each([
    ['n2d-standard-8', /AMD VMs have no nested virtualization/],
    ['c2d-highcpu-16', /AMD VMs/],
    ['t2d-standard-4', /AMD VMs/],
    ['t2a-standard-4', /Arm VMs have no nested virtualization/],
    ['c4a-standard-8', /Arm VMs/],
    ['e2-standard-4', /E2 and shared-core VMs/],
    ['m2-ultramem-208', /memory-optimized VMs/],
    ['a3-highgpu-8g', /series a3 is not one GKE offers nested virtualization on/],
  ])('refuses %s', (machineType, why) => {
    expect(
      () => new GcpNestedVirtNodePool('bad', { cluster: 'c', location: 'l', machineType, nodeCount: 1 }),
    ).toThrow(
      new RegExp(
        `GcpNestedVirtNodePool "bad": machineType "${machineType}" is not allowed; expected an Intel machine type with nested virtualization`,
      ),
    );
    expect(() => checkGcpMachineType('x', machineType)).toThrow(why);
  });

  test('accepts the Intel series and custom N1 types', () => {
    for (const t of [
      'n1-standard-4',
      'custom-8-32768',
      'n2-highmem-16',
      'n4-standard-8',
      'c2-standard-30',
      'c3-standard-22-lssd',
      'c4-standard-8',
    ]) {
      expect(checkGcpMachineType('x', t)).toMatch(/^(n1|n2|n4|c2|c3|c4)$/);
    }
  });

  test('refuses bad sizes, SMT values and local SSD counts', () => {
    const base = { cluster: 'c', location: 'l', machineType: 'n2-standard-8' };
    expect(
      () => new GcpNestedVirtNodePool('a', { ...base, nodeCount: 6, minNodeCount: 1, maxNodeCount: 3 }),
    ).toThrow(
      'GcpNestedVirtNodePool "a": nodeCount 6 is not allowed; expected a size between minNodeCount (1) and maxNodeCount (3)',
    );
    expect(() => new GcpNestedVirtNodePool('b', { ...base, nodeCount: -1 })).toThrow(
      /nodeCount -1 is not allowed/,
    );
    expect(() => new GcpNestedVirtNodePool('c', { ...base, nodeCount: 1, threadsPerCore: 4 })).toThrow(
      /threadsPerCore 4 is not allowed; expected 1 or 2/,
    );
    expect(() => GkeLocalSsd.rawBlock(0)).toThrow(
      'GkeLocalSsd.rawBlock: count 0 is not allowed; expected a whole number from 1 to 24',
    );
    expect(() => new GcpNestedVirtNodePool('d', { ...base, nodeCount: 1, runtimes: [] })).toThrow(
      /runtimes \[\] is not allowed/,
    );
  });
});

describe('GcpKataEnvironment', () => {
  const props = {
    project: 'my-project',
    region: 'europe-west4',
    masterAuthorizedCidrs: ['203.0.113.0/24'],
    kataPools: [
      { name: 'nested', machineType: 'n2-standard-16', nodeCount: 1, runtimes: [KataRuntime.QEMU] },
    ],
  };

  test('private GKE with Workload Identity, KMS, buckets, Kata pool and workloads', async () => {
    new GcpKataEnvironment('prod', { ...props, manifestsDir: platformDir() });
    await settle();
    const cluster = one('gcp:container/cluster:Cluster');
    expect(cluster.inputs).toMatchObject({
      name: 'prod',
      location: 'europe-west4',
      removeDefaultNodePool: true,
      datapathProvider: 'ADVANCED_DATAPATH',
      enableShieldedNodes: true,
      workloadIdentityConfig: { workloadPool: 'my-project.svc.id.goog' },
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: false,
        masterIpv4CidrBlock: '172.16.0.0/28',
      },
      databaseEncryption: { state: 'ENCRYPTED' },
    });
    expect(cluster.inputs.masterAuthorizedNetworksConfig.cidrBlocks).toEqual([
      { cidrBlock: '203.0.113.0/24', displayName: 'authorized-0' },
    ]);
    expect(
      one('gcp:compute/subnetwork:Subnetwork').inputs.secondaryIpRanges.map(
        (r: { rangeName: string }) => r.rangeName,
      ),
    ).toEqual(['pods', 'services']);
    expect(one('gcp:compute/routerNat:RouterNat').inputs.sourceSubnetworkIpRangesToNat).toBe(
      'ALL_SUBNETWORKS_ALL_IP_RANGES',
    );
    const kata = one('gcp:container/nodePool:NodePool', 'prod-nested-pool');
    expect(kata.inputs.nodeConfig.advancedMachineFeatures.enableNestedVirtualization).toBe(true);
    expect(kata.inputs.nodeConfig.serviceAccount).toBe('prod-nodes@my-project.iam.gserviceaccount.com');

    const vaultBindings = ofType('gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember').filter((b) =>
      b.name.startsWith('prod-vault'),
    );
    expect(vaultBindings.map((b) => b.inputs.role).sort()).toEqual([
      'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      'roles/cloudkms.viewer',
    ]);
    expect(vaultBindings[0].inputs.member).toBe(
      'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/vault/sa/vault',
    );
    const buckets = ofType('gcp:storage/bucket:Bucket');
    expect(buckets.map((b) => b.inputs.name).sort()).toEqual([
      'my-project-prod-druid-deep-storage',
      'my-project-prod-spark',
    ]);
    for (const b of buckets) {
      expect(b.inputs).toMatchObject({
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        versioning: { enabled: true },
      });
    }
    // Druid: one member per account of a KataDruidCluster named "druid"; analytics: none by default.
    const pool =
      'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-project.svc.id.goog';
    expect(
      ofType('gcp:storage/bucketIAMMember:BucketIAMMember').map((m) => [
        m.name,
        m.inputs.bucket,
        m.inputs.role,
        m.inputs.member,
      ]),
    ).toEqual([
      [
        'prod-druid-deep-storage-druid_druid-druid',
        'my-project-prod-druid-deep-storage',
        'roles/storage.objectUser',
        `${pool}/subject/ns/druid/sa/druid-druid`,
      ],
      [
        'prod-druid-deep-storage-druid_druid-druid-master',
        'my-project-prod-druid-deep-storage',
        'roles/storage.objectUser',
        `${pool}/subject/ns/druid/sa/druid-druid-master`,
      ],
    ]);
    expect(one('kubernetes:helm.sh/v3:Release').inputs.values.shims).toEqual({
      disableAll: true,
      qemu: { enabled: true },
    });
    const kubeconfig = JSON.parse(one('pulumi:providers:kubernetes').inputs.kubeconfig);
    expect(kubeconfig.users[0].user.exec.command).toBe('gke-gcloud-auth-plugin');
  });

  test('fails before creating anything when the manifests use a class no pool serves', async () => {
    expect(() => new GcpKataEnvironment('bad', { ...props, manifestsDir: platformDir('kata-clh') })).toThrow(
      /GcpKataEnvironment "bad": runtimeClassName "kata-clh" is not allowed; expected a runtime class served by one of the node pools \(kata-qemu \(pool bad-nested\)\)/,
    );
    await settle();
    expect(registered.filter((r) => r.custom)).toEqual([]);
  });

  test('one IAM member per listed service account on the analytics bucket', async () => {
    new GcpKataEnvironment('lake', {
      ...props,
      deployWorkloads: false,
      analyticsServiceAccounts: [
        { namespace: 'analytics', name: 'clickstream-spark' },
        { namespace: 'analytics', name: 'nightly-rollup-spark' },
        { namespace: 'analytics', name: 'sessions-flink' },
      ],
      // Workload Identity Federation lets one account hold both buckets.
      druidServiceAccounts: [{ namespace: 'analytics', name: 'sessions-flink' }],
    });
    await settle();
    const members = ofType('gcp:storage/bucketIAMMember:BucketIAMMember');
    const on = (bucket: string) =>
      members
        .filter((m) => m.inputs.bucket === bucket)
        .map((m) => m.inputs.member.replace(/^.*\/subject\//, ''));
    expect(on('my-project-lake-spark')).toEqual([
      'ns/analytics/sa/clickstream-spark',
      'ns/analytics/sa/nightly-rollup-spark',
      'ns/analytics/sa/sessions-flink',
    ]);
    expect(on('my-project-lake-druid-deep-storage')).toEqual(['ns/analytics/sa/sessions-flink']);
    expect(members.map((m) => m.name)).toContain('lake-spark-analytics_nightly-rollup-spark');
  });

  test('refuses repeated and invalid service accounts', async () => {
    expect(
      () =>
        new GcpKataEnvironment('e4', {
          ...props,
          deployWorkloads: false,
          druidServiceAccounts: [
            { namespace: 'druid', name: 'druid-druid' },
            { namespace: 'druid', name: 'druid-druid-master' },
            { namespace: 'druid', name: 'druid-druid' },
          ],
        }),
    ).toThrow(
      'GcpKataEnvironment "e4": druidServiceAccounts[2] {"namespace":"druid","name":"druid-druid"} is not allowed; expected a service account listed once (druidServiceAccounts[0] is the same account)',
    );
    expect(
      () =>
        new GcpKataEnvironment('e5', {
          ...props,
          deployWorkloads: false,
          analyticsServiceAccounts: [{ namespace: 'Analytics', name: 'x-spark' }],
        }),
    ).toThrow(/analyticsServiceAccounts\[0\] \{"namespace":"Analytics","name":"x-spark"\} is not allowed/);
    await settle();
    expect(registered.filter((r) => r.custom)).toEqual([]);
  });

  test('refuses bad props', () => {
    expect(
      () =>
        new GcpKataEnvironment('e1', {
          ...props,
          deployWorkloads: false,
          kataPools: [{ name: 'x', machineType: 'e2-standard-8', nodeCount: 1 }],
        }),
    ).toThrow(/GcpKataEnvironment "e1" kataPools\["x"\]: machineType "e2-standard-8" is not allowed/);
    expect(
      () => new GcpKataEnvironment('e2', { ...props, deployWorkloads: false, masterCidr: '172.16.0.0/24' }),
    ).toThrow(/masterCidr "172.16.0.0\/24" is not allowed; expected a \/28 block/);
    expect(
      () => new GcpKataEnvironment('e3', { ...props, deployWorkloads: false, region: 'europe' }),
    ).toThrow(/region "europe" is not allowed/);
  });
});
