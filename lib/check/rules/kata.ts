/**
 * Kata Containers compatibility: what runs differently, or not at all, when a pod is a VM.
 * Sources: kata-containers/kata-containers `docs/Limitations.md` and the runtime/agent code cited
 * per rule (see /work/shared/reference/kata.md section 4 for the research notes).
 *
 * A pod is sandboxed when its runtimeClassName is a Kata class (a RuntimeClass in the input or the
 * declared cluster whose handler starts with `kata`, a kata-blueprints preset name, or an unknown
 * name starting with `kata`), or when it carries a legacy untrusted-workload annotation.
 */
import { CheckContext, CONTAINERD_UNTRUSTED_ANNOTATION, Entry, PodUnit } from '../context';
import { HYPERVISOR_ANNOTATION_PREFIX, KataRuntime } from '../../sandbox/runtime';
import {
  containersOf,
  hasResource,
  mib,
  millicores,
  obj,
  objs,
  plural,
  podResource,
  quantity,
  quoteList,
  str,
  strMap,
} from '../model';
import { RuleFamily, RuleInfo, Severity } from '../types';

const LIMITATIONS = 'kata-containers/kata-containers docs/Limitations.md';

/** The Kata compatibility rules. */
export const KATA_RULES = {
  hostNetwork: {
    id: 'kata/host-network',
    family: RuleFamily.KATA,
    severity: Severity.ERROR,
    title: 'A sandboxed pod does not use hostNetwork.',
    why:
      'A VM cannot join the host network namespace: the Go runtime refuses with "Host networking requested, not supported by runtime", ' +
      'and trying it can break host networking (Limitations.md "Host network"; src/runtime/pkg/katautils/network_linux.go).',
    fix: 'Remove hostNetwork, or run the pod without the Kata runtime class (trusted, runc).',
    sources: [
      `${LIMITATIONS} ("Host network")`,
      'kata-containers/kata-containers src/runtime/pkg/katautils/network_linux.go',
    ],
  },
  hostNamespaces: {
    id: 'kata/host-namespaces',
    family: RuleFamily.KATA,
    severity: Severity.WARNING,
    title: 'A sandboxed pod does not ask for hostPID or hostIPC.',
    why:
      'The Kata agent maps any host PID/IPC namespace request to the sandbox-wide guest namespace ("host pidns path does not make sense in kata"), ' +
      'so the pod silently gets no host processes or IPC (src/runtime/virtcontainers/kata_agent.go handlePidNamespace; src/agent/src/sandbox.rs). ' +
      'With the legacy containerd untrusted-workload annotation it is an error: containerd refuses "untrusted workload with host access is not allowed".',
    fix: 'Remove hostPID/hostIPC (shareProcessNamespace works inside the VM), or run the pod trusted (runc) if it truly needs the host.',
    sources: [
      'kata-containers/kata-containers src/runtime/virtcontainers/kata_agent.go (handlePidNamespace)',
      'kata-containers/kata-containers src/agent/src/rpc.rs, src/agent/src/sandbox.rs',
      'containerd/containerd internal/cri/config/config.go (untrusted workload with host access)',
    ],
  },
  procMount: {
    id: 'kata/proc-mount-target',
    family: RuleFamily.KATA,
    severity: Severity.ERROR,
    title: 'No volume is mounted over /proc or /proc/* in a sandboxed container.',
    why:
      'The agent refuses bind mounts over /proc (CVE-2019-16884), except /proc/cpuinfo, diskstats, meminfo, stat, swaps, uptime, loadavg and net/dev; ' +
      'the container fails to start (Limitations.md "procfs/sysfs mounts").',
    fix: 'Mount the volume elsewhere and point the application at it.',
    sources: [`${LIMITATIONS} (procfs and sysfs)`, 'CVE-2019-16884', 'CVE-2019-19921'],
  },
  hostProcSys: {
    id: 'kata/host-proc-sys-volume',
    family: RuleFamily.KATA,
    severity: Severity.WARNING,
    title: 'A sandboxed pod does not mount the host /proc or /sys.',
    why:
      'hostPath volumes are shared into the VM over virtio-fs (Limitations.md "hostPath volumes"): the container sees the host kernel view, not the ' +
      'guest it runs on, so metrics and cgroup/kernel tuning read or write the wrong kernel. Kata CI mounts /sys/fs/cgroup this way on purpose ' +
      '(pod-footloose.yaml), so it is not refused, but it rarely means what it says.',
    fix: 'Read the guest /proc and /sys (they are the pod VM kernel), or run node agents trusted (runc) in a privileged namespace.',
    sources: [`${LIMITATIONS} (hostPath volumes; procfs and sysfs)`],
  },
  subPath: {
    id: 'kata/subpath',
    family: RuleFamily.KATA,
    severity: Severity.WARNING,
    title: 'Sandboxed containers avoid volumeMounts.subPath / subPathExpr.',
    why:
      'Limitations.md lists subPath as not supported (kubelet resolves it on the host and the result is shared into the VM; kata-containers/runtime#2812, ' +
      'kata-containers#10487). Kata CI still mounts single ConfigMap keys with subPath (smb-server.yaml, pod-footloose.yaml), so it is a warning, not an error.',
    fix: 'Mount the whole volume, or project single keys with `items` (ConfigMap/Secret) into a directory.',
    sources: [
      `${LIMITATIONS} (Kubernetes volumeMount.subPath)`,
      'kata-containers/runtime#2812',
      'kata-containers/kata-containers#10487',
    ],
  },
  memoryLimit: {
    id: 'kata/memory-limit',
    family: RuleFamily.KATA,
    severity: Severity.ERROR,
    title: 'Every container of a sandboxed pod has a memory limit (or a LimitRange default).',
    why:
      'Kata sizes the VM from the limits: without one the VM boots with default_memory (2048 MiB) that the scheduler never accounts for ' +
      '(it sees only requests + overhead.podFixed), so Kata nodes overcommit and the pod cgroup (limits + podFixed) is smaller than the VM, ' +
      'which gets QEMU OOM-killed (kata-containers#12786, #6129). runtime-rs: "Workload CPU and memory limits must be set" ' +
      '(docs/how-to/how-to-size-sandbox-overhead-runtime-rs.md); AKS Pod Sandboxing sizes the VM from the memory limit.',
    fix: 'Set resources.limits.memory on every container (init containers included), or add a LimitRange with a default memory limit.',
    sources: [
      'kata-containers/kata-containers docs/how-to/how-to-size-sandbox-overhead-runtime-rs.md',
      'kata-containers/kata-containers src/runtime/virtcontainers/sandbox.go (VM memory = default_memory + limits)',
      'kata-containers/kata-containers#12786',
      'MicrosoftDocs/azure-aks-docs articles/aks/considerations-pod-sandboxing.md',
    ],
  },
  cpuLimit: {
    id: 'kata/cpu-limit',
    family: RuleFamily.KATA,
    severity: Severity.WARNING,
    title: 'Every container of a sandboxed pod has a CPU limit (or a LimitRange default).',
    why:
      'The Go runtime hot-plugs ceil(limit) vCPUs per container with a CPU limit; containers without one share the default_vcpus (1 vCPU) of the VM ' +
      '(docs/design/vcpu-handling-runtime-go.md); runtime-rs sizes vCPUs from limits only. The pod runs, but on one vCPU whatever it requests.',
    fix: 'Set resources.limits.cpu on every container.',
    sources: [
      'kata-containers/kata-containers docs/design/vcpu-handling-runtime-go.md',
      'kata-containers/kata-containers docs/how-to/how-to-size-sandbox-overhead-runtime-rs.md',
    ],
  },
  unknownRuntimeClass: {
    id: 'kata/unknown-runtime-class',
    family: RuleFamily.KATA,
    severity: Severity.ERROR,
    title: 'runtimeClassName names a RuntimeClass that exists (in the input or the declared cluster).',
    why:
      'The RuntimeClass admission controller rejects a pod whose RuntimeClass does not exist ("pod rejected: RuntimeClass not found"); for a workload, ' +
      'no pod is ever created. When no RuntimeClass is known at all, a name that is neither a kata-deploy class nor a kata-blueprints preset is a warning; ' +
      'classes a managed platform creates itself (AKS kata-vm-isolation) are not expected in the manifests.',
    fix: 'Use an existing RuntimeClass, add the RuntimeClass to the manifests, or declare the cluster classes (--runtime-classes).',
    sources: [
      'https://kubernetes.io/docs/concepts/containers/runtime-class/',
      'kubernetes/kubernetes plugin/pkg/admission/runtimeclass/admission.go',
    ],
  },
  podOverhead: {
    id: 'kata/pod-overhead-set',
    family: RuleFamily.KATA,
    severity: Severity.ERROR,
    title: 'A pod does not set spec.overhead itself (the RuntimeClass does).',
    why:
      'The RuntimeClass admission controller fills spec.overhead from the RuntimeClass and rejects a pod whose own overhead differs from it ' +
      '(or that sets one the RuntimeClass does not define).',
    fix: 'Remove spec.overhead; set overhead.podFixed on the RuntimeClass.',
    sources: [
      'https://kubernetes.io/docs/concepts/scheduling-eviction/pod-overhead/',
      'kubernetes/kubernetes plugin/pkg/admission/runtimeclass/admission.go',
    ],
  },
  legacyWithRuntimeClass: {
    id: 'kata/legacy-annotation-with-runtime-class',
    family: RuleFamily.KATA,
    severity: Severity.ERROR,
    title: 'A pod does not combine a legacy untrusted-workload annotation with runtimeClassName.',
    why:
      'containerd refuses the pod: "untrusted workload with explicit runtime handler is not allowed" (internal/cri/config/config.go; kata-containers/tests#1385). ' +
      'CRI-O removed the TrustedSandbox annotation in 1.14, so there it is ignored (warning).',
    fix: 'Keep the runtimeClassName and remove the untrusted-workload annotation.',
    sources: [
      'containerd/containerd internal/cri/config/config.go',
      'kata-containers/tests#1385',
      'cri-o/cri-o#2153',
    ],
  },
  legacyAnnotation: {
    id: 'kata/legacy-untrusted-annotation',
    family: RuleFamily.KATA,
    severity: Severity.WARNING,
    title: 'Sandboxing uses a RuntimeClass rather than the legacy untrusted-workload annotation.',
    why:
      'io.kubernetes.cri.untrusted-workload was deprecated in containerd 1.2 and removed (untrusted_workload_runtime) in containerd 2.0; ' +
      'io.kubernetes.cri-o.TrustedSandbox was removed in CRI-O 1.14. On a current node the pod silently runs on runc, outside any VM.',
    fix: 'Create a Kata RuntimeClass and set runtimeClassName (Sandbox.kata(...) in kata-blueprints).',
    sources: [
      'containerd/containerd RELEASES.md (deprecated config properties)',
      'cri-o/cri-o#2153',
      'kata-containers/packaging#409',
    ],
  },
  privileged: {
    id: 'kata/privileged',
    family: RuleFamily.KATA,
    severity: Severity.WARNING,
    title: 'Sandboxed containers are not privileged.',
    why:
      'A privileged container in a Kata VM gets every capability and device of the guest (guest root), not of the host; host devices are only kept ' +
      'out when the CRI sets privileged_without_host_devices=true (kata-deploy does). It works (Kata CI runs pod-privileged.yaml), but it gives the ' +
      'workload full control of its VM and, without that CRI setting, the host devices.',
    fix: 'Drop privileged and add the few capabilities needed; make sure the CRI runtime sets privileged_without_host_devices=true.',
    sources: [
      `${LIMITATIONS} (privileged containers)`,
      'kata-containers/kata-containers docs/how-to/privileged.md',
    ],
  },
  hypervisorAnnotation: {
    id: 'kata/hypervisor-annotation',
    family: RuleFamily.KATA,
    severity: Severity.WARNING,
    title: "Per-pod hypervisor annotations are in the runtime's enable_annotations list.",
    why:
      'Kata ignores or refuses io.katacontainers.config.hypervisor.* annotations that the runtime configuration does not allow-list ' +
      '(enable_annotations: Go runtime enable_iommu, kernel_params, kernel_verity_params; runtime-rs adds default_vcpus, default_memory). ' +
      'kata-deploy can extend the list (allowedHypervisorAnnotations), so this is a warning for the presets whose defaults are known.',
    fix: 'Use a runtime that allows the annotation (e.g. a runtime-rs class), or add it to allowedHypervisorAnnotations in kata-deploy.',
    sources: [
      'kata-containers/kata-containers docs/how-to/how-to-set-sandbox-config-kata.md',
      'kata-containers/kata-containers src/runtime/Makefile, src/runtime-rs/Makefile',
    ],
  },
  overheadQuota: {
    id: 'kata/overhead-exceeds-quota',
    family: RuleFamily.KATA,
    severity: Severity.ERROR,
    title: 'Requests plus the RuntimeClass overhead fit the namespace ResourceQuota.',
    why:
      "ResourceQuota counts pod overhead (overhead.podFixed of the RuntimeClass, 250m/320Mi for kata-qemu) on top of the containers' requests and limits " +
      '("Workloads which specify the RuntimeClass will take the overhead into account for resource quota calculations"); pods beyond the quota are ' +
      'refused at admission, so requests that fit without the overhead do not fit with it.',
    fix: 'Raise the ResourceQuota by replicas x overhead.podFixed, or lower the requests/limits.',
    sources: [
      'https://kubernetes.io/docs/concepts/scheduling-eviction/pod-overhead/',
      'kata-containers/kata-containers tools/packaging/kata-deploy/helm-chart/kata-deploy/templates/runtimeclasses.yaml',
    ],
  },
} satisfies Record<string, RuleInfo>;

const PROC_ALLOWED = new Set([
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/meminfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
  '/proc/loadavg',
  '/proc/net/dev',
]);

function normalizePath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/** Runs the Kata compatibility rules. */
export function runKataRules(ctx: CheckContext): void {
  const r = KATA_RULES;
  for (const unit of ctx.pods) {
    checkRuntimeClass(ctx, unit);
    const { sandbox, pod, entry } = unit;
    const spec = pod.spec;

    if (sandbox.legacyAnnotation) {
      if (sandbox.runtimeClassName) {
        const containerd = sandbox.legacyAnnotation === CONTAINERD_UNTRUSTED_ANNOTATION;
        ctx.report(
          r.legacyWithRuntimeClass,
          entry,
          containerd
            ? `annotation ${sandbox.legacyAnnotation}="true" with runtimeClassName "${sandbox.runtimeClassName}": containerd refuses "untrusted workload with explicit runtime handler"`
            : `annotation ${sandbox.legacyAnnotation}="false" with runtimeClassName "${sandbox.runtimeClassName}": CRI-O >= 1.14 ignores the annotation`,
          {
            path: `${pod.metadataPath}.annotations`,
            severity: containerd ? Severity.ERROR : Severity.WARNING,
          },
        );
      } else {
        ctx.report(
          r.legacyAnnotation,
          entry,
          `sandboxed only by the legacy annotation ${sandbox.legacyAnnotation}; containerd 2.0 and CRI-O >= 1.14 ignore it and run the pod on runc`,
          { path: `${pod.metadataPath}.annotations` },
        );
      }
    }

    if (!sandbox.sandboxed) continue;
    const what = sandbox.runtimeClassName
      ? `runtime class "${sandbox.runtimeClassName}"`
      : `annotation ${sandbox.legacyAnnotation}`;

    if (spec.hostNetwork === true) {
      ctx.report(
        r.hostNetwork,
        entry,
        `hostNetwork: true in a Kata VM (${what}): the runtime refuses host networking`,
        {
          path: `${pod.specPath}.hostNetwork`,
        },
      );
    }
    const hostNs = ['hostPID', 'hostIPC'].filter((k) => spec[k] === true);
    const legacyContainerd = sandbox.legacyAnnotation === CONTAINERD_UNTRUSTED_ANNOTATION;
    if (hostNs.length > 0) {
      ctx.report(
        r.hostNamespaces,
        entry,
        legacyContainerd
          ? `${hostNs.join(', ')} with ${CONTAINERD_UNTRUSTED_ANNOTATION}: containerd refuses "untrusted workload with host access"`
          : `${hostNs.join(', ')} has no effect in a Kata VM (${what}): the pod gets the guest's namespace, not the host's`,
        {
          path: `${pod.specPath}.${hostNs[0]}`,
          severity: legacyContainerd ? Severity.ERROR : Severity.WARNING,
        },
      );
    }

    if (spec.overhead !== undefined && spec.overhead !== null) checkPodOverhead(ctx, unit);

    const volumes = objs(spec.volumes);
    volumes.forEach((v, i) => {
      const hp = str(obj(v.hostPath)?.path);
      if (!hp) return;
      const p = normalizePath(hp);
      if (under(p, '/proc') || under(p, '/sys')) {
        ctx.report(
          r.hostProcSys,
          entry,
          `hostPath volume "${str(v.name) ?? i}" shares the host's ${p} into a Kata VM (${what}): the container sees the host kernel, not its own`,
          {
            path: `${pod.specPath}.volumes[${i}].hostPath.path`,
          },
        );
      }
    });

    const nsDefaults = ctx.limitRangeDefaults(unit.namespace).limits;
    const noMemory: string[] = [];
    const noCpu: string[] = [];
    let memPath: string | undefined;
    let cpuPath: string | undefined;
    const privileged: string[] = [];
    let privPath: string | undefined;
    for (const c of containersOf(pod)) {
      if (obj(c.container.securityContext)?.privileged === true) {
        privileged.push(c.name);
        privPath ??= `${c.path}.securityContext.privileged`;
      }
      objs(c.container.volumeMounts).forEach((m, i) => {
        const mountPath = str(m.mountPath);
        if (mountPath) {
          const p = normalizePath(mountPath);
          if (under(p, '/proc') && !PROC_ALLOWED.has(p)) {
            ctx.report(
              r.procMount,
              entry,
              `container "${c.name}" mounts volume "${str(m.name)}" at ${p}: the agent refuses mounts over /proc`,
              {
                path: `${c.path}.volumeMounts[${i}].mountPath`,
              },
            );
          }
        }
        for (const key of ['subPath', 'subPathExpr'] as const) {
          const sp = str(m[key]);
          if (sp) {
            ctx.report(
              r.subPath,
              entry,
              `container "${c.name}" mounts "${str(m.name)}" with ${key} "${sp}" in a Kata VM (${what})`,
              {
                path: `${c.path}.volumeMounts[${i}].${key}`,
              },
            );
          }
        }
      });
      if (c.list === 'ephemeralContainers') continue;
      if (!hasResource(c.container, 'limits', 'memory') && !nsDefaults.has('memory')) {
        noMemory.push(c.name);
        memPath ??= `${c.path}.resources.limits.memory`;
      }
      if (!hasResource(c.container, 'limits', 'cpu') && !nsDefaults.has('cpu')) {
        noCpu.push(c.name);
        cpuPath ??= `${c.path}.resources.limits.cpu`;
      }
    }
    if (privileged.length) {
      ctx.report(
        r.privileged,
        entry,
        `${plural(privileged.length, 'container', 'containers')} ${quoteList(privileged)} ${plural(privileged.length, 'is', 'are')} privileged in a Kata VM (${what}): ` +
          'root over the whole guest and its devices',
        { path: privPath },
      );
    }
    if (noMemory.length) {
      ctx.report(
        r.memoryLimit,
        entry,
        `${plural(noMemory.length, 'container', 'containers')} ${quoteList(noMemory)} ${plural(noMemory.length, 'has', 'have')} no memory limit in a Kata VM (${what}): ` +
          'the VM gets default_memory that the scheduler does not count',
        { path: memPath },
      );
    }
    if (noCpu.length) {
      ctx.report(
        r.cpuLimit,
        entry,
        `${plural(noCpu.length, 'container', 'containers')} ${quoteList(noCpu)} ${plural(noCpu.length, 'has', 'have')} no CPU limit in a Kata VM (${what}): ` +
          "they share the VM's default vCPU",
        { path: cpuPath },
      );
    }

    const preset = sandbox.runtimeClass?.preset;
    if (preset) {
      for (const key of Object.keys(unit.annotations).sort()) {
        if (key.startsWith(HYPERVISOR_ANNOTATION_PREFIX) && !preset.allowsAnnotation(key)) {
          ctx.report(
            r.hypervisorAnnotation,
            entry,
            `annotation ${key} is not in the default enable_annotations of ${preset.name} (${preset.allowedAnnotations.join(', ') || 'none'})`,
            { path: `${pod.metadataPath}.annotations["${key}"]` },
          );
        }
      }
    }
  }
  checkQuotas(ctx);
}

function checkRuntimeClass(ctx: CheckContext, unit: PodUnit): void {
  const name = unit.sandbox.runtimeClassName;
  if (!name) return;
  const path = `${unit.pod.specPath}.runtimeClassName`;
  if (ctx.runtimeClasses.has(name)) return;
  // classes a managed platform creates and reconciles (AKS kata-vm-isolation) never appear in manifests
  if (KataRuntime.PRESETS.some((p) => p.name === name && p.managedByPlatform)) return;
  if (ctx.runtimeClassesKnown) {
    const known = [...ctx.runtimeClasses.keys()].sort();
    ctx.report(
      KATA_RULES.unknownRuntimeClass,
      unit.entry,
      `RuntimeClass "${name}" is not defined (known: ${known.join(', ')}): the pod is rejected at admission`,
      {
        path,
      },
    );
    return;
  }
  if (unit.sandbox.runtimeClass?.source === 'preset' || /^kata-[a-z0-9-]+$/.test(name)) return;
  ctx.report(
    KATA_RULES.unknownRuntimeClass,
    unit.entry,
    `RuntimeClass "${name}" cannot be verified: no RuntimeClass in the input, none declared, and it is not a kata-deploy class name`,
    { path, severity: Severity.WARNING },
  );
}

function checkPodOverhead(ctx: CheckContext, unit: PodUnit): void {
  const own = strMap(unit.pod.spec.overhead);
  const rc = unit.sandbox.runtimeClass;
  const path = `${unit.pod.specPath}.overhead`;
  if (!rc) {
    ctx.report(
      KATA_RULES.podOverhead,
      unit.entry,
      'spec.overhead is set by hand: the RuntimeClass admission sets it and rejects a pod whose overhead differs',
      { path },
    );
    return;
  }
  const want: Record<string, number | undefined> = { cpu: rc.overheadCpu, memory: rc.overheadMemory };
  const differs =
    ['cpu', 'memory'].some((k) => quantity(own[k]) !== want[k]) ||
    Object.keys(own).some((k) => k !== 'cpu' && k !== 'memory');
  if (differs) {
    ctx.report(
      KATA_RULES.podOverhead,
      unit.entry,
      `spec.overhead ${JSON.stringify(own)} differs from RuntimeClass "${rc.name}" overhead.podFixed: the RuntimeClass admission rejects the pod`,
      { path },
    );
  }
}

interface QuotaLimit {
  readonly entry: Entry;
  readonly key: string;
  readonly resource: 'cpu' | 'memory';
  readonly kind: 'requests' | 'limits';
  readonly hard: number;
}

interface NamespaceUsage {
  readonly total: number;
  readonly totalOverhead: number;
  readonly sandboxed: ReadonlyArray<{
    readonly unit: PodUnit;
    readonly usage: number;
    readonly overhead: number;
    readonly replicas: number;
  }>;
}

/** What the pods of a namespace count against a quota: container requests/limits and RuntimeClass overhead, times replicas. */
function namespaceUsage(
  ctx: CheckContext,
  ns: string,
  kind: 'requests' | 'limits',
  resource: 'cpu' | 'memory',
): NamespaceUsage {
  let total = 0;
  let totalOverhead = 0;
  const sandboxed: Array<{ unit: PodUnit; usage: number; overhead: number; replicas: number }> = [];
  for (const unit of ctx.podsIn(ns)) {
    const replicas = unit.replicas ?? 1;
    const usage = podResource(unit.pod, kind, resource);
    const rc = unit.sandbox.runtimeClass;
    const oh = (resource === 'memory' ? rc?.overheadMemory : rc?.overheadCpu) ?? 0;
    // the quota adds overhead to limits only where the pod has a limit (quota evaluator, PodRequestsAndLimits)
    const overhead = kind === 'limits' && usage === 0 ? 0 : oh;
    total += replicas * usage;
    totalOverhead += replicas * overhead;
    if (overhead > 0) sandboxed.push({ unit, usage, overhead, replicas });
  }
  return { total, totalOverhead, sandboxed };
}

function checkQuotas(ctx: CheckContext): void {
  const rule = KATA_RULES.overheadQuota;
  if (!ctx.enabled(rule)) return;
  const quotas: QuotaLimit[] = [];
  for (const e of ctx.entries) {
    if (e.object.kind !== 'ResourceQuota' || e.object.apiVersion !== 'v1' || !e.namespace) continue;
    const spec = obj(e.object.spec) ?? {};
    if ((Array.isArray(spec.scopes) && spec.scopes.length) || spec.scopeSelector) continue; // scoped quotas select pods by state
    const hard = obj(spec.hard) ?? {};
    const keys: Array<[string, 'cpu' | 'memory', 'requests' | 'limits']> = [
      ['requests.memory', 'memory', 'requests'],
      ['memory', 'memory', 'requests'],
      ['limits.memory', 'memory', 'limits'],
      ['requests.cpu', 'cpu', 'requests'],
      ['cpu', 'cpu', 'requests'],
      ['limits.cpu', 'cpu', 'limits'],
    ];
    for (const [key, resource, kind] of keys) {
      const h = quantity(hard[key]);
      if (h !== undefined) quotas.push({ entry: e, key, resource, kind, hard: h });
    }
  }
  // namespace usage per (kind, resource), computed once however many quotas share the namespace
  const usageCache = new Map<string, NamespaceUsage>();
  for (const q of quotas) {
    const ns = q.entry.namespace!;
    const cacheKey = `${ns}\u0000${q.kind}\u0000${q.resource}`;
    let usage = usageCache.get(cacheKey);
    if (!usage) {
      usage = namespaceUsage(ctx, ns, q.kind, q.resource);
      usageCache.set(cacheKey, usage);
    }
    const { total, totalOverhead, sandboxed } = usage;
    const fmt = (v: number): string => (q.resource === 'memory' ? mib(v) : millicores(v));
    let reportedOne = false;
    for (const s of sandboxed) {
      const without = s.replicas * s.usage;
      const withOh = s.replicas * (s.usage + s.overhead);
      if (withOh > q.hard && without <= q.hard) {
        reportedOne = true;
        ctx.report(
          rule,
          s.unit.entry,
          `${s.replicas} x (${q.kind} ${fmt(s.usage)} + overhead ${fmt(s.overhead)}) = ${fmt(withOh)} exceeds ResourceQuota "${q.entry.name}" ${q.key} ${fmt(q.hard)}: ` +
            'the RuntimeClass overhead leaves no room, pods are refused at admission',
          { path: `${s.unit.pod.specPath}.containers` },
        );
      }
    }
    if (!reportedOne && total + totalOverhead > q.hard && total <= q.hard) {
      ctx.report(
        rule,
        q.entry,
        `pods in namespace "${ns}" need ${q.kind} ${fmt(total)} plus ${fmt(totalOverhead)} RuntimeClass overhead (${sandboxed
          .map((s) => s.unit.entry.name)
          .sort()
          .join(', ')}) = ${fmt(total + totalOverhead)}, more than ${q.key} ${fmt(q.hard)}`,
        { path: `spec.hard["${q.key}"]` },
      );
    }
  }
}
