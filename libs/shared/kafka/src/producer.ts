import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { eventHeaders, type OutgoingEvent } from './envelope';
import { physicalTopic, type KafkaSettings } from './settings';

/** An idempotent producer (acks=all, one request in flight) for CloudEvents-framed JSON events. */
export class EventProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly settings: KafkaSettings,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      // unbounded retries keep the idempotent producer's ordering and no-duplicate guarantees
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  /** Publishes events in order per topic; resolves once the broker has acknowledged all of them. */
  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const e of events) {
      const topic = physicalTopic(this.settings, e.topic);
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key: e.key, value: JSON.stringify(e.payload), headers: eventHeaders(e) });
      byTopic.set(topic, messages);
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  /** Publishes raw messages (already framed), e.g. to a dead-letter topic or when replaying. */
  async publishRaw(physicalTopicName: string, messages: Message[]): Promise<void> {
    await this.producer.send({ topic: physicalTopicName, acks: -1, messages });
  }
}
