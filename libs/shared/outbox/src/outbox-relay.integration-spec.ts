import { Kafka, logLevel } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { ensureTopics, EventProducer, type KafkaSettings } from '@paystream/shared/kafka';
import { createLogger, createMetricsRegistry, MessagingMetrics, type Logger } from '@paystream/shared/observability';
import { openDatabase } from '@paystream/shared/persistence';
import { BrokerGate, dropSchemas, testKafkaConfig, testKafkaSettings, testDatabaseUrl, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor, type CollectedMessage } from '@paystream/shared/testing';
import { OUTBOX_INBOX_MIGRATIONS } from './outbox-migrations';
import { outboxNotifyChannel } from './outbox';
import { OUTBOX_SHUTDOWN_GRACE_MS, OutboxRelay } from './outbox-relay';

const TOPIC = 'relay.test.v1';

/** One test's own schema, topic prefix, producers and relays; closed by close(). */
class RelayFixture {
  readonly schema = uniqueId('obx_');
  readonly settings: KafkaSettings = { ...testKafkaSettings(), clientId: uniqueId('relay'), topicPrefix: uniqueTopicPrefix('obx'), partitions: 3 };
  readonly topic = `${this.settings.topicPrefix}${TOPIC}`;
  readonly kafka = new Kafka({ clientId: this.settings.clientId, ...testKafkaConfig(), logLevel: logLevel.NOTHING });
  readonly applicationName = `relay-spec-${this.schema}`;
  readonly logger: Logger = createLogger('relay-spec', process.env.TEST_LOG_LEVEL ?? 'silent');
  private readonly dataSources: DataSource[] = [];
  private readonly producers: EventProducer[] = [];
  private readonly relays: OutboxRelay[] = [];
  private readonly gates: BrokerGate[] = [];
  private collector: TopicCollector | undefined;
  /** The last number enqueued per key. */
  readonly lastN = new Map<string, number>();

  /** A data source on the test's schema (a replica's pool); the first also creates the topic unless told not to. */
  async open(options: { createTopic?: boolean } = {}): Promise<DataSource> {
    const ds = await openDatabase({ url: testDatabaseUrl(), schema: this.schema, migrations: OUTBOX_INBOX_MIGRATIONS, poolSize: 4, applicationName: this.applicationName });
    this.dataSources.push(ds);
    if (this.dataSources.length === 1 && options.createTopic !== false) await this.createTopic();
    return ds;
  }

  async createTopic(): Promise<void> {
    await ensureTopics(this.kafka, this.settings, [TOPIC]);
  }

  async gate(): Promise<BrokerGate> {
    const gate = await new BrokerGate().start();
    this.gates.push(gate);
    return gate;
  }

  /** A connected producer, through gate when given. */
  async producer(gate?: BrokerGate): Promise<EventProducer> {
    const producer = new EventProducer(gate ? gate.kafka() : this.kafka, this.settings);
    this.producers.push(producer);
    await producer.connect();
    return producer;
  }

  relay(ds: DataSource, producer: EventProducer, options: { notify?: boolean; logger?: Logger } = {}): OutboxRelay {
    const relay = new OutboxRelay(ds, producer, new MessagingMetrics(createMetricsRegistry('relay-spec')), options.logger ?? this.logger, options.notify ? outboxNotifyChannel(this.schema) : undefined);
    this.relays.push(relay);
    return relay;
  }

  /** Appends one row per key, numbering each key's events 1, 2, 3... in seq order. */
  async enqueue(ds: DataSource, keys: readonly string[]): Promise<void> {
    const ns = keys.map((k) => {
      const n = (this.lastN.get(k) ?? 0) + 1;
      this.lastN.set(k, n);
      return n;
    });
    await ds.query(
      `INSERT INTO outbox_event (id, topic, key, source, payload, occurred_at)
       SELECT gen_random_uuid(), $1, r.key, '/paystream/relay-spec', jsonb_build_object('key', r.key, 'n', r.n), now()
         FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS r(key, n, ord)
        ORDER BY r.ord`,
      [TOPIC, keys, ns],
    );
  }

  async unpublished(ds: DataSource): Promise<number> {
    return Number((await ds.query(`SELECT count(*)::int AS n FROM outbox_event WHERE published_at IS NULL`))[0].n);
  }

  async read(): Promise<TopicCollector> {
    this.collector ??= await new TopicCollector([this.topic]).start();
    return this.collector;
  }

  /** Waits until every enqueued event is on the topic and returns each key's numbers in the order they first arrived. */
  async firstArrivals(): Promise<Map<string, number[]>> {
    const collector = await this.read();
    const expected = [...this.lastN.values()].reduce((a, b) => a + b, 0);
    const messages = await waitFor(() => {
      const all = collector.on<{ key: string; n: number }>(this.topic);
      return new Set(all.map((m) => `${m.value.key}/${m.value.n}`)).size >= expected ? all : undefined;
    }, 60_000, `${expected} distinct events on ${this.topic}`);
    return firstArrivalsByKey(messages);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.relays.map((r) => r.stop()));
    for (const g of this.gates) await g.stop();
    await Promise.allSettled(this.producers.map((p) => p.disconnect()));
    await this.collector?.stop();
    for (const ds of this.dataSources) if (ds.isInitialized) await ds.destroy();
    await dropSchemas(testDatabaseUrl(), [this.schema]);
  }
}

/** Per key, the numbers in the order they first reached the topic (later copies are duplicates consumers drop). */
function firstArrivalsByKey(messages: (CollectedMessage & { value: { key: string; n: number } })[]): Map<string, number[]> {
  const seen = new Set<string>();
  const order = new Map<string, number[]>();
  for (const m of messages) {
    const id = `${m.value.key}/${m.value.n}`;
    if (seen.has(id)) continue;
    seen.add(id);
    order.set(m.value.key, [...(order.get(m.value.key) ?? []), m.value.n]);
  }
  return order;
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('OutboxRelay on the real broker and database', () => {
  let fx: RelayFixture;

  beforeEach(() => {
    fx = new RelayFixture();
  });

  afterEach(async () => {
    await fx.close();
  });

  it('keeps the rows of a failed publish unpublished, retries, and publishes them in order once it works (a missing topic)', async () => {
    const ds = await fx.open({ createTopic: false });
    const failures = jest.spyOn(fx.logger, 'error');
    fx.relay(ds, await fx.producer()).start();
    await fx.enqueue(ds, ['k1', 'k2', 'k1', 'k2', 'k1', 'k1']);

    // the failure surfaces and is retried, instead of being retried forever inside the producer
    await waitFor(() => (failures.mock.calls.length >= 2 ? true : undefined), 40_000, 'two failed publishes');
    expect(failures.mock.calls[0]![1]).toMatch(/outbox publish failed/);
    expect(await fx.unpublished(ds)).toBe(6);

    await fx.createTopic();
    await waitFor(async () => ((await fx.unpublished(ds)) === 0 ? true : undefined), 40_000, 'the rows to be published');
    const order = await fx.firstArrivals();
    expect(order.get('k1')).toEqual(oneToN(4));
    expect(order.get('k2')).toEqual(oneToN(2));
  });

  it('keeps the rows unpublished while the broker refuses connections and publishes them in order when it is back', async () => {
    const ds = await fx.open();
    const gate = await fx.gate();
    const failures = jest.spyOn(fx.logger, 'error');
    fx.relay(ds, await fx.producer(gate)).start();
    await fx.enqueue(ds, ['k1', 'k2']);
    await waitFor(async () => ((await fx.unpublished(ds)) === 0 ? true : undefined), 20_000, 'the first rows');
    gate.set('refuse');
    await fx.enqueue(ds, ['k1', 'k2', 'k1', 'k1']);
    await waitFor(() => (failures.mock.calls.length >= 2 ? true : undefined), 40_000, 'two failed publishes');
    expect(await fx.unpublished(ds)).toBe(4);

    gate.set('open');
    await waitFor(async () => ((await fx.unpublished(ds)) === 0 ? true : undefined), 40_000, 'the rows to be published');
    const order = await fx.firstArrivals();
    expect(order.get('k1')).toEqual(oneToN(4));
    expect(order.get('k2')).toEqual(oneToN(2));
  });

  it('keeps each key in seq order with two relays racing on the same table, also when one hands over', async () => {
    const dsA = await fx.open();
    const dsB = await fx.open();
    const relayA = fx.relay(dsA, await fx.producer(), { notify: true });
    const relayB = fx.relay(dsB, await fx.producer(), { notify: true });
    relayA.start();
    relayB.start();
    const keys = Array.from({ length: 12 }, (_, i) => `order-${i}`);
    for (let round = 0; round < 30; round++) {
      const batch = Array.from({ length: 40 }, (_, i) => keys[(round * 7 + i * 5) % keys.length]!);
      await fx.enqueue(round % 2 === 0 ? dsA : dsB, batch);
      if (round === 15) {
        await relayA.stop(); // the lease holder or the standby: either way the other carries on
        fx.relay(dsA, await fx.producer(), { notify: true }).start();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const order = await fx.firstArrivals();
    for (const key of keys) expect({ key, order: order.get(key) }).toEqual({ key, order: oneToN(fx.lastN.get(key)!) });
    await waitFor(async () => ((await fx.unpublished(dsA)) === 0 ? true : undefined), 30_000, 'every row marked published');
  });

  it('falls back to polling when its LISTEN connection is killed, and listens again', async () => {
    const ds = await fx.open();
    const relay = fx.relay(ds, await fx.producer(), { notify: true });
    const listenQuery = `LISTEN ${outboxNotifyChannel(fx.schema)}`;
    const listeners = async (): Promise<number[]> =>
      (await ds.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1`, [listenQuery])).map((r: { pid: number }) => r.pid);
    relay.start();
    const [first] = await waitFor(async () => ((await listeners()).length === 1 ? listeners() : undefined), 20_000, 'the listener');

    await ds.query(`SELECT pg_terminate_backend($1)`, [first]);
    await fx.enqueue(ds, ['k1', 'k1', 'k1']);
    await waitFor(async () => ((await fx.unpublished(ds)) === 0 ? true : undefined), 20_000, 'the rows to be published by polling');

    const again = await waitFor(async () => {
      const pids = await listeners();
      return pids.length === 1 && pids[0] !== first ? pids[0] : undefined;
    }, 20_000, 'a new listener');
    expect(again).not.toBe(first);
    await fx.enqueue(ds, ['k1']);
    expect((await fx.firstArrivals()).get('k1')).toEqual(oneToN(4));
  });

  /** A relay whose broker stopped answering in the middle of a publish of five rows. */
  async function stuckRelay() {
    const ds = await fx.open();
    const gate = await fx.gate();
    const producer = await fx.producer(gate);
    const publish = jest.spyOn(producer, 'publish');
    const relay = fx.relay(ds, producer);
    relay.start();
    gate.set('blackhole');
    await fx.enqueue(ds, ['k1', 'k2', 'k1', 'k2', 'k1']);
    await waitFor(() => (publish.mock.calls.some(([events]) => events.length === 5) ? true : undefined), 20_000, 'the publish to start');
    return { ds, gate, relay, publish };
  }

  it('holds no transaction or row lock while a publish is stuck on the broker', async () => {
    const { ds } = await stuckRelay();
    const idleInTransaction = await ds.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'`,
      [fx.applicationName],
    );
    expect(idleInTransaction[0].n).toBe(0);
    const other = ds.createQueryRunner();
    await other.connect();
    try {
      await other.startTransaction();
      const locked = await other.query(`SELECT seq FROM outbox_event WHERE published_at IS NULL FOR UPDATE NOWAIT`);
      expect(locked).toHaveLength(5);
      await other.rollbackTransaction();
    } finally {
      await other.release();
    }
    expect(await fx.unpublished(ds)).toBe(5);
  });

  it('stops within its grace while a publish is stuck, leaving the rows for the next relay', async () => {
    const { ds, gate, relay, publish } = await stuckRelay();
    const outcome = await Promise.race([
      relay.stop().then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('still stopping'), OUTBOX_SHUTDOWN_GRACE_MS + 1_000)),
    ]);
    expect(outcome).toBe('stopped');
    // given up by the stop, not by the producer's own time limit
    await expect(publish.mock.results.at(-1)!.value).rejects.toMatchObject({ name: 'ProducerSendAbortedError', reason: 'aborted' });
    expect(await fx.unpublished(ds)).toBe(5);

    gate.set('open');
    fx.relay(ds, await fx.producer()).start();
    await waitFor(async () => ((await fx.unpublished(ds)) === 0 ? true : undefined), 20_000, 'the next relay to publish the rows');
    const order = await fx.firstArrivals();
    expect(order.get('k1')).toEqual(oneToN(3));
    expect(order.get('k2')).toEqual(oneToN(2));
  });
});
