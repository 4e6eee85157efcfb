/**
 * The contract other blueprints (Druid, Spark, Flink, microservices) use to connect to a Kafka cluster.
 */
import type { INetworkEndpoint } from '../../../lib/k8s/network';

/**
 * A Kafka cluster clients can connect to. `connections.allowTo(kafka)` opens the client port(s)
 * in both NetworkPolicies; `bootstrapServers` and `securityProtocol` go into the client config
 * (`bootstrap.servers`, `security.protocol`).
 */
export interface IKafkaEndpoint extends INetworkEndpoint {
  /**
   * Comma-separated `host:port` list for `bootstrap.servers`, with fully qualified in-cluster names,
   * e.g. `events-kafka-bootstrap.kafka.svc.cluster.local:9092`.
   */
  readonly bootstrapServers: string;
  /**
   * The client listener's security protocol for `security.protocol`: `PLAINTEXT`, `SSL`,
   * `SASL_PLAINTEXT` or `SASL_SSL`.
   */
  readonly securityProtocol: string;
}
