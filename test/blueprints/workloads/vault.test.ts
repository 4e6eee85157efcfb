import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import fc from 'fast-check';
import {
  KataVaultCluster,
  KataVaultClusterProps,
  VaultKmsCredentials,
  VaultSeal,
  VaultStorage,
  VaultTls,
  VaultUpdateStrategy,
  certificateReloadScript,
  vaultDuration,
} from '../../../blueprints/workloads/vault';
import { addVault } from '../../../examples/platform/vault';
import { buildApp as buildVaultExample } from '../../../examples/vault/app';
import { Severity, checkManifests, manifestsFromApp } from '../../../lib/check';
import { IssuerKind } from '../../../lib/k8s/cert-manager';
import { Connections, NetworkPeer, PodNetworkPolicy } from '../../../lib/k8s/network';
import { CriFlavor, Sandbox } from '../../../lib/sandbox/sandbox';
import { KataRuntime } from '../../../lib/sandbox/runtime';

/* eslint-disable @typescript-eslint/no-explicit-any */
const WARNING_ANNOTATION = 'kata-blueprints.io/warning';
type Obj = any;

const CERT = VaultTls.certManager({ issuerName: 'vault-ca' });

/** A chart in namespace `vault`, or in none for `null`. */
function chart(namespace: string | null = 'vault'): Chart {
  return new Chart(Testing.app(), 'test', {
    namespace: namespace ?? undefined,
    disableResourceNameHashes: true,
  });
}

function build(props: Partial<KataVaultClusterProps> = {}, ns: string | null = 'vault') {
  const c = chart(ns);
  const vault = new KataVaultCluster(c, 'vault', { tls: CERT, ...props });
  const objects: Obj[] = Testing.synth(c);
  const find = (kind: string, name?: string): Obj => {
    const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
    if (!o) throw new Error(`no ${kind} ${name ?? ''}`);
    return o;
  };
  const sts = find('StatefulSet');
  const pod = sts.spec.template.spec;
  const container = pod.containers.find((x: Obj) => x.name === 'vault');
  const env = (name: string) => container.env.find((e: Obj) => e.name === name);
  return { c, vault, objects, find, sts, pod, container, env };
}

describe('KataVaultCluster defaults', () => {
  const { vault, objects, find, sts, pod, container, env } = build();

  test('a StatefulSet of 3 servers, parallel, behind the headless -internal Service', () => {
    expect(sts.metadata.name).toBe('vault');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.serviceName).toBe('vault-internal');
    expect(sts.spec.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    expect(sts.metadata.annotations?.[WARNING_ANNOTATION]).toBeUndefined();
  });

  test('runs in a Kata VM with the restricted security context of the image user (uid 100, gid 1000)', () => {
    expect(pod.runtimeClassName).toBe('kata-qemu');
    expect(sts.spec.template.metadata.labels['kata-blueprints.io/sandbox']).toBe('kata');
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 100,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsUser: 100,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.image).toBe('docker.io/hashicorp/vault:1.21.4');
    expect(container.args).toEqual(['vault', 'server', '-config=/vault/config/vault.hcl']);
    expect(pod.serviceAccountName).toBe('vault');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(container.resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '2', memory: '1Gi' },
    });
  });

  test('data volume claim of 10Gi and writable paths on volumes only', () => {
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'data', labels: vault.selector },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
      },
    ]);
    const mounts = Object.fromEntries(container.volumeMounts.map((m: Obj) => [m.mountPath, m]));
    expect(Object.keys(mounts).sort()).toEqual([
      '/home/vault',
      '/tmp',
      '/vault/config',
      '/vault/data',
      '/vault/userconfig/tls',
    ]);
    expect(mounts['/vault/userconfig/tls']).toMatchObject({ name: 'tls', readOnly: true });
    const tlsVolume = pod.volumes.find((v: Obj) => v.name === 'tls');
    expect(tlsVolume.secret).toEqual({ secretName: 'vault-tls', defaultMode: 0o440 });
  });

  test('api and cluster addresses come from the pod name, namespace and the headless Service', () => {
    const names = container.env.map((e: Obj) => e.name);
    // $(VAR) references only work for variables defined earlier in the list.
    expect(names.indexOf('VAULT_K8S_POD_NAME')).toBeLessThan(names.indexOf('VAULT_API_ADDR'));
    expect(names.indexOf('VAULT_K8S_NAMESPACE')).toBeLessThan(names.indexOf('VAULT_CLUSTER_ADDR'));
    expect(env('VAULT_K8S_POD_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(env('VAULT_K8S_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(env('VAULT_API_ADDR').value).toBe(
      'https://$(VAULT_K8S_POD_NAME).vault-internal.$(VAULT_K8S_NAMESPACE).svc:8200',
    );
    expect(env('VAULT_CLUSTER_ADDR').value).toBe(
      'https://$(VAULT_K8S_POD_NAME).vault-internal.$(VAULT_K8S_NAMESPACE).svc:8201',
    );
    expect(env('VAULT_RAFT_NODE_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(env('VAULT_ADDR').value).toBe('https://127.0.0.1:8200');
    expect(env('VAULT_CACERT').value).toBe('/vault/userconfig/tls/ca.crt');
  });

  test('readiness keeps sealed and uninitialised servers out; liveness and startup never kill them', () => {
    expect(container.readinessProbe.httpGet).toEqual({
      path: '/v1/sys/health?standbyok=true&perfstandbyok=true',
      port: 8200,
      scheme: 'HTTPS',
    });
    const alive = '/v1/sys/health?standbyok=true&perfstandbyok=true&sealedcode=204&uninitcode=204';
    expect(container.livenessProbe.httpGet).toEqual({ path: alive, port: 8200, scheme: 'HTTPS' });
    expect(container.startupProbe.httpGet).toEqual({ path: alive, port: 8200, scheme: 'HTTPS' });
    expect(
      container.startupProbe.periodSeconds * container.startupProbe.failureThreshold,
    ).toBeGreaterThanOrEqual(300);
    expect(container.lifecycle.preStop.exec.command).toEqual([
      '/bin/sh',
      '-c',
      'sleep 5 && kill -SIGTERM $(pidof vault)',
    ]);
  });

  test('the ConfigMap carries the rendered config and the pod its hash', () => {
    const cm = find('ConfigMap', 'vault-config');
    expect(cm.data['vault.hcl']).toBe(vault.config);
    expect(vault.config).toContain('storage "raft"');
    expect(vault.config).toContain('service_registration "kubernetes" {}');
    expect(vault.config).toContain('leader_tls_servername = "vault-2.vault-internal"');
    expect(vault.config).not.toContain('seal "');
    expect(sts.spec.template.metadata.annotations['kata-blueprints.io/config-hash']).toMatch(
      /^[0-9a-f]{16}$/,
    );
  });

  test('four Services: main, -active, -standby and the headless -internal', () => {
    const svc = (name: string) => find('Service', name);
    expect(svc('vault').spec.selector).toEqual(vault.selector);
    expect(svc('vault-active').spec.selector).toEqual({ ...vault.selector, 'vault-active': 'true' });
    expect(svc('vault-standby').spec.selector).toEqual({ ...vault.selector, 'vault-active': 'false' });
    expect(svc('vault').spec.ports).toEqual([
      { name: 'https', port: 8200, targetPort: 8200, protocol: 'TCP' },
    ]);
    const internal = svc('vault-internal');
    expect(internal.spec.clusterIP).toBe('None');
    expect(internal.spec.publishNotReadyAddresses).toBe(true);
    expect(internal.spec.ports.map((p: Obj) => p.port)).toEqual([8200, 8201]);
    expect(objects.filter((o) => o.kind === 'Service')).toHaveLength(4);
    expect(vault.address).toBe('https://vault.vault.svc:8200');
  });

  test('service registration: a Role on its own pods (get, update, patch) bound to the ServiceAccount', () => {
    const role = find('Role');
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['pods'],
        resourceNames: ['vault-0', 'vault-1', 'vault-2'],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
    const binding = find('RoleBinding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vault', namespace: 'vault' }]);
    const sa = find('ServiceAccount', 'vault');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(sa.metadata.annotations).toBeUndefined();
  });

  test('cert-manager Certificate names every pod, the services, localhost and 127.0.0.1', () => {
    const cert = find('Certificate');
    expect(cert.apiVersion).toBe('cert-manager.io/v1');
    expect(cert.spec.secretName).toBe('vault-tls');
    expect(cert.spec.issuerRef).toEqual({ name: 'vault-ca', kind: 'Issuer', group: 'cert-manager.io' });
    for (const n of [0, 1, 2]) {
      for (const suffix of ['', '.vault', '.vault.svc', '.vault.svc.cluster.local']) {
        expect(cert.spec.dnsNames).toContain(`vault-${n}.vault-internal${suffix}`);
      }
    }
    for (const s of ['vault', 'vault-active', 'vault-standby', 'vault-internal']) {
      expect(cert.spec.dnsNames).toContain(s);
      expect(cert.spec.dnsNames).toContain(`${s}.vault.svc`);
    }
    expect(cert.spec.dnsNames).toContain('localhost');
    expect(cert.spec.ipAddresses).toEqual(['127.0.0.1']);
    expect(cert.spec.privateKey).toMatchObject({ algorithm: 'ECDSA', rotationPolicy: 'Always' });
    expect(new Set(cert.spec.dnsNames).size).toBe(cert.spec.dnsNames.length);
  });

  test('a sidecar reloads renewed certificates with SIGHUP, seeing only the certificate', () => {
    expect(pod.shareProcessNamespace).toBe(true);
    expect(pod.containers.map((x: Obj) => x.name)).toEqual(['vault']);
    const reloader = pod.initContainers.find((x: Obj) => x.name === 'tls-reloader');
    expect(reloader.restartPolicy).toBe('Always');
    expect(reloader.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(reloader.command[2]).toContain('kill -HUP $pid');
    expect(reloader.volumeMounts).toEqual([
      { name: 'tls-cert', mountPath: '/vault/userconfig/tls-cert', readOnly: true },
    ]);
    expect(pod.volumes.find((v: Obj) => v.name === 'tls-cert').secret.items).toEqual([
      { key: 'tls.crt', path: 'tls.crt' },
    ]);
    expect(reloader.resources.limits).toEqual({ cpu: '50m', memory: '32Mi' });
  });

  test('PDB keeps the Raft quorum: maxUnavailable 1 of 3', () => {
    const pdb = find('PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(vault.selector);
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });

  test('required hostname anti-affinity and a zone spread', () => {
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: vault.selector }, topologyKey: 'kubernetes.io/hostname' },
    ]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      maxSkew: 1,
    });
  });

  test('NetworkPolicy: 8200/8201 between peers, DNS and the API server out, nothing else', () => {
    const np = find('NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: vault.selector } }],
        ports: [
          { protocol: 'TCP', port: 8200 },
          { protocol: 'TCP', port: 8201 },
        ],
      },
    ]);
    const egressPorts = np.spec.egress.map((r: Obj) => r.ports.map((p: Obj) => p.port).join(','));
    expect(egressPorts.sort()).toEqual(['443,6443', '53,53', '8200,8201']);
  });
});

describe('KataVaultCluster connections', () => {
  test('microservice.connections.allowTo(vault) opens 8200 on both policies', () => {
    const c = chart();
    const vault = new KataVaultCluster(c, 'vault', { tls: CERT });
    const policy = new PodNetworkPolicy(c, 'api-policy', {
      context: 'test',
      name: 'api',
      selector: { app: 'api' },
    });
    const api = {
      connections: new Connections(NetworkPeer.pods({ app: 'api' }, 'apps'), policy, [{ port: 8080 }]),
    };
    api.connections.allowTo(vault);
    const objects: Obj[] = Testing.synth(c);
    const vaultPolicy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'vault');
    expect(vaultPolicy.spec.ingress).toContainEqual({
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } },
          podSelector: { matchLabels: { app: 'api' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 8200 }],
    });
    const apiPolicy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'api');
    expect(apiPolicy.spec.egress).toContainEqual({
      to: [{ podSelector: { matchLabels: vault.selector } }],
      ports: [{ protocol: 'TCP', port: 8200 }],
    });
    expect(vault.connections.clientPorts).toEqual([{ port: 8200 }]);
  });
});

describe('KataVaultCluster replicas and quorum', () => {
  test('property: any odd count gets floor((n-1)/2) unavailable, a retry_join per peer and a SAN per pod', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).map((k) => 2 * k + 1),
        (n) => {
          const { find, vault } = build({ replicas: n });
          const cert = find('Certificate');
          return (
            find('PodDisruptionBudget').spec.maxUnavailable === Math.floor((n - 1) / 2) &&
            (vault.config.match(/retry_join \{/g) ?? []).length === n &&
            cert.spec.dnsNames.includes(`vault-${n - 1}.vault-internal`) &&
            find('Role').rules[0].resourceNames.length === n
          );
        },
      ),
      { numRuns: 12 },
    );
  });

  test('property: every even count and every count below 1 fails for Raft', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 1, max: 50 }).map((k) => 2 * k),
          fc.integer({ min: -5, max: 0 }),
        ),
        (n) => {
          try {
            build({ replicas: n });
            return false;
          } catch (e) {
            return (e as Error).message.startsWith(`KataVaultCluster "vault": replicas ${n} is not allowed`);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  test('fails for an even count with the reason', () => {
    expect(() => build({ replicas: 4 })).toThrow(
      'KataVaultCluster "vault": replicas 4 is not allowed; expected an odd number (3 or 5): a Raft quorum of 4 tolerates 1 failure(s), no more than 3 servers',
    );
  });

  test('fails for zero and fractional counts', () => {
    expect(() => build({ replicas: 0 })).toThrow(
      /replicas 0 is not allowed; expected an odd whole number >= 1/,
    );
    expect(() => build({ replicas: 2.5 })).toThrow(/replicas 2.5 is not allowed/);
  });

  test('a single server with Shamir: PDB 0 (eviction needs a human) and a warning', () => {
    const { find, sts } = build({ replicas: 1 });
    expect(find('PodDisruptionBudget').spec.maxUnavailable).toBe(0);
    expect(sts.metadata.annotations[WARNING_ANNOTATION]).toMatch(/single Vault server has no failover/);
    expect(sts.spec.template.spec.affinity).toBeUndefined();
  });

  test('a single server with auto-unseal: PDB 1 (the pod unseals itself after a move)', () => {
    const seal = VaultSeal.awsKms({
      region: 'eu-west-1',
      kmsKeyId: 'alias/v',
      credentials: VaultKmsCredentials.ambient(),
    });
    expect(build({ replicas: 1, seal }).find('PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });
});

describe('KataVaultCluster TLS', () => {
  test('disabled TLS on a single dev server: plain HTTP, no certificate, no reloader, a warning', () => {
    const { objects, sts, pod, container, env, vault } = build({ tls: VaultTls.disabled(), replicas: 1 });
    expect(sts.metadata.annotations[WARNING_ANNOTATION]).toMatch(/TLS is disabled/);
    expect(objects.find((o) => o.kind === 'Certificate')).toBeUndefined();
    expect(container.readinessProbe.httpGet.scheme).toBe('HTTP');
    expect(container.livenessProbe.httpGet.scheme).toBe('HTTP');
    expect(env('VAULT_ADDR').value).toBe('http://127.0.0.1:8200');
    expect(env('VAULT_CACERT')).toBeUndefined();
    expect(pod.containers).toHaveLength(1);
    expect(pod.initContainers).toBeUndefined();
    expect(pod.shareProcessNamespace).toBeUndefined();
    expect(pod.volumes.map((v: Obj) => v.name)).not.toContain('tls');
    expect(vault.config).toContain('tls_disable = true');
    expect(vault.tlsSecretName).toBeUndefined();
  });

  test('fails with TLS disabled on a Raft cluster of more than one server', () => {
    expect(() => build({ tls: VaultTls.disabled() })).toThrow(
      /KataVaultCluster "vault": tls "VaultTls.disabled\(\)" is not allowed; expected TLS for a Raft cluster of 3 servers/,
    );
  });

  test('fails without tls, and with cert-manager in a chart without a namespace', () => {
    expect(() => new KataVaultCluster(chart(), 'vault', {} as KataVaultClusterProps)).toThrow(
      /tls \(unset\) is not allowed; expected VaultTls.certManager/,
    );
    expect(() => build({}, null)).toThrow(/expected a chart with a namespace/);
    // Without cert-manager the namespace can stay open: the pod reads it from the downward API.
    expect(build({ tls: VaultTls.fromSecret('vault-tls') }, null).vault.address).toBe('https://vault:8200');
  });

  test('an existing Secret: mounted, no Certificate, optional Raft server name', () => {
    const { objects, vault, pod } = build({
      tls: VaultTls.fromSecret('vault-server-tls', { raftServerName: 'vault.example.com' }),
    });
    expect(objects.find((o) => o.kind === 'Certificate')).toBeUndefined();
    expect(pod.volumes.find((v: Obj) => v.name === 'tls').secret.secretName).toBe('vault-server-tls');
    expect(vault.config).toContain('leader_tls_servername = "vault.example.com"');
    expect(vault.tlsSecretName).toBe('vault-server-tls');
    expect(() => build({ tls: VaultTls.fromSecret('Not A Secret') })).toThrow(
      /tls "Not A Secret" is not allowed/,
    );
  });

  test('ClusterIssuer, extra names and cluster domain', () => {
    const { find } = build({
      tls: VaultTls.certManager({
        issuerName: 'platform-ca',
        issuerKind: IssuerKind.CLUSTER_ISSUER,
        extraDnsNames: ['vault.example.com'],
        clusterDomain: 'corp.local',
      }),
    });
    const cert = find('Certificate');
    expect(cert.spec.issuerRef.kind).toBe('ClusterIssuer');
    expect(cert.spec.dnsNames).toContain('vault.example.com');
    expect(cert.spec.dnsNames).toContain('vault-0.vault-internal.vault.svc.corp.local');
  });

  test.each([
    [{ issuerName: 'Platform CA' }, /tls.issuerName "Platform CA" is not allowed/],
    [
      { issuerName: 'ca', issuerKind: 'ClusterIssuer' },
      /tls.issuerKind "ClusterIssuer" is not allowed; expected IssuerKind.ISSUER or IssuerKind.CLUSTER_ISSUER/,
    ],
    [
      { issuerName: 'ca', extraDnsNames: ['Vault.Example.com'] },
      /tls.dnsNames "Vault.Example.com" is not allowed/,
    ],
    [
      { issuerName: 'ca', renewBefore: Duration.days(90) },
      /tls.renewBefore "2160h" is not allowed; expected a renewal window shorter than the duration 2160h/,
    ],
    [
      { issuerName: 'ca', duration: Duration.minutes(90) },
      /tls.duration "5400s" is not allowed; expected a whole number of hours/,
    ],
    [
      { issuerName: 'ca', clusterDomain: 'Cluster.Local' },
      /tls.clusterDomain "Cluster.Local" is not allowed/,
    ],
  ])('fails for cert-manager options %#', (options, message) => {
    expect(() => build({ tls: VaultTls.certManager(options as never) })).toThrow(message);
  });

  test('certificate validity and renewal window', () => {
    const cert = build({
      tls: VaultTls.certManager({
        issuerName: 'ca',
        duration: Duration.days(30),
        renewBefore: Duration.days(10),
      }),
    }).find('Certificate');
    expect([cert.spec.duration, cert.spec.renewBefore]).toEqual(['720h', '240h']);
  });

  test('the certificate reload can be turned off', () => {
    const { pod } = build({ reloadCertificates: false });
    expect(pod.initContainers).toBeUndefined();
    expect(pod.shareProcessNamespace).toBeUndefined();
  });
});

describe('KataVaultCluster storage', () => {
  test('Raft size and class; audit claim', () => {
    const { sts, container } = build({
      storage: VaultStorage.raft({ size: Size.gibibytes(50), storageClassName: 'fast-ssd' }),
      auditStorageSize: Size.gibibytes(20),
    });
    expect(
      sts.spec.volumeClaimTemplates.map((t: Obj) => [
        t.metadata.name,
        t.spec.resources.requests.storage,
        t.spec.storageClassName,
      ]),
    ).toEqual([
      ['data', '50Gi', 'fast-ssd'],
      ['audit', '20Gi', 'fast-ssd'],
    ]);
    expect(container.volumeMounts).toContainEqual({ name: 'audit', mountPath: '/vault/audit' });
  });

  test.each([
    [
      'NaN',
      Size.gibibytes(NaN),
      /KataVaultCluster "vault": storage.size "NaNGi" is not allowed; expected a size > 0/,
    ],
    ['zero', Size.gibibytes(0), /storage.size "0.*" is not allowed; expected a size > 0/],
    ['a fraction of a MiB', Size.kibibytes(1536), /storage.size .* expected a whole number of MiB/],
  ])('fails for a storage size of %s', (_label, size, message) => {
    expect(() => build({ storage: VaultStorage.raft({ size }) })).toThrow(message);
  });

  test('fails for a negative storage size', () => {
    expect(() => build({ storage: VaultStorage.raft({ size: Size.gibibytes(-1) }) })).toThrow(/negative/);
    expect(() => build({ auditStorageSize: Size.gibibytes(0) })).toThrow(
      /KataVaultCluster "vault": auditStorageSize/,
    );
  });

  test('Consul: no data claims, token from a Secret, TLS files, egress to Consul, any count of servers', () => {
    const { sts, vault, env, find, container } = build({
      replicas: 2,
      storage: VaultStorage.consul({
        address: 'consul-server.consul.svc:8501',
        tlsSecret: 'consul-client-tls',
        tokenSecret: 'consul-token',
      }),
    });
    expect(sts.spec.volumeClaimTemplates).toBeUndefined();
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toBeUndefined();
    expect(env('CONSUL_HTTP_TOKEN').valueFrom.secretKeyRef).toEqual({ name: 'consul-token', key: 'token' });
    expect(env('VAULT_RAFT_NODE_ID')).toBeUndefined();
    expect(vault.config).toContain('storage "consul"');
    expect(vault.config).toContain('scheme = "https"');
    expect(vault.config).not.toContain('consul-token');
    expect(container.volumeMounts).toContainEqual({
      name: 'consul-tls',
      mountPath: '/vault/userconfig/consul-tls',
      readOnly: true,
    });
    expect(find('PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(find('NetworkPolicy').spec.egress).toContainEqual({
      to: [{ namespaceSelector: {} }],
      ports: [{ protocol: 'TCP', port: 8501 }],
    });
  });

  test.each([
    [{}, /storage.address \(unset\) is not allowed; expected the host:port of the Consul agent/],
    [{ address: '' }, /storage.address "" is not allowed/],
    [{ address: 'consul.consul.svc' }, /storage.address "consul.consul.svc" is not allowed/],
    [{ address: 'consul:99999' }, /storage.address "consul:99999"/],
    [
      { address: 'consul:8500', path: 'vault' },
      /storage.path "vault" is not allowed; expected a key-value path ending in "\/"/,
    ],
  ])('fails for Consul storage %j', (options, message) => {
    expect(() => build({ storage: VaultStorage.consul(options as never) })).toThrow(message);
  });
});

describe('KataVaultCluster auto-unseal', () => {
  test('AWS KMS with IRSA: role annotation, egress 443, rolling updates', () => {
    const { find, sts, vault } = build({
      seal: VaultSeal.awsKms({
        region: 'eu-west-1',
        kmsKeyId: 'alias/vault-unseal',
        credentials: VaultKmsCredentials.workloadIdentity('arn:aws:iam::123456789012:role/vault-unseal'),
      }),
    });
    expect(find('ServiceAccount').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/vault-unseal',
      'eks.amazonaws.com/sts-regional-endpoints': 'true',
    });
    expect(vault.config).toContain('seal "awskms" {');
    expect(sts.spec.updateStrategy.type).toBe('RollingUpdate');
    expect(find('NetworkPolicy').spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
  });

  test('AWS KMS from a Secret: env from secretKeyRef, nothing in the config; a narrower KMS peer', () => {
    const { env, vault, find } = build({
      seal: VaultSeal.awsKms({
        region: 'eu-west-1',
        kmsKeyId: 'alias/v',
        credentials: VaultKmsCredentials.fromSecret('aws-unseal'),
      }),
      kmsPeer: NetworkPeer.ipBlock('10.20.0.0/16'),
    });
    expect(env('AWS_SECRET_ACCESS_KEY').valueFrom.secretKeyRef).toEqual({
      name: 'aws-unseal',
      key: 'AWS_SECRET_ACCESS_KEY',
    });
    expect(vault.config).not.toMatch(/access_key|secret_key|aws-unseal/);
    expect(find('NetworkPolicy').spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
  });

  test('GCP KMS with GKE workload identity: service-account annotation and the metadata server', () => {
    const { find } = build({
      seal: VaultSeal.gcpKms({
        project: 'my-project',
        region: 'global',
        keyRing: 'vault',
        cryptoKey: 'unseal',
        credentials: VaultKmsCredentials.workloadIdentity('vault-unseal@my-project.iam.gserviceaccount.com'),
      }),
    });
    expect(find('ServiceAccount').metadata.annotations).toEqual({
      'iam.gke.io/gcp-service-account': 'vault-unseal@my-project.iam.gserviceaccount.com',
    });
    expect(find('NetworkPolicy').spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '169.254.169.254/32' } }],
      ports: [{ protocol: 'TCP', port: 80 }],
    });
  });

  test('GCP KMS from a Secret: the key file mounted read-only, its path in the config', () => {
    const { container, pod, vault } = build({
      seal: VaultSeal.gcpKms({
        project: 'my-project',
        region: 'global',
        keyRing: 'vault',
        cryptoKey: 'unseal',
        credentials: VaultKmsCredentials.fromSecret('gcp-unseal'),
      }),
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'kms-credentials',
      mountPath: '/vault/userconfig/kms',
      readOnly: true,
    });
    expect(pod.volumes.find((v: Obj) => v.name === 'kms-credentials').secret).toMatchObject({
      secretName: 'gcp-unseal',
      items: [{ key: 'credentials.json', path: 'credentials.json' }],
    });
    expect(vault.config).toContain('credentials = "/vault/userconfig/kms/credentials.json"');
  });

  test('Azure Key Vault with workload identity: client-id annotation and the pod label', () => {
    const { find, sts } = build({
      seal: VaultSeal.azureKeyVault({
        tenantId: '46646709-b63e-4747-be42-516edeaf1e14',
        vaultName: 'hc-vault',
        keyName: 'vault-key',
        credentials: VaultKmsCredentials.workloadIdentity('03dc33fc-16d9-4b77-8152-3ec568f8af6e'),
      }),
    });
    expect(find('ServiceAccount').metadata.annotations).toEqual({
      'azure.workload.identity/client-id': '03dc33fc-16d9-4b77-8152-3ec568f8af6e',
    });
    expect(sts.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(sts.spec.selector.matchLabels['azure.workload.identity/use']).toBeUndefined();
  });

  test('ambient credentials on AWS: EKS Pod Identity agent and IMDS egress', () => {
    const egress = build({
      seal: VaultSeal.awsKms({
        region: 'eu-west-1',
        kmsKeyId: 'alias/v',
        credentials: VaultKmsCredentials.ambient(),
      }),
    }).find('NetworkPolicy').spec.egress;
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: '169.254.170.23/32' } }],
      ports: [{ protocol: 'TCP', port: 80 }],
    });
  });
});

describe('KataVaultCluster other props', () => {
  test('sandbox: legacy untrusted and trusted', () => {
    const legacy = build({ sandbox: Sandbox.legacyUntrusted(CriFlavor.CONTAINERD) });
    expect(legacy.pod.runtimeClassName).toBeUndefined();
    expect(legacy.sts.spec.template.metadata.annotations['io.kubernetes.cri.untrusted-workload']).toBe(
      'true',
    );
    expect(build({ sandbox: Sandbox.kata(KataRuntime.CLOUD_HYPERVISOR) }).pod.runtimeClassName).toBe(
      'kata-clh',
    );
    expect(build({ sandbox: Sandbox.trusted() }).pod.runtimeClassName).toBeUndefined();
  });

  test('update strategy, ui, telemetry, name and priority class', () => {
    const { sts, vault, objects } = build({
      name: 'secrets',
      updateStrategy: VaultUpdateStrategy.rollingUpdate(),
      ui: false,
      telemetry: { unauthenticatedMetricsAccess: true },
      priorityClassName: 'platform-critical',
    });
    expect(sts.metadata.name).toBe('secrets');
    expect(sts.spec.updateStrategy.type).toBe('RollingUpdate');
    expect(sts.spec.template.spec.priorityClassName).toBe('platform-critical');
    expect(vault.config).toMatch(/^ui = false$/m);
    expect(vault.config).toContain('unauthenticated_metrics_access = true');
    expect(vault.config).toContain('leader_api_addr = "https://secrets-0.secrets-internal:8200"');
    expect(
      objects
        .filter((o) => o.kind === 'Service')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['secrets', 'secrets-active', 'secrets-internal', 'secrets-standby']);
  });

  test('vault durations', () => {
    expect(vaultDuration(86400)).toBe('24h');
    expect(vaultDuration(90 * 60)).toBe('90m');
    expect(vaultDuration(45)).toBe('45s');
    expect(vaultDuration(0)).toBe('0s');
  });

  test('the reload script watches the given file', () => {
    expect(certificateReloadScript('/x/tls.crt')).toContain("crt='/x/tls.crt'");
  });

  test.each([
    [{ image: 'hashicorp/vault' }, /image "hashicorp\/vault" is not allowed; expected a pinned image/],
    [{ image: 'hashicorp/vault:latest' }, /"latest" moves/],
    [{ name: 'Vault_1' }, /name "Vault_1" is not allowed/],
    [{ name: 'a'.repeat(46) }, /at most 45 characters/],
    [{ storage: 'raft' }, /storage "raft" is not allowed/],
    [{ seal: 'awskms' }, /seal "awskms" is not allowed/],
    [{ updateStrategy: 'OnDelete' }, /updateStrategy "OnDelete" is not allowed/],
    [
      { storage: VaultStorage.raft({ storageClassName: 'Fast SSD' }) },
      /storage.storageClassName "Fast SSD" is not allowed/,
    ],
    [{ telemetry: { prometheusRetention: { toSeconds: () => 1.5 } } }, /telemetry.prometheusRetention/],
  ])('fails for %j', (props, message) => {
    expect(() => build(props as never)).toThrow(message);
  });

  test('deterministic output', () => {
    const a = build().objects;
    const b = build().objects;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  test('works in an App with other charts', () => {
    const app = new App({ outdir: '/tmp/unused' });
    const c = new Chart(app, 'vault', { namespace: 'vault', disableResourceNameHashes: true });
    new KataVaultCluster(c, 'vault', { tls: CERT });
    expect(app.charts).toHaveLength(1);
  });
});

describe('examples pass the checks', () => {
  const checked = (build: () => App) => {
    const findings = checkManifests(manifestsFromApp(build()), { runtimeClasses: ['kata-qemu=kata-qemu'] });
    return {
      errors: findings
        .filter((f) => f.severity === Severity.ERROR)
        .map((f) => `${f.rule} ${f.kind}/${f.name}: ${f.message}`),
      rules: findings.map((f) => f.rule),
    };
  };

  test('examples/vault: zero errors, no warnings on the Vault objects', () => {
    const { errors, rules } = checked(() => buildVaultExample('/tmp/unused'));
    expect(errors).toEqual([]);
    expect(rules.filter((r) => r !== 'schema/skipped')).toEqual([]);
  });

  test('examples/platform vault chart (AWS KMS auto-unseal): zero errors, no warnings', () => {
    const { errors, rules } = checked(() => {
      const app = new App({ outdir: '/tmp/unused' });
      addVault(app);
      return app;
    });
    expect(errors).toEqual([]);
    expect(rules.filter((r) => r !== 'schema/skipped')).toEqual([]);
  });

  test('a development server: zero errors, the TLS and single-server warnings reported', () => {
    const { errors, rules } = checked(() => {
      const app = new App({ outdir: '/tmp/unused' });
      const c = new Chart(app, 'dev', { namespace: 'vault-dev', disableResourceNameHashes: true });
      new KataVaultCluster(c, 'vault', { tls: VaultTls.disabled(), replicas: 1 });
      return app;
    });
    expect(errors).toEqual([]);
    expect(rules).toContain('prod/blueprint-warning');
  });
});
