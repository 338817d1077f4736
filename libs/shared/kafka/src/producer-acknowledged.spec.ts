import type { Kafka, Message, PartitionerArgs, ProducerConfig, RecordMetadata } from 'kafkajs';
import { EventProducer, ProducerSendIncompleteError, unacknowledgedPartitions } from './producer';

const PARTITIONS = 6;
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1 + (partitionId % 3), replicas: [1, 2, 3], isr: [1, 2, 3] }));

/**
 * A kafkajs producer as 2.2.4 behaves: its partitioner places each message, then the send resolves
 * with one acknowledgement per partition, except for the partitions `lose` names. That is what its
 * send does when a partition's leader moved, during the send's retries, to a broker that had already
 * answered for other partitions: it sends nothing more there and resolves.
 */
function fakeKafka(lose: (partition: number) => boolean) {
  const sent: { topic: string; partition: number }[] = [];
  const kafka = {
    producer: (config: ProducerConfig) => {
      const partitioner = config.createPartitioner!();
      const place = (topic: string, messages: Message[]): RecordMetadata[] => {
        const partitions = new Set(messages.map((message) => partitioner({ topic, partitionMetadata, message } as PartitionerArgs)));
        for (const partition of partitions) sent.push({ topic, partition });
        return [...partitions].filter((p) => !lose(p)).map((partition) => ({ topicName: topic, partition, errorCode: 0, baseOffset: '0' }));
      };
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: Message[] }[] }) => topicMessages.flatMap((t) => place(t.topic, t.messages)),
        send: async ({ topic, messages }: { topic: string; messages: Message[] }) => place(topic, messages),
      };
    },
  } as unknown as Kafka;
  return { kafka, sent };
}

const events = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `e-${i}`, topic: 'payment.succeeded.v1', key: `order-${i}`, source: '/test', time: new Date(0).toISOString(), payload: { i } }));

describe('EventProducer when kafkajs resolves a send without acknowledging every partition', () => {
  const settings = { brokers: ['127.0.0.1:1'], clientId: 'c', topicPrefix: 't.', partitions: PARTITIONS };

  it('resolves when every partition it wrote to was acknowledged', async () => {
    const { kafka, sent } = fakeKafka(() => false);
    const producer = new EventProducer(kafka, settings);
    await producer.connect();
    await producer.publish(events(30));
    expect(new Set(sent.map((s) => s.partition)).size).toBe(PARTITIONS);
  });

  it('fails a publish whose messages for one partition were never acknowledged, naming it', async () => {
    const { kafka, sent } = fakeKafka((p) => p === 4);
    const producer = new EventProducer(kafka, settings);
    await producer.connect();
    const published = producer.publish(events(30));
    await expect(published).rejects.toBeInstanceOf(ProducerSendIncompleteError);
    await expect(published).rejects.toThrow('t.payment.succeeded.v1/4');
    expect(sent.some((s) => s.partition === 4)).toBe(true);
  });

  it('fails a raw publish (dead letters, replays) the same way', async () => {
    const { kafka } = fakeKafka(() => true);
    const producer = new EventProducer(kafka, settings);
    await producer.connect();
    await expect(producer.publishRaw('t.payment.requested.v1.dlq', [{ key: 'k', value: 'v' }])).rejects.toBeInstanceOf(ProducerSendIncompleteError);
  });
});

describe('unacknowledgedPartitions', () => {
  const ack = (topicName: string, partition: number, errorCode = 0): RecordMetadata => ({ topicName, partition, errorCode });
  it.each([
    ['all acknowledged', [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }], [ack('a', 0), ack('a', 1), ack('b', 0)], []],
    ['one partition missing', [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }], [ack('a', 0)], ['a/1']],
    ['same partition number, other topic', [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }], [ack('a', 0)], ['b/0']],
    ['an acknowledgement with an error code', [{ topic: 'a', partition: 2 }], [ack('a', 2, 6)], ['a/2']],
    ['several messages of one partition', [{ topic: 'a', partition: 3 }, { topic: 'a', partition: 3 }], [ack('a', 3)], []],
  ])('%s', (_label, placed, acknowledged, missing) => expect(unacknowledgedPartitions(placed, acknowledged)).toEqual(missing));
});
