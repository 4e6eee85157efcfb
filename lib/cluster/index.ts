/** Cluster enablement: RuntimeClasses, kata-deploy, node preflight. */
export * from './runtime-classes';
export * from './kata-deploy';
export * from './node-check';
