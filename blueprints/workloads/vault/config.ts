/**
 * The Vault server configuration (HCL), rendered from typed inputs by a pure function.
 *
 * Key names follow the Vault configuration docs: `listener "tcp"` (`address`, `cluster_address`,
 * `tls_disable`, `tls_cert_file`, `tls_key_file`, `tls_min_version`, `telemetry.unauthenticated_metrics_access`),
 * `storage "raft"` (`path`, `retry_join` with `leader_api_addr`, `leader_ca_cert_file`, `leader_tls_servername`),
 * `storage "consul"` (`address`, `path`, `scheme`, `tls_ca_file`, `tls_cert_file`, `tls_key_file`), `seal "<type>"`,
 * `service_registration "kubernetes"`, `telemetry` (`prometheus_retention_time`, `disable_hostname`),
 * `ui`, `disable_mlock` and `cluster_name`. `api_addr`, `cluster_addr` and the Raft `node_id` are not written
 * here: the pod passes them as `VAULT_API_ADDR`, `VAULT_CLUSTER_ADDR` and `VAULT_RAFT_NODE_ID`, built from
 * its own name and namespace.
 */

/** TLS of the TCP listener. */
export interface VaultListenerTls {
  /** PEM certificate (chain) file. */
  readonly certFile: string;
  /** PEM private key file. */
  readonly keyFile: string;
  /** Minimum TLS version (`tls12` or `tls13`). */
  readonly minVersion: string;
}

/** The TCP listener. */
export interface VaultListenerConfig {
  /** Client address, e.g. `[::]:8200`. */
  readonly address: string;
  /** Cluster (request forwarding, Raft) address, e.g. `[::]:8201`. */
  readonly clusterAddress: string;
  /** TLS files; undefined renders `tls_disable = true`. */
  readonly tls?: VaultListenerTls;
  /** Serve `/v1/sys/metrics` without a token (also on standbys). */
  readonly unauthenticatedMetricsAccess: boolean;
}

/** One `retry_join` stanza. */
export interface VaultRetryJoin {
  /** `leader_api_addr`, e.g. `https://vault-0.vault-internal:8200`. */
  readonly leaderApiAddr: string;
  /** `leader_ca_cert_file`. */
  readonly leaderCaCertFile?: string;
  /** `leader_tls_servername`. */
  readonly leaderTlsServerName?: string;
}

/** Integrated storage. */
export interface VaultRaftStorageConfig {
  /** Discriminator. */
  readonly kind: 'raft';
  /** Data directory. */
  readonly path: string;
  /** One stanza per peer. */
  readonly retryJoin: readonly VaultRetryJoin[];
}

/** Consul storage. */
export interface VaultConsulStorageConfig {
  /** Discriminator. */
  readonly kind: 'consul';
  /** `host:port` of the Consul agent or server. */
  readonly address: string;
  /** Key-value path prefix (ends with `/`). */
  readonly path: string;
  /** `http` or `https`. */
  readonly scheme: 'http' | 'https';
  /** CA file for Consul TLS. */
  readonly tlsCaFile?: string;
  /** Client certificate for Consul TLS. */
  readonly tlsCertFile?: string;
  /** Client key for Consul TLS. */
  readonly tlsKeyFile?: string;
}

/** A `seal` stanza: its type and its parameters, in order. Credentials never appear here. */
export interface VaultSealConfig {
  /** Seal type, e.g. `awskms`, `gcpckms`, `azurekeyvault`. */
  readonly type: string;
  /** Parameters in the order they are rendered. */
  readonly parameters: ReadonlyArray<readonly [string, string]>;
}

/** The `telemetry` stanza. */
export interface VaultTelemetryConfig {
  /** `prometheus_retention_time`, e.g. `24h` (`0s` disables the Prometheus sink). */
  readonly prometheusRetentionTime: string;
  /** `disable_hostname`. */
  readonly disableHostname: boolean;
}

/** Everything the server configuration is rendered from. */
export interface VaultServerConfig {
  /** `ui`. */
  readonly ui: boolean;
  /** `cluster_name`. */
  readonly clusterName?: string;
  /** The TCP listener. */
  readonly listener: VaultListenerConfig;
  /** Storage backend. */
  readonly storage: VaultRaftStorageConfig | VaultConsulStorageConfig;
  /** Auto-unseal; undefined = Shamir. */
  readonly seal?: VaultSealConfig;
  /** Render `service_registration "kubernetes" {}` (labels pods `vault-active`, `vault-sealed`, ...). */
  readonly kubernetesServiceRegistration: boolean;
  /** Telemetry; undefined = no stanza. */
  readonly telemetry?: VaultTelemetryConfig;
}

const KEY = /^[a-z][a-z0-9_]*$/;

/**
 * An HCL string literal. JSON escaping (`\"`, `\\`, `\n`, `\uXXXX`) is valid HCL. Vault parses its
 * configuration with HCL 1, which has no escape for `${`, so values containing it are refused.
 *
 * @throws Error for a non-string or a value containing `${`
 */
export function hclString(value: string): string {
  if (typeof value !== 'string')
    throw new Error(`vault config: expected a string, got ${JSON.stringify(value)}`);
  if (value.includes('${'))
    throw new Error(
      `vault config: ${JSON.stringify(value)} contains "\${", which HCL reads as interpolation`,
    );
  return JSON.stringify(value);
}

type Value = string | boolean;

function attr(indent: string, key: string, value: Value): string {
  if (!KEY.test(key)) throw new Error(`vault config: invalid attribute name ${JSON.stringify(key)}`);
  return `${indent}${key} = ${typeof value === 'boolean' ? String(value) : hclString(value)}`;
}

function block(indent: string, head: string, body: string[]): string[] {
  if (body.length === 0) return [`${indent}${head} {}`];
  return [`${indent}${head} {`, ...body, `${indent}}`];
}

function listener(l: VaultListenerConfig): string[] {
  const i = '  ';
  const body = [attr(i, 'address', l.address), attr(i, 'cluster_address', l.clusterAddress)];
  if (l.tls) {
    body.push(
      attr(i, 'tls_cert_file', l.tls.certFile),
      attr(i, 'tls_key_file', l.tls.keyFile),
      attr(i, 'tls_min_version', l.tls.minVersion),
    );
  } else {
    body.push(attr(i, 'tls_disable', true));
  }
  if (l.unauthenticatedMetricsAccess) {
    body.push('', ...block(i, 'telemetry', [attr('    ', 'unauthenticated_metrics_access', true)]));
  }
  return block('', 'listener "tcp"', body);
}

function storage(s: VaultRaftStorageConfig | VaultConsulStorageConfig): string[] {
  const i = '  ';
  if (s.kind === 'raft') {
    const body = [attr(i, 'path', s.path)];
    for (const j of s.retryJoin) {
      const inner = [attr('    ', 'leader_api_addr', j.leaderApiAddr)];
      if (j.leaderCaCertFile) inner.push(attr('    ', 'leader_ca_cert_file', j.leaderCaCertFile));
      if (j.leaderTlsServerName) inner.push(attr('    ', 'leader_tls_servername', j.leaderTlsServerName));
      body.push('', ...block(i, 'retry_join', inner));
    }
    return block('', 'storage "raft"', body);
  }
  const body = [attr(i, 'address', s.address), attr(i, 'path', s.path), attr(i, 'scheme', s.scheme)];
  if (s.tlsCaFile) body.push(attr(i, 'tls_ca_file', s.tlsCaFile));
  if (s.tlsCertFile) body.push(attr(i, 'tls_cert_file', s.tlsCertFile));
  if (s.tlsKeyFile) body.push(attr(i, 'tls_key_file', s.tlsKeyFile));
  return block('', 'storage "consul"', body);
}

/**
 * Renders the Vault server configuration. Pure: the same input gives the same text.
 *
 * `disable_mlock = true` is always written: the Vault docs strongly recommend it with integrated
 * storage, Pod Security `restricted` does not allow the `IPC_LOCK` capability that mlock needs, and
 * a Kata guest has no swap to lock memory against.
 *
 * @throws Error for an attribute value that is not a string or contains `${`, or a seal type or
 *   parameter name that is not a lower-case HCL identifier
 */
export function renderVaultConfig(c: VaultServerConfig): string {
  const lines: string[] = [
    '# Vault server configuration generated by kata-blueprints.',
    '# api_addr, cluster_addr and the Raft node_id come from VAULT_API_ADDR, VAULT_CLUSTER_ADDR and',
    '# VAULT_RAFT_NODE_ID, which the pod builds from its own name and namespace.',
    attr('', 'ui', c.ui),
    attr('', 'disable_mlock', true),
  ];
  if (c.clusterName) lines.push(attr('', 'cluster_name', c.clusterName));
  lines.push('', ...listener(c.listener), '', ...storage(c.storage));
  if (c.seal) {
    if (!KEY.test(c.seal.type))
      throw new Error(`vault config: invalid seal type ${JSON.stringify(c.seal.type)}`);
    lines.push(
      '',
      ...block(
        '',
        `seal ${hclString(c.seal.type)}`,
        c.seal.parameters.map(([k, v]) => attr('  ', k, v)),
      ),
    );
  }
  if (c.kubernetesServiceRegistration) lines.push('', 'service_registration "kubernetes" {}');
  if (c.telemetry) {
    lines.push(
      '',
      ...block('', 'telemetry', [
        attr('  ', 'prometheus_retention_time', c.telemetry.prometheusRetentionTime),
        attr('  ', 'disable_hostname', c.telemetry.disableHostname),
      ]),
    );
  }
  return lines.join('\n') + '\n';
}
