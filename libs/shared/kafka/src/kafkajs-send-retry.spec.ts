/**
 * Why EventProducer checks a send's acknowledgements (ProducerSendIncompleteError): kafkajs 2.2.4's
 * own send code (producer/sendMessages.js), driven here with a stand-in cluster, resolves a send
 * without ever writing a partition whose leader moved, during the send's retries, to a broker that
 * had already answered for another partition. If a kafkajs upgrade makes this spec fail, the
 * upstream defect is gone (tulios/kafkajs pull request 1798) and the check may be reconsidered.
 */
import { KafkaJSProtocolError } from 'kafkajs';

// kafkajs' internals, as the installed version has them (not part of its typed API)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: unknown) => (args: unknown) => Promise<{ topicName: string; partition: number; errorCode: number }[]>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createRetry = require('kafkajs/src/retry') as (opts: unknown) => unknown;

const TOPIC = 't';
const notLeader = () => new KafkaJSProtocolError({ type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true, message: 'This server is not the leader for that topic-partition' } as never);

describe('kafkajs 2.2.4 send retries after a leader moved', () => {
  it('resolves without writing the partition whose new leader had already answered', async () => {
    const written: { broker: number; partition: number }[] = [];
    // partition 0 led by broker 1 throughout; partition 1 by broker 2, which then loses it to broker 1
    let leaders: Record<string, number[]> = { 1: [0], 2: [1] };
    const broker = (nodeId: number) => ({
      nodeId,
      produce: async ({ topicData }: { topicData: { topic: string; partitions: { partition: number }[] }[] }) => {
        if (nodeId === 2) {
          await new Promise((r) => setTimeout(r, 20)); // answers after broker 1, as a paused broker does
          leaders = { 1: [0, 1] };
          throw notLeader();
        }
        const partitions = topicData[0]!.partitions.map((p) => p.partition);
        for (const partition of partitions) written.push({ broker: nodeId, partition });
        return { topics: [{ topicName: TOPIC, partitions: partitions.map((partition) => ({ partition, errorCode: 0, baseOffset: '0' })) }] };
      },
    });
    const brokers = new Map([1, 2].map((n) => [n, broker(n)]));
    const cluster = {
      refreshMetadataIfNecessary: async () => undefined,
      refreshMetadata: async () => undefined,
      addMultipleTargetTopics: async () => undefined,
      isConnected: () => true,
      removeBroker: () => undefined,
      findTopicPartitionMetadata: () => [0, 1].map((partitionId) => ({ partitionId, leader: -1 })),
      findLeaderForPartitions: () => leaders,
      findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
    };
    const eosManager = {
      acquireBrokerLock: async () => undefined,
      releaseBrokerLock: async () => undefined,
      isTransactional: () => false,
      getSequence: () => 0,
      updateSequence: () => undefined,
      getProducerId: () => -1,
      getProducerEpoch: () => 0,
    };
    const logger = { debug: () => undefined, error: () => undefined, warn: () => undefined, info: () => undefined };
    const send = createSendMessages({ logger, cluster, partitioner: ({ message }: { message: { partition: number } }) => message.partition, eosManager, retrier: createRetry({ retries: 3, initialRetryTime: 1 }) });

    const acknowledged = await send({ acks: -1, topicMessages: [{ topic: TOPIC, messages: [0, 1].map((partition) => ({ partition, value: `m${partition}` })) }] });

    expect(written).toEqual([{ broker: 1, partition: 0 }]); // partition 1 was never written anywhere
    expect(acknowledged.map((a) => a.partition)).toEqual([0]); // and the send resolved all the same
  });
});
