/** Cluster enablement: RuntimeClasses, kata-deploy, node preflight. */
export * from './runtime-classes';
