/**
 * Pod Security Standards, with the controls and semantics of the upstream Pod Security admission
 * (`kubernetes/pod-security-admission`, `policy/check_*.go`) at policy version 1.28: the checks
 * registered for versions <= 1.28, with the version-specific variants that apply at 1.28 (the 1.27
 * sysctl allow-list, the 1.25 Windows exemptions). Feature-gated relaxations that are off by default
 * at 1.28 (user-namespace pods) are not applied.
 */
import { RESTRICTED_VOLUME_TYPES } from '../../sandbox/apply';
import { CheckContext, PodUnit } from '../context';
import { ContainerView, Json, containersOf, obj, objs, plural, quoteList, str, strMap } from '../model';
import { PodSecurityLevel, RuleFamily, RuleInfo, Severity } from '../types';

const PSA = 'kubernetes/pod-security-admission policy/';

/** What one upstream check found wrong: the upstream ForbiddenReason and ForbiddenDetail. */
export interface PssViolation {
  /** Upstream forbidden reason, e.g. `privileged`. */
  readonly reason: string;
  /** Upstream forbidden detail, e.g. `container "app" must not set securityContext.privileged=true`. */
  readonly detail: string;
  /** JSON path of the first offending field, relative to the pod spec or metadata. */
  readonly path?: string;
}

/** A Pod Security rule: one upstream check. */
export interface PssRule extends RuleInfo {
  /** The upstream check id (`Check.ID`), e.g. `hostNamespaces`. */
  readonly upstreamId: string;
  /** The level whose profile contains the check. */
  readonly level: PodSecurityLevel.BASELINE | PodSecurityLevel.RESTRICTED;
  /** Evaluates the check on a pod. */
  readonly evaluate: (
    metadata: Json,
    spec: Json,
    containers: readonly ContainerView[],
  ) => PssViolation | undefined;
}

function sc(c: ContainerView): Json | undefined {
  return obj(c.container.securityContext);
}

function podSc(spec: Json): Json | undefined {
  return obj(spec.securityContext);
}

function isWindows(spec: Json): boolean {
  return str(obj(spec.os)?.name) === 'windows';
}

function containerList(names: readonly string[]): string {
  return `${plural(names.length, 'container', 'containers')} ${quoteList(names)}`;
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** Sysctls allowed at baseline for policy version 1.28 (the 1.0 list plus `ip_local_reserved_ports` from 1.27). */
export const SAFE_SYSCTLS_1_28: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
]);

const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);

/** Volume sources `restricted` allows at 1.28 (the list `applySandbox` enforces on blueprint pods). */
export const RESTRICTED_VOLUME_SOURCES_1_28: ReadonlySet<string> = new Set(RESTRICTED_VOLUME_TYPES);

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const validSeccomp = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';

function rule(
  upstreamId: string,
  id: string,
  level: PodSecurityLevel.BASELINE | PodSecurityLevel.RESTRICTED,
  file: string,
  title: string,
  why: string,
  fix: string,
  evaluate: PssRule['evaluate'],
): PssRule {
  return {
    id: `pss/${id}`,
    family: RuleFamily.PSS,
    severity: Severity.ERROR,
    title,
    why: `${why} Pod Security \`${level}\` (upstream check \`${upstreamId}\`).`,
    fix,
    sources: [`${PSA}${file}`, 'https://kubernetes.io/docs/concepts/security/pod-security-standards/'],
    upstreamId,
    level,
    evaluate,
  };
}

/** The Pod Security rules, baseline first, in the upstream registry's order. */
export const PSS_RULES: readonly PssRule[] = [
  rule(
    'hostNamespaces',
    'host-namespaces',
    PodSecurityLevel.BASELINE,
    'check_hostNamespaces.go',
    'hostNetwork, hostPID and hostIPC are unset or false.',
    'Sharing the host namespaces lets a pod see and signal host processes and sniff host traffic.',
    'Remove hostNetwork/hostPID/hostIPC.',
    (_m, spec) => {
      const set = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true);
      if (set.length === 0) return undefined;
      return { reason: 'host namespaces', detail: set.map((k) => `${k}=true`).join(', '), path: set[0] };
    },
  ),
  rule(
    'privileged',
    'privileged',
    PodSecurityLevel.BASELINE,
    'check_privileged.go',
    'No container sets securityContext.privileged=true.',
    'A privileged container has every capability and every host device.',
    'Remove securityContext.privileged or set it to false; add only the capabilities the process needs.',
    (_m, _s, containers) => {
      const bad = containers.filter((c) => sc(c)?.privileged === true);
      if (bad.length === 0) return undefined;
      return {
        reason: 'privileged',
        detail: `${containerList(bad.map((c) => c.name))} must not set securityContext.privileged=true`,
        path: `${bad[0].path}.securityContext.privileged`,
      };
    },
  ),
  rule(
    'capabilities_baseline',
    'capabilities-baseline',
    PodSecurityLevel.BASELINE,
    'check_capabilities_baseline.go',
    'Added capabilities stay within the default container runtime set.',
    'Capabilities beyond the runtime defaults (e.g. SYS_ADMIN, NET_ADMIN) grant kernel powers that enable container escapes.',
    'Drop the capabilities outside AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.',
    (_m, _s, containers) => {
      const names: string[] = [];
      const caps = new Set<string>();
      let path: string | undefined;
      for (const c of containers) {
        const add = obj(sc(c)?.capabilities)?.add;
        const bad = (Array.isArray(add) ? add.map(String) : []).filter(
          (cap) => !BASELINE_CAPABILITIES.has(cap),
        );
        if (bad.length) {
          names.push(c.name);
          bad.forEach((b) => caps.add(b));
          path ??= `${c.path}.securityContext.capabilities.add`;
        }
      }
      if (!names.length) return undefined;
      return {
        reason: 'non-default capabilities',
        detail: `${containerList(names)} must not include ${quoteList([...caps].sort())} in securityContext.capabilities.add`,
        path,
      };
    },
  ),
  rule(
    'hostPathVolumes',
    'host-path-volumes',
    PodSecurityLevel.BASELINE,
    'check_hostPathVolumes.go',
    'No hostPath volumes.',
    'A hostPath volume exposes the node filesystem to the pod.',
    'Use a PersistentVolumeClaim, emptyDir, ConfigMap or Secret instead of hostPath.',
    (_m, spec) => {
      const vols = objs(spec.volumes);
      const bad = vols.filter((v) => v.hostPath !== undefined && v.hostPath !== null);
      if (!bad.length) return undefined;
      return {
        reason: 'hostPath volumes',
        detail: `${plural(bad.length, 'volume', 'volumes')} ${quoteList(bad.map((v) => str(v.name) ?? ''))}`,
        path: `volumes[${vols.indexOf(bad[0])}].hostPath`,
      };
    },
  ),
  rule(
    'hostPorts',
    'host-ports',
    PodSecurityLevel.BASELINE,
    'check_hostPorts.go',
    'No container port sets a hostPort.',
    'hostPort binds the node network namespace and bypasses NetworkPolicy.',
    'Remove hostPort; expose the port through a Service.',
    (_m, _s, containers) => {
      const names: string[] = [];
      const ports: string[] = [];
      let path: string | undefined;
      for (const c of containers) {
        const cp = objs(c.container.ports);
        const bad = cp.filter((p) => typeof p.hostPort === 'number' && p.hostPort !== 0);
        if (bad.length) {
          names.push(c.name);
          bad.forEach((p) => ports.push(String(p.hostPort)));
          path ??= `${c.path}.ports[${cp.indexOf(bad[0])}].hostPort`;
        }
      }
      if (!names.length) return undefined;
      return {
        reason: 'hostPort',
        detail: `${containerList(names)} ${plural(ports.length, 'uses hostPort', 'use hostPorts')} ${ports.join(', ')}`,
        path,
      };
    },
  ),
  rule(
    'appArmorProfile',
    'apparmor-profile',
    PodSecurityLevel.BASELINE,
    'check_appArmorProfile.go',
    'AppArmor is not disabled or overridden with an unconfined profile.',
    'The runtime default AppArmor profile confines the container; `unconfined` removes that confinement.',
    'Remove the AppArmor override, or use runtime/default (RuntimeDefault) or a localhost/ (Localhost) profile.',
    (metadata, spec, containers) => {
      const bad: string[] = [];
      let path: string | undefined;
      for (const [k, v] of Object.entries(strMap(metadata.annotations)).sort(([a], [b]) =>
        a.localeCompare(b),
      )) {
        if (
          k.startsWith(APPARMOR_ANNOTATION_PREFIX) &&
          !(v === '' || v === 'runtime/default' || v.startsWith('localhost/'))
        ) {
          bad.push(`${k}=${JSON.stringify(v)}`);
          path ??= `metadata.annotations["${k}"]`;
        }
      }
      const badField = (p: unknown): boolean => {
        const t = obj(p)?.type;
        return t !== undefined && t !== 'RuntimeDefault' && t !== 'Localhost';
      };
      if (badField(podSc(spec)?.appArmorProfile)) {
        bad.push(
          `pod must not set securityContext.appArmorProfile.type to ${JSON.stringify(obj(podSc(spec)?.appArmorProfile)?.type)}`,
        );
        path ??= 'securityContext.appArmorProfile.type';
      }
      for (const c of containers) {
        if (badField(sc(c)?.appArmorProfile)) {
          bad.push(
            `container ${JSON.stringify(c.name)} must not set securityContext.appArmorProfile.type to ${JSON.stringify(obj(sc(c)?.appArmorProfile)?.type)}`,
          );
          path ??= `${c.path}.securityContext.appArmorProfile.type`;
        }
      }
      if (!bad.length) return undefined;
      return {
        reason: plural(bad.length, 'forbidden AppArmor profile', 'forbidden AppArmor profiles'),
        detail: bad.join(', '),
        path,
      };
    },
  ),
  rule(
    'seLinuxOptions',
    'selinux-options',
    PodSecurityLevel.BASELINE,
    'check_seLinuxOptions.go',
    'SELinux options keep a container type and set no custom user or role.',
    'Custom SELinux users, roles or types can lift the container confinement.',
    'Remove seLinuxOptions.user and .role; use type container_t, container_init_t or container_kvm_t (or leave it unset).',
    (_m, spec, containers) => {
      const badTypes = new Set<string>();
      let setUser = false;
      let setRole = false;
      const setters: string[] = [];
      let path: string | undefined;
      const check = (opts: Json | undefined, who: string, p: string): void => {
        if (!opts) return;
        let valid = true;
        const type = str(opts.type) ?? '';
        if (!SELINUX_TYPES_1_0.has(type)) {
          valid = false;
          badTypes.add(type);
        }
        if ((str(opts.user) ?? '').length > 0) {
          valid = false;
          setUser = true;
        }
        if ((str(opts.role) ?? '').length > 0) {
          valid = false;
          setRole = true;
        }
        if (!valid) {
          setters.push(who);
          path ??= p;
        }
      };
      check(obj(podSc(spec)?.seLinuxOptions), 'pod', 'securityContext.seLinuxOptions');
      for (const c of containers)
        check(
          obj(sc(c)?.seLinuxOptions),
          `container ${JSON.stringify(c.name)}`,
          `${c.path}.securityContext.seLinuxOptions`,
        );
      if (!setters.length) return undefined;
      const parts: string[] = [];
      if (badTypes.size) parts.push(`type ${quoteList([...badTypes].sort())}`);
      if (setUser) parts.push('user may not be set');
      if (setRole) parts.push('role may not be set');
      return {
        reason: 'seLinuxOptions',
        detail: `${setters.join(', ')} set forbidden securityContext.seLinuxOptions: ${parts.join('; ')}`,
        path,
      };
    },
  ),
  rule(
    'procMount',
    'proc-mount',
    PodSecurityLevel.BASELINE,
    'check_procMount.go',
    'procMount is unset or Default.',
    'An Unmasked /proc exposes host kernel interfaces that the default mask hides.',
    'Remove securityContext.procMount or set it to Default.',
    (_m, _s, containers) => {
      const bad = containers.filter((c) => {
        const pm = sc(c)?.procMount;
        return pm !== undefined && pm !== null && pm !== 'Default';
      });
      if (!bad.length) return undefined;
      return {
        reason: 'procMount',
        detail: `${containerList(bad.map((c) => c.name))} must not set securityContext.procMount to ${quoteList([...new Set(bad.map((c) => String(sc(c)?.procMount)))])}`,
        path: `${bad[0].path}.securityContext.procMount`,
      };
    },
  ),
  rule(
    'seccompProfile_baseline',
    'seccomp-profile-baseline',
    PodSecurityLevel.BASELINE,
    'check_seccompProfile_baseline.go',
    'No seccomp profile other than RuntimeDefault or Localhost is set.',
    'An Unconfined seccomp profile lets the container make every system call.',
    'Set seccompProfile.type to RuntimeDefault (or Localhost), or leave it unset.',
    (_m, spec, containers) => {
      const bad: string[] = [];
      let path: string | undefined;
      const pod = obj(podSc(spec)?.seccompProfile);
      if (pod && !validSeccomp(pod.type)) {
        bad.push(`pod must not set securityContext.seccompProfile.type to ${JSON.stringify(pod.type)}`);
        path = 'securityContext.seccompProfile.type';
      }
      for (const c of containers) {
        const p = obj(sc(c)?.seccompProfile);
        if (p && !validSeccomp(p.type)) {
          bad.push(
            `container ${JSON.stringify(c.name)} must not set securityContext.seccompProfile.type to ${JSON.stringify(p.type)}`,
          );
          path ??= `${c.path}.securityContext.seccompProfile.type`;
        }
      }
      if (!bad.length) return undefined;
      return { reason: 'seccompProfile', detail: bad.join('; '), path };
    },
  ),
  rule(
    'sysctls',
    'sysctls',
    PodSecurityLevel.BASELINE,
    'check_sysctls.go',
    'Only namespaced, isolated ("safe") sysctls are set.',
    'Unsafe sysctls change the kernel for every pod on the node or disable security mechanisms.',
    'Remove the sysctls outside kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.ip_local_reserved_ports.',
    (_m, spec) => {
      const list = objs(podSc(spec)?.sysctls);
      const bad = list.filter((s) => !SAFE_SYSCTLS_1_28.has(str(s.name) ?? ''));
      if (!bad.length) return undefined;
      return {
        reason: 'forbidden sysctls',
        detail: bad.map((s) => str(s.name) ?? '').join(', '),
        path: `securityContext.sysctls[${list.indexOf(bad[0])}]`,
      };
    },
  ),
  rule(
    'windowsHostProcess',
    'windows-host-process',
    PodSecurityLevel.BASELINE,
    'check_windowsHostProcess.go',
    'No Windows HostProcess containers.',
    'A HostProcess container runs directly on the Windows host with host access.',
    'Remove windowsOptions.hostProcess.',
    (_m, spec, containers) => {
      const bad: string[] = [];
      let path: string | undefined;
      if (obj(podSc(spec)?.windowsOptions)?.hostProcess === true) {
        bad.push('pod');
        path = 'securityContext.windowsOptions.hostProcess';
      }
      const names = containers.filter((c) => obj(sc(c)?.windowsOptions)?.hostProcess === true);
      if (names.length) {
        bad.push(containerList(names.map((c) => c.name)));
        path ??= `${names[0].path}.securityContext.windowsOptions.hostProcess`;
      }
      if (!bad.length) return undefined;
      return {
        reason: 'hostProcess',
        detail: `${bad.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`,
        path,
      };
    },
  ),
  rule(
    'restrictedVolumes',
    'restricted-volumes',
    PodSecurityLevel.RESTRICTED,
    'check_restrictedVolumes.go',
    'Volumes are of the allowed types: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret.',
    'Other volume types (hostPath, nfs, iscsi, cloud disks...) mount storage the pod owner does not control through a claim.',
    'Use a persistentVolumeClaim (with a PersistentVolume for network storage) or one of the allowed volume types.',
    (_m, spec) => {
      const vols = objs(spec.volumes);
      const badNames: string[] = [];
      const badTypes = new Set<string>();
      let path: string | undefined;
      vols.forEach((v, i) => {
        const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== null && v[k] !== undefined);
        // API defaulting (SetDefaults_Volume) turns a volume without a source into an emptyDir
        if (sources.length === 0 || sources.some((s) => RESTRICTED_VOLUME_SOURCES_1_28.has(s))) return;
        badNames.push(str(v.name) ?? `#${i}`);
        sources.forEach((s) => badTypes.add(s));
        path ??= `volumes[${i}]`;
      });
      if (!badNames.length) return undefined;
      return {
        reason: 'restricted volume types',
        detail: `${plural(badNames.length, 'volume', 'volumes')} ${quoteList(badNames)} ${plural(badNames.length, 'uses', 'use')} restricted volume ${plural(badTypes.size, 'type', 'types')} ${quoteList([...badTypes].sort())}`,
        path,
      };
    },
  ),
  rule(
    'allowPrivilegeEscalation',
    'allow-privilege-escalation',
    PodSecurityLevel.RESTRICTED,
    'check_allowPrivilegeEscalation.go',
    'Every container sets securityContext.allowPrivilegeEscalation=false explicitly.',
    'Without it, setuid binaries and file capabilities can raise privileges (no_new_privs is off).',
    'Set securityContext.allowPrivilegeEscalation: false on every container.',
    (_m, spec, containers) => {
      if (isWindows(spec)) return undefined;
      const bad = containers.filter((c) => sc(c)?.allowPrivilegeEscalation !== false);
      if (!bad.length) return undefined;
      return {
        reason: 'allowPrivilegeEscalation != false',
        detail: `${containerList(bad.map((c) => c.name))} must set securityContext.allowPrivilegeEscalation=false`,
        path: `${bad[0].path}.securityContext`,
      };
    },
  ),
  rule(
    'runAsNonRoot',
    'run-as-non-root',
    PodSecurityLevel.RESTRICTED,
    'check_runAsNonRoot.go',
    'runAsNonRoot is true at pod level (or on every container) and never false.',
    'Without runAsNonRoot the kubelet starts images whose user is root.',
    'Set securityContext.runAsNonRoot: true on the pod, and a non-zero runAsUser if the image has no numeric non-root USER.',
    (_m, spec, containers) => {
      const badSetters: string[] = [];
      let podRunAsNonRoot = false;
      const p = podSc(spec)?.runAsNonRoot;
      if (p === false) badSetters.push('pod');
      else if (p === true) podRunAsNonRoot = true;
      const explicitlyBad: string[] = [];
      const implicitlyBad: string[] = [];
      let path: string | undefined = p === false ? 'securityContext.runAsNonRoot' : undefined;
      for (const c of containers) {
        const v = sc(c)?.runAsNonRoot;
        if (v === true || v === false) {
          if (v === false) {
            explicitlyBad.push(c.name);
            path ??= `${c.path}.securityContext.runAsNonRoot`;
          }
        } else if (!podRunAsNonRoot) {
          implicitlyBad.push(c.name);
        }
      }
      if (explicitlyBad.length) badSetters.push(containerList(explicitlyBad));
      if (badSetters.length) {
        return {
          reason: 'runAsNonRoot != true',
          detail: `${badSetters.join(' and ')} must not set securityContext.runAsNonRoot=false`,
          path,
        };
      }
      if (implicitlyBad.length) {
        return {
          reason: 'runAsNonRoot != true',
          detail: `pod or ${containerList(implicitlyBad)} must set securityContext.runAsNonRoot=true`,
          path: 'securityContext.runAsNonRoot',
        };
      }
      return undefined;
    },
  ),
  rule(
    'runAsUser',
    'run-as-user',
    PodSecurityLevel.RESTRICTED,
    'check_runAsUser.go',
    'runAsUser is never 0.',
    'User id 0 is root, whatever runAsNonRoot says.',
    'Set runAsUser to the non-root uid of the image, or remove it.',
    (_m, spec, containers) => {
      const bad: string[] = [];
      let path: string | undefined;
      if (podSc(spec)?.runAsUser === 0) {
        bad.push('pod');
        path = 'securityContext.runAsUser';
      }
      const names = containers.filter((c) => sc(c)?.runAsUser === 0);
      if (names.length) {
        bad.push(containerList(names.map((c) => c.name)));
        path ??= `${names[0].path}.securityContext.runAsUser`;
      }
      if (!bad.length) return undefined;
      return { reason: 'runAsUser=0', detail: `${bad.join(' and ')} must not set runAsUser=0`, path };
    },
  ),
  rule(
    'seccompProfile_restricted',
    'seccomp-profile-restricted',
    PodSecurityLevel.RESTRICTED,
    'check_seccompProfile_restricted.go',
    'A seccomp profile (RuntimeDefault or Localhost) is set on the pod or on every container.',
    'Without a seccomp profile the container may make every system call.',
    'Set securityContext.seccompProfile.type: RuntimeDefault on the pod.',
    (_m, spec, containers) => {
      if (isWindows(spec)) return undefined;
      const badSetters: string[] = [];
      const badValues = new Set<string>();
      let podSet = false;
      let path: string | undefined;
      const p = obj(podSc(spec)?.seccompProfile);
      if (p) {
        if (!validSeccomp(p.type)) {
          badSetters.push('pod');
          badValues.add(String(p.type));
          path = 'securityContext.seccompProfile.type';
        } else {
          podSet = true;
        }
      }
      const explicitlyBad: string[] = [];
      const implicitlyBad: string[] = [];
      for (const c of containers) {
        const cp = obj(sc(c)?.seccompProfile);
        if (cp) {
          if (!validSeccomp(cp.type)) {
            explicitlyBad.push(c.name);
            badValues.add(String(cp.type));
            path ??= `${c.path}.securityContext.seccompProfile.type`;
          }
        } else if (!podSet) {
          implicitlyBad.push(c.name);
        }
      }
      if (explicitlyBad.length) badSetters.push(containerList(explicitlyBad));
      if (badSetters.length) {
        return {
          reason: 'seccompProfile',
          detail: `${badSetters.join(' and ')} must not set securityContext.seccompProfile.type to ${quoteList([...badValues].sort())}`,
          path,
        };
      }
      if (implicitlyBad.length) {
        return {
          reason: 'seccompProfile',
          detail: `pod or ${containerList(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
          path: 'securityContext.seccompProfile',
        };
      }
      return undefined;
    },
  ),
  rule(
    'capabilities_restricted',
    'capabilities-restricted',
    PodSecurityLevel.RESTRICTED,
    'check_capabilities_restricted.go',
    'Every container drops ALL capabilities and adds back at most NET_BIND_SERVICE.',
    'The runtime default capability set still includes powers (e.g. NET_RAW) an application does not need.',
    'Set securityContext.capabilities.drop: [ALL] on every container; add only NET_BIND_SERVICE if needed.',
    (_m, spec, containers) => {
      if (isWindows(spec)) return undefined;
      const missingDrop: string[] = [];
      const adding: string[] = [];
      const forbidden = new Set<string>();
      let path: string | undefined;
      for (const c of containers) {
        const caps = obj(sc(c)?.capabilities);
        if (!caps) {
          missingDrop.push(c.name);
          path ??= `${c.path}.securityContext.capabilities`;
          continue;
        }
        const drop = Array.isArray(caps.drop) ? caps.drop.map(String) : [];
        if (!drop.includes('ALL')) {
          missingDrop.push(c.name);
          path ??= `${c.path}.securityContext.capabilities.drop`;
        }
        const add = Array.isArray(caps.add) ? caps.add.map(String) : [];
        const bad = add.filter((a) => a !== 'NET_BIND_SERVICE');
        if (bad.length) {
          adding.push(c.name);
          bad.forEach((b) => forbidden.add(b));
          path ??= `${c.path}.securityContext.capabilities.add`;
        }
      }
      const details: string[] = [];
      if (missingDrop.length)
        details.push(`${containerList(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (adding.length) {
        details.push(
          `${containerList(adding)} must not include ${quoteList([...forbidden].sort())} in securityContext.capabilities.add`,
        );
      }
      if (!details.length) return undefined;
      return { reason: 'unrestricted capabilities', detail: details.join('; '), path };
    },
  ),
];

/** The checks that apply at a level (restricted includes baseline; privileged none). */
export function pssRulesFor(level: PodSecurityLevel): readonly PssRule[] {
  if (level === PodSecurityLevel.PRIVILEGED) return [];
  if (level === PodSecurityLevel.BASELINE)
    return PSS_RULES.filter((r) => r.level === PodSecurityLevel.BASELINE);
  return PSS_RULES;
}

/**
 * Evaluates a pod (metadata + spec) at a level, as the Pod Security admission would.
 *
 * @returns the violated rules with the upstream reason and detail; empty when admitted
 */
export function evaluatePodSecurity(
  metadata: Json,
  spec: Json,
  level: PodSecurityLevel,
): Array<{ readonly rule: PssRule; readonly violation: PssViolation }> {
  const containers = containersOf({ metadata, spec, specPath: '', metadataPath: '' }).map((c) => ({
    ...c,
    path: c.path.replace(/^\./, ''),
  }));
  const out: Array<{ rule: PssRule; violation: PssViolation }> = [];
  for (const r of pssRulesFor(level)) {
    const v = r.evaluate(metadata, spec, containers);
    if (v) out.push({ rule: r, violation: v });
  }
  return out;
}

/** Runs the Pod Security rules over every pod at its namespace's level. */
export function runPssRules(ctx: CheckContext): void {
  for (const unit of ctx.pods) evaluateUnit(ctx, unit);
}

function evaluateUnit(ctx: CheckContext, unit: PodUnit): void {
  const rules = pssRulesFor(unit.level);
  if (!rules.length) return;
  const containers = containersOf(unit.pod);
  for (const r of rules) {
    if (!ctx.enabled(r)) continue;
    const v = r.evaluate(unit.pod.metadata, unit.pod.spec, containers);
    if (!v) continue;
    let path = v.path;
    if (path?.startsWith('metadata')) path = unit.pod.metadataPath + path.slice('metadata'.length);
    else if (path && !path.startsWith(`${unit.pod.specPath}.`)) path = `${unit.pod.specPath}.${path}`;
    ctx.report(
      r,
      unit.entry,
      `${v.reason} (${v.detail}); namespace "${unit.namespace}" enforces Pod Security "${unit.level}"`,
      {
        ...(path ? { path } : {}),
      },
    );
  }
}
