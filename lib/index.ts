/** The engine: sandbox contract, cdk8s building blocks, cluster enablement, checks, planner. */
export * from './sandbox';
export * from './k8s';
export * from './cluster';
export * from './plan';
export * from './check';
export * from './manifest';
