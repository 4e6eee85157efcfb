/** `KataVaultCluster`: a highly available HashiCorp Vault in Kata VMs, with TLS on every hop. */
import { volumeClaimTemplate } from '../../../lib/k8s/storage';
import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { certManagerCertificate, podDnsNames, serviceDnsNames } from '../../../lib/k8s/cert-manager';
import { CONFIG_HASH_ANNOTATION, configFiles } from '../../../lib/k8s/config';
import { containerSpec, httpProbe, preStopExec } from '../../../lib/k8s/container';
import { constructContext, propError } from '../../../lib/k8s/errors';
import { validateImage } from '../../../lib/k8s/image';
import { componentLabels, defaultName, imageVersion, validateDnsName } from '../../../lib/k8s/labels';
import {
  Connections,
  INetworkEndpoint,
  NetworkPeer,
  NetworkPort,
  PodNetworkPolicy,
  apiServerEgress,
} from '../../../lib/k8s/network';
import { podDisruptionBudget, quorumMaxUnavailable } from '../../../lib/k8s/pdb';
import { sandboxedPodTemplate } from '../../../lib/k8s/pod';
import { SpreadPolicy } from '../../../lib/k8s/scheduling';
import { durationSeconds, resolveResources, sizeToQuantity } from '../../../lib/k8s/units';
import { Sandbox } from '../../../lib/sandbox/sandbox';
import {
  VaultConsulStorageConfig,
  VaultRaftStorageConfig,
  VaultServerConfig,
  renderVaultConfig,
} from './config';
import { VaultSeal } from './seal';
import { VaultStorage } from './storage';
import { VaultTls } from './tls';

/** The pinned default image: the official Vault Community image (Alpine; user `vault` uid 100, group `vault` gid 1000). */
export const VAULT_IMAGE = 'docker.io/hashicorp/vault:1.21.4';
/** uid of the `vault` user in the official image (`adduser -S`: first system uid). */
export const VAULT_UID = 100;
/** gid of the `vault` group in the official image (`addgroup`: first regular gid). */
export const VAULT_GID = 1000;
/** Client (API) port. */
export const VAULT_API_PORT = 8200;
/** Cluster port: request forwarding between servers and Raft traffic. */
export const VAULT_CLUSTER_PORT = 8201;
/** The annotation through which blueprints declare a non-production setting (read by the checks). */
const WARNING_ANNOTATION = 'kata-blueprints.io/warning';

const CONFIG_DIR = '/vault/config';
const TLS_DIR = '/vault/userconfig/tls';
const TLS_CERT_DIR = '/vault/userconfig/tls-cert';
const CONSUL_TLS_DIR = '/vault/userconfig/consul-tls';
const DATA_DIR = '/vault/data';
const AUDIT_DIR = '/vault/audit';
const HOME_DIR = '/home/vault';
const MAX_NAME = 45;

/** How the StatefulSet replaces pods when the spec changes. */
export class VaultUpdateStrategy {
  /**
   * `OnDelete`: nothing restarts until an operator deletes a pod, which is the upgrade procedure the
   * Vault docs give for Kubernetes (standbys first, then the active server).
   */
  public static onDelete(): VaultUpdateStrategy {
    return new VaultUpdateStrategy('OnDelete');
  }

  /**
   * `RollingUpdate`: one pod at a time, highest ordinal first, each waiting for the previous one to be
   * ready (unsealed). With Shamir the rollout pauses at every pod until it is unsealed.
   */
  public static rollingUpdate(): VaultUpdateStrategy {
    return new VaultUpdateStrategy('RollingUpdate');
  }

  private constructor(
    /** The StatefulSet `updateStrategy.type`. */
    public readonly type: 'OnDelete' | 'RollingUpdate',
  ) {}
}

/** The Prometheus telemetry of a Vault cluster. */
export interface VaultTelemetryOptions {
  /**
   * How long Vault keeps metrics in memory for `/v1/sys/metrics?format=prometheus`
   * (`prometheus_retention_time`); zero disables the Prometheus sink.
   * @default Duration.hours(24)
   */
  readonly prometheusRetention?: Duration;
  /**
   * Do not prefix gauge names with the host name (`disable_hostname`).
   * @default true
   */
  readonly disableHostname?: boolean;
  /**
   * Serve `/v1/sys/metrics` without a Vault token, also on standbys
   * (`unauthenticated_metrics_access` on the listener).
   * @default false
   */
  readonly unauthenticatedMetricsAccess?: boolean;
}

/** Props of {@link KataVaultCluster}. */
export interface KataVaultClusterProps {
  /** TLS of the listener: `VaultTls.certManager({...})`, `VaultTls.fromSecret(name)` or (development only) `VaultTls.disabled()`. */
  readonly tls: VaultTls;
  /**
   * Base name of every object (StatefulSet, Services, ConfigMap, ServiceAccount...).
   * @default - the construct id, lower-cased
   */
  readonly name?: string;
  /**
   * Number of Vault servers. With Raft this is the quorum size and must be odd: an even count
   * tolerates no more failures than the odd count below it.
   * @default 3
   */
  readonly replicas?: number;
  /**
   * Storage backend.
   * @default VaultStorage.raft()
   */
  readonly storage?: VaultStorage;
  /**
   * How Vault unseals.
   * @default VaultSeal.shamir()
   */
  readonly seal?: VaultSeal;
  /**
   * How the pods are isolated.
   * @default Sandbox.kata() (KataRuntime.QEMU)
   */
  readonly sandbox?: Sandbox;
  /**
   * Vault image (pinned tag or digest). Its `vault` user must be uid 100, gid 1000.
   * @default VAULT_IMAGE (docker.io/hashicorp/vault:1.21.4)
   */
  readonly image?: string;
  /**
   * Requests and limits of the Vault container (Kata sizes each VM from the limits).
   * @default - CPU 500m request / 2 limit, memory 1Gi request and limit
   */
  readonly resources?: ContainerResources;
  /**
   * Size of an audit-log volume claim per server, mounted at `/vault/audit`. Enable the device
   * afterwards: `vault audit enable file file_path=/vault/audit/vault-audit.log`.
   * @default - no audit volume
   */
  readonly auditStorageSize?: Size;
  /**
   * StorageClass of the audit volume claims.
   * @default - the Raft data StorageClass, else the cluster's default
   */
  readonly auditStorageClassName?: string;
  /**
   * Serve the web UI on the API port (`ui`).
   * @default true
   */
  readonly ui?: boolean;
  /**
   * Prometheus telemetry.
   * @default - 24h retention, host names not in metric names, metrics need a token
   */
  readonly telemetry?: VaultTelemetryOptions;
  /**
   * How the StatefulSet replaces pods.
   * @default - OnDelete with the Shamir seal (every restarted pod waits for key holders), RollingUpdate with auto-unseal
   */
  readonly updateStrategy?: VaultUpdateStrategy;
  /**
   * Hostname anti-affinity and zone spread.
   * @default SpreadPolicy.ONE_PER_HOST (never two servers on one node, zones balanced when possible)
   */
  readonly spread?: SpreadPolicy;
  /**
   * Where the KMS lives, for the NetworkPolicy egress on 443 when a KMS seal is used (NetworkPolicy
   * cannot name hosts; narrow this to a VPC-endpoint or egress-proxy CIDR where you have one).
   * @default NetworkPeer.anywhere()
   */
  readonly kmsPeer?: NetworkPeer;
  /**
   * CIDR of the Kubernetes API server, for the egress that service registration needs (443 and 6443).
   * @default "0.0.0.0/0"
   */
  readonly apiServerCidr?: string;
  /**
   * Run a small native sidecar (Kubernetes 1.29 or later) that sends Vault `SIGHUP` when the mounted
   * certificate changes, so renewed certificates are served without a restart (a restart would seal a
   * Shamir-sealed server). The pod then shares one PID namespace between its two containers.
   * @default true when TLS is enabled
   */
  readonly reloadCertificates?: boolean;
  /**
   * Priority class of the pods.
   * @default - none
   */
  readonly priorityClassName?: string;
}

/**
 * A highly available Vault: a StatefulSet of servers in Kata VMs with Raft (or Consul) storage, TLS on
 * the listener and on every Raft join, Kubernetes service registration (active/standby Services), a
 * quorum-keeping PodDisruptionBudget, one-per-host spreading and a default-deny NetworkPolicy.
 *
 * Initialisation and (with Shamir) unsealing remain operator steps; see the Vault section of README.md.
 */
export class KataVaultCluster extends Construct implements INetworkEndpoint {
  /** Base name of the objects (also the StatefulSet and the main Service). */
  public readonly name: string;
  /** Number of servers. */
  public readonly replicas: number;
  /** The main Service (all ready servers; standbys forward to the active one). */
  public readonly serviceName: string;
  /** The Service that selects the active server (`vault-active: "true"`). */
  public readonly activeServiceName: string;
  /** The Service that selects unsealed standbys (`vault-active: "false"`). */
  public readonly standbyServiceName: string;
  /** The headless Service that gives each pod its DNS name (publishes not-ready pods). */
  public readonly internalServiceName: string;
  /** Name of the Secret with `tls.crt`, `tls.key` and `ca.crt` (clients need `ca.crt`); undefined without TLS. */
  public readonly tlsSecretName: string | undefined;
  /** The client URL, e.g. `https://vault.vault.svc:8200`. */
  public readonly address: string;
  /** The rendered server configuration (HCL). */
  public readonly config: string;
  /** Network connections: clients reach port 8200. */
  public readonly connections: Connections;
  /** The StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The ServiceAccount of the servers. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The cert-manager Certificate (with `VaultTls.certManager`). */
  public readonly certificate: ApiObject | undefined;
  /** The selector labels of the server pods. */
  public readonly selector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: KataVaultClusterProps) {
    super(scope, id);
    const ctx = constructContext('KataVaultCluster', id);
    const p = props ?? ({} as KataVaultClusterProps);

    // ---- props ---------------------------------------------------------------------------------
    if (!(p.tls instanceof VaultTls)) {
      throw propError(
        ctx,
        'tls',
        p.tls,
        'VaultTls.certManager({...}), VaultTls.fromSecret(name) or VaultTls.disabled() (required)',
      );
    }
    const tls = p.tls;
    const name = validateDnsName(ctx, 'name', p.name ?? defaultName(id), MAX_NAME);
    const storage = p.storage ?? VaultStorage.raft();
    if (!(storage instanceof VaultStorage)) {
      throw propError(ctx, 'storage', storage, 'VaultStorage.raft({...}) or VaultStorage.consul({...})');
    }
    const raft = storage.kind === 'raft';
    const replicas = p.replicas ?? 3;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
      throw propError(
        ctx,
        'replicas',
        replicas,
        raft ? 'an odd whole number >= 1 (3 or 5 for production)' : 'a whole number >= 1',
      );
    }
    if (raft && replicas % 2 === 0) {
      throw propError(
        ctx,
        'replicas',
        replicas,
        `an odd number (${replicas - 1} or ${replicas + 1}): a Raft quorum of ${replicas} tolerates ` +
          `${quorumMaxUnavailable(replicas)} failure(s), no more than ${replicas - 1} servers`,
      );
    }
    if (!tls.enabled && raft && replicas > 1) {
      throw propError(
        ctx,
        'tls',
        'VaultTls.disabled()',
        `TLS for a Raft cluster of ${replicas} servers (Raft joins and unseal requests would cross the network in clear text); ` +
          'VaultTls.disabled() is only for a single development server',
      );
    }
    const seal = p.seal ?? VaultSeal.shamir();
    if (!(seal instanceof VaultSeal)) {
      throw propError(
        ctx,
        'seal',
        seal,
        'VaultSeal.shamir(), VaultSeal.awsKms({...}), VaultSeal.gcpKms({...}) or VaultSeal.azureKeyVault({...})',
      );
    }
    const sandbox = p.sandbox ?? Sandbox.kata();
    const image = validateImage(ctx, 'image', p.image ?? VAULT_IMAGE);
    const namespace = Chart.of(this).namespace;
    if (tls.kind === 'cert-manager' && !namespace) {
      throw propError(
        ctx,
        'tls',
        'VaultTls.certManager(...)',
        "a chart with a namespace (new Chart(app, id, { namespace: 'vault' })): the certificate names each pod and service in its namespace",
      );
    }
    if (tls.kind === 'secret') {
      checkSubdomain(ctx, 'tls', tls.secretName, 'the name of a Secret in the Vault namespace');
    }
    if (tls.secretOptions.raftServerName !== undefined) {
      checkSubdomain(
        ctx,
        'tls.raftServerName',
        tls.secretOptions.raftServerName,
        'a DNS name the certificate carries',
      );
    }
    const updateStrategy =
      p.updateStrategy ??
      (seal.autoUnseal ? VaultUpdateStrategy.rollingUpdate() : VaultUpdateStrategy.onDelete());
    if (!(updateStrategy instanceof VaultUpdateStrategy)) {
      throw propError(
        ctx,
        'updateStrategy',
        updateStrategy,
        'VaultUpdateStrategy.onDelete() or VaultUpdateStrategy.rollingUpdate()',
      );
    }
    const spread = p.spread ?? SpreadPolicy.ONE_PER_HOST;
    if (!(spread instanceof SpreadPolicy)) throw propError(ctx, 'spread', spread, 'a SpreadPolicy preset');
    const resources = resolveResources(ctx, 'resources', p.resources, {
      cpu: { request: Cpu.millis(500), limit: Cpu.units(2) },
      memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    });
    const dataSize = raft
      ? sizeToQuantity(ctx, 'storage.size', storage.raftOptions?.size ?? Size.gibibytes(10))
      : undefined;
    const dataClass = raft ? storage.raftOptions?.storageClassName : undefined;
    if (dataClass !== undefined) {
      checkSubdomain(ctx, 'storage.storageClassName', dataClass, 'a StorageClass name');
    }
    const auditSize =
      p.auditStorageSize !== undefined
        ? sizeToQuantity(ctx, 'auditStorageSize', p.auditStorageSize)
        : undefined;
    if (p.auditStorageClassName !== undefined) {
      checkSubdomain(ctx, 'auditStorageClassName', p.auditStorageClassName, 'a StorageClass name');
    }
    const auditClass = p.auditStorageClassName ?? dataClass;
    const telemetry = p.telemetry ?? {};
    const retention = durationSeconds(
      ctx,
      'telemetry.prometheusRetention',
      telemetry.prometheusRetention ?? Duration.hours(24),
      0,
    );
    const reload = p.reloadCertificates ?? tls.enabled;
    if (reload && !tls.enabled) {
      throw propError(
        ctx,
        'reloadCertificates',
        true,
        'false with VaultTls.disabled() (there is no certificate to reload)',
      );
    }
    const consul = storage.consulOptions;
    let consulPort = 0;
    if (!raft) {
      const address = consul?.address;
      const m =
        typeof address === 'string' ? /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address) : null;
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
        throw propError(
          ctx,
          'storage.address',
          address,
          'the host:port of the Consul agent or server, e.g. "consul-server.consul.svc:8501" (required)',
        );
      }
      consulPort = Number(m[2]);
      if (consul!.path !== undefined && !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/$/.test(consul!.path)) {
        throw propError(ctx, 'storage.path', consul!.path, 'a key-value path ending in "/", e.g. "vault/"');
      }
      for (const [prop, secret] of [
        ['storage.tlsSecret', consul!.tlsSecret],
        ['storage.tokenSecret', consul!.tokenSecret],
      ] as const) {
        if (secret !== undefined)
          checkSubdomain(ctx, prop, secret, 'the name of a Secret in the Vault namespace');
      }
    }
    if (p.priorityClassName !== undefined) {
      checkSubdomain(ctx, 'priorityClassName', p.priorityClassName, 'a PriorityClass name');
    }

    // ---- names ---------------------------------------------------------------------------------
    this.name = name;
    this.replicas = replicas;
    this.serviceName = name;
    this.activeServiceName = `${name}-active`;
    this.standbyServiceName = `${name}-standby`;
    this.internalServiceName = `${name}-internal`;
    const internal = this.internalServiceName;
    const podNames = Array.from({ length: replicas }, (_, i) => `${name}-${i}`);
    this.tlsSecretName =
      tls.kind === 'secret' ? tls.secretName : tls.kind === 'cert-manager' ? `${name}-tls` : undefined;
    const scheme = tls.enabled ? 'https' : 'http';
    this.address = `${scheme}://${name}${namespace ? `.${namespace}.svc` : ''}:${VAULT_API_PORT}`;
    const version = imageVersion(image);
    const labels = componentLabels('vault', name, 'server', version);
    this.selector = labels.selector;
    const objectLabels = labels.all;

    // ---- configuration -------------------------------------------------------------------------
    const storageConfig: VaultRaftStorageConfig | VaultConsulStorageConfig = raft
      ? {
          kind: 'raft',
          path: DATA_DIR,
          // One retry_join per server, this one included, as in the Vault HA-with-TLS example: a join attempt
          // against a server that is not the leader fails and the next one is tried. The address is the
          // pod's name behind the headless Service, which the certificate names, verified against the CA.
          retryJoin: podNames.map((pod) => ({
            leaderApiAddr: `${scheme}://${pod}.${internal}:${VAULT_API_PORT}`,
            ...(tls.enabled
              ? {
                  leaderCaCertFile: `${TLS_DIR}/ca.crt`,
                  leaderTlsServerName: tls.secretOptions.raftServerName ?? `${pod}.${internal}`,
                }
              : {}),
          })),
        }
      : {
          kind: 'consul',
          address: consul!.address,
          path: consul!.path ?? 'vault/',
          scheme: consul!.tlsSecret ? 'https' : 'http',
          ...(consul!.tlsSecret
            ? {
                tlsCaFile: `${CONSUL_TLS_DIR}/ca.crt`,
                tlsCertFile: `${CONSUL_TLS_DIR}/tls.crt`,
                tlsKeyFile: `${CONSUL_TLS_DIR}/tls.key`,
              }
            : {}),
        };
    const serverConfig: VaultServerConfig = {
      ui: p.ui ?? true,
      clusterName: name,
      listener: {
        address: `[::]:${VAULT_API_PORT}`,
        clusterAddress: `[::]:${VAULT_CLUSTER_PORT}`,
        ...(tls.enabled
          ? { tls: { certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key`, minVersion: 'tls12' } }
          : {}),
        unauthenticatedMetricsAccess: telemetry.unauthenticatedMetricsAccess ?? false,
      },
      storage: storageConfig,
      seal: seal.config,
      kubernetesServiceRegistration: true,
      telemetry: {
        prometheusRetentionTime: vaultDuration(retention),
        disableHostname: telemetry.disableHostname ?? true,
      },
    };
    this.config = renderVaultConfig(serverConfig);
    const files = configFiles(this, 'Config', `${name}-config`, { 'vault.hcl': this.config }, objectLabels);

    // ---- TLS certificate -----------------------------------------------------------------------
    if (tls.kind === 'cert-manager') {
      const o = tls.certManagerOptions!;
      const domain = o.clusterDomain ?? 'cluster.local';
      if (!DNS1123_SUBDOMAIN.test(domain)) {
        throw propError(ctx, 'tls.clusterDomain', domain, 'a DNS domain such as "cluster.local"');
      }
      const ns = namespace!;
      const dnsNames = [
        ...podNames.flatMap((pod) => podDnsNames(pod, internal, ns, domain)),
        ...[this.serviceName, this.activeServiceName, this.standbyServiceName, internal].flatMap((s) =>
          serviceDnsNames(s, ns, domain),
        ),
        'localhost',
        ...(o.extraDnsNames ?? []),
      ];
      this.certificate = certManagerCertificate(this, 'Certificate', {
        context: ctx,
        prop: 'tls',
        name: `${name}-tls`,
        secretName: this.tlsSecretName!,
        issuerName: o.issuerName,
        issuerKind: o.issuerKind,
        dnsNames,
        ipAddresses: ['127.0.0.1'],
        duration: o.duration,
        renewBefore: o.renewBefore,
        labels: objectLabels,
      });
    } else {
      this.certificate = undefined;
    }

    // ---- identity and service registration -----------------------------------------------------
    const kmsPeer = p.kmsPeer ?? NetworkPeer.anywhere();
    if (!(kmsPeer instanceof NetworkPeer)) {
      throw propError(ctx, 'kmsPeer', kmsPeer, 'a NetworkPeer (e.g. NetworkPeer.ipBlock("10.0.0.0/16"))');
    }
    const sealParts = seal.podParts(kmsPeer);
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: {
        name,
        labels: objectLabels,
        ...(Object.keys(sealParts.serviceAccountAnnotations).length
          ? { annotations: { ...sealParts.serviceAccountAnnotations } }
          : {}),
      },
      // The token is mounted by the pod spec only (service registration needs it).
      automountServiceAccountToken: false,
    });
    // `service_registration "kubernetes"` reads and labels its own pod (vault-active, vault-sealed,
    // vault-initialized, vault-perf-standby, vault-version): get, update and patch, on these pods only.
    const role = new k8s.KubeRole(this, 'ServiceRegistrationRole', {
      metadata: { name: `${name}-service-registration`, labels: objectLabels },
      rules: [
        { apiGroups: [''], resources: ['pods'], resourceNames: podNames, verbs: ['get', 'update', 'patch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'ServiceRegistrationBinding', {
      metadata: { name: `${name}-service-registration`, labels: objectLabels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name, ...(namespace ? { namespace } : {}) }],
    });

    // ---- pod -----------------------------------------------------------------------------------
    const env: k8s.EnvVar[] = [
      {
        name: 'VAULT_K8S_POD_NAME',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      },
      {
        name: 'VAULT_K8S_NAMESPACE',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      },
      // The CLI inside the pod talks to its own server; the certificate carries the IP SAN 127.0.0.1.
      { name: 'VAULT_ADDR', value: `${scheme}://127.0.0.1:${VAULT_API_PORT}` },
      ...(tls.enabled ? [{ name: 'VAULT_CACERT', value: `${TLS_DIR}/ca.crt` }] : []),
      // The official chart advertises https://$(POD_IP):8200. A client redirected there could not verify
      // the certificate (pod IPs are not in it), so the pod advertises its stable DNS name instead, which
      // the certificate names. The cluster address follows the chart ($(HOSTNAME).<name>-internal:8201);
      // that port uses Vault's own cluster certificates.
      {
        name: 'VAULT_API_ADDR',
        value: `${scheme}://$(VAULT_K8S_POD_NAME).${internal}.$(VAULT_K8S_NAMESPACE).svc:${VAULT_API_PORT}`,
      },
      {
        name: 'VAULT_CLUSTER_ADDR',
        value: `https://$(VAULT_K8S_POD_NAME).${internal}.$(VAULT_K8S_NAMESPACE).svc:${VAULT_CLUSTER_PORT}`,
      },
      ...(raft
        ? [
            {
              name: 'VAULT_RAFT_NODE_ID',
              valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
            },
          ]
        : []),
      { name: 'HOME', value: HOME_DIR },
      // The image entrypoint would chown mounts and setcap IPC_LOCK: neither is possible, nor needed, here.
      { name: 'SKIP_CHOWN', value: 'true' },
      { name: 'SKIP_SETCAP', value: 'true' },
      ...(consul?.tokenSecret
        ? [
            {
              name: 'CONSUL_HTTP_TOKEN',
              valueFrom: { secretKeyRef: { name: consul.tokenSecret, key: 'token' } },
            },
          ]
        : []),
      ...sealParts.env,
    ];

    const volumes: k8s.Volume[] = [
      { name: 'config', configMap: { name: files.name, defaultMode: 0o444 } },
      // The Vault token helper writes ~/.vault-token after `vault login`: keep it in memory only.
      { name: 'home', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
    ];
    const mounts: k8s.VolumeMount[] = [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'home', mountPath: HOME_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    if (tls.enabled) {
      // Group-readable (gid 1000 through fsGroup), not world-readable: the directory holds the private key.
      volumes.push({ name: 'tls', secret: { secretName: this.tlsSecretName!, defaultMode: 0o440 } });
      mounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
    }
    if (raft) mounts.push({ name: 'data', mountPath: DATA_DIR });
    if (auditSize) mounts.push({ name: 'audit', mountPath: AUDIT_DIR });
    if (consul?.tlsSecret) {
      volumes.push({ name: 'consul-tls', secret: { secretName: consul.tlsSecret, defaultMode: 0o440 } });
      mounts.push({ name: 'consul-tls', mountPath: CONSUL_TLS_DIR, readOnly: true });
    }
    volumes.push(...sealParts.volumes);
    mounts.push(...sealParts.volumeMounts);

    // Probes. Kubernetes counts any 2xx/3xx answer as success. /v1/sys/health answers 200 for the active
    // server, 429 for a standby, 473 for a performance standby, 501 uninitialised, 503 sealed.
    // - readiness: standbyok/perfstandbyok turn standbys into 200, so only unsealed, initialised servers
    //   receive traffic; sealed (503) and uninitialised (501) ones stay out of the Services.
    // - liveness (and startup): sealedcode=204 and uninitcode=204 as well, so a server waiting for
    //   `vault operator init` or for unseal keys is alive and is never killed while an operator unseals it;
    //   only a server that stops answering is restarted (a restart would seal it again).
    // The kubelet does not verify certificates, so HTTPS probes to the pod IP work.
    const probeScheme = tls.enabled ? 'HTTPS' : 'HTTP';
    const readiness = httpProbe('/v1/sys/health?standbyok=true&perfstandbyok=true', VAULT_API_PORT, {
      scheme: probeScheme,
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 2,
    });
    const alivePath = '/v1/sys/health?standbyok=true&perfstandbyok=true&sealedcode=204&uninitcode=204';
    const liveness = httpProbe(alivePath, VAULT_API_PORT, {
      scheme: probeScheme,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
    });
    // Up to 5 minutes to start: replaying a large Raft log or reaching the KMS can be slow.
    const startup = httpProbe(alivePath, VAULT_API_PORT, {
      scheme: probeScheme,
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 60,
    });

    const vault = containerSpec({
      context: ctx,
      name: 'vault',
      image,
      // The image entrypoint (dumb-init + docker-entrypoint.sh) stays: it reaps plugin processes and forwards signals.
      args: ['vault', 'server', `-config=${CONFIG_DIR}/vault.hcl`],
      ports: [
        { name: tls.enabled ? 'https' : 'http', containerPort: VAULT_API_PORT, protocol: 'TCP' },
        { name: 'https-internal', containerPort: VAULT_CLUSTER_PORT, protocol: 'TCP' },
      ],
      env,
      resources,
      startupProbe: startup,
      readinessProbe: readiness,
      livenessProbe: liveness,
      // As the official chart: let endpoint removal reach clients, then stop Vault (the active server steps down).
      lifecycle: preStopExec(['/bin/sh', '-c', 'sleep 5 && kill -SIGTERM $(pidof vault)']),
      volumeMounts: mounts,
      securityContext: { runAsUser: VAULT_UID, runAsGroup: VAULT_GID, readOnlyRootFilesystem: true },
    });
    // The reloader is a native sidecar (an init container with restartPolicy Always, Kubernetes 1.29+):
    // it starts before Vault, stops after it, and its state never affects the pod's readiness.
    const sidecars: k8s.Container[] = [];
    if (reload) {
      volumes.push({
        name: 'tls-cert',
        secret: {
          secretName: this.tlsSecretName!,
          defaultMode: 0o444,
          items: [{ key: 'tls.crt', path: 'tls.crt' }],
        },
      });
      sidecars.push({
        ...containerSpec({
          context: ctx,
          name: 'tls-reloader',
          image,
          command: ['/bin/sh', '-c', certificateReloadScript(`${TLS_CERT_DIR}/tls.crt`)],
          resources: resolveResources(ctx, 'tls-reloader', undefined, {
            cpu: { request: Cpu.millis(5), limit: Cpu.millis(50) },
            memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) },
          }),
          // Only the certificate, not the key.
          volumeMounts: [{ name: 'tls-cert', mountPath: TLS_CERT_DIR, readOnly: true }],
          securityContext: { runAsUser: VAULT_UID, runAsGroup: VAULT_GID, readOnlyRootFilesystem: true },
        }),
        restartPolicy: 'Always',
      });
    }

    const template = sandboxedPodTemplate({
      context: ctx,
      sandbox,
      labels: { ...objectLabels, ...sealParts.podLabels },
      annotations: { [CONFIG_HASH_ANNOTATION]: files.hash },
      containers: [vault],
      initContainers: sidecars,
      volumes,
      serviceAccountName: name,
      serviceAccountToken: true,
      shareProcessNamespace: reload,
      ...spread.render(this.selector, replicas),
      terminationGracePeriodSeconds: 30,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: VAULT_UID,
        runAsGroup: VAULT_GID,
        fsGroup: VAULT_GID,
        fsGroupChangePolicy: 'OnRootMismatch',
      },
      ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    });

    const claim = (claimName: string, size: string, storageClassName: string | undefined) =>
      volumeClaimTemplate({ name: claimName, size, storageClassName, labels: this.selector });
    const claims = [
      ...(dataSize ? [claim('data', dataSize, dataClass)] : []),
      ...(auditSize ? [claim('audit', auditSize, auditClass)] : []),
    ];

    const warnings: string[] = [];
    if (!tls.enabled)
      warnings.push(
        'Vault TLS is disabled: tokens and unseal keys cross the network in clear text (development only)',
      );
    if (replicas === 1)
      warnings.push('a single Vault server has no failover: use 3 or 5 replicas in production');

    this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: {
        name,
        labels: objectLabels,
        ...(warnings.length ? { annotations: { [WARNING_ANNOTATION]: warnings.join('; ') } } : {}),
      },
      spec: {
        serviceName: internal,
        replicas,
        // All servers start together: Raft needs its peers to elect a leader, and sealed pods are never ready.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: updateStrategy.type },
        selector: { matchLabels: { ...this.selector } },
        // Vault data outlives the StatefulSet: claims are kept on delete and on scale-down.
        ...(claims.length
          ? { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } }
          : {}),
        template,
        ...(claims.length ? { volumeClaimTemplates: claims } : {}),
      },
    });

    // ---- services ------------------------------------------------------------------------------
    const apiPort: k8s.ServicePort = {
      name: tls.enabled ? 'https' : 'http',
      port: VAULT_API_PORT,
      targetPort: k8s.IntOrString.fromNumber(VAULT_API_PORT),
      protocol: 'TCP',
    };
    const service = (sid: string, svcName: string, selector: Record<string, string>) =>
      new k8s.KubeService(this, sid, {
        metadata: { name: svcName, labels: objectLabels },
        spec: { type: 'ClusterIP', selector, ports: [apiPort], publishNotReadyAddresses: false },
      });
    service('Service', this.serviceName, { ...this.selector });
    // `vault-active` is set on each pod by service registration.
    service('ActiveService', this.activeServiceName, { ...this.selector, 'vault-active': 'true' });
    service('StandbyService', this.standbyServiceName, { ...this.selector, 'vault-active': 'false' });
    new k8s.KubeService(this, 'InternalService', {
      metadata: { name: internal, labels: objectLabels },
      spec: {
        clusterIp: 'None',
        // Sealed and uninitialised pods must resolve too: Raft joins and unsealing happen before they are ready.
        publishNotReadyAddresses: true,
        selector: { ...this.selector },
        ports: [
          apiPort,
          {
            name: 'https-internal',
            port: VAULT_CLUSTER_PORT,
            targetPort: k8s.IntOrString.fromNumber(VAULT_CLUSTER_PORT),
            protocol: 'TCP',
          },
        ],
      },
    });

    // ---- disruption budget ---------------------------------------------------------------------
    // Raft: keep a quorum, floor((n-1)/2). Consul holds the quorum, so all but one server may go.
    // One server: with Shamir an eviction leaves Vault sealed until someone brings keys, so it needs a
    // human (0); with auto-unseal the pod comes back by itself, so a drain may move it (1).
    const maxUnavailable =
      replicas === 1 ? (seal.autoUnseal ? 1 : 0) : raft ? quorumMaxUnavailable(replicas) : replicas - 1;
    podDisruptionBudget(this, 'DisruptionBudget', {
      context: ctx,
      name,
      selector: this.selector,
      labels: objectLabels,
      maxUnavailable,
      // A pod that is not ready is sealed or uninitialised and takes no part in the Raft quorum, so
      // evicting it costs nothing; letting drains evict it keeps a stuck pod from blocking node maintenance.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });

    // ---- network -------------------------------------------------------------------------------
    const policy = new PodNetworkPolicy(this, 'NetworkPolicy', {
      context: ctx,
      name,
      selector: this.selector,
      labels: objectLabels,
    });
    const self = NetworkPeer.pods(this.selector, namespace);
    const peerPorts: NetworkPort[] = [{ port: VAULT_API_PORT }, { port: VAULT_CLUSTER_PORT }];
    // Between servers: 8200 for Raft joins (retry_join calls the leader's API), 8201 for Raft and forwarding.
    policy.allowIngress(self, peerPorts);
    policy.allowEgress(self, peerPorts);
    // Service registration patches the pod's labels through the API server.
    apiServerEgress(policy, p.apiServerCidr ?? '0.0.0.0/0');
    for (const e of sealParts.egress) policy.allowEgress(e.peer, e.ports);
    if (!raft) policy.allowEgress(consul!.peer ?? NetworkPeer.anyNamespace(), [{ port: consulPort }]);
    this.connections = new Connections(self, policy, [{ port: VAULT_API_PORT }]);
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkSubdomain(ctx: string, prop: string, value: unknown, what: string): void {
  if (typeof value !== 'string' || !DNS1123_SUBDOMAIN.test(value) || value.length > 253) {
    throw propError(
      ctx,
      prop,
      value,
      `${what} (DNS-1123 subdomain: lower-case letters, digits, "-" and ".")`,
    );
  }
}

/** Seconds as a Vault duration string (`24h`, `90m`, `30s`). */
export function vaultDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * The sidecar loop: every 30 s compare the certificate's SHA-256 with the last one seen and, when it
 * changed, send `SIGHUP` to Vault, which reloads the listener certificate (Vault docs: SIGHUP).
 */
export function certificateReloadScript(certFile: string): string {
  return [
    'set -u',
    `crt='${certFile}'`,
    'last="$(sha256sum "$crt" 2>/dev/null | cut -d" " -f1)"',
    'while true; do',
    '  sleep 30',
    '  now="$(sha256sum "$crt" 2>/dev/null | cut -d" " -f1)"',
    '  if [ -n "$now" ] && [ "$now" != "$last" ]; then',
    '    pid="$(pidof vault || true)"',
    '    if [ -n "$pid" ] && kill -HUP $pid; then',
    '      echo "certificate changed: sent SIGHUP to vault (pid $pid)"',
    '      last="$now"',
    '    fi',
    '  fi',
    'done',
  ].join('\n');
}
