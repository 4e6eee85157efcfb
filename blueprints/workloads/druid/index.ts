/** Apache Druid in Kata VMs: the cluster construct, its presets and the pure configuration renderers. */
export * from './node-type';
export type { DruidSecretKeyRef, DruidEgressRule, HostPort } from './refs';
export * from './metadata';
export * from './deep-storage';
export * from './discovery';
export * from './cluster';
export type {
  DruidKafkaSupervisorOptions,
  KafkaConsumerEndpoint,
  DruidCommonSpec,
  DruidNodeSpec,
} from './config';
export type { JvmPlan, ProcessingPlan, JvmSettings } from './memory';
/** The pure renderers of the Druid configuration files. */
export * as druidConfig from './config';
/** The pure JVM memory and processing planner. */
export * as druidMemory from './memory';
