import { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import { dlqTopicOf } from '@paystream/contracts';
import type { Logger } from '@paystream/shared/observability';
import { physicalTopic, TOPIC_REPLICATION_FACTOR_DEFAULT, type KafkaSettings } from './settings';

const KAFKA_LOG_LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go to the service's structured logger. */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ...(settings.ssl ? { ssl: { ca: [settings.ssl.ca] } } : {}),
    ...(settings.sasl ? { sasl: { ...settings.sasl } } : {}),
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        kafkaLogger[KAFKA_LOG_LEVEL_NAMES[level] ?? 'info'](extra, message);
      },
  });
}

/**
 * The topic-level settings of a topic created with `replicationFactor` replicas: an acknowledged write
 * (acks=all) is on at least two replicas whenever there are three or more, whatever the broker's own
 * default says (Kafka's is 1), and a replica that was out of sync never becomes leader.
 */
export function topicConfigEntries(replicationFactor: number): { name: string; value: string }[] {
  return [
    { name: 'min.insync.replicas', value: String(replicationFactor >= 3 ? 2 : 1) },
    { name: 'unclean.leader.election.enable', value: 'false' },
  ];
}

/** Attempts to create topics and see their leaders before giving up (services start side by side). */
export const ENSURE_TOPICS_ATTEMPTS_MAX = 10;
const ENSURE_TOPICS_BACKOFF_MS = 250;

/**
 * Creates each logical topic and its `.dlq` twin if missing (idempotent), and waits until every
 * partition has a leader. Services starting together race to create the same topics: "already
 * exists" and "does not host this topic-partition" (metadata not yet propagated) are retried.
 */
export async function ensureTopics(kafka: Kafka, settings: KafkaSettings, logicalTopics: readonly string[]): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = new Set<string>();
    for (const t of logicalTopics) {
      wanted.add(physicalTopic(settings, t));
      wanted.add(physicalTopic(settings, dlqTopicOf(t)));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const topics: ITopicConfig[] = [...wanted]
          .filter((t) => !existing.has(t))
          .map((topic) => {
            const replicationFactor = settings.replicationFactor ?? TOPIC_REPLICATION_FACTOR_DEFAULT;
            return { topic, numPartitions: settings.partitions, replicationFactor, configEntries: topicConfigEntries(replicationFactor) };
          });
        if (topics.length > 0) {
          await admin.createTopics({ topics, waitForLeaders: true }).catch((error: unknown) => {
            if (!String((error as Error).message ?? error).includes('already exists')) throw error;
          });
        }
        const metadata = await admin.fetchTopicMetadata({ topics: [...wanted] });
        const leaderless = metadata.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
        if (leaderless.length === 0) return;
        throw new Error(`topics without leaders yet: ${leaderless.map((t) => t.name).join(', ')}`);
      } catch (error) {
        if (attempt >= ENSURE_TOPICS_ATTEMPTS_MAX) throw error;
        await new Promise((r) => setTimeout(r, ENSURE_TOPICS_BACKOFF_MS * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
