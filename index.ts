/**
 * kata-blueprints: cdk8s blueprints for running data and API workloads inside Kata Containers VMs.
 * Host blueprints (Pulumi) are exported from `kata-blueprints/hosts`.
 */
export * from './lib';
export * from './blueprints/workloads';
