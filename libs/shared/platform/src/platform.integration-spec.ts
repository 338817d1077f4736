import { DLQ_HEADERS, TOPICS } from '@paystream/contracts';
import { dropSchemas, EffectTable1764050000001, paymentRequestedFixture, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { loadPlatformConfig } from './config';
import { Platform } from './platform';


describe('Platform messaging on the real broker and database', () => {
  const prefix = uniqueTopicPrefix('plat');
  const schema = uniqueId('plat_');
  let platform: Platform;
  let upstream: RawProducer;
  let collector: TopicCollector;
  /** The traceparent each order's event reached its handler with. */
  const traceparents = new Map<string, string | undefined>();

  beforeAll(async () => {
    const config = loadPlatformConfig('order-payment', await testServiceEnv('ORDER_PAYMENT', { schema, topicPrefix: prefix }));
    platform = await Platform.open({ config, migrations: [EffectTable1764050000001], producesTopics: [TOPICS.paymentFailed] });
    platform.consume(TOPICS.paymentRequested, {
      handle: async (event, tx) => {
        traceparents.set(event.payload.orderId, event.traceparent);
        if (event.payload.subject === 'explode-permanently') throw new Error('always fails');
        await tx.query(`INSERT INTO effect (order_id, event_id) VALUES ($1, $2)`, [event.payload.orderId, event.id]);
        await platform.outbox.enqueue(tx, TOPICS.paymentFailed, {
          paymentId: '6f1c1f59-4d8e-4a4e-9d59-8d5d0f0a3b11',
          orderId: event.payload.orderId,
          merchantId: event.payload.merchantId,
          userId: event.payload.userId,
          amountMinor: event.payload.amountMinor,
          currency: event.payload.currency,
          reason: { code: 'INTERNAL_ERROR', message: 'test', retryable: true },
          failedAt: new Date().toISOString(),
        });
      },
    });
    await platform.start();
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([
      `${prefix}${TOPICS.paymentFailed}`,
      `${prefix}${TOPICS.paymentRequested}.dlq`,
    ]).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await platform?.stop();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  const effects = async (orderId: string) =>
    Number((await platform.ds.query(`SELECT count(*)::int AS n FROM effect WHERE order_id = $1`, [orderId]))[0].n);

  it('processes an event once even when the same ce_id is delivered twice', async () => {
    const topic = `${prefix}${TOPICS.paymentRequested}`;
    const id = await upstream.sendEvent(topic, 'o-dup', paymentRequestedFixture('o-dup'));
    await upstream.sendEvent(topic, 'o-dup', paymentRequestedFixture('o-dup'), { id });
    await waitFor(async () => ((await effects('o-dup')) === 1 ? true : undefined), 20_000, 'the effect');
    // the second delivery is consumed after the first on the same partition; wait until it is counted
    await waitFor(async () => {
      const m = await platform.registry.getSingleMetric('paystream_messages_consumed_total')?.get();
      return m?.values.find((v) => v.labels.result === 'duplicate' && v.value >= 1) ? true : undefined;
    }, 20_000, 'the duplicate to be seen');
    expect(await effects('o-dup')).toBe(1);
  });

  it('publishes outbox rows with CloudEvents headers keyed by orderId', async () => {
    const msg = await waitFor(() => collector.on(`${prefix}${TOPICS.paymentFailed}`, (m) => m.key === 'o-dup')[0], 20_000, 'the outbox event');
    expect(msg.headers.ce_type).toBe(TOPICS.paymentFailed);
    expect(msg.headers.ce_source).toBe('/paystream/order-payment');
    expect(msg.headers.ce_specversion).toBe('1.0');
    expect(msg.headers.ce_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((msg.value as { orderId: string }).orderId).toBe('o-dup');
    // the row behind the message it published is marked published, and the relay leaves none behind
    await waitFor(async () => (Number((await platform.ds.query(`SELECT count(*)::int AS n FROM outbox_event WHERE published_at IS NULL`))[0].n) === 0 ? true : undefined));
    const row = await platform.ds.query(`SELECT topic, key, published_at FROM outbox_event WHERE id = $1`, [msg.headers.ce_id]);
    expect(row).toEqual([{ topic: TOPICS.paymentFailed, key: 'o-dup', published_at: expect.any(Date) }]);
  });

  it('hands a handler only a valid traceparent: an all-zero, malformed or oversized one is dropped and the work gets a new trace', async () => {
    const topic = `${prefix}${TOPICS.paymentRequested}`;
    const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const bad = {
      'o-tp-zero': '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      'o-tp-upper': '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01',
      'o-tp-long': `${valid}-${'x'.repeat(10_000)}`,
    };
    for (const [orderId, traceparent] of Object.entries(bad)) await upstream.sendEvent(topic, orderId, paymentRequestedFixture(orderId), { headers: { traceparent } });
    await upstream.sendEvent(topic, 'o-tp-ok', paymentRequestedFixture('o-tp-ok'), { headers: { traceparent: valid } });
    for (const orderId of [...Object.keys(bad), 'o-tp-ok']) await waitFor(async () => ((await effects(orderId)) === 1 ? true : undefined), 20_000, `the event of ${orderId}`);
    expect(traceparents.get('o-tp-ok')).toBe(valid);
    for (const orderId of Object.keys(bad)) {
      expect(traceparents.has(orderId)).toBe(true);
      expect(traceparents.get(orderId)).toBeUndefined();
    }
    // what the handler emits carries a trace of its own, not the bad header
    const emitted = await waitFor(() => collector.on(`${prefix}${TOPICS.paymentFailed}`, (m) => m.key === 'o-tp-zero')[0], 20_000, 'the event emitted');
    expect(emitted.headers.traceparent).toMatch(/^00-(?!0{32})[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('dead-letters malformed and permanently failing messages with a reason and keeps going', async () => {
    const topic = `${prefix}${TOPICS.paymentRequested}`;
    await upstream.send(topic, 'o-bad', '{not json', { ce_id: 'bad-json-1', ce_type: TOPICS.paymentRequested });
    await upstream.sendEvent(topic, 'o-bad', { ...paymentRequestedFixture('o-bad'), amountMinor: '12.50' });
    await upstream.send(topic, 'o-bad', JSON.stringify(paymentRequestedFixture('o-bad')), { ce_type: TOPICS.paymentRequested });
    await upstream.sendEvent(topic, 'o-bad', { ...paymentRequestedFixture('o-bad'), subject: 'explode-permanently' });
    await upstream.sendEvent(topic, 'o-bad', paymentRequestedFixture('o-bad'), { id: 'x'.repeat(10_000) });
    // a payment request claiming to come from inside Paystream, and one from nobody
    await upstream.sendEvent(topic, 'o-bad', paymentRequestedFixture('o-bad'), { source: '/paystream/settlement' });
    await upstream.send(topic, 'o-bad', JSON.stringify(paymentRequestedFixture('o-bad')), { ce_id: 'no-source-1', ce_type: TOPICS.paymentRequested });
    await upstream.sendEvent(topic, 'o-bad', paymentRequestedFixture('o-good-after'), {});
    await waitFor(async () => ((await effects('o-good-after')) === 1 ? true : undefined), 40_000, 'the good event after the bad ones');
    const dlq = await waitFor(() => {
      const m = collector.on(`${prefix}${TOPICS.paymentRequested}.dlq`);
      return m.length >= 7 ? m : undefined;
    }, 30_000, 'seven dead letters');
    const reasons = dlq.map((m) => m.headers[DLQ_HEADERS.reason]);
    expect(reasons).toEqual([
      expect.stringContaining('not JSON'),
      expect.stringContaining('amountMinor'),
      expect.stringContaining('missing ce_id'),
      expect.stringContaining('always fails'),
      expect.stringMatching(/^ce_id header longer than 200 characters/),
      'ce_source /paystream/settlement may not produce payment.requested.v1: it comes from an upstream order system, never from a Paystream service',
      'no ce_source: payment.requested.v1 is produced by an upstream order system',
    ]);
    expect(dlq[0]!.value).toBe('{not json');
    expect(dlq.every((m) => m.headers[DLQ_HEADERS.consumer] === 'paystream.order-payment')).toBe(true);
    expect(await effects('o-bad')).toBe(0);
  });
  it('answers readiness on one Kafka admin connection it keeps, not a new login (TLS + SCRAM) per /health call', async () => {
    const admins = jest.spyOn(platform.kafka, 'admin');
    try {
      for (let i = 0; i < 3; i++) expect((await platform.readiness()).checks.kafka).toEqual({ ok: true });
      expect(admins.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      admins.mockRestore();
    }
  });
});
