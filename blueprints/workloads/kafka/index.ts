/**
 * `KataKafkaBrokers` and its building blocks: versions, listener security, external access, rack
 * awareness. The pure renderers of the generated files are under the `kafkaConfig` namespace.
 */
export * from './endpoint';
export * from './version';
export * from './security';
export * from './rack';
export * from './cluster';
export { KafkaExternalType, KafkaExternalAccess } from './external';
export { isKafkaUuid, kafkaClusterId } from './ids';
export { KAFKA_PORTS, KafkaClusterSpec, KafkaPool, KafkaPoolRole } from './config';
export * as kafkaConfig from './config';
