/** Connection and naming settings shared by producers, consumers and admin clients. */
export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Prepended to every logical topic name; empty in production, unique per test run. */
  topicPrefix: string;
  /** Partitions for topics created at start-up. */
  partitions: number;
  /** Replicas of each topic created at start-up (1 when absent: a single broker). */
  replicationFactor?: number;
  /** TLS to the broker, trusting this CA (PEM); absent: plaintext. */
  ssl?: { ca: string };
  /** SASL/SCRAM-SHA-512 as this principal; absent: no authentication. */
  sasl?: KafkaSaslSettings;
}

/** The SASL credentials of one principal on a secure broker (infra/kafka/kafka.sh, KAFKA_SECURITY=sasl_ssl). */
export interface KafkaSaslSettings {
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
}

/** Default partition count for topics the services create at start-up. */
export const TOPIC_PARTITIONS_DEFAULT = 6;
/** Default replicas per topic the services create: one, for the single-broker stack. */
export const TOPIC_REPLICATION_FACTOR_DEFAULT = 1;
/** The most replicas a topic may ask for (a small cluster; a typo like 33 is refused at start-up). */
export const TOPIC_REPLICATION_FACTOR_MAX = 5;

/** The topic name on the broker for a logical topic name. */
export function physicalTopic(settings: Pick<KafkaSettings, 'topicPrefix'>, logical: string): string {
  return `${settings.topicPrefix}${logical}`;
}

/** The logical topic name for a topic on the broker. */
export function logicalTopic(settings: Pick<KafkaSettings, 'topicPrefix'>, physical: string): string {
  return settings.topicPrefix && physical.startsWith(settings.topicPrefix)
    ? physical.slice(settings.topicPrefix.length)
    : physical;
}
