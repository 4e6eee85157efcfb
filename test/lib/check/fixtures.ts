/** A production-grade, sandboxed, Pod-Security-restricted app that every rule passes; tests mutate copies of it. */
import type { KubeObject } from '../../../lib/manifest/load';

/** Any JSON object (tests poke into nested fields). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = any;

/** Pod labels of the app. */
export const LABELS = { app: 'web' };

/** The compliant set: Namespace (restricted), RuntimeClass, Deployment, PDB, NetworkPolicy, Service, ResourceQuota. */
export function compliantApp(): Obj[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'apps', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    },
    {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'kata-qemu' },
      handler: 'kata-qemu',
      overhead: { podFixed: { cpu: '250m', memory: '320Mi' } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { ...LABELS } },
        template: {
          metadata: { labels: { ...LABELS } },
          spec: {
            runtimeClassName: 'kata-qemu',
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      topologyKey: 'kubernetes.io/hostname',
                      labelSelector: { matchLabels: { ...LABELS } },
                    },
                  },
                ],
              },
            },
            containers: [
              {
                name: 'web',
                image: 'nginx:1.27.0',
                ports: [{ containerPort: 8080 }],
                resources: {
                  requests: { cpu: '100m', memory: '128Mi' },
                  limits: { cpu: '500m', memory: '256Mi' },
                },
                readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
                livenessProbe: { tcpSocket: { port: 8080 } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'apps' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...LABELS } } },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        podSelector: { matchLabels: { ...LABELS } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ port: 8080 }] }],
        egress: [],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'apps' },
      spec: { selector: { ...LABELS }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'apps', namespace: 'apps' },
      spec: { hard: { 'requests.memory': '4Gi', 'limits.memory': '8Gi' } },
    },
  ];
}

/** The object of a kind in a set. */
export function find(objects: Obj[], kind: string): Obj {
  const o = objects.find((x) => x.kind === kind);
  if (!o) throw new Error(`no ${kind} in fixture`);
  return o;
}

/** The pod spec of the workload (the Deployment, or what a test turned it into). */
export function podSpec(objects: Obj[]): Obj {
  const w = objects.find((x) => x.spec?.template?.spec);
  if (!w) throw new Error('no workload in fixture');
  return w.spec.template.spec;
}

/** The Deployment's first container. */
export function container(objects: Obj[]): Obj {
  return podSpec(objects).containers[0];
}

/** Cast for checkManifests. */
export function asObjects(objects: Obj[]): KubeObject[] {
  return objects as KubeObject[];
}
