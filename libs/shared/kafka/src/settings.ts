/** Connection and naming settings shared by producers, consumers and admin clients. */
export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Prepended to every logical topic name; empty in production, unique per test run. */
  topicPrefix: string;
  /** Partitions for topics created at start-up. */
  partitions: number;
}

/** Default partition count for topics the services create at start-up. */
export const TOPIC_PARTITIONS_DEFAULT = 6;

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
