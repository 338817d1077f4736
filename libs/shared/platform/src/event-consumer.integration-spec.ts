// Beside the platform, not in shared/kafka: shared/testing imports shared/kafka, so a kafka spec importing it would be a cycle.
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DLQ_HEADERS, TOPICS } from '@paystream/contracts';
import { createKafka, ensureTopics, EventConsumer, EventProducer, PermanentEventError, UNCLASSIFIED_ERROR_ATTEMPTS_MAX, type ConsumedEvent, type KafkaSettings } from '@paystream/shared/kafka';
import { createLogger, createMetricsRegistry, MessagingMetrics } from '@paystream/shared/observability';
import { freePort, paymentRequestedFixture, RawProducer, testKafkaSettings, testDatabaseUrl, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';

type Handler = (event: ConsumedEvent<unknown>) => Promise<void>;

/** One consumer on its own topic prefix and group, with one partition so messages are handled in order. */
async function consumerRig(label: string) {
  const settings: KafkaSettings = { ...testKafkaSettings(), clientId: uniqueId(label), topicPrefix: uniqueTopicPrefix(label), partitions: 1 };
  const logger = createLogger(label, process.env.TEST_LOG_LEVEL ?? 'silent');
  const kafka: Kafka = createKafka(settings, logger);
  await ensureTopics(kafka, settings, [TOPICS.paymentRequested]);
  const producer = new EventProducer(kafka, settings);
  await producer.connect();
  const topic = `${settings.topicPrefix}${TOPICS.paymentRequested}`;
  const collector = await new TopicCollector([`${topic}.dlq`]).start();
  const upstream = await new RawProducer().start();
  const groupId = `paystream.${label}`;
  const consumers: EventConsumer[] = [];
  const newConsumer = (handler: Handler) => {
    const consumer = new EventConsumer(kafka, {
      groupId,
      handlers: new Map([[TOPICS.paymentRequested, handler]]),
      settings,
      producer,
      logger,
      metrics: new MessagingMetrics(createMetricsRegistry(label)),
    });
    consumers.push(consumer);
    return consumer;
  };
  /** The offset the group committed on the topic's partition (-1: none). */
  const committed = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: `${settings.topicPrefix}${groupId}`, topics: [topic] });
      return Number(offsets!.partitions[0]!.offset);
    } finally {
      await admin.disconnect();
    }
  };
  return {
    topic,
    collector,
    upstream,
    newConsumer,
    committed,
    dlq: () => collector.on(`${topic}.dlq`),
    send: (orderId: string) => upstream.sendEvent(topic, orderId, paymentRequestedFixture(orderId)),
    async close() {
      for (const c of consumers) await c.stop().catch(() => undefined);
      await collector.stop();
      await upstream.stop();
      await producer.disconnect();
    },
  };
}

type Rig = Awaited<ReturnType<typeof consumerRig>>;

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
const orderOf = (event: ConsumedEvent<unknown>) => (event.payload as { orderId: string }).orderId;

describe('EventConsumer retries and dead-letters on the real broker', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  it('retries a transient error without using up the unclassified attempts, commits the offset only after success, dead-letters nothing', async () => {
    rig = await consumerRig('retry');
    const calls: string[] = [];
    const committedWhileFailing: number[] = [];
    // four transient failures, then one unclassified: the unclassified budget counts one, not five
    const failures = [socketError('ECONNREFUSED'), socketError('ECONNRESET'), socketError('ECONNREFUSED'), socketError('ETIMEDOUT'), new Error('something odd')];
    await rig
      .newConsumer(async (event) => {
        calls.push(orderOf(event));
        const failure = failures[calls.length - 1];
        if (failure) {
          if (calls.length === failures.length) committedWhileFailing.push(await rig.committed());
          throw failure;
        }
      })
      .start();
    await rig.send('o-retry');
    await waitFor(async () => ((await rig.committed()) === 1 ? true : undefined), 30_000, 'the offset committed after the success');
    expect(calls).toEqual(Array(failures.length + 1).fill('o-retry'));
    expect(committedWhileFailing).toEqual([-1]);
    expect(rig.dlq()).toEqual([]);
  });

  it('dead-letters a PermanentEventError at once with reason headers and goes on with the next message', async () => {
    rig = await consumerRig('perm');
    const calls: string[] = [];
    await rig
      .newConsumer(async (event) => {
        calls.push(orderOf(event));
        if (orderOf(event) === 'o-perm') throw new PermanentEventError('no merchant profile for m-1');
      })
      .start();
    const id = await rig.send('o-perm');
    await rig.send('o-next');
    await waitFor(() => (calls.includes('o-next') ? true : undefined), 30_000, 'the next message');
    const [dead] = await waitFor(() => (rig.dlq().length > 0 ? rig.dlq() : undefined), 30_000, 'the dead letter');
    expect(calls).toEqual(['o-perm', 'o-next']);
    expect(dead!.key).toBe('o-perm');
    expect(dead!.headers).toMatchObject({
      [DLQ_HEADERS.reason]: 'no merchant profile for m-1',
      [DLQ_HEADERS.consumer]: 'paystream.perm',
      [DLQ_HEADERS.originalTopic]: TOPICS.paymentRequested,
      [DLQ_HEADERS.originalPartition]: '0',
      [DLQ_HEADERS.originalOffset]: '0',
      ce_id: id,
    });
    expect(dead!.headers[DLQ_HEADERS.at]).toMatch(/^\d{4}-\d\d-\d\dT/);
    await waitFor(async () => ((await rig.committed()) === 2 ? true : undefined), 30_000, 'both offsets committed');
  });

  it(`dead-letters an unclassified error after ${UNCLASSIFIED_ERROR_ATTEMPTS_MAX} attempts and goes on`, async () => {
    rig = await consumerRig('uncl');
    const calls: string[] = [];
    await rig
      .newConsumer(async (event) => {
        calls.push(orderOf(event));
        if (orderOf(event) === 'o-odd') throw new Error('merchant fee plan unreadable');
      })
      .start();
    await rig.send('o-odd');
    await rig.send('o-after');
    await waitFor(() => (calls.includes('o-after') ? true : undefined), 30_000, 'the next message');
    expect(calls).toEqual([...Array(UNCLASSIFIED_ERROR_ATTEMPTS_MAX).fill('o-odd'), 'o-after']);
    const [dead] = await waitFor(() => (rig.dlq().length > 0 ? rig.dlq() : undefined), 30_000, 'the dead letter');
    expect(dead!.headers[DLQ_HEADERS.reason]).toBe(`handler failed ${UNCLASSIFIED_ERROR_ATTEMPTS_MAX} times: merchant fee plan unreadable`);
  });

  const POOL_TIMEOUT = /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout)$/;

  it('never dead-letters an event whose handler meets real Postgres connection failures; it is handled once the database answers', async () => {
    rig = await consumerRig('pgdown');
    const closedPort = await freePort();
    const admin = await new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 2 }).initialize();
    const seen: string[] = [];
    // each attempt meets another way the database can be away, the last ones more often than UNCLASSIFIED_ERROR_ATTEMPTS_MAX
    const databaseAway: (() => Promise<void>)[] = [
      () => new Client({ host: '127.0.0.1', port: closedPort, user: 'postgres' }).connect().then(() => undefined),
      () => new DataSource({ type: 'postgres', url: `postgres://postgres@127.0.0.1:${closedPort}/postgres` }).initialize().then(() => undefined),
      () => terminatedMidQuery(admin),
      () => poolTimeout(),
      () => poolTimeout(),
      () => poolTimeout(),
    ];
    try {
      await rig
        .newConsumer(async () => {
          const away = databaseAway[seen.length];
          if (!away) {
            seen.push('handled');
            await admin.query('SELECT 1');
            return;
          }
          try {
            await away();
          } catch (error) {
            seen.push((error as Error).message);
            throw error;
          }
          throw new Error('the database was expected to fail here');
        })
        .start();
      await rig.send('o-pg');
      await waitFor(async () => ((await rig.committed()) === 1 ? true : undefined), 60_000, 'the event handled and committed');
      expect(seen).toHaveLength(databaseAway.length + 1);
      expect(seen.at(-1)).toBe('handled');
      expect(seen.slice(0, -1)).toEqual([
        expect.stringContaining('ECONNREFUSED'),
        expect.stringContaining('ECONNREFUSED'),
        'terminating connection due to administrator command',
        // pg-pool's own timeout, or pg's when the pool handed it the connect attempt (which one wins depends on load)
        expect.stringMatching(POOL_TIMEOUT),
        expect.stringMatching(POOL_TIMEOUT),
        expect.stringMatching(POOL_TIMEOUT),
      ]);
      expect(rig.dlq()).toEqual([]);
    } finally {
      await admin.destroy();
    }
  });

  it('stopping while a message keeps failing leaves its offset uncommitted; the next consumer of the group handles it', async () => {
    rig = await consumerRig('stop');
    const calls: string[] = [];
    const first = rig.newConsumer(async (event) => {
      calls.push(`first:${orderOf(event)}`);
      throw socketError('ECONNREFUSED');
    });
    await first.start();
    await rig.send('o-stop');
    await waitFor(() => (calls.length >= 3 ? true : undefined), 30_000, 'a few failed attempts');
    await first.stop();
    expect(first.isRunning).toBe(false);
    expect(await rig.committed()).toBe(-1);
    await rig.newConsumer(async (event) => void calls.push(`second:${orderOf(event)}`)).start();
    await waitFor(async () => ((await rig.committed()) === 1 ? true : undefined), 30_000, 'the second consumer to commit');
    expect(calls.at(-1)).toBe('second:o-stop');
    expect(calls.filter((c) => c.startsWith('second:'))).toEqual(['second:o-stop']);
    expect(rig.dlq()).toEqual([]);
  });
});

/** A query whose backend is terminated under it (57P01, as when Postgres restarts). */
async function terminatedMidQuery(admin: DataSource): Promise<void> {
  const ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 1 }).initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    const [{ pid }] = (await runner.query(`SELECT pg_backend_pid() AS pid`)) as { pid: number }[];
    const sleeping = runner.query(`SELECT pg_sleep(30)`);
    sleeping.catch(() => undefined); // awaited below; rejected before that
    await waitFor(async () => ((await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, [pid])).length ? true : undefined), 10_000, 'the query to run', 20);
    await admin.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await sleeping;
  } finally {
    await runner.release().catch(() => undefined);
    await ds.destroy().catch(() => undefined);
  }
}

/** A pool whose only connection is taken: the next query times out waiting for one. */
async function poolTimeout(): Promise<void> {
  const ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 1, extra: { connectionTimeoutMillis: 100 } }).initialize();
  const holder = ds.createQueryRunner();
  try {
    await holder.connect();
    await ds.query('SELECT 1');
  } finally {
    await holder.release();
    await ds.destroy();
  }
}
