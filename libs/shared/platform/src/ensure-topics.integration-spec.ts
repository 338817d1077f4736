import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { testKafkaConfig, testKafkaSettings, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { ensureTopics, topicConfigEntries, type KafkaSettings } from '@paystream/shared/kafka';

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
    const settings: KafkaSettings = { ...testKafkaSettings(), clientId: uniqueId('topics'), topicPrefix: uniqueTopicPrefix('tcfg'), partitions: 1, replicationFactor: 1 };
    const kafka = new Kafka({ clientId: settings.clientId, ...testKafkaConfig(), logLevel: logLevel.NOTHING });
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
