import * as pulumi from '@pulumi/pulumi';
import { KATA_NODE_TAINT_KEY, KATA_RUNTIME_LABEL, KataRuntime } from '../../../lib/sandbox';
import {
  AzureKataEnvironment,
  AzureKataNodePool,
  AzureNestedVirtScaleSet,
  KATA_HOST_LABEL,
  KEY_VAULT_CRYPTO_USER_ROLE,
  checkAzureVmSize,
} from '../../../blueprints/hosts';
import { deployment, manifestDir, namespace } from './fixtures';
import { installMocks, one, ofType, registered, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

const JOIN =
  'kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:' +
  'a'.repeat(64);

describe('checkAzureVmSize', () => {
  test.each([
    'Standard_D4s_v3',
    'Standard_D8s_v5',
    'Standard_D16ds_v5',
    'Standard_D8as_v5',
    'Standard_E16s_v5',
    'Standard_E8-4ds_v5',
    'Standard_D4ds_v4',
    'Standard_D8s_v6',
  ])('accepts %s', (size) => {
    expect(checkAzureVmSize('x', size).vmSize).toBe(size);
  });

  test.each([
    ['Standard_B2s', /generation 1 and have no nested virtualization/],
    ['Standard_D4as_v4', /Dav4\/Dasv4\/Eav4\/Easv4 have no nested virtualization/],
    ['Standard_D4ps_v5', /Arm \(Ampere\) sizes have no nested virtualization/],
    ['Standard_F8s_v2', /F-series sizes have no nested virtualization/],
    ['Standard_DC4s_v3', /confidential sizes have no nested virtualization/],
    ['Standard_D4_v2', /Dv2 is not a size with documented nested virtualization/],
    ['Standard_L8s_v3', /Lsv3 is not a size with documented nested virtualization/],
  ])('refuses %s', (size, why) => {
    expect(() => checkAzureVmSize('AzureKataNodePool "p"', size)).toThrow(
      new RegExp(
        `AzureKataNodePool "p": vmSize "${size}" is not allowed; expected a generation-2 VM size with nested virtualization`,
      ),
    );
    expect(() => checkAzureVmSize('x', size)).toThrow(why);
  });
});

describe('AzureKataNodePool', () => {
  test('an AKS user pool with Pod Sandboxing on Azure Linux', async () => {
    const pool = new AzureKataNodePool('sandbox', {
      resourceGroupName: 'rg',
      clusterName: 'aks',
      vmSize: 'Standard_D8s_v5',
      nodeCount: 3,
    });
    await settle();
    const ap = one('azure-native:containerservice:AgentPool');
    expect(ap.inputs).toMatchObject({
      resourceGroupName: 'rg',
      resourceName: 'aks',
      agentPoolName: 'sandbox',
      mode: 'User',
      osType: 'Linux',
      osSKU: 'AzureLinux',
      workloadRuntime: 'KataVmIsolation',
      vmSize: 'Standard_D8s_v5',
      count: 3,
      enableAutoScaling: false,
      enableNodePublicIP: false,
      enableEncryptionAtHost: true,
      osDiskType: 'Managed',
    });
    // AKS sets kubernetes.azure.com/kata-vm-isolation itself and the runtime has no taint.
    expect(ap.inputs.nodeLabels).toEqual({});
    expect(ap.inputs.nodeTaints).toEqual([]);
    expect(pool.contract.labels).toEqual({ 'kubernetes.azure.com/kata-vm-isolation': 'true' });
  });

  test('autoscaling and an explicit pool name', async () => {
    new AzureKataNodePool('Kata-Pool-Long-Name', {
      resourceGroupName: 'rg',
      clusterName: 'aks',
      vmSize: 'Standard_E8s_v5',
      nodeCount: 2,
      minCount: 1,
      maxCount: 6,
      agentPoolName: 'kata1',
    });
    await settle();
    expect(one('azure-native:containerservice:AgentPool').inputs).toMatchObject({
      agentPoolName: 'kata1',
      enableAutoScaling: true,
      minCount: 1,
      maxCount: 6,
    });
  });

  test('refuses kata-deploy runtimes, bad names and sizes', () => {
    const base = { resourceGroupName: 'rg', clusterName: 'aks', vmSize: 'Standard_D8s_v5', nodeCount: 1 };
    expect(() => new AzureKataNodePool('p', { ...base, runtimes: [KataRuntime.QEMU] })).toThrow(
      /AzureKataNodePool "p": runtimes\[0\] "kata-qemu" is not allowed; expected a platform-managed runtime/,
    );
    expect(() => new AzureKataNodePool('p2', { ...base, runtimes: [] })).toThrow(
      /runtimes \[\] is not allowed; expected at least one platform-managed runtime/,
    );
    expect(() => new AzureKataNodePool('p3', { ...base, agentPoolName: 'Bad_Name' })).toThrow(
      /agentPoolName "Bad_Name" is not allowed/,
    );
    expect(() => new AzureKataNodePool('p4', { ...base, vmSize: 'Standard_B4ms' })).toThrow(
      /vmSize "Standard_B4ms" is not allowed/,
    );
    expect(() => new AzureKataNodePool('p5', { ...base, nodeCount: 9, minCount: 1, maxCount: 3 })).toThrow(
      'AzureKataNodePool "p5": nodeCount 9 is not allowed; expected a size between minCount (1) and maxCount (3)',
    );
  });
});

describe('AzureNestedVirtScaleSet', () => {
  test('Ubuntu VMs that bootstrap with cloud-init and join with the pool labels and taints', async () => {
    const vmss = new AzureNestedVirtScaleSet('kvm', {
      resourceGroupName: 'rg',
      subnetId:
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes',
      vmSize: 'Standard_D16s_v5',
      instanceCount: 3,
      joinCommand: JOIN,
      sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample admin',
      runtimes: [KataRuntime.QEMU, KataRuntime.CLOUD_HYPERVISOR],
    });
    await settle();
    const ss = one('azure-native:compute:VirtualMachineScaleSet');
    expect(ss.inputs.sku).toEqual({ name: 'Standard_D16s_v5', tier: 'Standard', capacity: 3 });
    expect(ss.inputs.overprovision).toBe(false);
    expect(ss.inputs.orchestrationMode).toBe('Uniform');
    const profile = ss.inputs.virtualMachineProfile;
    expect(profile.osProfile.linuxConfiguration.disablePasswordAuthentication).toBe(true);
    expect(profile.securityProfile).toEqual({ encryptionAtHost: true });
    expect(
      profile.networkProfile.networkInterfaceConfigurations[0].ipConfigurations[0]
        .publicIPAddressConfiguration,
    ).toBeUndefined();
    expect(profile.storageProfile.imageReference).toEqual({
      publisher: 'Canonical',
      offer: 'ubuntu-24_04-lts',
      sku: 'server',
      version: 'latest',
    });
    const cloudConfig = Buffer.from(profile.osProfile.customData, 'base64').toString('utf8');
    expect(cloudConfig.startsWith('#cloud-config\n')).toBe(true);
    expect(cloudConfig).toContain('path: /usr/local/sbin/kata-blueprints-bootstrap');
    expect(cloudConfig).toContain('kind: JoinConfiguration');
    expect(cloudConfig).toContain(`value: ${KATA_HOST_LABEL}=true,${KATA_RUNTIME_LABEL}=true`);
    expect(cloudConfig).toContain(`key: ${KATA_NODE_TAINT_KEY}`);
    expect(vmss.script).toContain('configure_containerd');
  });

  test('refuses platform runtimes, bad sizes and a bad join command', () => {
    const base = {
      resourceGroupName: 'rg',
      subnetId: 's',
      vmSize: 'Standard_D8s_v5',
      instanceCount: 1,
      joinCommand: JOIN,
      sshPublicKey: 'k',
    };
    expect(
      () => new AzureNestedVirtScaleSet('a', { ...base, runtimes: [KataRuntime.AKS_VM_ISOLATION] }),
    ).toThrow(/platform-managed runtimes/);
    expect(() => new AzureNestedVirtScaleSet('b', { ...base, vmSize: 'Standard_A4_v2' })).toThrow(
      /A-series sizes have no nested virtualization/,
    );
    expect(
      () =>
        new AzureNestedVirtScaleSet('c', {
          ...base,
          joinCommand: 'kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef',
        }),
    ).toThrow(
      /AzureNestedVirtScaleSet "c": joinCommand --discovery-token-ca-cert-hash \(unset\) is not allowed; expected at least one pinned CA hash/,
    );
    expect(() => new AzureNestedVirtScaleSet('d', { ...base, adminUsername: 'root' })).toThrow(
      /adminUsername "root" is not allowed/,
    );
  });
});

describe('AzureKataEnvironment', () => {
  const props = {
    location: 'westeurope',
    apiAuthorizedIpRanges: ['203.0.113.0/24'],
    kataPools: [{ name: 'sandbox', vmSize: 'Standard_D8s_v5', nodeCount: 2 }],
  };
  const manifests = (runtime: string) =>
    manifestDir({ 'apps.k8s.yaml': [namespace('apps'), deployment('web', 'apps', runtime)] });

  test('AKS with Pod Sandboxing pools, Key Vault, storage, federated identities; no kata-deploy', async () => {
    new AzureKataEnvironment('prod', { ...props, manifestsDir: manifests('kata-vm-isolation') });
    await settle();
    const mc = one('azure-native:containerservice:ManagedCluster');
    expect(mc.inputs.oidcIssuerProfile).toEqual({ enabled: true });
    expect(mc.inputs.securityProfile).toEqual({ workloadIdentity: { enabled: true } });
    expect(mc.inputs.apiServerAccessProfile).toEqual({ authorizedIPRanges: ['203.0.113.0/24'] });
    expect(mc.inputs.networkProfile).toMatchObject({
      networkPlugin: 'azure',
      networkPluginMode: 'overlay',
      networkPolicy: 'calico',
    });
    expect(mc.inputs.agentPoolProfiles[0].nodeTaints).toEqual(['CriticalAddonsOnly=true:NoSchedule']);
    expect(one('azure-native:containerservice:AgentPool').inputs.workloadRuntime).toBe('KataVmIsolation');
    expect(one('azure-native:keyvault:Vault').inputs.properties).toMatchObject({
      enableRbacAuthorization: true,
      enablePurgeProtection: true,
      tenantId: '00000000-0000-0000-0000-0000000000aa',
    });
    expect(one('azure-native:keyvault:Key').inputs.properties.keyOps).toEqual(['wrapKey', 'unwrapKey']);
    const fic = one('azure-native:managedidentity:FederatedIdentityCredential', 'prod-vault');
    expect(fic.inputs).toMatchObject({
      issuer: 'https://oidc.example/issuer/',
      subject: 'system:serviceaccount:vault:vault',
      audiences: ['api://AzureADTokenExchange'],
      resourceName: 'prod-vault',
    });
    // Druid: both accounts of a KataDruidCluster named "druid" on the druid identity; analytics: none.
    expect(
      ofType('azure-native:managedidentity:FederatedIdentityCredential')
        .filter((c) => c.name !== 'prod-vault')
        .map((c) => [
          c.inputs.resourceName,
          c.inputs.federatedIdentityCredentialResourceName,
          c.inputs.subject,
        ]),
    ).toEqual([
      ['prod-druid', 'druid_druid-druid', 'system:serviceaccount:druid:druid-druid'],
      ['prod-druid', 'druid_druid-druid-master', 'system:serviceaccount:druid:druid-druid-master'],
    ]);
    expect(
      ofType('azure-native:managedidentity:UserAssignedIdentity')
        .map((i) => i.name)
        .sort(),
    ).toEqual(['prod-druid', 'prod-spark', 'prod-vault']);
    expect(
      one('azure-native:authorization:RoleAssignment', 'prod-vault-crypto').inputs.roleDefinitionId,
    ).toBe(
      `/subscriptions/00000000-0000-0000-0000-0000000000bb/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_CRYPTO_USER_ROLE}`,
    );
    expect(one('azure-native:storage:StorageAccount').inputs).toMatchObject({
      accountName: 'proddata',
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      minimumTlsVersion: 'TLS1_2',
    });
    expect(
      ofType('azure-native:storage:BlobContainer')
        .map((c) => c.inputs.containerName)
        .sort(),
    ).toEqual(['druid-deep-storage', 'spark']);
    expect(registered.some((r) => r.type === 'kubernetes:helm.sh/v3:Release')).toBe(false);
    expect(
      one('kubernetes:yaml/v2:ConfigGroup', 'prod-workloads-workloads').inputs.objs[0].metadata.name,
    ).toBe('web');
    expect(ofType('kubernetes:node.k8s.io/v1:RuntimeClass')).toHaveLength(0);
  });

  test('fails when the manifests ask for kata-deploy runtimes AKS Pod Sandboxing does not serve', async () => {
    expect(() => new AzureKataEnvironment('bad', { ...props, manifestsDir: manifests('kata-qemu') })).toThrow(
      /AzureKataEnvironment "bad": runtimeClassName "kata-qemu" is not allowed; expected a runtime class served by one of the node pools \(kata-vm-isolation \(pool bad-sandbox\)\)/,
    );
    await settle();
    expect(registered.filter((r) => r.custom)).toEqual([]);
  });

  test('one federated credential per listed service account, created one after the other', async () => {
    const dependsOn: Record<string, string[]> = {};
    new AzureKataEnvironment(
      'lake',
      {
        ...props,
        deployWorkloads: false,
        analyticsServiceAccounts: [
          { namespace: 'analytics', name: 'clickstream-spark' },
          { namespace: 'analytics', name: 'nightly-rollup-spark' },
          { namespace: 'analytics', name: 'sessions-flink' },
        ],
      },
      {
        transformations: [
          (args) => {
            if (args.type === 'azure-native:managedidentity:FederatedIdentityCredential') {
              const deps = (args.opts.dependsOn ?? []) as pulumi.Resource[];
              dependsOn[args.name] = deps.map((d) => (d as unknown as { __name: string }).__name);
            }
            return undefined;
          },
        ],
      },
    );
    await settle();
    const spark = ofType('azure-native:managedidentity:FederatedIdentityCredential').filter(
      (c) => c.inputs.resourceName === 'lake-spark',
    );
    expect(
      spark.map((c) => [c.name, c.inputs.federatedIdentityCredentialResourceName, c.inputs.subject]),
    ).toEqual([
      [
        'lake-spark-analytics_clickstream-spark',
        'analytics_clickstream-spark',
        'system:serviceaccount:analytics:clickstream-spark',
      ],
      [
        'lake-spark-analytics_nightly-rollup-spark',
        'analytics_nightly-rollup-spark',
        'system:serviceaccount:analytics:nightly-rollup-spark',
      ],
      [
        'lake-spark-analytics_sessions-flink',
        'analytics_sessions-flink',
        'system:serviceaccount:analytics:sessions-flink',
      ],
    ]);
    // Azure answers 409 Conflict to concurrent credential writes under one identity.
    expect(dependsOn).toEqual({
      'lake-vault': [],
      'lake-druid-druid_druid-druid': [],
      'lake-druid-druid_druid-druid-master': ['lake-druid-druid_druid-druid'],
      'lake-spark-analytics_clickstream-spark': [],
      'lake-spark-analytics_nightly-rollup-spark': ['lake-spark-analytics_clickstream-spark'],
      'lake-spark-analytics_sessions-flink': ['lake-spark-analytics_nightly-rollup-spark'],
    });
  });

  test('refuses repeated, shared and too many service accounts', async () => {
    const sa = (name: string) => ({ namespace: 'analytics', name });
    expect(
      () =>
        new AzureKataEnvironment('e2', {
          ...props,
          deployWorkloads: false,
          analyticsServiceAccounts: [sa('a-spark'), sa('b-spark'), sa('a-spark')],
        }),
    ).toThrow(
      'AzureKataEnvironment "e2": analyticsServiceAccounts[2] {"namespace":"analytics","name":"a-spark"} is not allowed; expected a service account listed once (analyticsServiceAccounts[0] is the same account)',
    );
    expect(
      () =>
        new AzureKataEnvironment('e3', {
          ...props,
          deployWorkloads: false,
          analyticsServiceAccounts: [{ namespace: 'vault', name: 'vault' }],
        }),
    ).toThrow(
      /analyticsServiceAccounts\[0\] \{"namespace":"vault","name":"vault"\} is not allowed; expected a service account bound to one purpose only \(vaultServiceAccount binds it already; a service account names one identity in its azure.workload.identity\/client-id annotation\)/,
    );
    expect(
      () =>
        new AzureKataEnvironment('e4', {
          ...props,
          deployWorkloads: false,
          analyticsServiceAccounts: Array.from({ length: 21 }, (_, i) => sa(`job${i}-spark`)),
        }),
    ).toThrow(
      /analyticsServiceAccounts \[.*\] is not allowed; expected at most 20 service accounts \(Azure's limit of federated credentials per identity\)/,
    );
    expect(
      () =>
        new AzureKataEnvironment('e5', {
          ...props,
          deployWorkloads: false,
          druidServiceAccounts: [{ namespace: 'druid', name: 'x'.repeat(120) }],
        }),
    ).toThrow(/druidServiceAccounts\[0\] .* fits Azure's 120 characters \(126\)/);
    await settle();
    expect(registered.filter((r) => r.custom)).toEqual([]);
  });

  test('a private cluster; bad pool names refused', async () => {
    new AzureKataEnvironment('priv', { ...props, apiAuthorizedIpRanges: [], deployWorkloads: false });
    await settle();
    expect(one('azure-native:containerservice:ManagedCluster').inputs.apiServerAccessProfile).toEqual({
      enablePrivateCluster: true,
    });
    expect(
      () =>
        new AzureKataEnvironment('e1', {
          ...props,
          deployWorkloads: false,
          kataPools: [{ name: 'system', vmSize: 'Standard_D8s_v5', nodeCount: 1 }],
        }),
    ).toThrow(/kataPools\[0\].name "system" is not allowed/);
  });
});
