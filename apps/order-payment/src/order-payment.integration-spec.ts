import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DLQ_HEADERS, TOPICS, type MerchantSnapshot, type PaymentRequested } from '@paystream/contracts';
import { loadPlatformConfig, Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, type TestCredentials, RawProducer, testDatabaseUrl, testMerchantSnapshot, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { AppModule } from './app.module';

describe('order-payment on the real broker and database', () => {
  const prefix = uniqueTopicPrefix('op');
  const schema = uniqueId('op_');
  const t = (topic: string) => `${prefix}${topic}`;
  let app: NestFastifyApplication;
  let upstream: RawProducer;
  let collector: TopicCollector;
  let creds: TestCredentials;

  const request = (orderId: string, amountMinor = '1999'): PaymentRequested => ({
    orderId,
    merchantId: 'm-1',
    userId: 'u-1',
    amountMinor,
    currency: 'CNY',
    subject: 'integration',
    requestedAt: new Date().toISOString(),
  });
  const riskRequestFor = (orderId: string) =>
    waitFor(() => collector.on<{ paymentId: string; orderId: string }>(t(TOPICS.riskAssessmentRequested), (m) => m.value.orderId === orderId)[0], 20_000, `risk request for ${orderId}`);
  const decide = (paymentId: string, orderId: string, decision: 'approve' | 'reject' | 'review') =>
    upstream.sendEvent(t(TOPICS.riskAssessmentDecided), paymentId, {
      paymentId,
      orderId,
      decision,
      score: decision === 'approve' ? 0 : 1000,
      reasons: [],
      ...(decision === 'reject' ? { rejectReason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED', message: 'over the limit', retryable: false } } : {}),
      decidedAt: new Date().toISOString(),
    });
  const complete = (paymentId: string, orderId: string, outcome: 'succeeded' | 'failed', opts: { id?: string } = {}) =>
    upstream.sendEvent(
      t(TOPICS.channelChargeCompleted),
      paymentId,
      {
        paymentId,
        orderId,
        channel: 'alipay',
        outcome,
        ...(outcome === 'succeeded'
          ? { channelTradeNo: `T${orderId}` }
          : { failure: { code: 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS', message: 'declined', retryable: false } }),
        completedAt: new Date().toISOString(),
      },
      opts,
    );
  const registerMerchant = async (snapshot: MerchantSnapshot, topic: string = TOPICS.merchantRegistered) => {
    await upstream.sendEvent(t(topic), snapshot.merchantId, snapshot);
    await waitFor(async () => ((await get(`/merchants/${snapshot.merchantId}`)).body.version >= snapshot.version ? true : undefined), 20_000, `${snapshot.merchantId} v${snapshot.version} copied`);
  };
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, body: r.json() };
  };
  /** A refund of m-1's payment, signed by m-1 (a merchant refunds only its own payments). */
  const refundAsM1 = async (paymentId: string, body: unknown, key?: string) => {
    const payload = JSON.stringify(body);
    const url = `/payments/${paymentId}/refunds`;
    const headers = { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}), ...creds.headers(await creds.merchant('m-1'), 'POST', url, payload) };
    return app.inject({ method: 'POST', url, payload, headers });
  };
  /** The payment of a merchant's order, as an operator reads it (order ids are per merchant: the operator names it). */
  const byOrder = (orderId: string, merchantId = 'm-1') => get(`/payments?orderId=${orderId}&merchantId=${merchantId}`);
  const post = async (body: unknown, key?: string) => {
    const r = await app.inject({ method: 'POST', url: '/payments', payload: body as object, headers: key ? { 'idempotency-key': key } : {} });
    return { status: r.statusCode, body: r.json(), headers: r.headers };
  };

  beforeAll(async () => {
    const config = loadPlatformConfig('order-payment', await testServiceEnv('ORDER_PAYMENT', { schema, topicPrefix: prefix }));
    app = await startInProcessApp(AppModule.forRoot(config));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    upstream = await new RawProducer().start();
    // the merchant service onboarded m-1; its payments wait until order-payment's copy has it
    await registerMerchant(testMerchantSnapshot('m-1'));
    collector = await new TopicCollector(
      [TOPICS.riskAssessmentRequested, TOPICS.channelChargeRequested, TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.paymentRefunded, `${TOPICS.paymentRequested}.dlq`, `${TOPICS.channelRefundCompleted}.dlq`, `${TOPICS.riskAssessmentDecided}.dlq`, `${TOPICS.channelChargeCompleted}.dlq`].map(t),
    ).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('drives a requested payment through risk and the channel to payment.succeeded', async () => {
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-happy', request('o-happy'));
    const risk = await riskRequestFor('o-happy');
    expect(risk.key).toBe(risk.value.paymentId);
    await decide(risk.value.paymentId, 'o-happy', 'approve');
    const charge = await waitFor(() => collector.on(t(TOPICS.channelChargeRequested), (m) => m.key === risk.value.paymentId)[0], 20_000, 'charge request');
    expect(charge.value).toMatchObject({ amountMinor: '1999', currency: 'CNY', orderId: 'o-happy' });
    await complete(risk.value.paymentId, 'o-happy', 'succeeded');
    const ok = await waitFor(() => collector.on(t(TOPICS.paymentSucceeded), (m) => m.key === 'o-happy')[0], 20_000, 'payment.succeeded');
    expect(ok.value).toMatchObject({ paymentId: risk.value.paymentId, amountMinor: '1999', channel: 'alipay', channelTradeNo: 'To-happy' });
    expect(ok.headers.ce_type).toBe(TOPICS.paymentSucceeded);

    const byId = await get(`/payments/${risk.value.paymentId}`);
    expect(byId.status).toBe(200);
    expect(byId.body.status).toBe('SUCCEEDED');
    expect(byId.body.history.map((h: { to: string }) => h.to)).toEqual(['PENDING_RISK', 'AUTHORIZING', 'SUCCEEDED']);
    expect((await byOrder('o-happy')).body.paymentId).toBe(risk.value.paymentId);
  });

  it('keeps one payment per order: a repeat request re-emits the same outcome and charges nothing new', async () => {
    const { value } = await riskRequestFor('o-happy');
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-happy', request('o-happy'));
    await waitFor(() => (collector.on(t(TOPICS.paymentSucceeded), (m) => m.key === 'o-happy').length === 2 ? true : undefined), 20_000, 're-emitted success');
    const successes = collector.on<{ paymentId: string }>(t(TOPICS.paymentSucceeded), (m) => m.key === 'o-happy');
    expect(new Set(successes.map((m) => m.value.paymentId))).toEqual(new Set([value.paymentId]));
    expect(collector.on(t(TOPICS.riskAssessmentRequested), (m) => (m.value as { orderId: string }).orderId === 'o-happy')).toHaveLength(1);
    expect(collector.on(t(TOPICS.channelChargeRequested), (m) => m.key === value.paymentId)).toHaveLength(1);
  });

  it('applies a redelivered charge result (same ce_id) once', async () => {
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-redeliver', request('o-redeliver'));
    const { value } = await riskRequestFor('o-redeliver');
    await decide(value.paymentId, 'o-redeliver', 'approve');
    const id = await complete(value.paymentId, 'o-redeliver', 'succeeded');
    await complete(value.paymentId, 'o-redeliver', 'succeeded', { id });
    await complete(value.paymentId, 'o-redeliver', 'failed'); // a contradicting late result is never applied
    await waitFor(() => collector.on(t(TOPICS.paymentSucceeded), (m) => m.key === 'o-redeliver')[0], 20_000, 'success');
    await waitFor(async () => {
      const m = await app.get(Platform, { strict: false }).registry.getSingleMetric('paystream_payment_outcome_conflicts_total')?.get();
      return (m?.values[0]?.value ?? 0) >= 1 ? true : undefined;
    }, 20_000, 'the conflict to be counted');
    expect(collector.on(t(TOPICS.paymentSucceeded), (m) => m.key === 'o-redeliver')).toHaveLength(1);
    expect(collector.on(t(TOPICS.paymentFailed), (m) => m.key === 'o-redeliver')).toHaveLength(0);
    expect((await get(`/payments/${value.paymentId}`)).body.status).toBe('SUCCEEDED');
  });

  it('emits payment.failed with the reject reason when risk rejects', async () => {
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-reject', request('o-reject', '9000000'));
    const { value } = await riskRequestFor('o-reject');
    await decide(value.paymentId, 'o-reject', 'reject');
    const failed = await waitFor(() => collector.on(t(TOPICS.paymentFailed), (m) => m.key === 'o-reject')[0], 20_000, 'payment.failed');
    expect(failed.value).toMatchObject({ paymentId: value.paymentId, reason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED', retryable: false } });
    expect(collector.on(t(TOPICS.channelChargeRequested), (m) => m.key === value.paymentId)).toHaveLength(0);
  });

  it('dead-letters a request for an order already paid on different terms, and keeps going', async () => {
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-happy', request('o-happy', '2000'));
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-after-conflict', request('o-after-conflict'));
    await riskRequestFor('o-after-conflict');
    const dlq = await waitFor(() => collector.on(t(`${TOPICS.paymentRequested}.dlq`), (m) => m.key === 'o-happy')[0], 20_000, 'dead letter');
    expect(dlq.headers[DLQ_HEADERS.reason]).toContain('ORDER_ALREADY_PAID_DIFFERENTLY');
    expect((await byOrder('o-happy')).body.amountMinor).toBe('1999');
  });

  describe('POST /payments', () => {
    const body = { orderId: 'o-api', merchantId: 'm-1', userId: 'u-9', amountMinor: '4200', currency: 'CNY', subject: 'api' };

    it('creates once per Idempotency-Key and replays the same answer', async () => {
      const first = await post(body, 'key-1');
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ orderId: 'o-api', status: 'PENDING_RISK', amountMinor: '4200' });
      const again = await post({ ...body }, 'key-1');
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.paymentId).toBe(first.body.paymentId);
      const otherKey = await post(body, 'key-2');
      expect(otherKey.status).toBe(200);
      expect(otherKey.body.paymentId).toBe(first.body.paymentId);
      await riskRequestFor('o-api');
      expect(collector.on(t(TOPICS.riskAssessmentRequested), (m) => (m.value as { orderId: string }).orderId === 'o-api')).toHaveLength(1);
    });

    it('carries the shopper signals (card token, device, IP) to risk, and shows them on the payment to risk only', async () => {
      const signals = { cardToken: `tok_${'b'.repeat(32)}`, deviceId: 'dev-7f3a9c', ipAddress: '2001:db8::7' };
      const created = await post({ ...body, orderId: 'o-signals', ...signals }, 'key-signals');
      expect(created.status).toBe(201);
      // the merchant is answered with them masked (libs/order-payment/feature-payments/src/tenant-scoping.integration-spec.ts)
      expect(created.body).toMatchObject({ cardToken: `tok_${'*'.repeat(28)}bbbb` });
      expect(created.body).not.toHaveProperty('deviceId');
      // an operator with the risk role (the default test operator has every role) reads them in the clear
      expect((await get(`/payments/${created.body.paymentId}`)).body).toMatchObject(signals);
      const risk = await riskRequestFor('o-signals');
      expect(risk.value).toMatchObject({ paymentId: created.body.paymentId, ...signals });
      // without signals the request carries none (the fields are optional, old producers keep working)
      expect((await riskRequestFor('o-api')).value).not.toHaveProperty('deviceId');
      expect((await riskRequestFor('o-api')).value).not.toHaveProperty('ipAddress');
    });

    it.each([
      ['no key', body, undefined, 400, 'IDEMPOTENCY_KEY_MISSING'],
      ['a device id with spaces', { ...body, orderId: 'o-dev', deviceId: 'my phone' }, 'key-7', 400, 'VALIDATION_FAILED'],
      ['an IP address that is not one', { ...body, orderId: 'o-ip', ipAddress: '300.1.2.3' }, 'key-8', 400, 'VALIDATION_FAILED'],
      ['a key reused for another request', { ...body, subject: 'other' }, 'key-1', 422, 'IDEMPOTENCY_KEY_REUSED'],
      ['the same order on other terms', { ...body, amountMinor: '4300' }, 'key-3', 409, 'ORDER_ALREADY_PAID_DIFFERENTLY'],
      ['a fractional amount', { ...body, orderId: 'o-frac', amountMinor: '42.00' }, 'key-4', 400, 'VALIDATION_FAILED'],
      ['an unknown field', { ...body, orderId: 'o-extra', cvv: '123' }, 'key-5', 400, 'VALIDATION_FAILED'],
      ['a zero amount', { ...body, orderId: 'o-zero', amountMinor: '0' }, 'key-6', 400, 'VALIDATION_FAILED'],
    ])('rejects %s with a stable code and changes nothing', async (_label, payload, key, status, code) => {
      const before = (await get('/payments/stats')).body.total;
      const r = await post(payload, key);
      expect(r.status).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.supportRef).toBeTruthy();
      expect((await get('/payments/stats')).body.total).toBe(before);
    });

    it.each([
      ['a NUL', 'a\u0000b'],
      ['a lone surrogate', 'a\ud800b'],
    ])('refuses a subject with %s (text Postgres cannot store) with 400 VALIDATION_FAILED naming the field, and changes nothing', async (_label, subject) => {
      const before = (await get('/payments/stats')).body.total;
      const r = await post({ ...body, orderId: 'o-unstorable', subject }, 'key-unstorable');
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(r.body.error.detail).toContain('subject');
      expect((await get('/payments/stats')).body.total).toBe(before);
      expect((await byOrder('o-unstorable')).status).toBe(404);
    });

    it('answers unknown payments and bad ids with 404 and 400', async () => {
      expect((await get('/payments/7a1c1f59-4d8e-4a4e-9d59-8d5d0f0a3b11')).status).toBe(404);
      expect((await get('/payments/not-a-uuid')).body.error.code).toBe('VALIDATION_FAILED');
      expect((await byOrder('nope')).body.error.code).toBe('PAYMENT_NOT_FOUND');
    });
  });

  it('dead-letters a payment.requested whose subject Postgres cannot store on the first attempt, as a schema violation', async () => {
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-nul-event', { ...request('o-nul-event'), subject: 'a\u0000b' });
    const dead = await waitFor(() => collector.on(t(`${TOPICS.paymentRequested}.dlq`), (m) => m.key === 'o-nul-event')[0], 20_000, 'the unstorable request dead-lettered');
    // a schema violation at decode, not "handler failed 5 times" after retries
    expect(dead.headers[DLQ_HEADERS.reason]).toMatch(/^schema violation on payment\.requested\.v1: subject: must not contain NUL/);
    expect((await byOrder('o-nul-event')).status).toBe(404);
    // the same for a stored envelope header
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-nul-source', request('o-nul-source'), { source: '/orders\u0000x' });
    const deadSource = await waitFor(() => collector.on(t(`${TOPICS.paymentRequested}.dlq`), (m) => m.key === 'o-nul-source')[0], 20_000, 'the unstorable ce_source dead-lettered');
    expect(deadSource.headers[DLQ_HEADERS.reason]).toMatch(/^ce_source must not contain NUL/);
  });

  it('refuses refunds it cannot make with stable codes and changes nothing', async () => {
    const pending = (await post({ orderId: 'o-not-captured', merchantId: 'm-1', userId: 'u-1', amountMinor: '500', currency: 'CNY', subject: 's' }, 'key-nc')).body;
    const refund = async (paymentId: string, body: unknown, key?: string) => {
      const r = await refundAsM1(paymentId, body, key);
      return { status: r.statusCode, code: r.json().error?.code };
    };
    expect(await refund(pending.paymentId, { amountMinor: '100' }, 'rk-1')).toEqual({ status: 409, code: 'PAYMENT_NOT_REFUNDABLE' });
    expect(await refund(pending.paymentId, { amountMinor: '100' })).toEqual({ status: 400, code: 'IDEMPOTENCY_KEY_MISSING' });
    expect(await refund(pending.paymentId, { amountMinor: '1.00' }, 'rk-2')).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await refund('7a1c1f59-4d8e-4a4e-9d59-8d5d0f0a3b11', { amountMinor: '100' }, 'rk-3')).toEqual({ status: 404, code: 'PAYMENT_NOT_FOUND' });
    const listed = await app.inject({ method: 'GET', url: `/payments/${pending.paymentId}/refunds` });
    expect(listed.json()).toEqual({ paymentId: pending.paymentId, refunds: [] });
  });

  it('dead-letters a refund result naming another payment than its refund\'s and moves neither payment', async () => {
    const captured = async (orderId: string) => {
      await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, request(orderId, '1000'));
      const { value } = await riskRequestFor(orderId);
      await decide(value.paymentId, orderId, 'approve');
      await complete(value.paymentId, orderId, 'succeeded');
      await waitFor(() => collector.on(t(TOPICS.paymentSucceeded), (m) => m.key === orderId)[0], 20_000, `success of ${orderId}`);
      return value.paymentId;
    };
    const [a, b] = [await captured('o-refund-a'), await captured('o-refund-b')];
    const asked = await refundAsM1(a, { amountMinor: '400' }, 'rk-mismatch');
    expect(asked.statusCode).toBe(202);
    const refundId = asked.json().refundId as string;
    const result = (paymentId: string, orderId: string) =>
      upstream.sendEvent(t(TOPICS.channelRefundCompleted), paymentId, { refundId, paymentId, orderId, outcome: 'succeeded', channelRefundNo: 'R1', completedAt: new Date().toISOString() });
    await result(b, 'o-refund-b');
    const dead = await waitFor(() => collector.on(t(`${TOPICS.channelRefundCompleted}.dlq`), (m) => m.key === b)[0], 20_000, 'the mismatched result dead-lettered');
    expect(dead.headers[DLQ_HEADERS.reason]).toContain(`not a refund of payment ${b}`);
    expect((await get(`/payments/${b}`)).body.status).toBe('SUCCEEDED');
    expect((await get(`/payments/${a}/refunds`)).body.refunds).toMatchObject([{ refundId, status: 'REQUESTED' }]);
    // the right result completes it, for the payment it belongs to
    await result(a, 'o-refund-a');
    const done = await waitFor(() => collector.on<{ paymentId: string; amountMinor: string }>(t(TOPICS.paymentRefunded), (m) => m.value.paymentId === a)[0], 20_000, 'payment.refunded of a');
    expect(done.value.amountMinor).toBe('400');
    expect((await get(`/payments/${a}`)).body.status).toBe('PARTIALLY_REFUNDED');
    expect(collector.on(t(TOPICS.paymentRefunded), (m) => (m.value as { paymentId: string }).paymentId === b)).toEqual([]);
  });

  it('dead-letters a risk decision and a charge result naming another order than the payment\'s, and moves nothing', async () => {
    await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-own', request('o-own'));
    const { value } = await riskRequestFor('o-own');
    await decide(value.paymentId, 'o-stranger', 'approve');
    const deadDecision = await waitFor(() => collector.on(t(`${TOPICS.riskAssessmentDecided}.dlq`), (m) => m.key === value.paymentId)[0], 20_000, 'the mismatched decision dead-lettered');
    expect(deadDecision.headers[DLQ_HEADERS.reason]).toContain(`names order o-stranger, but payment ${value.paymentId} is for order o-own`);
    expect((await get(`/payments/${value.paymentId}`)).body.status).toBe('PENDING_RISK');
    expect(collector.on(t(TOPICS.channelChargeRequested), (m) => m.key === value.paymentId)).toEqual([]);

    await decide(value.paymentId, 'o-own', 'approve');
    await waitFor(() => collector.on(t(TOPICS.channelChargeRequested), (m) => m.key === value.paymentId)[0], 20_000, 'charge request');
    await complete(value.paymentId, 'o-stranger', 'succeeded');
    const deadResult = await waitFor(() => collector.on(t(`${TOPICS.channelChargeCompleted}.dlq`), (m) => m.key === value.paymentId)[0], 20_000, 'the mismatched charge result dead-lettered');
    expect(deadResult.headers[DLQ_HEADERS.reason]).toContain(`names order o-stranger, but payment ${value.paymentId} is for order o-own`);
    const held = (await get(`/payments/${value.paymentId}`)).body;
    expect(held.status).toBe('AUTHORIZING');
    expect(held.channelTradeNo ?? null).toBeNull();
    expect(collector.on(t(TOPICS.paymentSucceeded), (m) => m.key === 'o-own' || m.key === 'o-stranger')).toEqual([]);

    // the result for the right order still lands
    await complete(value.paymentId, 'o-own', 'succeeded');
    const ok = await waitFor(() => collector.on(t(TOPICS.paymentSucceeded), (m) => m.key === 'o-own')[0], 20_000, 'payment.succeeded');
    expect(ok.value).toMatchObject({ paymentId: value.paymentId, channelTradeNo: 'To-own' });
  });

  it('answers one Idempotency-Key used at once for refunds of two payments with IDEMPOTENCY_KEY_REUSED for the loser, not a 500', async () => {
    const a = (await byOrder('o-refund-a')).body.paymentId as string;
    const b = (await byOrder('o-refund-b')).body.paymentId as string;
    for (let round = 0; round < 5; round++) {
      const key = `rk-race-${round}`;
      const answers = await Promise.all(
        [a, b].map((paymentId) => refundAsM1(paymentId, { amountMinor: '1' }, key)),
      );
      expect(answers.map((r) => r.statusCode).sort()).toEqual([202, 422]);
      expect(answers.find((r) => r.statusCode === 422)!.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    }
  });

  describe('merchants are registered, not assumed', () => {
    const failedFor = (orderId: string) =>
      waitFor(() => collector.on<{ paymentId: string; merchantId: string; reason: { code: string } }>(t(TOPICS.paymentFailed), (m) => m.key === orderId)[0], 20_000, `payment.failed for ${orderId}`);
    const body = (orderId: string, merchantId: string) => ({ orderId, merchantId, userId: 'u-1', amountMinor: '1000', currency: 'CNY', subject: 's' });

    beforeAll(async () => {
      await registerMerchant(testMerchantSnapshot('m-suspended'));
      await registerMerchant(testMerchantSnapshot('m-suspended', { version: 2, status: 'suspended' }), TOPICS.merchantUpdated);
      await registerMerchant(testMerchantSnapshot('m-closed'));
      await registerMerchant(testMerchantSnapshot('m-closed', { version: 2, status: 'closed' }), TOPICS.merchantUpdated);
    });

    it.each([
      ['an unknown merchant', 'm-nobody', 422, 'MERCHANT_UNKNOWN'],
      ['a suspended merchant', 'm-suspended', 403, 'MERCHANT_SUSPENDED'],
      ['a closed merchant', 'm-closed', 403, 'MERCHANT_CLOSED'],
    ])('refuses a payment for %s over HTTP, records nothing, and never creates the merchant', async (_name, merchantId, status, code) => {
      const orderId = `o-http-${merchantId}`;
      const res = await post(body(orderId, merchantId), `key-${orderId}`);
      expect([res.status, res.body.error.code]).toEqual([status, code]);
      expect((await byOrder(orderId, merchantId)).status).toBe(404);
      if (merchantId === 'm-nobody') expect((await get('/merchants/m-nobody')).status).toBe(404);
    });

    it.each([
      ['an unknown merchant', 'm-nobody-k', 'MERCHANT_UNKNOWN'],
      ['a suspended merchant', 'm-suspended', 'MERCHANT_SUSPENDED'],
      ['a closed merchant', 'm-closed', 'MERCHANT_CLOSED'],
    ])('fails a payment.requested.v1 for %s with payment.failed.v1 and its code, asking risk nothing', async (_name, merchantId, code) => {
      const orderId = `o-kafka-${merchantId}`;
      await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, { ...request(orderId), merchantId });
      const failed = await failedFor(orderId);
      expect(failed.value).toMatchObject({ merchantId, reason: { code, retryable: false } });
      expect(collector.on(t(TOPICS.riskAssessmentRequested), (m) => (m.value as { orderId: string }).orderId === orderId)).toEqual([]);
      expect((await byOrder(orderId, merchantId)).status).toBe(404);
    });

    it('keeps the highest version: a late, older snapshot does not bring a suspended merchant back', async () => {
      await registerMerchant(testMerchantSnapshot('m-order'));
      await registerMerchant(testMerchantSnapshot('m-order', { version: 3, status: 'suspended' }), TOPICS.merchantUpdated);
      // version 2 (still active) arrives after version 3
      await upstream.sendEvent(t(TOPICS.merchantUpdated), 'm-order', testMerchantSnapshot('m-order', { version: 2 }));
      await registerMerchant(testMerchantSnapshot('m-order-marker'));
      expect((await get('/merchants/m-order')).body).toMatchObject({ version: 3, status: 'suspended', takesPayments: false });
      expect((await post(body('o-order-1', 'm-order'), 'key-o-order-1')).body.error.code).toBe('MERCHANT_SUSPENDED');
      // reactivated at version 4: payments are taken again
      await registerMerchant(testMerchantSnapshot('m-order', { version: 4 }), TOPICS.merchantUpdated);
      expect((await post(body('o-order-2', 'm-order'), 'key-o-order-2')).status).toBe(201);
    });

    it('answers an order that has its payment already as before, even once its merchant is suspended', async () => {
      await registerMerchant(testMerchantSnapshot('m-later'));
      expect((await post(body('o-later', 'm-later'), 'key-o-later')).status).toBe(201);
      await registerMerchant(testMerchantSnapshot('m-later', { version: 2, status: 'suspended' }), TOPICS.merchantUpdated);
      const again = await post(body('o-later', 'm-later'), 'key-o-later-2');
      expect(again.status).toBe(200);
    });
  });

  it('reports stats, health and metrics', async () => {
    const stats = (await get('/payments/stats')).body;
    expect(stats.succeeded).toBeGreaterThanOrEqual(2);
    expect(stats.rejected).toBe(1);
    expect(stats.pSuccess).toBeGreaterThan(0);
    expect(stats.outcomeLatencyMs.p50).not.toBeNull();
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body.checks).toMatchObject({ database: { ok: true }, kafka: { ok: true }, consumer: { ok: true } });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('paystream_p_success');
    expect(metrics.body).toContain('paystream_outbox_backlog');
  });
});
