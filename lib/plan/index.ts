/** The capacity planner: host catalog, node reservations, Kata VM costs, packing and reports. */
export * from './catalog';
export * from './reservation';
export * from './vm';
export * from './workloads';
export * from './pod';
export * from './pack';
export * from './plan';
export * from './report';
export * from './hosts-file';
