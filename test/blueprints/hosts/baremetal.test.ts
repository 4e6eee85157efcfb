import { createHash } from 'crypto';
import { parse } from 'yaml';
import { KATA_NODE_TAINT_KEY, KATA_RUNTIME_LABEL, KataRuntime } from '../../../lib/sandbox';
import {
  BOOTSTRAP_SCRIPT_PATH,
  BareMetalNodePool,
  KATA_HOST_LABEL,
  KubeadmApiVersion,
  LocalDiskLayout,
  LocalDisks,
  parseJoinCommand,
  renderCloudConfig,
  renderJoinConfiguration,
} from '../../../blueprints/hosts';
import { installMocks, ofType, resetRegistered, settle } from './mocks';

beforeAll(installMocks);
beforeEach(resetRegistered);

const HASH = 'sha256:' + 'b'.repeat(64);
const JOIN = `kubeadm join cp.example.internal:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${HASH}`;

describe('parseJoinCommand', () => {
  test('reads endpoint, token and CA hashes in both flag forms', () => {
    expect(parseJoinCommand('x', JOIN)).toEqual({
      apiServerEndpoint: 'cp.example.internal:6443',
      token: 'abcdef.0123456789abcdef',
      caCertHashes: [HASH],
    });
    expect(
      parseJoinCommand(
        'x',
        `sudo kubeadm join --token=abcdef.0123456789abcdef 10.0.0.1:6443 --discovery-token-ca-cert-hash=${HASH}`,
      ),
    ).toEqual({
      apiServerEndpoint: '10.0.0.1:6443',
      token: 'abcdef.0123456789abcdef',
      caCertHashes: [HASH],
    });
    expect(
      parseJoinCommand(
        'x',
        `kubeadm join [fd00::1]:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${HASH}`,
      ).apiServerEndpoint,
    ).toBe('[fd00::1]:6443');
  });

  test.each([
    ['', /joinCommand "" is not allowed; expected the output of "kubeadm token create --print-join-command"/],
    [
      'kubectl get nodes',
      /joinCommand "kubectl get ..." is not allowed; expected a command starting with "kubeadm join"/,
    ],
    [
      `kubeadm join 10.0.0.1:6443 --token abc --discovery-token-ca-cert-hash ${HASH}`,
      /joinCommand --token "\(hidden\)" is not allowed; expected a bootstrap token/,
    ],
    [
      'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-unsafe-skip-ca-verification',
      /skipping CA verification/,
    ],
    [
      `${JOIN} --control-plane --certificate-key abc`,
      /joinCommand --control-plane true is not allowed; expected a worker join command/,
    ],
    [
      `${JOIN} --node-name n1`,
      /joinCommand --node-name "--node-name" is not allowed; expected only the endpoint, --token and --discovery-token-ca-cert-hash/,
    ],
    [
      `kubeadm join --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${HASH}`,
      /joinCommand endpoint \(unset\) is not allowed/,
    ],
    [
      `kubeadm join 10.0.0.1:99999 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${HASH}`,
      /a port between 1 and 65535/,
    ],
    [
      'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef',
      /--discovery-token-ca-cert-hash \(unset\) is not allowed; expected at least one pinned CA hash/,
    ],
  ])('refuses %j', (cmd, message) => {
    expect(() => parseJoinCommand('BareMetalNodePool "bm"', cmd)).toThrow(message);
  });

  test('never shows the token in an error', () => {
    expect(() =>
      parseJoinCommand('x', 'kubeadm join 10.0.0.1:6443 --token ABCDEF.secretsecretsecret'),
    ).toThrow(/\(hidden\)/);
    try {
      parseJoinCommand('x', 'kubeadm join 10.0.0.1:6443 --token ABCDEF.secretsecretsecret');
    } catch (e) {
      expect((e as Error).message).not.toContain('secretsecret');
    }
  });
});

describe('renderJoinConfiguration', () => {
  const target = {
    apiServerEndpoint: '10.0.0.1:6443',
    token: 'abcdef.0123456789abcdef',
    caCertHashes: [HASH],
  };
  const labels = { [KATA_RUNTIME_LABEL]: 'true', [KATA_HOST_LABEL]: 'true' };
  const taints = [{ key: KATA_NODE_TAINT_KEY, value: 'true', effect: 'NoSchedule' as const }];

  test('v1beta4: kubeletExtraArgs as a list, taints in nodeRegistration', () => {
    const doc = parse(renderJoinConfiguration({ target, labels, taints }));
    expect(doc).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: {
        bootstrapToken: {
          apiServerEndpoint: '10.0.0.1:6443',
          token: 'abcdef.0123456789abcdef',
          caCertHashes: [HASH],
        },
      },
      nodeRegistration: {
        criSocket: 'unix:///run/containerd/containerd.sock',
        kubeletExtraArgs: [
          { name: 'node-labels', value: `${KATA_HOST_LABEL}=true,${KATA_RUNTIME_LABEL}=true` },
        ],
        taints: [{ key: KATA_NODE_TAINT_KEY, value: 'true', effect: 'NoSchedule' }],
      },
    });
  });

  test('v1beta3: kubeletExtraArgs as a map', () => {
    const doc = parse(
      renderJoinConfiguration({ target, labels, taints, apiVersion: KubeadmApiVersion.V1BETA3 }),
    );
    expect(doc.apiVersion).toBe('kubeadm.k8s.io/v1beta3');
    expect(doc.nodeRegistration.kubeletExtraArgs).toEqual({
      'node-labels': `${KATA_HOST_LABEL}=true,${KATA_RUNTIME_LABEL}=true`,
    });
  });
});

describe('renderCloudConfig', () => {
  test('writes the script (0700) and the JoinConfiguration (0600) and runs the script once', () => {
    const doc = parse(
      renderCloudConfig({
        script: '#!/usr/bin/env bash\necho hi\n',
        joinConfiguration: 'kind: JoinConfiguration\n',
      }),
    );
    expect(doc.write_files).toEqual([
      {
        path: BOOTSTRAP_SCRIPT_PATH,
        owner: 'root:root',
        permissions: '0700',
        content: '#!/usr/bin/env bash\necho hi\n',
      },
      {
        path: '/etc/kubernetes/kata-blueprints-join.yaml',
        owner: 'root:root',
        permissions: '0600',
        content: 'kind: JoinConfiguration\n',
      },
    ]);
    expect(doc.runcmd).toEqual([
      [BOOTSTRAP_SCRIPT_PATH, '--join-config', '/etc/kubernetes/kata-blueprints-join.yaml'],
    ]);
    expect(doc.ssh_pwauth).toBe(false);
  });
});

describe('BareMetalNodePool', () => {
  const hosts = [
    { address: '10.0.1.11', user: 'ubuntu', privateKey: 'KEY' },
    { address: 'metal-2.example.internal', privateKey: 'KEY', hostKey: 'ssh-ed25519 AAAAC3Nza' },
  ];

  test('copies the script and runs it per host with the JoinConfiguration on stdin', async () => {
    const pool = new BareMetalNodePool('metal', {
      hosts,
      joinCommand: JOIN,
      runtimes: [KataRuntime.QEMU, KataRuntime.FIRECRACKER],
      localDisks: LocalDisks.devices(['/dev/nvme1n1', '/dev/nvme2n1'], LocalDiskLayout.RAID0),
    });
    await settle();
    const copies = ofType('command:remote:CopyToRemote');
    const commands = ofType('command:remote:Command');
    expect(copies.map((c) => c.name)).toEqual(['metal-host0-script', 'metal-host1-script']);
    expect(commands.map((c) => c.name)).toEqual(['metal-host0-bootstrap', 'metal-host1-bootstrap']);
    const sha = createHash('sha256').update(pool.script).digest('hex');
    expect(copies[0].inputs.remotePath).toBe('/var/tmp/kata-blueprints/bootstrap.sh');
    expect(copies[0].inputs.triggers).toEqual([sha]);
    expect(copies[0].inputs.connection).toMatchObject({
      host: '10.0.1.11',
      user: 'ubuntu',
      port: 22,
      privateKey: 'KEY',
    });
    expect(commands[1].inputs.connection).toMatchObject({
      host: 'metal-2.example.internal',
      user: 'root',
      hostKey: 'ssh-ed25519 AAAAC3Nza',
    });
    expect(commands[0].inputs.create).toContain(
      `echo "${sha}  ${BOOTSTRAP_SCRIPT_PATH}" | sudo -n sha256sum --check --quiet -`,
    );
    expect(commands[0].inputs.create).toContain(`sudo -n ${BOOTSTRAP_SCRIPT_PATH} --join-config -`);
    expect(commands[1].inputs.create).not.toContain('sudo');
    expect(commands[0].inputs.update).toBe(commands[0].inputs.create);
    expect(commands[0].inputs.delete).toContain('kubeadm reset --force');
    const join = parse(commands[0].inputs.stdin);
    expect(join.kind).toBe('JoinConfiguration');
    expect(join.nodeRegistration.taints).toEqual([
      { key: KATA_NODE_TAINT_KEY, value: 'true', effect: 'NoSchedule' },
    ]);
    expect(pool.script).toContain('modules+=(vhost vhost_net vhost_vsock)');
    expect(pool.script).toContain("printf \"%s\\n\" '/dev/nvme1n1' '/dev/nvme2n1'");
    expect(pool.script).toContain('mdadm --create');
    expect(pool.contract.kataDeployShims).toEqual(['fc', 'qemu']);
  });

  test('refuses hosts without an address, no hosts, bad ports and bad join commands', () => {
    expect(() => new BareMetalNodePool('a', { hosts: [], joinCommand: JOIN })).toThrow(
      'BareMetalNodePool "a": hosts [] is not allowed; expected at least one host { address, user, privateKey }',
    );
    expect(
      () => new BareMetalNodePool('b', { hosts: [{ address: '', privateKey: 'k' }], joinCommand: JOIN }),
    ).toThrow(
      'BareMetalNodePool "b": hosts[0].address "" is not allowed; expected the IP address or DNS name of the machine',
    );
    expect(
      () =>
        new BareMetalNodePool('c', {
          hosts: [{ privateKey: 'k' } as unknown as { address: string; privateKey: string }],
          joinCommand: JOIN,
        }),
    ).toThrow(/hosts\[0\].address \(unset\) is not allowed/);
    expect(
      () =>
        new BareMetalNodePool('d', { hosts: [{ address: 'bad host!', privateKey: 'k' }], joinCommand: JOIN }),
    ).toThrow(/hosts\[0\].address "bad host!" is not allowed; expected an IPv4\/IPv6 address or a DNS name/);
    expect(
      () =>
        new BareMetalNodePool('e', {
          hosts: [{ address: 'h', privateKey: 'k', port: 0 }],
          joinCommand: JOIN,
        }),
    ).toThrow(/hosts\[0\].port 0/);
    expect(() => new BareMetalNodePool('f', { hosts: [hosts[0], hosts[0]], joinCommand: JOIN })).toThrow(
      /hosts\[1\].address "10.0.1.11" is not allowed; expected each host once/,
    );
    expect(() => new BareMetalNodePool('g', { hosts, joinCommand: 'kubeadm join 10.0.0.1:6443' })).toThrow(
      /joinCommand --token \(unset\)/,
    );
    expect(() => new BareMetalNodePool('h', { hosts, joinCommand: JOIN, runtimes: [] })).toThrow(
      /runtimes \[\] is not allowed/,
    );
    expect(() => LocalDisks.devices(['nvme1n1'])).toThrow(
      'LocalDisks.devices: devices[0] "nvme1n1" is not allowed; expected an absolute block device path under /dev, e.g. "/dev/nvme1n1"',
    );
  });
});
