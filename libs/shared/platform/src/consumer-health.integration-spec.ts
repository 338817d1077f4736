import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '@paystream/contracts';
import { dropSchemas, paymentRequestedFixture, RawProducer, testKafkaConfig, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { loadPlatformConfig } from './config';
import { Platform } from './platform';

/** The largest record the test's dead-letter topic accepts: a dead letter past it fails on the broker. */
const DLQ_MESSAGE_BYTES_MAX = 1_024;

describe('Consumer health when its run loop dies (real broker)', () => {
  const prefix = uniqueTopicPrefix('crash');
  const schema = uniqueId('crash_');
  const topic = `${prefix}${TOPICS.paymentRequested}`;
  let platform: Platform;
  let upstream: RawProducer;

  beforeAll(async () => {
    // a dead-letter topic too small for the dead letter: dead-lettering fails with a non-retriable
    // MESSAGE_TOO_LARGE out of the run loop, and kafkajs crashes it without restarting
    const admin = new Kafka({ clientId: uniqueId('crash-admin'), ...testKafkaConfig(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: `${topic}.dlq`, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: String(DLQ_MESSAGE_BYTES_MAX) }] }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const config = loadPlatformConfig('order-payment', await testServiceEnv('ORDER_PAYMENT', { schema, topicPrefix: prefix }));
    platform = await Platform.open({ config, migrations: [], producesTopics: [] });
    platform.consume(TOPICS.paymentRequested, { handle: async () => undefined });
    upstream = await new RawProducer().start();
  });

  afterAll(async () => {
    await upstream?.stop();
    await platform?.stop();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('reports the consumer down once its run loop crashed for good, and calls the fatal callback once', async () => {
    const fatal: Error[] = [];
    platform.onConsumerFatal((error) => fatal.push(error));
    await platform.start();
    await upstream.sendEvent(topic, 'o-fine', paymentRequestedFixture('o-fine'));
    const healthy = await platform.readiness();
    expect(healthy.checks.consumer).toEqual({ ok: true });
    expect(healthy.ready).toBe(true);

    await upstream.send(topic, 'o-huge', `not json ${'x'.repeat(DLQ_MESSAGE_BYTES_MAX * 4)}`, { ce_id: 'huge-1', ce_type: TOPICS.paymentRequested });
    await waitFor(() => (fatal.length > 0 ? true : undefined), 30_000, 'the fatal callback');
    const down = await platform.readiness();
    expect(down.ready).toBe(false);
    expect(down.checks.consumer).toEqual({ ok: false, detail: expect.stringMatching(/^failed: .*larger than the max message size/) });
    expect(down.checks.database).toEqual({ ok: true });
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.message).toMatch(/larger than the max message size/);
  });
});
