import { KafkaJSNonRetriableError, KafkaJSProtocolError, type Kafka } from 'kafkajs';
import { createLogger, MessagingMetrics } from '@paystream/shared/observability';
import { Registry } from 'prom-client';
import { EventConsumer } from './consumer';
import type { EventProducer } from './producer';
import { isTopicMetadataPending } from './topic-metadata-wait';

/** What a broker that has not applied a just-created topic's metadata answers (kafkajs' protocol error 3). */
const unknownTopic = () => new KafkaJSProtocolError({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true, message: 'This server does not host this topic-partition' } as never);

/** A kafkajs consumer whose subscribe fails `failures` times with `error` before it succeeds. */
function fakeKafka(failures: number, error: () => Error) {
  const calls = { subscribe: 0, run: 0 };
  const consumer = {
    events: { GROUP_JOIN: 'join', STOP: 'stop', DISCONNECT: 'disconnect', CRASH: 'crash' },
    on: () => undefined,
    connect: async () => undefined,
    disconnect: async () => undefined,
    subscribe: async () => {
      calls.subscribe++;
      if (calls.subscribe <= failures) throw error();
    },
    run: async () => {
      calls.run++;
    },
  };
  return { kafka: { consumer: () => consumer } as unknown as Kafka, calls };
}

const consumerOf = (kafka: Kafka) =>
  new EventConsumer(kafka, {
    groupId: 'g',
    handlers: new Map([['payment.requested.v1', async () => undefined]]),
    settings: { brokers: ['127.0.0.1:1'], clientId: 'c', topicPrefix: '', partitions: 1 },
    producer: {} as EventProducer,
    logger: createLogger('test', 'silent'),
    metrics: new MessagingMetrics(new Registry()),
    topicMetadataBackoffMs: 1,
  });

describe('EventConsumer.start on topics whose metadata has not reached every broker yet', () => {
  it('subscribes again while the broker does not host the topic-partition yet, then runs', async () => {
    const { kafka, calls } = fakeKafka(3, unknownTopic);
    const consumer = consumerOf(kafka);
    await consumer.start();
    expect(calls).toEqual({ subscribe: 4, run: 1 });
    expect(consumer.isRunning).toBe(true);
  });

  it('gives up after a bounded number of attempts: the error is thrown on', async () => {
    const { kafka, calls } = fakeKafka(1_000, unknownTopic);
    await expect(consumerOf(kafka).start()).rejects.toThrow('does not host this topic-partition');
    expect(calls.subscribe).toBe(10);
    expect(calls.run).toBe(0);
  });

  it('does not retry other errors', async () => {
    const { kafka, calls } = fakeKafka(1, () => new Error('SASL authentication failed'));
    await expect(consumerOf(kafka).start()).rejects.toThrow('SASL');
    expect(calls.subscribe).toBe(1);
  });
});

describe('isTopicMetadataPending', () => {
  it.each([
    ['a protocol error 3', true, () => unknownTopic()],
    // as kafkajs' retrier bails: new KafkaJSNonRetriableError(e, { cause: e })
    ['one wrapped by the bail of kafkajs retrier', true, () => Object.assign(new KafkaJSNonRetriableError(unknownTopic()), { cause: unknownTopic() })],
    ['no leader yet', true, () => new KafkaJSProtocolError({ type: 'LEADER_NOT_AVAILABLE', code: 5, retriable: true, message: 'no leader' } as never)],
    ['a topic authorisation failure', false, () => new KafkaJSProtocolError({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'denied' } as never)],
    ['a plain error', false, () => new Error('boom')],
    ['not an error', false, () => 'boom'],
  ])('%s -> %s', (_label, pending, error) => expect(isTopicMetadataPending(error())).toBe(pending));
});
