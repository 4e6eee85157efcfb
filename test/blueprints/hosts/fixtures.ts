/** Manifest directories for the host blueprint tests, written to a temporary directory. */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';

/** A Deployment whose pods ask for a runtime class. */
export function deployment(
  name: string,
  namespace: string,
  runtimeClassName?: string,
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(runtimeClassName ? { runtimeClassName } : {}),
          containers: [{ name: 'app', image: 'registry.example/app:1.0.0' }],
        },
      },
    },
  };
}

/** A Namespace. */
export function namespace(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** A RuntimeClass with a handler. */
export function runtimeClass(name: string, handler = name): Record<string, unknown> {
  return { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler };
}

/** Writes files (name -> objects) into a new temporary directory and returns its path. */
export function manifestDir(files: Record<string, Array<Record<string, unknown>>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kata-hosts-'));
  for (const [file, objects] of Object.entries(files)) {
    writeFileSync(join(dir, file), objects.map((o) => stringify(o)).join('---\n'));
  }
  return dir;
}

/** The platform-like output used by the environment tests. */
export function platformDir(runtimeClassName = 'kata-qemu'): string {
  return manifestDir({
    'cluster.k8s.yaml': [runtimeClass('kata-qemu'), runtimeClass('kata-clh')],
    'kata-system.k8s.yaml': [namespace('kata-system')],
    'apps.k8s.yaml': [namespace('apps'), deployment('web', 'apps', runtimeClassName)],
  });
}

/** The Druid service accounts of the platform example (a KataDruidCluster "druid" in namespace "druid"). */
export const PLATFORM_DRUID_SERVICE_ACCOUNTS = ['druid/druid-druid', 'druid/druid-druid-master'];

/** The service accounts of the platform example's analytics jobs (Spark jobs J as J-spark, Flink as J-flink). */
export const PLATFORM_ANALYTICS_SERVICE_ACCOUNTS = [
  'analytics/clickstream-spark',
  'analytics/nightly-rollup-spark',
  'analytics/sessions-flink',
];
