import { randomUUID } from 'node:crypto';
import { authorizationFor } from '@paystream/shared/auth';
import { readFileSync } from 'node:fs';
import { DLQ_HEADERS, TOPICS, type PaymentRequested } from '@paystream/contracts';
import { luhnValid } from '@paystream/shared/channel-protocols';
import { OPS_METRIC_NAMES, traceIdOf } from '@paystream/shared/observability';
import { RawProducer, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { demoIdentity } from '../load/demo-identities';
import { ServiceStack, type StackService } from './service-stack';

/**
 * The whole suite as separate processes on the real broker and databases: the happy path over every
 * topic, idempotency, dead letters, and a SIGKILL mid-stream that loses and duplicates nothing.
 */
describe('payment flow end to end (real processes, Kafka, Postgres)', () => {
  const prefix = uniqueTopicPrefix('e2e');
  const schema = uniqueId('e2e_');
  // a ..52 charge answers after 2.5 s, past the gateway's 1 s timeout: the outcome is learned by query
  // an outcome still unknown after 4 s is closed at the channel (..56 is paid just as the close arrives)
  const stack = new ServiceStack(prefix, schema, {
    CHANNEL_EMULATOR_HOLD_MS: '2500',
    CHANNEL_CHARGE_TIMEOUT_MS: '1000',
    CHANNEL_QUERY_INTERVAL_MS: '500',
    CHANNEL_UNKNOWN_MAX_AGE_MS: '4000',
  });
  const t = (topic: string) => `${prefix}${topic}`;
  /** The shopper's identity check is sent with this trace: risk continues it in its call to the identity provider. */
  const IDENTITY_TRACEPARENT = '00-5e2e0000000000000000000000000002-00f067aa0ba902b7-01';
  let upstream: RawProducer;
  let collector: TopicCollector;

  const request = (orderId: string, merchantId: string, amountMinor: string): PaymentRequested => ({
    orderId,
    merchantId,
    userId: 'shopper-1',
    amountMinor,
    currency: 'CNY',
    subject: 'e2e order',
    requestedAt: new Date().toISOString(),
  });
  const outcomesOf = (orderId: string) => [
    ...collector.on<{ paymentId: string }>(t(TOPICS.paymentSucceeded), (m) => m.key === orderId),
    ...collector.on<{ paymentId: string }>(t(TOPICS.paymentFailed), (m) => m.key === orderId),
  ];
  const outcome = (orderId: string, timeoutMs = 30_000) => waitFor(() => outcomesOf(orderId)[0], timeoutMs, `the outcome of ${orderId}`);
  /**
   * Onboards a merchant, which verifies its shopper-1 on all four elements (risk level full): an
   * identity counts for the payments of the merchant that registered it, and shopper-1's payments
   * over the spec (a CNY 20,000 one among them) need more than level none's limits.
   */
  const onboard = async (merchantId: string) => {
    await stack.onboardMerchant(merchantId);
    const identity = await stack.json<{ level: string }>('risk', '/identities', { json: demoIdentity('shopper-1', 1), as: await stack.merchantKey(merchantId) });
    expect(identity.body.level).toBe('full');
  };

  beforeAll(async () => {
    await stack.start();
    // the shopper is verified on all four elements (risk level full), as a real checkout's shopper would be
    const identity = await stack.json<{ level: string }>('risk', '/identities', { json: demoIdentity('shopper-1', 1), headers: { traceparent: IDENTITY_TRACEPARENT } });
    expect(identity.body.level).toBe('full');
    upstream = await new RawProducer().start();
    collector = await new TopicCollector(
      [
        TOPICS.paymentRequested,
        `${TOPICS.paymentRequested}.dlq`,
        TOPICS.riskAssessmentRequested,
        TOPICS.riskAssessmentDecided,
        TOPICS.channelChargeRequested,
        TOPICS.channelChargeCompleted,
        TOPICS.paymentSucceeded,
        TOPICS.paymentFailed,
        TOPICS.paymentRefunded,
        TOPICS.settlementDue,
        TOPICS.settlementCompleted,
      ].map(t),
    ).start();
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await stack.dispose();
  }, 60_000);

  it('carries a payment over every topic, from request to settlement paid out', async () => {
    const merchantId = uniqueId('m-happy-');
    await onboard(merchantId);
    const traceId = '5e2e0000000000000000000000000001';
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-happy', request('e2e-happy', merchantId, '12345'), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const ok = await outcome('e2e-happy');
    expect(ok.topic).toBe(t(TOPICS.paymentSucceeded));
    const paymentId = ok.value.paymentId;
    for (const topic of [TOPICS.riskAssessmentRequested, TOPICS.riskAssessmentDecided, TOPICS.channelChargeRequested, TOPICS.channelChargeCompleted]) {
      // one consumer reads several topics with no order between them: the outcome can be read before the steps that led to it
      // (on a busy box the charge may outlast the 1 s timeout: an 'unknown' completion first, then the one outcome)
      const steps = () => collector.on<{ outcome?: string }>(t(topic), (m) => m.key === paymentId).filter((m) => m.value.outcome !== 'unknown');
      await waitFor(() => (steps().length > 0 ? true : undefined), 30_000, `${topic} of the payment`);
      expect(steps()).toHaveLength(1);
    }
    expect(collector.on(t(TOPICS.riskAssessmentDecided), (m) => m.key === paymentId)[0]!.value).toMatchObject({ decision: 'approve' });
    const due = await waitFor(() => collector.on(t(TOPICS.settlementDue), (m) => m.key === merchantId)[0], 30_000, 'settlement.due');
    // 60 bps of 123.45 is 0.7407, half-up to 0.74
    expect(due.value).toMatchObject({ merchantId, grossMinor: '12345', feeMinor: '74', netMinor: '12271', refundMinor: '0', paymentCount: 1, currency: 'CNY' });
    const completed = await waitFor(() => collector.on(t(TOPICS.settlementCompleted), (m) => m.key === merchantId)[0], 30_000, 'settlement.completed');
    expect(completed.value).toMatchObject({ settlementId: (due.value as { settlementId: string }).settlementId, netMinor: '12271' });

    const view = await stack.json('order-payment', `/payments?orderId=e2e-happy&merchantId=${merchantId}`);
    expect(view.body).toMatchObject({ paymentId, status: 'SUCCEEDED', amountMinor: '12345', channel: 'alipay' });
    // (an UNKNOWN step when the charge outlasted the spec's 1 s timeout on a busy box, settled by the query)
    expect((view.body.history as { to: string }[]).map((h) => h.to).filter((to) => to !== 'UNKNOWN')).toEqual(['PENDING_RISK', 'AUTHORIZING', 'SUCCEEDED']);
    expect((await stack.json('settlement', '/ledger/check')).body).toMatchObject({ balanced: true });

    // one trace from the order to the merchant's settlement: every event carries it, every service logs it
    for (const topic of [TOPICS.riskAssessmentRequested, TOPICS.riskAssessmentDecided, TOPICS.channelChargeRequested, TOPICS.channelChargeCompleted, TOPICS.paymentSucceeded]) {
      expect(collector.on(t(topic), (m) => m.key === paymentId)[0]?.headers.traceparent ?? ok.headers.traceparent).toContain(`-${traceId}-`);
    }
    expect(due.headers.traceparent).toContain(`-${traceId}-`);
    const linesOf = (service: StackService) =>
      readFileSync(stack.logFile(service), 'utf8')
        .split('\n')
        .filter((l) => l.includes(`"traceId":"${traceId}"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const traced = await waitFor(() => {
      const byService = Object.fromEntries((['order-payment', 'risk', 'channel-gateway', 'settlement'] as const).map((s) => [s, linesOf(s)]));
      return Object.values(byService).every((lines) => lines.length > 0) ? byService : undefined;
    }, 10_000, 'the trace id in the logs of all four services');
    for (const [service, lines] of Object.entries(traced)) {
      expect(lines.some((l) => l.service === service && l.paymentId === paymentId && l.orderId === 'e2e-happy')).toBe(true);
    }
    // over HTTP too: the identity check risk made to the provider (the emulator) logged the trace it was sent with
    const identityTraceId = traceIdOf(IDENTITY_TRACEPARENT)!;
    expect(readFileSync(stack.logFile('channel-emulator'), 'utf8')).toContain(`"traceId":"${identityTraceId}"`);
    expect(readFileSync(stack.logFile('risk'), 'utf8')).toContain(`"traceId":"${identityTraceId}"`);
  });

  it('turns a repeated request and a redelivered event into nothing new', async () => {
    const merchantId = uniqueId('m-idem-');
    await onboard(merchantId);
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-idem', request('e2e-idem', merchantId, '5000'));
    const first = await outcome('e2e-idem');
    await waitFor(() => collector.on(t(TOPICS.settlementCompleted), (m) => m.key === merchantId)[0], 30_000, 'first settlement');

    // the same order again, as a new event: the same outcome with the same paymentId, no new charge
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-idem', request('e2e-idem', merchantId, '5000'));
    await waitFor(() => (outcomesOf('e2e-idem').length === 2 ? true : undefined), 30_000, 'the re-emitted outcome');
    expect(new Set(outcomesOf('e2e-idem').map((m) => m.value.paymentId))).toEqual(new Set([first.value.paymentId]));

    // the same event id delivered twice: one payment
    const id = await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-redeliver', request('e2e-redeliver', merchantId, '6000'));
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-redeliver', request('e2e-redeliver', merchantId, '6000'), { id });
    await outcome('e2e-redeliver');

    // POST /payments with the same key twice: one payment
    const init = { json: { orderId: 'e2e-api', merchantId, userId: 'shopper-2', amountMinor: '7000', currency: 'CNY', subject: 'api' }, headers: { 'idempotency-key': 'e2e-key-1' } };
    const created = await stack.json('order-payment', '/payments', init);
    const replay = await stack.json('order-payment', '/payments', init);
    expect([created.status, replay.status]).toEqual([201, 200]);
    expect(replay.body.paymentId).toBe(created.body.paymentId);
    await outcome('e2e-api');

    await waitFor(() => (collector.on(t(TOPICS.settlementCompleted), (m) => m.key === merchantId).length >= 3 ? true : undefined), 30_000, 'settlements');
    await new Promise((r) => setTimeout(r, 1_000)); // room for any duplicate to show up
    const rows = await stack.query<{ order_id: string; n: number }>('order-payment', `SELECT order_id, count(*)::int AS n FROM payment WHERE order_id = ANY($1) GROUP BY order_id`, [
      ['e2e-idem', 'e2e-redeliver', 'e2e-api'],
    ]);
    expect(rows.map((r) => r.n)).toEqual([1, 1, 1]);
    for (const orderId of ['e2e-idem', 'e2e-redeliver', 'e2e-api']) {
      const paymentId = (await stack.query<{ id: string }>('order-payment', `SELECT id FROM payment WHERE order_id = $1`, [orderId]))[0]!.id;
      expect(collector.on(t(TOPICS.channelChargeRequested), (m) => m.key === paymentId)).toHaveLength(1);
      expect(await stack.query('channel-gateway', `SELECT 1 FROM channel_transaction WHERE payment_id = $1`, [paymentId])).toHaveLength(1);
    }
    expect(collector.on(t(TOPICS.settlementDue), (m) => m.key === merchantId)).toHaveLength(3);
  });

  it('refunds in parts, never beyond what was captured, and books each refund once', async () => {
    const merchantId = uniqueId('m-refund-');
    await onboard(merchantId);
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-refund', request('e2e-refund', merchantId, '10000'));
    const paymentId = (await outcome('e2e-refund')).value.paymentId;
    const refund = (key: string, amountMinor: string) =>
      stack.json('order-payment', `/payments/${paymentId}/refunds`, { json: { amountMinor, reason: 'customer return' }, headers: { 'idempotency-key': key } });
    const refunded = (n: number) =>
      waitFor(() => {
        const m = collector.on<{ refundId: string; amountMinor: string }>(t(TOPICS.paymentRefunded), (x) => x.key === 'e2e-refund');
        return m.length >= n ? m : undefined;
      }, 30_000, `${n} refunds`);

    const first = await refund('e2e-refund-1', '4000');
    expect(first).toMatchObject({ status: 202, body: { status: 'REQUESTED', amountMinor: '4000' } });
    expect((await refund('e2e-refund-1', '4000')).body.refundId).toBe(first.body.refundId);
    await refunded(1);
    expect((await stack.json('order-payment', `/payments/${paymentId}`)).body.status).toBe('PARTIALLY_REFUNDED');
    expect(await refund('e2e-refund-2', '6001')).toMatchObject({ status: 422, body: { error: { code: 'REFUND_EXCEEDS_CAPTURED' } } });
    expect((await refund('e2e-refund-3', '6000')).status).toBe(202);
    const events = await refunded(2);
    expect(events.map((e) => e.value.amountMinor).sort()).toEqual(['4000', '6000']);
    expect((await stack.json('order-payment', `/payments/${paymentId}`)).body.status).toBe('REFUNDED');
    expect((await refund('e2e-refund-4', '1')).body).toMatchObject({ error: { code: 'PAYMENT_NOT_REFUNDABLE' } });

    await waitFor(async () => ((await stack.query('settlement', `SELECT 1 FROM ledger_transaction WHERE kind = 'refund' AND reference = ANY($1)`, [events.map((e) => `refund:${e.value.refundId}`)])).length === 2 ? true : undefined), 30_000, 'the refunds booked');
    expect((await stack.json('settlement', '/ledger/check')).body).toMatchObject({ balanced: true });
  });

  it('keeps a refund the channel rejects (..57) as failed with its reason, and the payment captured', async () => {
    const r57 = uniqueId('m-r57-');
    await onboard(r57);
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-refund-57', request('e2e-refund-57', r57, '2057'));
    const paymentId = (await outcome('e2e-refund-57')).value.paymentId;
    const asked = await stack.json('order-payment', `/payments/${paymentId}/refunds`, { json: { amountMinor: '1000' }, headers: { 'idempotency-key': 'e2e-refund-57' } });
    expect(asked.status).toBe(202);
    const failed = await waitFor(async () => {
      const list = (await stack.json('order-payment', `/payments/${paymentId}/refunds`)).body.refunds as { status: string; failure: { code: string } | null }[];
      return list[0]?.status === 'FAILED' ? list[0] : undefined;
    }, 30_000, 'the refund to fail');
    expect(failed.failure).toMatchObject({ code: 'CHANNEL_REFUND_FAILED' });
    expect((await stack.json('order-payment', `/payments/${paymentId}`)).body.status).toBe('SUCCEEDED');
    expect(collector.on(t(TOPICS.paymentRefunded), (m) => m.key === 'e2e-refund-57')).toHaveLength(0);
  });

  it('settles a charge whose answer never came (..52) by querying the channel', async () => {
    const merchantId = uniqueId('m-unknown-');
    await onboard(merchantId);
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-unknown', request('e2e-unknown', merchantId, '3052'));
    const ok = await outcome('e2e-unknown', 60_000);
    expect(ok.topic).toBe(t(TOPICS.paymentSucceeded));
    const completions = collector.on<{ outcome: string }>(t(TOPICS.channelChargeCompleted), (m) => m.key === ok.value.paymentId);
    expect(completions.map((m) => m.value.outcome)).toEqual(['unknown', 'succeeded']);
    const view = await stack.json('order-payment', `/payments/${ok.value.paymentId}`);
    expect((view.body.history as { to: string }[]).map((h) => h.to)).toEqual(['PENDING_RISK', 'AUTHORIZING', 'UNKNOWN', 'SUCCEEDED']);
    // the unknown outcome was not how it ended: a succeeded payment carries no failure
    expect(view.body).toHaveProperty('failure', null);
    await waitFor(() => collector.on(t(TOPICS.settlementCompleted), (m) => m.key === merchantId)[0], 30_000, 'its settlement');
  });

  it('pays over every channel in its own protocol and every asynchronous scenario, each once, with the books balanced', async () => {
    const merchantId = uniqueId('m-channels-');
    await onboard(merchantId);
    // a card token is the merchant's that tokenised the card
    const card = await stack.json<{ cardToken: string }>('channel-gateway', '/cards', { json: { number: '6225880137453008', expiry: '1229', cvv: '123' }, as: await stack.merchantKey(merchantId) });
    expect(card.status).toBe(201);
    const { cardToken } = card.body;
    const cases = [
      ['e2e-wechat', { channel: 'wechatpay' as const }, '2100', 'wechatpay', 'payment.succeeded'],
      ['e2e-card', { channel: 'unionpay' as const, cardToken }, '2200', 'unionpay', 'payment.succeeded'],
      ['e2e-card-declined', { cardToken }, '2251', 'unionpay', 'payment.failed'],
      ['e2e-54', { channel: 'alipay' as const }, '2354', 'alipay', 'payment.succeeded'],
      ['e2e-55', { channel: 'wechatpay' as const }, '2455', 'wechatpay', 'payment.succeeded'],
      ['e2e-56', { channel: 'alipay' as const }, '2556', 'alipay', 'payment.succeeded'],
    ] as const;
    for (const [orderId, extra, amount] of cases) await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, { ...request(orderId, merchantId, amount), ...extra });
    for (const [orderId, , amount, channel, topic] of cases) {
      const result = await outcome(orderId, 60_000);
      expect(result.topic).toBe(t(`${topic}.v1`));
      expect(result.value).toMatchObject({ amountMinor: amount, channel });
    }
    await new Promise((res) => setTimeout(res, 2_000)); // late notifications and janitor passes change nothing
    for (const [orderId] of cases) expect(outcomesOf(orderId)).toHaveLength(1);
    const settled = cases.filter(([, , , , topic]) => topic === 'payment.succeeded').reduce((sum, [, , amount]) => sum + BigInt(amount), 0n);
    const due = await waitFor(
      () => {
        const gross = collector.on<{ grossMinor: string }>(t(TOPICS.settlementDue), (m) => m.key === merchantId).reduce((sum, m) => sum + BigInt(m.value.grossMinor), 0n);
        return gross === settled ? gross : undefined;
      },
      30_000,
      'settlement of every successful channel payment',
    );
    expect(due).toBe(settled);
    const cards = await stack.query<{ card_token: string }>('order-payment', `SELECT card_token FROM payment WHERE order_id IN ('e2e-card', 'e2e-card-declined')`);
    expect(cards.map((r) => r.card_token)).toEqual([cardToken, cardToken]);
    expect((await stack.json('settlement', '/ledger/check')).body).toMatchObject({ balanced: true });
  });

  it("fails a payment with another merchant's card token as with an unknown token (CARD_TOKEN_UNKNOWN), and charges nothing", async () => {
    const owner = uniqueId('m-card-owner-');
    const other = uniqueId('m-card-other-');
    await onboard(owner);
    await onboard(other);
    const card = await stack.json<{ cardToken: string }>('channel-gateway', '/cards', { json: { number: '6225880137453008', expiry: '1229', cvv: '123' }, as: await stack.merchantKey(owner) });
    expect(card.status).toBe(201);
    const { cardToken } = card.body;
    const charges = async () => (await stack.json<{ charges: { requests: number } }>('channel-emulator', '/sandbox/stats')).body.charges.requests;
    const before = await charges();
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-card-other', { ...request('e2e-card-other', other, '2300'), channel: 'unionpay', cardToken });
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-card-unknown', { ...request('e2e-card-unknown', other, '2300'), channel: 'unionpay', cardToken: `tok_${'0'.repeat(32)}` });
    const [othersToken, unknownToken] = [await outcome('e2e-card-other'), await outcome('e2e-card-unknown')];
    expect(othersToken.topic).toBe(t(TOPICS.paymentFailed));
    expect(othersToken.value).toMatchObject({ reason: { code: 'CARD_TOKEN_UNKNOWN' } });
    // the same reason as a token that does not exist: no oracle
    const reasonOf = (m: { value: object }) => (m.value as { reason?: unknown }).reason;
    expect(reasonOf(othersToken)).toEqual(reasonOf(unknownToken));
    expect(await charges()).toBe(before);
    // the owner pays with it
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-card-owner', { ...request('e2e-card-owner', owner, '2300'), channel: 'unionpay', cardToken });
    expect((await outcome('e2e-card-owner', 60_000)).topic).toBe(t(TOPICS.paymentSucceeded));
  });

  it('rejects the 11th payment of a card in a minute (RISK_VELOCITY) and a payment from a blocklisted device (RISK_BLOCKLISTED)', async () => {
    const merchantId = uniqueId('m-signals-');
    await onboard(merchantId);
    // a card of its own (UnionPay BIN, Luhn-valid), so no other spec's payments count on it
    const body = `62258801${String(Date.now()).slice(-7)}`;
    const number = [...'0123456789'].map((d) => `${body}${d}`).find(luhnValid)!;
    const card = await stack.json<{ cardToken: string }>('channel-gateway', '/cards', { json: { number, expiry: '1229', cvv: '123' }, as: await stack.merchantKey(merchantId) });
    expect(card.status).toBe(201);
    const { cardToken } = card.body;
    // the default rules allow 10 payments a minute on one card: of 11 sent at once exactly one is rejected, whichever risk decides last
    const orders = Array.from({ length: 11 }, (_, i) => `e2e-velocity-${i}`);
    for (const orderId of orders) {
      await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, { ...request(orderId, merchantId, '1000'), userId: 'shopper-card', channel: 'unionpay', cardToken, deviceId: 'e2e-phone-1', ipAddress: '203.0.113.9' });
    }
    const results = await Promise.all(orders.map((orderId) => outcome(orderId, 60_000)));
    const rejected = results.filter((r) => r.topic === t(TOPICS.paymentFailed));
    expect(results.filter((r) => r.topic === t(TOPICS.paymentSucceeded))).toHaveLength(10);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.value).toMatchObject({ reason: { code: 'RISK_VELOCITY', retryable: true } });
    const risked = await stack.query<{ card_token: string; device_id: string; ip: string; outcome: string }>('risk', `SELECT card_token, device_id, ip, outcome FROM risk_attempt WHERE card_token = $1`, [cardToken]);
    expect(risked).toHaveLength(11);
    expect(risked.filter((a) => a.outcome === 'declined')).toHaveLength(1);
    expect(risked.every((a) => a.device_id === 'e2e-phone-1' && a.ip === '203.0.113.9')).toBe(true);

    // a device blocklisted by a published rule set version is refused; the default is put back after
    const rules = async (method: 'GET' | 'PUT', payload?: unknown) => stack.json('risk', '/risk/rules', { method, json: payload, ...(method === 'PUT' ? { headers: { 'idempotency-key': `e2e-rules-${randomUUID()}` } } : {}) });
    const inForce = (await rules('GET')).body as { version: number; rules: unknown[] };
    const blocked = await rules('PUT', {
      expectedVersion: inForce.version,
      reason: 'a stolen phone',
      rules: [...inForce.rules, { kind: 'blocklist', id: 'blocked-devices', enabled: true, action: 'reject', score: 999, field: 'deviceId', values: ['e2e-stolen-phone'] }],
    });
    expect(blocked.status).toBe(200);
    try {
      await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-stolen-phone', { ...request('e2e-stolen-phone', merchantId, '1200'), deviceId: 'e2e-stolen-phone' });
      const failed = await outcome('e2e-stolen-phone');
      expect(failed.topic).toBe(t(TOPICS.paymentFailed));
      expect(failed.value).toMatchObject({ reason: { code: 'RISK_BLOCKLISTED' } });
      const decided = collector.on(t(TOPICS.riskAssessmentDecided), (m) => m.key === (failed.value as { paymentId: string }).paymentId)[0];
      expect(decided?.value).toMatchObject({ decision: 'reject', reasons: [{ ruleId: 'blocked-devices' }] });
    } finally {
      const restored = await rules('PUT', { expectedVersion: inForce.version + 1, reason: 'back to what was in force', rules: inForce.rules });
      expect(restored.status).toBe(200);
    }
  });

  it('holds a payment far above the shopper\'s history for review: approved by a person it is charged, rejected it fails', async () => {
    const merchantId = uniqueId('m-review-');
    await onboard(merchantId);
    // the shopper's history is this merchant's shopper-1's (another merchant's shopper-1 is someone else):
    // three CNY 100 payments that went through (committed at risk); the two below are far above it
    const usual = ['e2e-review-usual-1', 'e2e-review-usual-2', 'e2e-review-usual-3'];
    for (const orderId of usual) await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, request(orderId, merchantId, '10000'));
    for (const orderId of usual) expect((await outcome(orderId, 60_000)).topic).toBe(t(TOPICS.paymentSucceeded));
    await waitFor(async () => {
      const [row] = await stack.query<{ n: number }>('risk', `SELECT count(*)::int AS n FROM limit_reservation WHERE merchant_id = $1 AND user_id = 'shopper-1' AND status = 'COMMITTED'`, [merchantId]);
      return row!.n === usual.length ? true : undefined;
    }, 30_000, 'a history of committed payments at the merchant');
    for (const orderId of ['e2e-review-ok', 'e2e-review-no']) await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, request(orderId, merchantId, '2000000'));
    const held = async (orderId: string) =>
      waitFor(async () => {
        const view = await stack.json('order-payment', `/payments?orderId=${orderId}&merchantId=${merchantId}`);
        return view.body.status === 'IN_REVIEW' ? (view.body.paymentId as string) : undefined;
      }, 30_000, `${orderId} held for review`);
    const [ok, no] = [await held('e2e-review-ok'), await held('e2e-review-no')];
    const reviews = await stack.json('risk', '/risk/reviews');
    expect((reviews.body.reviews as { paymentId: string }[]).map((r) => r.paymentId)).toEqual(expect.arrayContaining([ok, no]));
    const verdict = (paymentId: string, action: string) =>
      stack.json('risk', `/risk/reviews/${paymentId}/${action}`, { json: { note: 'checked with the shopper' }, headers: { 'idempotency-key': `e2e-review-${paymentId}` } });
    expect((await verdict(ok, 'approve')).status).toBe(200);
    expect((await verdict(no, 'reject')).status).toBe(200);
    expect((await outcome('e2e-review-ok')).topic).toBe(t(TOPICS.paymentSucceeded));
    const failed = await outcome('e2e-review-no');
    expect(failed.topic).toBe(t(TOPICS.paymentFailed));
    expect(failed.value).toMatchObject({ reason: { code: 'RISK_REVIEW_REJECTED' } });
    const view = await stack.json('order-payment', `/payments/${ok}`);
    // (on a busy box the charge may outlast the 1 s timeout: UNKNOWN, then the query settles it)
    expect((view.body.history as { to: string }[]).map((h) => h.to).filter((to) => to !== 'UNKNOWN')).toEqual(['PENDING_RISK', 'IN_REVIEW', 'AUTHORIZING', 'SUCCEEDED']);
  });

  it('dead-letters a malformed event with its reason and keeps the flow going', async () => {
    await upstream.send(t(TOPICS.paymentRequested), 'e2e-bad', '{"orderId": "e2e-bad", "amountMinor": 12.5', {
      ce_id: uniqueId('bad'),
      ce_type: TOPICS.paymentRequested,
      ce_source: '/e2e',
      ce_specversion: '1.0',
    });
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-bad-schema', { ...request('e2e-bad-schema', 'm-x', '100'), amountMinor: 100 });
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-after-bad', request('e2e-after-bad', 'm-after', '100'));
    await outcome('e2e-after-bad');
    const dlq = await waitFor(() => {
      const m = collector.on(t(`${TOPICS.paymentRequested}.dlq`), (x) => x.key === 'e2e-bad' || x.key === 'e2e-bad-schema');
      return m.length === 2 ? m : undefined;
    }, 30_000, 'two dead letters');
    expect(dlq.map((m) => m.headers[DLQ_HEADERS.reason])).toEqual([expect.stringContaining('JSON'), expect.stringContaining('amountMinor')]);
    expect(dlq.every((m) => m.headers[DLQ_HEADERS.consumer] === 'paystream.order-payment' && m.headers[DLQ_HEADERS.at])).toBe(true);
    expect(await stack.query('order-payment', `SELECT 1 FROM payment WHERE order_id IN ('e2e-bad', 'e2e-bad-schema')`)).toHaveLength(0);
  });

  it('shows the stack on the ops app, and a group stalled while its only consumer is dead', async () => {
    type Group = { group: string; lagTotal: number; members: number; stalled: boolean; stallReason?: string };
    type Status = { services: { service: string; up: boolean }[]; groups: Group[]; dlq: { topic: string; messages: number }[] };
    const status = async () => (await stack.json('ops', '/status.json')).body as unknown as Status;
    const group = (s: Status, name: string) => s.groups.find((g) => g.group === name);
    const opsMetric = async (name: string, group: string) => {
      const text = await (await fetch(`${stack.url('ops')}/metrics`, { headers: { authorization: authorizationFor(stack.monitoring, 'GET', '/metrics') } })).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`group="${group}"`));
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    const groups = ['paystream.order-payment', 'paystream.risk', 'paystream.channel-gateway', 'paystream.settlement'];
    const healthy = await waitFor(async () => {
      const s = await status();
      return s.services.every((x) => x.up) && groups.every((g) => group(s, g)?.members) ? s : undefined;
    }, 30_000, 'ops to see every service up and every group with a member');
    expect(healthy.services.map((x) => x.service)).toEqual(['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant']);
    expect(groups.map((g) => group(healthy, g)!.stalled)).toEqual([false, false, false, false]);
    const dlqTopic = `${TOPICS.paymentRequested}.dlq`;
    // ops reads the cluster every second: wait for the reading after the last dead letter
    const deadLetters = collector.on(t(dlqTopic)).length;
    await waitFor(async () => ((await status()).dlq.find((d) => d.topic === dlqTopic)?.messages ?? 0) === deadLetters ? true : undefined, 10_000, `ops to count ${deadLetters} dead letters`);

    // settlement dies; a payment succeeds anyway, and its payment.succeeded waits for nobody
    const merchantId = uniqueId('m-ops-');
    await onboard(merchantId);
    await stack.kill('settlement');
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'e2e-ops', request('e2e-ops', merchantId, '4321'));
    expect((await outcome('e2e-ops')).topic).toBe(t(TOPICS.paymentSucceeded));
    // the dead member leaves the group after the session timeout (10 s)
    const stalled = await waitFor(async () => {
      const g = group(await status(), 'paystream.settlement');
      return g && g.members === 0 && g.lagTotal > 0 && g.stalled ? g : undefined;
    }, 40_000, 'ops to call the settlement group stalled');
    expect(stalled.stallReason).toBe('no-members');
    expect(await opsMetric(OPS_METRIC_NAMES.consumerGroupStalled, 'paystream.settlement')).toBe(1);
    expect(await opsMetric(OPS_METRIC_NAMES.consumerGroupMembers, 'paystream.settlement')).toBe(0);
    expect((await status()).services.find((x) => x.service === 'settlement')?.up).toBe(false);

    await stack.restart('settlement');
    await waitFor(() => collector.on(t(TOPICS.settlementCompleted), (m) => m.key === merchantId)[0], 60_000, 'the settlement after the restart');
    await waitFor(async () => {
      const g = group(await status(), 'paystream.settlement');
      return g && g.members > 0 && g.lagTotal === 0 && !g.stalled ? true : undefined;
    }, 30_000, 'the settlement group to recover');
  });

  it('loses nothing and duplicates nothing when services are SIGKILLed mid-stream', async () => {
    const merchantId = uniqueId('m-crash-');
    await onboard(merchantId);
    const orders = Array.from({ length: 40 }, (_, i) => ({ orderId: `e2e-crash-${i}`, amountMinor: i % 10 === 3 ? '2051' : String(1000 + i) }));
    const declined = orders.filter((o) => o.amountMinor.endsWith('51')).length;
    const sending = (async () => {
      for (const o of orders) {
        await upstream.sendEvent(t(TOPICS.paymentRequested), o.orderId, request(o.orderId, merchantId, o.amountMinor));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor(() => (orders.filter((o) => outcomesOf(o.orderId).length > 0).length >= 8 ? true : undefined), 30_000, 'the stream to flow');
    await Promise.all([stack.kill('order-payment'), stack.kill('settlement'), stack.kill('channel-gateway')]);
    await new Promise((r) => setTimeout(r, 1_000));
    await sending;
    await Promise.all([stack.restart('order-payment'), stack.restart('settlement'), stack.restart('channel-gateway')]);

    await waitFor(() => (orders.every((o) => outcomesOf(o.orderId).length > 0) ? true : undefined), 90_000, 'every outcome after the restart');
    const succeeded = orders.length - declined;
    await waitFor(
      () => (new Set(collector.on<{ settlementId: string }>(t(TOPICS.settlementCompleted), (m) => m.key === merchantId).map((m) => m.value.settlementId)).size === succeeded ? true : undefined),
      60_000,
      'every settlement paid out',
    );
    await new Promise((r) => setTimeout(r, 1_500)); // room for any duplicate to show up

    // one payment per order, one outcome per payment (a redelivered event keeps its ce_id)
    const payments = await stack.query<{ id: string; order_id: string; status: string }>('order-payment', `SELECT id, order_id, status FROM payment WHERE order_id LIKE 'e2e-crash-%'`);
    expect(payments).toHaveLength(orders.length);
    expect(payments.filter((p) => p.status === 'SUCCEEDED')).toHaveLength(succeeded);
    for (const o of orders) {
      const events = outcomesOf(o.orderId);
      expect(new Set(events.map((m) => m.headers.ce_id)).size).toBe(1);
      expect(new Set(events.map((m) => m.value.paymentId)).size).toBe(1);
    }
    // one channel transaction per payment, one charge at the channel per success
    const ids = payments.map((p) => p.id);
    const tx = await stack.query<{ status: string; n: number }>('channel-gateway', `SELECT status, count(*)::int AS n FROM channel_transaction WHERE payment_id = ANY($1::uuid[]) GROUP BY status ORDER BY status`, [ids]);
    expect(Object.fromEntries(tx.map((r) => [r.status, r.n]))).toEqual({ FAILED: declined, SUCCEEDED: succeeded });
    // the ledger books each success once, and still balances
    const booked = await stack.query<{ n: number }>('settlement', `SELECT count(*)::int AS n FROM ledger_transaction WHERE reference = ANY($1)`, [ids.map((id) => `payment:${id}`)]);
    expect(booked[0]!.n).toBe(succeeded);
    const dues = collector.on<{ settlementId: string }>(t(TOPICS.settlementDue), (m) => m.key === merchantId);
    expect(new Set(dues.map((m) => m.headers.ce_id)).size).toBe(succeeded);
    expect((await stack.json('settlement', '/ledger/check')).body).toMatchObject({ balanced: true });
    // its waits (the stream 30 s, the outcomes after the restart 90 s, the payouts 60 s) need more than the default 60 s on a loaded machine
  }, 240_000);
});
