/** Workload blueprints (cdk8s). One export line per blueprint. */
export {};
