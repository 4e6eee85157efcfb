/** Workload blueprints (cdk8s). One export line per blueprint. */
export {};
export * from './microservice';
export * from './spark';
export * from './vault';
export * from './kafka';
export * from './cassandra';
export * from './druid';
