/** Uniform prop errors for cdk8s constructs (re-exported from the framework-free sandbox contract). */
export { PropError, propError, formatValue } from '../sandbox/errors';

/** `KataVaultCluster "vault"`: the context string used in error messages for a construct. */
export function constructContext(kind: string, id: string): string {
  return `${kind} "${id}"`;
}
