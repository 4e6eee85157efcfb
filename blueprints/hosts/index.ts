/**
 * Host blueprints (Pulumi): node pools that can run Kata Containers on AWS, GCP, Azure and bare
 * metal, kata-deploy, the synthesized workloads, and whole environments. Exported as
 * `kata-blueprints/hosts`; never imported by the cdk8s side.
 */
export * from './contract';
export * from './validate';
export * from './service-accounts';
export * from './node-script';
export * from './manifests';
export * from './kata-deploy';
export * from './workloads';
export * from './aws/instance-types';
export * from './aws/user-data';
export * from './aws/node-pool';
export * from './gcp/node-pool';
export * from './azure/vm-sizes';
export * from './azure/agent-pool';
export * from './azure/scale-set';
export * from './baremetal/bootstrap';
export * from './baremetal/node-pool';
export * from './cidr';
export * from './aws/environment';
export * from './gcp/environment';
export * from './azure/environment';
export * from './environment-props';
