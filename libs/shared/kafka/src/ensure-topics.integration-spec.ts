import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { ensureTopics, topicConfigEntries } from './client';
import type { KafkaSettings } from './settings';

// shared/testing depends on this library, so its helpers are not imported here (no cycle)
const TEST_KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const uniqueId = (label: string) => `${label}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const uniqueTopicPrefix = (label: string) => `${uniqueId(label)}.`;

describe('topicConfigEntries', () => {
  it.each([
    [1, '1'],
    [2, '1'],
    [3, '2'],
    [5, '2'],
  ])('%i replicas: min.insync.replicas %s, no unclean leader election', (rf, minIsr) =>
    expect(topicConfigEntries(rf)).toEqual([
      { name: 'min.insync.replicas', value: minIsr },
      { name: 'unclean.leader.election.enable', value: 'false' },
    ]));
});

describe('ensureTopics on the real broker', () => {
  it('creates the topics with their durability settings as topic configuration, not left to the broker defaults', async () => {
    const settings: KafkaSettings = { brokers: TEST_KAFKA_BROKERS, clientId: uniqueId('topics'), topicPrefix: uniqueTopicPrefix('tcfg'), partitions: 1, replicationFactor: 1 };
    const kafka = new Kafka({ clientId: settings.clientId, brokers: TEST_KAFKA_BROKERS, logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, settings, ['durability.test.v1']);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [`${settings.topicPrefix}durability.test.v1`, `${settings.topicPrefix}durability.test.v1.dlq`].map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas', 'unclean.leader.election.enable'] })),
      });
      for (const r of resources) {
        expect(Object.fromEntries(r.configEntries.map((e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }]))).toEqual({
          'min.insync.replicas': { value: '1', isDefault: false },
          'unclean.leader.election.enable': { value: 'false', isDefault: false },
        });
      }
      await admin.deleteTopics({ topics: resources.map((r) => r.resourceName) });
    } finally {
      await admin.disconnect();
    }
  });
});
