/** Namespaces that enforce Pod Security `restricted`. */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { validateDnsName } from './labels';

/** Pod Security labels that enforce, audit and warn at `level`. */
export function podSecurityLabels(
  level: 'restricted' | 'baseline' | 'privileged' = 'restricted',
): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/warn': level,
  };
}

/** A Namespace labelled to enforce Pod Security `restricted` (or another level). */
export function restrictedNamespace(
  scope: Construct,
  id: string,
  name: string,
  level: 'restricted' | 'baseline' | 'privileged' = 'restricted',
): k8s.KubeNamespace {
  validateDnsName(`Namespace "${id}"`, 'name', name);
  return new k8s.KubeNamespace(scope, id, {
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...podSecurityLabels(level) } },
  });
}
