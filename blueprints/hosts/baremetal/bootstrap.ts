/**
 * Pure renderers for self-managed Kata nodes: the kubeadm JoinConfiguration (node labels and taints
 * in `nodeRegistration`), parsed from the `kubeadm join ...` command the control plane prints, and a
 * cloud-init `#cloud-config` that installs and runs the host bootstrap script.
 */
import { stringify } from 'yaml';
import { NodeTaint, propError } from '../../../lib/sandbox';
import { toNodeLabelsFlag } from '../contract';
import { BOOTSTRAP_SCRIPT_PATH, JOIN_CONFIG_PATH } from '../node-script';

/** The kubeadm configuration API a JoinConfiguration is written for. */
export class KubeadmApiVersion {
  /** `kubeadm.k8s.io/v1beta3` (kubeadm 1.22 and later; deprecated from 1.31). `kubeletExtraArgs` is a map. */
  public static readonly V1BETA3 = new KubeadmApiVersion('kubeadm.k8s.io/v1beta3');
  /** `kubeadm.k8s.io/v1beta4` (kubeadm 1.31 and later). `kubeletExtraArgs` is a list of `{name, value}`. */
  public static readonly V1BETA4 = new KubeadmApiVersion('kubeadm.k8s.io/v1beta4');

  private constructor(
    /** The `apiVersion`. */
    public readonly apiVersion: string,
  ) {}
}

/** The discovery settings of a `kubeadm join` command. */
export interface KubeadmJoinTarget {
  /** `host:port` of the API server (or its load balancer). */
  readonly apiServerEndpoint: string;
  /** The bootstrap token, `[a-z0-9]{6}.[a-z0-9]{16}`. */
  readonly token: string;
  /** Pinned CA public-key hashes, `sha256:<64 hex>` (at least one). */
  readonly caCertHashes: readonly string[];
}

const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const CA_HASH = /^sha256:[a-f0-9]{64}$/;
const ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):\d{1,5}$/;

/**
 * Parses the `kubeadm join <endpoint> --token <t> --discovery-token-ca-cert-hash sha256:<h>` command
 * that `kubeadm token create --print-join-command` prints.
 *
 * @param context where the command was given, for error messages
 * @throws PropError (naming the flag, never the token) when it is not a worker join command, lacks the
 *   endpoint, token or CA hash, asks to skip CA verification, or has flags a JoinConfiguration cannot carry
 */
export function parseJoinCommand(context: string, command: string): KubeadmJoinTarget {
  if (typeof command !== 'string' || command.trim() === '') {
    throw propError(
      context,
      'joinCommand',
      command,
      'the output of "kubeadm token create --print-join-command"',
    );
  }
  const words = command.trim().split(/\s+/);
  let i = 0;
  if (words[i] === 'sudo') i++;
  if (!/(^|\/)kubeadm$/.test(words[i] ?? '') || words[i + 1] !== 'join') {
    throw propError(
      context,
      'joinCommand',
      `${words.slice(0, 2).join(' ')} ...`,
      'a command starting with "kubeadm join"',
    );
  }
  i += 2;
  let endpoint: string | undefined;
  let token: string | undefined;
  const hashes: string[] = [];
  while (i < words.length) {
    const word = words[i];
    if (!word.startsWith('--')) {
      if (endpoint !== undefined)
        throw propError(context, 'joinCommand', word, 'a single API server endpoint');
      endpoint = word;
      i++;
      continue;
    }
    const eq = word.indexOf('=');
    const flag = eq >= 0 ? word.slice(0, eq) : word;
    const takeValue = (): string => {
      if (eq >= 0) return word.slice(eq + 1);
      const v = words[i + 1];
      if (v === undefined || v.startsWith('--'))
        throw propError(context, `joinCommand ${flag}`, undefined, 'a value');
      i++;
      return v;
    };
    switch (flag) {
      case '--token':
      case '--discovery-token': {
        const t = takeValue();
        if (!TOKEN.test(t))
          throw propError(
            context,
            `joinCommand ${flag}`,
            '(hidden)',
            'a bootstrap token [a-z0-9]{6}.[a-z0-9]{16}',
          );
        token = t;
        break;
      }
      case '--discovery-token-ca-cert-hash': {
        const h = takeValue();
        if (!CA_HASH.test(h)) throw propError(context, `joinCommand ${flag}`, h, 'sha256:<64 hex digits>');
        hashes.push(h);
        break;
      }
      case '--discovery-token-unsafe-skip-ca-verification':
        throw propError(
          context,
          `joinCommand ${flag}`,
          true,
          'a pinned --discovery-token-ca-cert-hash (skipping CA verification lets anyone on the path impersonate the control plane)',
        );
      case '--control-plane':
      case '--certificate-key':
        throw propError(
          context,
          `joinCommand ${flag}`,
          true,
          'a worker join command (Kata pools are workers)',
        );
      default:
        throw propError(
          context,
          `joinCommand ${flag}`,
          word,
          'only the endpoint, --token and --discovery-token-ca-cert-hash (kubeadm refuses other flags together with --config)',
        );
    }
    i++;
  }
  if (endpoint === undefined || !ENDPOINT.test(endpoint)) {
    throw propError(
      context,
      'joinCommand endpoint',
      endpoint,
      'the API server "host:port", e.g. "10.0.0.10:6443"',
    );
  }
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  if (port < 1 || port > 65535)
    throw propError(context, 'joinCommand endpoint', endpoint, 'a port between 1 and 65535');
  if (token === undefined) throw propError(context, 'joinCommand --token', undefined, 'a bootstrap token');
  if (hashes.length === 0) {
    throw propError(
      context,
      'joinCommand --discovery-token-ca-cert-hash',
      undefined,
      'at least one pinned CA hash',
    );
  }
  return { apiServerEndpoint: endpoint, token, caCertHashes: hashes };
}

/** Options of {@link renderJoinConfiguration}. */
export interface JoinConfigurationOptions {
  /** Where and how to join. */
  readonly target: KubeadmJoinTarget;
  /** Node labels (kubelet `--node-labels`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Node taints (`nodeRegistration.taints`). */
  readonly taints: readonly NodeTaint[];
  /**
   * The kubeadm configuration API.
   * @default KubeadmApiVersion.V1BETA4
   */
  readonly apiVersion?: KubeadmApiVersion;
  /**
   * The CRI socket.
   * @default "unix:///run/containerd/containerd.sock"
   */
  readonly criSocket?: string;
}

/** Renders a kubeadm `JoinConfiguration` (YAML) that registers the node with the pool's labels and taints. */
export function renderJoinConfiguration(options: JoinConfigurationOptions): string {
  const apiVersion = options.apiVersion ?? KubeadmApiVersion.V1BETA4;
  const nodeLabels = toNodeLabelsFlag(options.labels);
  const extraArgs =
    nodeLabels === ''
      ? undefined
      : apiVersion === KubeadmApiVersion.V1BETA3
        ? { 'node-labels': nodeLabels }
        : [{ name: 'node-labels', value: nodeLabels }];
  const doc = {
    apiVersion: apiVersion.apiVersion,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: options.target.apiServerEndpoint,
        token: options.target.token,
        caCertHashes: [...options.target.caCertHashes],
      },
    },
    nodeRegistration: {
      criSocket: options.criSocket ?? 'unix:///run/containerd/containerd.sock',
      ...(extraArgs ? { kubeletExtraArgs: extraArgs } : {}),
      taints: options.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
    },
  };
  return stringify(doc, { lineWidth: 0 });
}

/** Options of {@link renderCloudConfig}. */
export interface CloudConfigOptions {
  /** The bootstrap script (from `renderNodeScript` with `kubeadm`). */
  readonly script: string;
  /** The JoinConfiguration to join with; without it the host is prepared but does not join. @default - none */
  readonly joinConfiguration?: string;
}

/**
 * Renders a cloud-init `#cloud-config` that writes the bootstrap script (root, 0700) and the
 * JoinConfiguration (root, 0600), and runs the script once on first boot.
 */
export function renderCloudConfig(options: CloudConfigOptions): string {
  const files: Array<Record<string, unknown>> = [
    { path: BOOTSTRAP_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: options.script },
  ];
  const run: string[] = [BOOTSTRAP_SCRIPT_PATH];
  if (options.joinConfiguration !== undefined) {
    files.push({
      path: JOIN_CONFIG_PATH,
      owner: 'root:root',
      permissions: '0600',
      content: options.joinConfiguration,
    });
    run.push('--join-config', JOIN_CONFIG_PATH);
  }
  const doc = {
    disable_root: true,
    ssh_pwauth: false,
    write_files: files,
    runcmd: [run],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0, blockQuote: 'literal' })}`;
}
