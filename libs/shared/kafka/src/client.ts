import { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import { dlqTopicOf } from '@paystream/contracts';
import type { Logger } from '@paystream/shared/observability';
import { physicalTopic, type KafkaSettings } from './settings';

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

/** Creates each logical topic and its `.dlq` twin if missing (idempotent). */
export async function ensureTopics(kafka: Kafka, settings: KafkaSettings, logicalTopics: readonly string[]): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = new Set<string>();
    for (const t of logicalTopics) {
      wanted.add(physicalTopic(settings, t));
      wanted.add(physicalTopic(settings, dlqTopicOf(t)));
    }
    const existing = new Set(await admin.listTopics());
    const topics: ITopicConfig[] = [...wanted]
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions: settings.partitions, replicationFactor: 1 }));
    if (topics.length > 0) {
      // Another service may create the same topic at the same moment: "already exists" is fine.
      await admin.createTopics({ topics, waitForLeaders: true }).catch((error: unknown) => {
        if (!String((error as Error).message ?? error).includes('already exists')) throw error;
      });
    }
  } finally {
    await admin.disconnect();
  }
}
