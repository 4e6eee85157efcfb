/**
 * Benchmark cases. Each runs in a fresh child process (see run.ts) so that peak memory belongs to
 * one case; it prints one JSON line with its measurements.
 */
import { performance } from 'perf_hooks';
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { KataMicroservice } from '../blueprints/workloads/microservice';
import { checkManifests } from '../lib/check/engine';
import { HostType, PoolServes, planCapacity } from '../lib/plan';
import type { KubeObject } from '../lib/manifest/load';

/** What a case reports. */
export interface CaseResult {
  /** Case name. */
  readonly name: string;
  /** Size parameter. */
  readonly n: number;
  /** Milliseconds of the measured phase. */
  readonly ms: number;
  /** Objects produced or processed. */
  readonly objects: number;
  /** Peak resident set size of the process, MiB. */
  readonly peakRssMiB: number;
  /** Heap used at the end of the phase, MiB. */
  readonly heapUsedMiB: number;
  /** Extra figures. */
  readonly extra?: Record<string, number | string>;
}

const IMAGE = 'registry.example.com/team/api:1.4.2';

/** N microservices with kata-blueprints (each: Deployment, Service, PDB, NetworkPolicy). */
export function buildOurs(n: number, withData: boolean): App {
  const app = withData ? loadPlatform() : new App({ outdir: 'bench-out' });
  const chart = new Chart(app, 'bench-services', { namespace: 'bench', disableResourceNameHashes: true });
  for (let i = 0; i < n; i++) {
    new KataMicroservice(chart, `svc-${i}`, { image: IMAGE, port: 8080, replicas: 3 });
  }
  return app;
}

function loadPlatform(): App {
  // The example platform holds one instance of every data blueprint.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildApp } = require('../examples/platform/app') as { buildApp: (outdir?: string) => App };
  return buildApp('bench-out');
}

/**
 * The same Deployments, Services, PDBs and NetworkPolicies written with plain cdk8s-plus-28 code
 * (what a team writes without the library: no sandbox contract, no validation).
 */
export function buildBaseline(n: number): App {
  const app = new App({ outdir: 'bench-out' });
  const chart = new Chart(app, 'bench-services', { namespace: 'bench', disableResourceNameHashes: true });
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    const d = new kplus.Deployment(chart, `${name}-deployment`, {
      metadata: { name },
      replicas: 3,
      containers: [
        {
          name: 'app',
          image: IMAGE,
          portNumber: 8080,
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
          },
          readiness: kplus.Probe.fromTcpSocket({ port: 8080 }),
          liveness: kplus.Probe.fromTcpSocket({ port: 8080 }),
        },
      ],
    });
    d.exposeViaService({ name, ports: [{ port: 80, targetPort: 8080 }] });
    new k8s.KubePodDisruptionBudget(chart, `${name}-pdb`, {
      metadata: { name },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: d.matchLabels } },
    });
    const np = new kplus.NetworkPolicy(chart, `${name}-np`, { metadata: { name }, selector: d });
    np.addIngressRule(kplus.NetworkPolicyIpBlock.anyIpv4(chart, `${name}-any`), [
      kplus.NetworkPolicyPort.tcp(8080),
    ]);
  }
  return app;
}

function measure(
  name: string,
  n: number,
  fn: () => { objects: number; extra?: Record<string, number | string> },
): CaseResult {
  const t0 = performance.now();
  const { objects, extra } = fn();
  const ms = performance.now() - t0;
  return {
    name,
    n,
    ms: Math.round(ms * 10) / 10,
    objects,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    ...(extra ? { extra } : {}),
  };
}

function objectsOf(app: App): KubeObject[] {
  return app.charts.flatMap((c) => c.toJson() as KubeObject[]);
}

/**
 * About `pods` pods in Deployments of 5 replicas: a mix of Kata runtimes and trusted pods, every third
 * workload with required hostname anti-affinity.
 */
function planInput(pods: number): KubeObject[] {
  const runtimes = ['kata-qemu', 'kata-clh', undefined];
  const out: KubeObject[] = [];
  for (let i = 0; i < Math.ceil(pods / 5); i++) {
    const labels = { app: `w-${i}` };
    const rc = runtimes[i % runtimes.length];
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `w-${i}`, namespace: 'bench' },
      spec: {
        replicas: 5,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...(rc ? { runtimeClassName: rc } : {}),
            ...(i % 3 === 0
              ? {
                  affinity: {
                    podAntiAffinity: {
                      requiredDuringSchedulingIgnoredDuringExecution: [
                        { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
                      ],
                    },
                  },
                }
              : {}),
            containers: [
              {
                name: 'app',
                image: IMAGE,
                resources: {
                  requests: { cpu: `${100 + (i % 7) * 100}m`, memory: `${256 + (i % 5) * 256}Mi` },
                  limits: { cpu: `${200 + (i % 7) * 200}m`, memory: `${512 + (i % 5) * 256}Mi` },
                },
              },
            ],
          },
        },
      },
    } as KubeObject);
  }
  return out;
}

function countObjects(yaml: string): number {
  return yaml.split(/^---$/m).filter((d) => d.trim().length > 0).length;
}

/** Runs one case by name. */
export function runCase(name: string, n: number): CaseResult {
  switch (name) {
    case 'synth-ours':
      return measure(name, n, () => ({ objects: countObjects(buildOurs(n, false).synthYaml()) }));
    case 'synth-ours-with-data':
      return measure(name, n, () => ({ objects: countObjects(buildOurs(n, true).synthYaml()) }));
    case 'synth-baseline':
      return measure(name, n, () => ({ objects: countObjects(buildBaseline(n).synthYaml()) }));
    case 'check-throughput': {
      // A large realistic input: the platform plus enough microservices to pass n objects.
      const objects = objectsOf(buildOurs(Math.ceil(n / 5), true)).slice(0, Math.max(n, 1));
      return measure(name, objects.length, () => {
        const findings = checkManifests(objects as never);
        return { objects: objects.length, extra: { findings: findings.length } };
      });
    }
    case 'plan-speed': {
      const objects = planInput(n);
      return measure(name, n, () => {
        const plan = planCapacity(objects, {
          zones: 3,
          pools: [
            { host: HostType.M7I_METAL_24XL, serves: PoolServes.KATA },
            { host: HostType.M8I_4XLARGE, serves: PoolServes.KATA },
            { host: HostType.C8I_4XLARGE, serves: PoolServes.TRUSTED },
          ],
        });
        return { objects: plan.totalPods, extra: { nodes: plan.pools.reduce((a, p) => a + p.nodes, 0) } };
      });
    }
    default:
      throw new Error(`unknown benchmark case ${name}`);
  }
}

if (require.main === module) {
  const [name, n] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(runCase(name, Number(n))) + '\n');
}
