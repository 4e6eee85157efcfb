/** `KataCassandraRing`: Apache Cassandra and ScyllaDB rings in Kata VMs. */
export * from './config';
export * from './engine';
export * from './ring';
export * from './scripts';
export * from './sizing';
export * from './storage';
