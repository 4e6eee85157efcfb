/**
 * Production readiness: the controls that kube-linter, Polaris, kube-score and Checkov agree on by
 * default (see the consensus table in the project's style & security notes, section B2), with the
 * linters' severities: most are warnings; a selector that does not match its own template and a
 * Service that selects nothing are errors (the object cannot work as written).
 */
import { CheckContext, PodUnit } from '../context';
import { KATA_RULES } from './kata';
import { PSS_RULES } from './pss';
import { validatorFor } from './schema';
import {
  appContainersOf,
  containersOf,
  formatSelector,
  hasResource,
  imagePinProblem,
  isEmptySelector,
  LabelSelector,
  mapSelector,
  obj,
  objs,
  parseSelector,
  plural,
  quoteList,
  selectorMatches,
  str,
  strMap,
} from '../model';
import { PodSecurityLevel, RuleFamily, RuleInfo, Severity } from '../types';

/** The annotation a blueprint puts on objects it synthesizes with a setting that is allowed but not for production. */
export const BLUEPRINT_WARNING_ANNOTATION = 'kata-blueprints.io/warning';

const KUBE_LINTER = 'stackrox/kube-linter internal/defaultchecks/default_checks.go';
const POLARIS = 'FairwindsOps/polaris pkg/config/default.yaml';
const KUBE_SCORE = 'zegl/kube-score README_CHECKS.md';
const CHECKOV = 'bridgecrewio/checkov docs/5.Policy Index/kubernetes.md';

/** The production readiness rules. */
export const PROD_RULES = {
  resources: {
    id: 'prod/resources',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'Every container sets CPU and memory requests and limits (or gets them from a LimitRange).',
    why:
      'Without requests the scheduler packs pods blindly and they are evicted first; without limits one pod can starve the node. ' +
      'kube-linter (unset-cpu-requirements, unset-memory-requirements), Polaris (cpu/memory requests/limits missing), kube-score (container-resources) ' +
      'and Checkov (CKV_K8S_10-13) all flag it. Missing limits on sandboxed pods are reported by kata/memory-limit and kata/cpu-limit.',
    fix: 'Set resources.requests and resources.limits for cpu and memory on every container.',
    sources: [KUBE_LINTER, POLARIS, KUBE_SCORE, CHECKOV],
  },
  readinessProbe: {
    id: 'prod/readiness-probe',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'Long-running containers have a readiness probe (Jobs and CronJobs are exempt).',
    why: 'Without one, traffic reaches pods that are starting or overloaded and rollouts proceed blindly (Polaris readinessProbeMissing, kube-score pod-probes, Checkov CKV_K8S_9).',
    fix: 'Add a readinessProbe (httpGet/tcpSocket/grpc/exec) to every regular container.',
    sources: [POLARIS, KUBE_SCORE, CHECKOV],
  },
  livenessProbe: {
    id: 'prod/liveness-probe',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'Long-running containers have a liveness probe (Jobs and CronJobs are exempt).',
    why: 'A hung process is never restarted without one (Polaris livenessProbeMissing, kube-score pod-probes, Checkov CKV_K8S_8).',
    fix: 'Add a livenessProbe that fails only when the process must be restarted (not the same check as readiness).',
    sources: [POLARIS, KUBE_SCORE, CHECKOV],
  },
  imageTag: {
    id: 'prod/image-tag',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'Images are pinned to a version tag or a digest, never untagged or :latest.',
    why: 'latest and missing tags move: the same manifest runs different code on different nodes and rollbacks do not roll back (kube-linter latest-tag, Polaris tagNotSpecified, kube-score container-image-tag, Checkov CKV_K8S_14).',
    fix: 'Use an explicit version tag, or better a sha256 digest.',
    sources: [KUBE_LINTER, POLARIS, KUBE_SCORE, CHECKOV],
  },
  readOnlyRootFs: {
    id: 'prod/read-only-root-fs',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'Containers run with readOnlyRootFilesystem: true.',
    why: 'A writable root filesystem lets an intruder drop binaries and tamper with the image (kube-linter no-read-only-root-fs, Polaris notReadOnlyRootFilesystem, kube-score, Checkov CKV_K8S_22).',
    fix: 'Set securityContext.readOnlyRootFilesystem: true and mount emptyDir or PVC volumes at the paths the process writes.',
    sources: [KUBE_LINTER, POLARIS, KUBE_SCORE, CHECKOV],
  },
  runAsNonRoot: {
    id: 'prod/run-as-non-root',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title:
      'Containers run as a non-root user (reported here where Pod Security restricted does not already enforce it).',
    why: 'Root in a container is root on the node after an escape (or root over the whole VM in a Kata sandbox) (kube-linter run-as-non-root, Polaris runAsRootAllowed, Checkov CKV_K8S_23).',
    fix: "Set securityContext.runAsNonRoot: true and runAsUser to the image's non-root uid.",
    sources: [KUBE_LINTER, POLARIS, CHECKOV],
  },
  pdb: {
    id: 'prod/pdb',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title:
      'Workloads with more than one replica are covered by a PodDisruptionBudget (DaemonSets, Jobs and CronJobs are exempt).',
    why: 'Without a PDB a node drain may evict every replica at once (Polaris missingPodDisruptionBudget, kube-score deployment/statefulset-has-poddisruptionbudget, skipped below 2 replicas).',
    fix: 'Add a policy/v1 PodDisruptionBudget whose selector matches the pod labels (maxUnavailable: 1, or minAvailable below the replica count).',
    sources: [POLARIS, KUBE_SCORE],
  },
  pdbNoMatch: {
    id: 'prod/pdb-no-match',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'A PodDisruptionBudget selects at least one pod of the input.',
    why: 'A PDB whose selector matches no pod protects nothing; it usually means the labels drifted apart (kube-score pod disruption budget checks).',
    fix: "Make the PDB selector equal to the workload's pod labels.",
    sources: [KUBE_SCORE],
  },
  pdbBlocksEviction: {
    id: 'prod/pdb-blocks-eviction',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'A PodDisruptionBudget allows at least one voluntary disruption.',
    why: 'maxUnavailable 0 or minAvailable >= replicas blocks every node drain and cluster upgrade (kube-linter pdb-max-unavailable and pdb-min-available, Polaris pdbDisruptionsIsZero).',
    fix: 'Use maxUnavailable: 1 (or a minAvailable below the replica count).',
    sources: [KUBE_LINTER, POLARIS],
  },
  spread: {
    id: 'prod/spread',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title:
      'Workloads with more than one replica spread them with pod anti-affinity or topology spread constraints that select their own pods.',
    why: 'Otherwise all replicas may land on one node or zone and fail together (kube-linter no-anti-affinity, Polaris topologySpreadConstraint, kube-score host-podantiaffinity).',
    fix: 'Add podAntiAffinity on kubernetes.io/hostname and/or topologySpreadConstraints whose labelSelector matches the pod labels.',
    sources: [KUBE_LINTER, POLARIS, KUBE_SCORE],
  },
  networkPolicy: {
    id: 'prod/network-policy',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: 'Every pod is selected by NetworkPolicies that restrict both ingress and egress.',
    why: 'A pod that no policy selects accepts traffic from and sends traffic to anything in the cluster (Polaris missingNetworkPolicy requires ingress and egress, kube-score pod-networkpolicy, Checkov CKV2_K8S_6).',
    fix: 'Add a NetworkPolicy whose podSelector matches the pod, with policyTypes [Ingress, Egress] (kata-blueprints: PodNetworkPolicy).',
    sources: [POLARIS, KUBE_SCORE, CHECKOV],
  },
  serviceAccountToken: {
    id: 'prod/service-account-token',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: "Pods do not mount the token of the namespace's default ServiceAccount.",
    why: 'The default token is an API credential every compromised pod would hand out; pods that need the API get their own least-privilege ServiceAccount (Polaris automountServiceAccountToken, Checkov CKV_K8S_38/41).',
    fix: 'Set automountServiceAccountToken: false on the pod, or use a dedicated ServiceAccount.',
    sources: [POLARIS, CHECKOV],
  },
  selectorMismatch: {
    id: 'prod/selector-mismatch',
    family: RuleFamily.PROD,
    severity: Severity.ERROR,
    title: "A workload's selector matches its own pod template labels.",
    why: 'The API server rejects apps/v1 workloads whose selector does not match the template ("selector does not match template labels"); the controller could never own its pods (kube-linter mismatching-selector, kube-score selector-matches-template-labels).',
    fix: 'Make spec.selector match spec.template.metadata.labels.',
    sources: [KUBE_LINTER, KUBE_SCORE],
  },
  serviceNoPods: {
    id: 'prod/service-no-pods',
    family: RuleFamily.PROD,
    severity: Severity.ERROR,
    title: 'A Service with a selector selects at least one pod of the input in its namespace.',
    why:
      'A Service that selects nothing has no endpoints: every connection fails (kube-linter dangling-service, kube-score service-targets-pod). ' +
      'Selector keys set on pods at run time (controller labels such as statefulset.kubernetes.io/pod-name, Vault service registration labels, or keys listed in the ' +
      "kata-blueprints.io/runtime-selector-labels annotation; kube-linter's ignoreLabels) are left out; a warning when a custom resource in the namespace may create the pods.",
    fix: 'Make the Service selector match the pod labels of its workload (and check the namespace).',
    sources: [KUBE_LINTER, KUBE_SCORE],
  },
  blueprintWarning: {
    id: 'prod/blueprint-warning',
    family: RuleFamily.PROD,
    severity: Severity.WARNING,
    title: `Objects do not carry a ${BLUEPRINT_WARNING_ANNOTATION} annotation.`,
    why: 'kata-blueprints marks objects it synthesized with a setting that is allowed but not fit for production (e.g. TLS disabled, combined Kafka mode, local deep storage); the annotation text says which.',
    fix: 'Change the blueprint prop named in the message to its production setting.',
    sources: ['kata-blueprints blueprint conventions'],
  },
} satisfies Record<string, RuleInfo>;

const PSS_RUN_AS_NON_ROOT = PSS_RULES.find((r) => r.upstreamId === 'runAsNonRoot')!;

/** Runs the production readiness rules. */
export function runProdRules(ctx: CheckContext): void {
  const r = PROD_RULES;
  for (const e of ctx.entries) {
    const text = strMap(obj(e.object.metadata)?.annotations)[BLUEPRINT_WARNING_ANNOTATION];
    if (text)
      ctx.report(r.blueprintWarning, e, text, {
        path: `metadata.annotations["${BLUEPRINT_WARNING_ANNOTATION}"]`,
      });
  }
  const pdbCovered = new Set<PodUnit>();
  const ingress = new Set<PodUnit>();
  const egress = new Set<PodUnit>();
  checkPdbs(ctx, pdbCovered);
  checkNetworkPolicies(ctx, ingress, egress);
  checkServices(ctx);
  const defaultSaNoToken = new Set<string>();
  for (const e of ctx.entries) {
    if (
      e.object.kind === 'ServiceAccount' &&
      e.object.apiVersion === 'v1' &&
      e.object.automountServiceAccountToken === false
    ) {
      defaultSaNoToken.add(`${e.namespace}\u0000${e.name}`);
    }
  }
  for (const unit of ctx.pods) {
    checkPod(ctx, unit, pdbCovered.has(unit), ingress.has(unit), egress.has(unit), defaultSaNoToken);
  }
}

function checkPod(
  ctx: CheckContext,
  unit: PodUnit,
  hasPdb: boolean,
  hasIngress: boolean,
  hasEgress: boolean,
  saNoToken: ReadonlySet<string>,
): void {
  const r = PROD_RULES;
  const { entry, pod } = unit;
  const spec = pod.spec;
  const kind = entry.object.kind;
  const isTemplateOnly = kind === 'PodTemplate';

  // selector <-> template labels
  const selectorValue = obj(entry.object.spec)?.selector;
  if (
    ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(kind) &&
    selectorValue !== undefined
  ) {
    const sel = parseSelector(selectorValue);
    if (sel && (isEmptySelector(sel) || !selectorMatches(sel, unit.labels))) {
      ctx.report(
        r.selectorMismatch,
        entry,
        `selector ${formatSelector(sel)} does not match the template labels ${formatLabels(unit.labels)}`,
        { path: 'spec.selector' },
      );
    }
  } else if (kind === 'ReplicationController' && selectorValue !== undefined) {
    const sel = mapSelector(selectorValue);
    if (sel && !isEmptySelector(sel) && !selectorMatches(sel, unit.labels)) {
      ctx.report(
        r.selectorMismatch,
        entry,
        `selector ${formatSelector(sel)} does not match the template labels ${formatLabels(unit.labels)}`,
        { path: 'spec.selector' },
      );
    }
  } else if (kind === 'Job' && obj(entry.object.spec)?.manualSelector === true) {
    const sel = parseSelector(selectorValue);
    if (!sel || !selectorMatches(sel, unit.labels)) {
      ctx.report(
        r.selectorMismatch,
        entry,
        `manual selector ${sel ? formatSelector(sel) : '(none)'} does not match the template labels ${formatLabels(unit.labels)}`,
        {
          path: 'spec.selector',
        },
      );
    }
  }

  // resources
  const defaults = ctx.limitRangeDefaults(unit.namespace);
  const limitsByKata =
    unit.sandbox.sandboxed && ctx.enabled(KATA_RULES.memoryLimit) && ctx.enabled(KATA_RULES.cpuLimit);
  const missing: string[] = [];
  let resPath: string | undefined;
  for (const c of containersOf(pod)) {
    if (c.list === 'ephemeralContainers') continue;
    const gaps: string[] = [];
    for (const res of ['cpu', 'memory']) {
      const limit = hasResource(c.container, 'limits', res) || defaults.limits.has(res);
      const request = hasResource(c.container, 'requests', res) || limit || defaults.requests.has(res);
      if (!request) gaps.push(`${res} request`);
      if (!limit && !limitsByKata) gaps.push(`${res} limit`);
    }
    if (gaps.length) {
      missing.push(`"${c.name}" (${gaps.join(', ')})`);
      resPath ??= `${c.path}.resources`;
    }
  }
  if (missing.length)
    ctx.report(r.resources, entry, `missing resources: ${missing.join('; ')}`, { path: resPath });

  // probes
  if (!unit.batch) {
    const apps = appContainersOf(pod);
    const noReady = apps.filter((c) => !obj(c.container.readinessProbe));
    const noLive = apps.filter((c) => !obj(c.container.livenessProbe));
    if (noReady.length) {
      ctx.report(
        r.readinessProbe,
        entry,
        `${plural(noReady.length, 'container', 'containers')} ${quoteList(noReady.map((c) => c.name))} without readinessProbe`,
        {
          path: `${noReady[0].path}.readinessProbe`,
        },
      );
    }
    if (noLive.length) {
      ctx.report(
        r.livenessProbe,
        entry,
        `${plural(noLive.length, 'container', 'containers')} ${quoteList(noLive.map((c) => c.name))} without livenessProbe`,
        {
          path: `${noLive[0].path}.livenessProbe`,
        },
      );
    }
  }

  // images, read-only root fs, non-root
  const podSc = obj(spec.securityContext) ?? {};
  const nonRootByPss = unit.level === PodSecurityLevel.RESTRICTED && ctx.enabled(PSS_RUN_AS_NON_ROOT);
  const rootContainers: string[] = [];
  let rootPath: string | undefined;
  for (const c of containersOf(pod)) {
    const image = str(c.container.image);
    if (image !== undefined) {
      const problem = imagePinProblem(image);
      if (problem) {
        ctx.report(
          r.imageTag,
          entry,
          `container "${c.name}" image "${image}" is ${problem === 'latest' ? 'tagged latest' : 'not tagged'}`,
          { path: `${c.path}.image` },
        );
      }
    }
    if (c.list === 'ephemeralContainers') continue;
    const sc = obj(c.container.securityContext) ?? {};
    if (sc.readOnlyRootFilesystem !== true) {
      ctx.report(r.readOnlyRootFs, entry, `container "${c.name}" has a writable root filesystem`, {
        path: `${c.path}.securityContext.readOnlyRootFilesystem`,
      });
    }
    const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    const user = sc.runAsUser ?? podSc.runAsUser;
    const runsAsRoot = user === 0 || (nonRoot !== true && !(typeof user === 'number' && user > 0));
    if (runsAsRoot) {
      rootContainers.push(c.name);
      rootPath ??= `${c.path}.securityContext`;
    }
  }
  if (rootContainers.length && !nonRootByPss) {
    ctx.report(
      r.runAsNonRoot,
      entry,
      `${plural(rootContainers.length, 'container', 'containers')} ${quoteList(rootContainers)} may run as root (no runAsNonRoot: true and no non-zero runAsUser)`,
      { path: rootPath },
    );
  }

  // service account token
  const sa = str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? 'default';
  if (
    sa === 'default' &&
    spec.automountServiceAccountToken !== false &&
    !saNoToken.has(`${unit.namespace}\u0000default`)
  ) {
    ctx.report(r.serviceAccountToken, entry, 'the pod mounts the token of the default ServiceAccount', {
      path: `${pod.specPath}.automountServiceAccountToken`,
    });
  }

  if (isTemplateOnly) return;
  // availability
  if (unit.replicas !== undefined && unit.replicas > 1) {
    if (!hasPdb) {
      ctx.report(
        r.pdb,
        entry,
        `${unit.replicas} replicas and no PodDisruptionBudget selects the pods (${formatLabels(unit.labels)})`,
      );
    }
    if (!spreads(spec, unit.labels)) {
      ctx.report(
        r.spread,
        entry,
        `${unit.replicas} replicas without pod anti-affinity or topology spread constraints that select the pods`,
        {
          path: `${pod.specPath}.affinity`,
        },
      );
    }
  }
  if (!hasIngress || !hasEgress) {
    const gaps = [!hasIngress ? 'ingress' : '', !hasEgress ? 'egress' : ''].filter(Boolean).join(' and ');
    ctx.report(
      r.networkPolicy,
      entry,
      `no NetworkPolicy restricts ${gaps} of the pods (${formatLabels(unit.labels)})`,
    );
  }
}

function spreads(spec: Record<string, unknown>, labels: Readonly<Record<string, string>>): boolean {
  const own = (sel: unknown): boolean => {
    const s = parseSelector(sel);
    return s !== undefined && !isEmptySelector(s) && selectorMatches(s, labels);
  };
  const anti = obj(obj(spec.affinity)?.podAntiAffinity);
  if (anti) {
    if (objs(anti.requiredDuringSchedulingIgnoredDuringExecution).some((t) => own(t.labelSelector)))
      return true;
    if (
      objs(anti.preferredDuringSchedulingIgnoredDuringExecution).some((w) =>
        own(obj(w.podAffinityTerm)?.labelSelector),
      )
    )
      return true;
  }
  return objs(spec.topologySpreadConstraints).some((t) => own(t.labelSelector));
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : 'no labels';
}

function checkPdbs(ctx: CheckContext, covered: Set<PodUnit>): void {
  const r = PROD_RULES;
  const withCustomResources = namespacesWithCustomResources(ctx);
  for (const e of ctx.entries) {
    if (e.object.kind !== 'PodDisruptionBudget' || !e.object.apiVersion.startsWith('policy/') || !e.namespace)
      continue;
    const spec = obj(e.object.spec) ?? {};
    const sel = parseSelector(spec.selector);
    const pods = sel ? ctx.podsSelectedBy(e.namespace, sel) : [];
    pods.forEach((p) => covered.add(p));
    if (pods.length === 0) {
      // An operator (Flink, Spark...) may create the pods from a custom resource in the namespace.
      const operator = withCustomResources.has(e.namespace);
      ctx.report(
        r.pdbNoMatch,
        e,
        `selector ${sel ? formatSelector(sel) : '(none)'} selects no pod in namespace "${e.namespace}"` +
          (operator ? ' (a custom resource in the namespace may create them through its operator)' : ''),
        { path: 'spec.selector', ...(operator ? { severity: Severity.INFO } : {}) },
      );
      continue;
    }
    const maxU = spec.maxUnavailable;
    if (maxU === 0 || maxU === '0%' || maxU === '0') {
      ctx.report(
        r.pdbBlocksEviction,
        e,
        `maxUnavailable ${JSON.stringify(maxU)} allows no voluntary disruption`,
        { path: 'spec.maxUnavailable' },
      );
      continue;
    }
    const minA = spec.minAvailable;
    if (minA === '100%') {
      ctx.report(r.pdbBlocksEviction, e, 'minAvailable "100%" allows no voluntary disruption', {
        path: 'spec.minAvailable',
      });
    } else if (typeof minA === 'number') {
      const blocked = pods.filter((p) => p.replicas !== undefined && minA >= p.replicas);
      if (blocked.length) {
        const names = [
          ...new Set(blocked.map((p) => `${p.entry.object.kind} ${p.entry.name} (${p.replicas})`)),
        ].sort();
        ctx.report(
          r.pdbBlocksEviction,
          e,
          `minAvailable ${minA} >= replicas of ${names.join(', ')}: no pod can be evicted`,
          { path: 'spec.minAvailable' },
        );
      }
    }
  }
}

function checkNetworkPolicies(ctx: CheckContext, ingress: Set<PodUnit>, egress: Set<PodUnit>): void {
  for (const e of ctx.entries) {
    if (e.object.kind !== 'NetworkPolicy' || e.object.apiVersion !== 'networking.k8s.io/v1' || !e.namespace)
      continue;
    const spec = obj(e.object.spec) ?? {};
    const sel: LabelSelector = parseSelector(spec.podSelector) ?? { matchLabels: {}, matchExpressions: [] };
    const types = Array.isArray(spec.policyTypes)
      ? spec.policyTypes.map(String)
      : ['Ingress', ...(spec.egress !== undefined ? ['Egress'] : [])];
    for (const p of ctx.podsSelectedBy(e.namespace, sel)) {
      if (types.includes('Ingress')) ingress.add(p);
      if (types.includes('Egress')) egress.add(p);
    }
  }
}

/**
 * Pod labels that no manifest carries because they are set at run time: by workload controllers on the
 * pods they create (Kubernetes "Well-Known Labels, Annotations and Taints": statefulset.kubernetes.io/pod-name,
 * apps.kubernetes.io/pod-index, controller-revision-hash, pod-template-hash, the Job labels), and by
 * Vault's Kubernetes service registration on its own pod (vault-active, vault-sealed, ...;
 * developer.hashicorp.com/vault/docs/configuration/service-registration/kubernetes).
 */
export const RUNTIME_POD_LABELS: readonly string[] = [
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-revision-hash',
  'pod-template-hash',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-completion-index',
  'job-name',
  'controller-uid',
  'vault-active',
  'vault-initialized',
  'vault-perf-standby',
  'vault-sealed',
  'vault-version',
];

/** Service annotation listing further selector keys (comma-separated) that pods set at run time. */
export const RUNTIME_SELECTOR_LABELS_ANNOTATION = 'kata-blueprints.io/runtime-selector-labels';

/** Namespaces that hold a custom resource (whose operator may create pods the input does not show). */
function namespacesWithCustomResources(ctx: CheckContext): Set<string> {
  const out = new Set<string>();
  for (const e of ctx.entries) {
    if (e.namespace && e.object.apiVersion && validatorFor(e.object.apiVersion, e.object.kind) === null)
      out.add(e.namespace);
  }
  return out;
}

function checkServices(ctx: CheckContext): void {
  const withCustomResources = namespacesWithCustomResources(ctx);
  for (const e of ctx.entries) {
    if (e.object.kind !== 'Service' || e.object.apiVersion !== 'v1' || !e.namespace) continue;
    const spec = obj(e.object.spec) ?? {};
    if (spec.type === 'ExternalName') continue;
    const sel = mapSelector(spec.selector);
    if (!sel || isEmptySelector(sel)) continue;
    const runtime = new Set([
      ...RUNTIME_POD_LABELS,
      ...(strMap(obj(e.object.metadata)?.annotations)[RUNTIME_SELECTOR_LABELS_ANNOTATION] ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ]);
    const staticLabels = Object.fromEntries(Object.entries(sel.matchLabels).filter(([k]) => !runtime.has(k)));
    if (Object.keys(staticLabels).length === 0) continue;
    if (ctx.podsSelectedBy(e.namespace, { matchLabels: staticLabels, matchExpressions: [] }).length > 0)
      continue;
    const operator = withCustomResources.has(e.namespace);
    ctx.report(
      PROD_RULES.serviceNoPods,
      e,
      `selector ${formatSelector(sel)} selects no pod in namespace "${e.namespace}"` +
        (operator ? ' (a custom resource in the namespace may create them through its operator)' : ''),
      { path: 'spec.selector', ...(operator ? { severity: Severity.WARNING } : {}) },
    );
  }
}
