import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { headerString } from '@paystream/shared/kafka';
import { uniqueId } from './infra';
import { testKafkaConfig } from './test-kafka';

/** A message as a test sees it: topic, key, parsed JSON value (or raw text) and string headers. */
export interface CollectedMessage {
  topic: string;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Reads topics from the beginning into memory, so tests can assert on what was published. */
export class TopicCollector {
  readonly messages: CollectedMessage[] = [];
  private consumer: Consumer | undefined;

  constructor(private readonly topics: string[]) {}

  async start(): Promise<this> {
    const kafka = new Kafka({ clientId: uniqueId('collector'), ...testKafkaConfig(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = this.topics.filter((t) => !existing.has(t));
    if (missing.length) {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 6 })), waitForLeaders: true }).catch(() => undefined);
    }
    await admin.disconnect();
    this.consumer = kafka.consumer({ groupId: uniqueId('collector'), maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const text = message.value?.toString('utf8') ?? '';
        let value: unknown = text;
        try {
          value = JSON.parse(text);
        } catch {
          // keep raw text: malformed messages are part of what tests look at
        }
        this.messages.push({
          topic,
          key: message.key?.toString('utf8') ?? null,
          value,
          headers: stringHeaders(message.headers),
          partition,
          offset: message.offset,
        });
      },
    });
    return this;
  }

  /** Messages on one topic, optionally filtered. */
  on<T = Record<string, unknown>>(topic: string, filter: (m: CollectedMessage & { value: T }) => boolean = () => true) {
    return this.messages.filter((m) => m.topic === topic).filter((m) => filter(m as CollectedMessage & { value: T })) as (CollectedMessage & {
      value: T;
    })[];
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) out[name] = headerString(headers, name) ?? '';
  return out;
}
