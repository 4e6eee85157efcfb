/** Loading Kubernetes manifests from files, folders and cdk8s apps. */
export * from './load';
export * from './selector';
