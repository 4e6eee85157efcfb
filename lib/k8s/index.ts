/** Shared cdk8s building blocks: hardened sandboxed pods, resources, probes, spread, PDBs, network policies, config files. */
export * from './errors';
export * from './units';
export * from './image';
export * from './labels';
export * from './container';
export * from './pod';
export * from './scheduling';
export * from './pdb';
export * from './network';
export * from './config';
export * from './namespace';
export * from './cert-manager';
export * from './storage';
