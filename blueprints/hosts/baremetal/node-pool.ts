/**
 * `BareMetalNodePool`: existing machines (bare metal, or VMs with nested virtualization) prepared for
 * Kata and joined to a kubeadm cluster over SSH with `@pulumi/command`.
 */
import { createHash } from 'crypto';
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import { KataRuntime, propError } from '../../../lib/sandbox';
import { HostPoolContract, IKataHostPool, hostPoolContract } from '../contract';
import { BOOTSTRAP_SCRIPT_PATH, LocalDisks, renderNodeScript } from '../node-script';
import { DEFAULT_POOL_RUNTIMES, componentContext, requireWholeNumber } from '../validate';
import { KubeadmApiVersion, parseJoinCommand, renderJoinConfiguration } from './bootstrap';

/** One machine of a {@link BareMetalNodePool}. */
export interface BareMetalHost {
  /** IP address or DNS name the machine is reached at over SSH. */
  readonly address: string;
  /**
   * SSH user; a non-root user needs passwordless sudo.
   * @default "root"
   */
  readonly user?: string;
  /** SSH private key (pass a secret, e.g. `config.requireSecret("sshKey")`). */
  readonly privateKey: pulumi.Input<string>;
  /**
   * SSH port.
   * @default 22
   */
  readonly port?: number;
  /**
   * The host's SSH public key, pinned (`ssh-ed25519 AAAA...`). Without it the first key seen is trusted.
   * @default - not pinned
   */
  readonly hostKey?: pulumi.Input<string>;
}

/** Props of {@link BareMetalNodePool}. */
export interface BareMetalNodePoolProps {
  /** The machines (at least one). */
  readonly hosts: readonly BareMetalHost[];
  /**
   * The worker join command, as `kubeadm token create --print-join-command` prints it (pass a secret).
   * It becomes a kubeadm JoinConfiguration carrying the pool's labels and taints.
   */
  readonly joinCommand: pulumi.Input<string>;
  /**
   * The runtimes the pool serves; its labels and taints follow from them.
   * @default [KataRuntime.QEMU]
   */
  readonly runtimes?: readonly KataRuntime[];
  /**
   * The Kubernetes minor version whose kubelet and kubeadm packages are installed when missing.
   * @default "1.33"
   */
  readonly kubernetesVersion?: string;
  /**
   * Install containerd, kubelet and kubeadm with apt when missing (Debian/Ubuntu).
   * @default true
   */
  readonly installPackages?: boolean;
  /**
   * Local disks turned into volumes under /mnt/disks for the local-static-provisioner.
   * @default LocalDisks.none()
   */
  readonly localDisks?: LocalDisks;
  /**
   * The kubeadm configuration API of the JoinConfiguration.
   * @default KubeadmApiVersion.V1BETA4 (kubeadm 1.31 and later)
   */
  readonly kubeadmApiVersion?: KubeadmApiVersion;
  /**
   * Where the script is copied before it is installed to /usr/local/sbin (its checksum is verified there).
   * @default "/var/tmp/kata-blueprints"
   */
  readonly remoteDir?: string;
  /**
   * Run `kubeadm reset --force` on the machine when the pool (or the host) is destroyed.
   * @default true
   */
  readonly resetOnDestroy?: boolean;
}

/**
 * The kubeadm JoinConfiguration for a pool, as a secret output. A plain-string join command is checked
 * at once; a secret one when its value is known.
 */
export function joinConfigurationFor(
  context: string,
  joinCommand: pulumi.Input<string>,
  contract: HostPoolContract,
  apiVersion: KubeadmApiVersion = KubeadmApiVersion.V1BETA4,
): pulumi.Output<string> {
  if (typeof joinCommand === 'string') parseJoinCommand(context, joinCommand);
  return pulumi.secret(
    pulumi.output(joinCommand).apply((cmd) =>
      renderJoinConfiguration({
        target: parseJoinCommand(context, cmd),
        labels: contract.appliedLabels,
        taints: contract.taints,
        apiVersion,
      }),
    ),
  );
}

/** The command that installs the copied script as root after checking its SHA-256, then runs it with the JoinConfiguration on stdin. */
export function renderRemoteBootstrapCommand(remoteScript: string, sha256: string, sudo: boolean): string {
  const s = sudo ? 'sudo -n ' : '';
  return [
    'set -eu',
    `${s}install -m 0700 -o root -g root ${remoteScript} ${BOOTSTRAP_SCRIPT_PATH}`,
    `echo "${sha256}  ${BOOTSTRAP_SCRIPT_PATH}" | ${s}sha256sum --check --quiet -`,
    `${s}${BOOTSTRAP_SCRIPT_PATH} --join-config -`,
    '',
  ].join('\n');
}

/** The command that takes a node out of the cluster on destroy. */
export function renderRemoteResetCommand(sudo: boolean): string {
  const s = sudo ? 'sudo -n ' : '';
  return ['set -eu', `${s}kubeadm reset --force`, `${s}rm -f ${BOOTSTRAP_SCRIPT_PATH}`, ''].join('\n');
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9a-fA-F:]+(%[A-Za-z0-9]+)?$/;

/**
 * Machines with hardware virtualization prepared for Kata (kernel modules, containerd, local volumes)
 * and joined with kubeadm, labelled and tainted for the RuntimeClasses of its runtimes.
 *
 * Per host: the rendered script is copied (`CopyToRemote`), installed as root after its SHA-256 is
 * verified, and run with the JoinConfiguration (a secret) on standard input (`remote.Command`). The
 * script is idempotent: changing it re-runs it without re-joining a joined node. Labels and taints
 * are applied when a node joins; a node that already joined keeps the ones it registered with.
 */
export class BareMetalNodePool extends pulumi.ComponentResource implements IKataHostPool {
  /** The pool's name. */
  public readonly poolName: string;
  /** Labels, taints and runtimes of the pool. */
  public readonly contract: HostPoolContract;
  /** The bootstrap script (the same for every host). */
  public readonly script: string;
  /** The JoinConfiguration (secret). */
  public readonly joinConfiguration: pulumi.Output<string>;
  /** Per host, the copy of the script. */
  public readonly copies: readonly command.remote.CopyToRemote[];
  /** Per host, the bootstrap command. */
  public readonly bootstraps: readonly command.remote.Command[];

  constructor(name: string, props: BareMetalNodePoolProps, opts?: pulumi.ComponentResourceOptions) {
    super('kata-blueprints:baremetal:BareMetalNodePool', name, {}, opts);
    const ctx = componentContext('BareMetalNodePool', name);
    if (!props) throw propError(ctx, 'props', props, 'BareMetalNodePoolProps');
    if (!Array.isArray(props.hosts) || props.hosts.length === 0) {
      throw propError(ctx, 'hosts', props.hosts, 'at least one host { address, user, privateKey }');
    }
    const seen = new Set<string>();
    props.hosts.forEach((h, i) => {
      const address = h?.address;
      if (typeof address !== 'string' || address.trim() === '') {
        throw propError(ctx, `hosts[${i}].address`, address, 'the IP address or DNS name of the machine');
      }
      if (!HOSTNAME.test(address) && !IPV6.test(address)) {
        throw propError(ctx, `hosts[${i}].address`, address, 'an IPv4/IPv6 address or a DNS name');
      }
      if (seen.has(address)) throw propError(ctx, `hosts[${i}].address`, address, 'each host once');
      seen.add(address);
      if (h.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(h.user)) {
        throw propError(ctx, `hosts[${i}].user`, h.user, 'a Linux user name');
      }
      if (h.port !== undefined) requireWholeNumber(ctx, `hosts[${i}].port`, h.port, 1, 65535);
      if (h.privateKey === undefined || h.privateKey === '') {
        throw propError(ctx, `hosts[${i}].privateKey`, undefined, 'an SSH private key (a secret)');
      }
    });
    if (props.joinCommand === undefined) {
      throw propError(
        ctx,
        'joinCommand',
        undefined,
        'the output of "kubeadm token create --print-join-command"',
      );
    }
    const remoteDir = props.remoteDir ?? '/var/tmp/kata-blueprints';
    if (!/^\/[A-Za-z0-9._/-]+$/.test(remoteDir) || remoteDir.includes('..')) {
      throw propError(ctx, 'remoteDir', remoteDir, 'an absolute directory path');
    }
    const contract = hostPoolContract(ctx, props.runtimes ?? DEFAULT_POOL_RUNTIMES);
    const script = renderNodeScript({
      description: ctx,
      localDisks: props.localDisks ?? LocalDisks.none(),
      kubeadm: {
        kubernetesMinor: props.kubernetesVersion ?? '1.33',
        installPackages: props.installPackages ?? true,
      },
    });
    const sha256 = createHash('sha256').update(script).digest('hex');
    const joinConfiguration = joinConfigurationFor(ctx, props.joinCommand, contract, props.kubeadmApiVersion);
    const remoteScript = `${remoteDir}/bootstrap.sh`;

    const copies: command.remote.CopyToRemote[] = [];
    const bootstraps: command.remote.Command[] = [];
    props.hosts.forEach((h, i) => {
      const user = h.user ?? 'root';
      const sudo = user !== 'root';
      const connection: command.types.input.remote.ConnectionArgs = {
        host: h.address,
        user,
        port: h.port ?? 22,
        privateKey: pulumi.secret(h.privateKey),
        ...(h.hostKey !== undefined ? { hostKey: h.hostKey } : {}),
      };
      const copy = new command.remote.CopyToRemote(
        `${name}-host${i}-script`,
        {
          connection,
          source: new pulumi.asset.StringAsset(script),
          remotePath: remoteScript,
          triggers: [sha256],
        },
        { parent: this },
      );
      const run = renderRemoteBootstrapCommand(remoteScript, sha256, sudo);
      bootstraps.push(
        new command.remote.Command(
          `${name}-host${i}-bootstrap`,
          {
            connection,
            create: run,
            update: run,
            ...((props.resetOnDestroy ?? true) ? { delete: renderRemoteResetCommand(sudo) } : {}),
            stdin: joinConfiguration,
          },
          { parent: this, dependsOn: [copy] },
        ),
      );
      copies.push(copy);
    });
    this.poolName = name;
    this.contract = contract;
    this.script = script;
    this.joinConfiguration = joinConfiguration;
    this.copies = copies;
    this.bootstraps = bootstraps;
    this.registerOutputs({
      hosts: props.hosts.map((h) => h.address),
      labels: contract.labels,
      taints: contract.taints,
      runtimes: contract.runtimes.map((r) => r.name),
      scriptSha256: sha256,
    });
  }
}
