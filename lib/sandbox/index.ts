/** The sandbox contract shared by workload blueprints (cdk8s) and host blueprints (Pulumi). Plain TypeScript. */
export * from './errors';
export * from './quantity';
export * from './runtime';
export * from './sandbox';
export * from './apply';
