/**
 * Kafka identifiers: the cluster id and the metadata directory ids of the initial controllers, in
 * Kafka's UUID form (16 bytes, URL-safe base64 without padding: 22 characters). Derived
 * deterministically so that every synth writes the same ids.
 */
import { createHash } from 'crypto';
import { propError } from '../../../lib/k8s/errors';

const UUID_TEXT = /^[A-Za-z0-9_-]{22}$/;

/** 16 bytes as Kafka prints a `Uuid`: URL-safe base64 without padding. */
export function kafkaUuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`a Kafka Uuid has 16 bytes, not ${bytes.length}`);
  return Buffer.from(bytes).toString('base64url');
}

/**
 * Whether a string is a usable Kafka `Uuid`: 22 URL-safe base64 characters that decode to 16 bytes
 * and re-encode to the same text, not one of the ids Kafka reserves (the first 8 bytes all zero:
 * `ZERO_UUID`, `ONE_UUID`, the reserved directory ids), and not starting with `-` (Kafka's own
 * generator avoids that, since the id is then taken for an option on the command line).
 */
export function isKafkaUuid(text: string): boolean {
  if (typeof text !== 'string' || !UUID_TEXT.test(text) || text.startsWith('-')) return false;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== 16 || bytes.toString('base64url') !== text) return false;
  return bytes.subarray(0, 8).some((b) => b !== 0);
}

/**
 * A Kafka `Uuid` derived from a seed: the first 16 bytes of SHA-256(seed), re-hashed with a counter
 * until the result is usable (see {@link isKafkaUuid}).
 */
export function deriveKafkaUuid(seed: string): string {
  for (let i = 0; ; i++) {
    const digest = createHash('sha256')
      .update(i === 0 ? seed : `${seed}#${i}`)
      .digest();
    const id = kafkaUuidFromBytes(digest.subarray(0, 16));
    if (isKafkaUuid(id)) return id;
  }
}

/**
 * The cluster id of a cluster: given (and validated) or derived from its namespace and name, so
 * that it is stable across synths and distinct between clusters.
 *
 * @throws PropError when a given id is not a Kafka Uuid
 */
export function kafkaClusterId(context: string, namespace: string, name: string, given?: string): string {
  if (given !== undefined) {
    if (!isKafkaUuid(given)) {
      throw propError(
        context,
        'clusterId',
        given,
        'a Kafka cluster id: 16 bytes in URL-safe base64 without padding (22 characters, e.g. the output of ' +
          '`kafka-storage.sh random-uuid`), not starting with "-"',
      );
    }
    return given;
  }
  return deriveKafkaUuid(`kata-blueprints/kafka/cluster/${namespace}/${name}`);
}

/** The metadata directory id of an initial controller (`--initial-controllers id@host:port:dirId`). */
export function controllerDirectoryId(clusterId: string, nodeId: number): string {
  return deriveKafkaUuid(`kata-blueprints/kafka/directory/${clusterId}/${nodeId}`);
}
