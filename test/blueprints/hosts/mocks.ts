/** Pulumi mocks for the host blueprint tests: records every registered resource and answers invokes. */
import * as pulumi from '@pulumi/pulumi';

/** A resource as the program registered it. */
export interface Registered {
  /** Type token, e.g. `aws:eks/nodeGroup:NodeGroup`. */
  readonly type: string;
  /** Resource name. */
  readonly name: string;
  /** Inputs, resolved. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: any;
  /** False for component resources. */
  readonly custom: boolean;
}

/** Every resource registered since the last {@link resetRegistered}. */
export const registered: Registered[] = [];

/** Invokes the tests answer, by token. */
const CALLS: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  'aws:eks/getCluster:getCluster': (inputs) => ({
    name: inputs.name,
    vpcConfig: { clusterSecurityGroupId: 'sg-cluster', subnetIds: [], securityGroupIds: [] },
  }),
  'gcp:organizations/getProject:getProject': (inputs) => ({
    projectId: inputs.projectId ?? 'my-project',
    number: '123456789012',
    name: 'my-project',
  }),
  'gcp:organizations/getClientConfig:getClientConfig': () => ({
    project: 'my-project',
    region: 'europe-west4',
  }),
  'azure-native:authorization:getClientConfig': () => ({
    tenantId: '00000000-0000-0000-0000-0000000000aa',
    subscriptionId: '00000000-0000-0000-0000-0000000000bb',
    clientId: 'client',
    objectId: 'object',
  }),
  'azure-native:containerservice:listManagedClusterUserCredentials': () => ({
    kubeconfigs: [
      { name: 'clusterUser', value: Buffer.from('apiVersion: v1\nkind: Config\n').toString('base64') },
    ],
  }),
};

const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const SECRET_VALUE = '1b47061264138c4ac30d75fd1eb44270';

/** Replaces Pulumi's secret wrappers (as mocks receive them) by their values. */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { latestVersion: 3, arn: `arn:aws:ec2:::launch-template/${args.name}` };
    case 'aws:eks/cluster:Cluster':
      return {
        name: inputs.name ?? args.name,
        arn: `arn:aws:eks:::cluster/${args.name}`,
        endpoint: 'https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
        certificateAuthority: { data: 'Q0EK' },
        vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: 'sg-cluster' },
      };
    case 'gcp:container/cluster:Cluster':
      return {
        name: inputs.name ?? args.name,
        endpoint: '203.0.113.10',
        masterAuth: { clusterCaCertificate: 'Q0EK' },
      };
    case 'azure-native:containerservice:ManagedCluster':
      return {
        name: args.name,
        oidcIssuerProfile: { enabled: true, issuerURL: 'https://oidc.example/issuer/' },
      };
    case 'azure-native:managedidentity:UserAssignedIdentity':
      return { name: args.name, clientId: `${args.name}-client`, principalId: `${args.name}-principal` };
    default:
      return {
        arn: `arn:aws:mock:::${args.name}`,
        name: inputs.name ?? args.name,
        selfLink: `https://mock/${args.name}`,
        email: `${args.name}@my-project.iam.gserviceaccount.com`,
      };
  }
}

/** Installs the mocks (call once per test file, before creating resources). */
export function installMocks(): void {
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: unwrapSecrets(args.inputs),
          custom: args.custom ?? true,
        });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computed(args) } };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const f = CALLS[args.token];
        if (!f) throw new Error(`unmocked invoke ${args.token}`);
        return f(args.inputs as Record<string, unknown>);
      },
    },
    'project',
    'stack',
    false,
  );
}

/** Forgets what was registered. */
export function resetRegistered(): void {
  registered.length = 0;
}

/** Waits until no new resource has been registered for a while (registration is asynchronous). */
export async function settle(): Promise<void> {
  let last = -1;
  let stable = 0;
  for (let i = 0; i < 400 && stable < 5; i++) {
    await new Promise((r) => setTimeout(r, 5));
    if (registered.length === last) stable++;
    else {
      stable = 0;
      last = registered.length;
    }
  }
}

/** The resources of a type. */
export function ofType(type: string): Registered[] {
  return registered.filter((r) => r.type === type);
}

/** The one resource of a type with a name, or a failure. */
export function one(type: string, name?: string): Registered {
  const found = registered.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type}${name ? ` named ${name}` : ''}, found ${found.map((r) => r.name).join(', ') || 'none'}`,
    );
  }
  return found[0];
}

/** Resolves an output's value. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}
