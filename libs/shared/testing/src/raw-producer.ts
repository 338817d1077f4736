import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { ALL_TOPICS, CE_HEADERS, CE_SPEC_VERSION, CONTENT_TYPE_JSON, TOPIC_PRODUCERS } from '@paystream/contracts';
import { uniqueId } from './infra';
import { testKafkaConfig } from './test-kafka';

/** Publishes events the way an upstream system would, including malformed ones for DLQ tests. */
export class RawProducer {
  private producer: Producer | undefined;

  async start(): Promise<this> {
    const kafka = new Kafka({ clientId: uniqueId('upstream'), ...testKafkaConfig(), logLevel: logLevel.NOTHING });
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    return this;
  }

  /**
   * A CloudEvents-framed JSON event; returns its ce_id. Pass id to redeliver the same event. Its
   * ce_source is the topic's producer (an upstream checkout for payment.requested) unless given.
   */
  async sendEvent(topic: string, key: string, payload: unknown, opts: { id?: string; type?: string; source?: string; headers?: Record<string, string> } = {}): Promise<string> {
    const id = opts.id ?? randomUUID();
    await this.send(topic, key, JSON.stringify(payload), {
      [CE_HEADERS.id]: id,
      [CE_HEADERS.type]: opts.type ?? topic.replace(/^.*?(payment\.|settlement\.|risk\.|channel\.|merchant\.|credential\.)/, '$1'),
      [CE_HEADERS.source]: opts.source ?? producerSourceOf(topic),
      [CE_HEADERS.specVersion]: CE_SPEC_VERSION,
      [CE_HEADERS.time]: new Date().toISOString(),
      [CE_HEADERS.contentType]: CONTENT_TYPE_JSON,
      ...(opts.headers ?? {}),
    });
    return id;
  }

  /** Raw bytes and headers, for malformed input. */
  async send(topic: string, key: string, value: string, headers: Record<string, string>): Promise<void> {
    await this.producer!.send({ topic, acks: -1, messages: [{ key, value, headers }] });
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
  }
}

/** The ce_source the producer of a (prefixed) topic stamps: its owning service, or an upstream checkout. */
export function producerSourceOf(topic: string): string {
  const logical = ALL_TOPICS.find((t) => topic.endsWith(t));
  const producer = logical ? TOPIC_PRODUCERS[logical] : 'upstream';
  return producer === 'upstream' ? '/orders/checkout' : producer;
}
