import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS } from '@paystream/contracts';
import { ORDER_PAYMENT_MIGRATIONS } from '@paystream/order-payment/data-access';
import type { ClientCredential } from '@paystream/shared/auth';
import { loadPlatformConfig, Platform, PlatformModule, startInProcessApp } from '@paystream/shared/platform';
import {
  authenticateInjects,
  dropSchemas,
  RawProducer,
  testDatabaseUrl,
  testMerchantSnapshot,
  testServiceEnv,
  TopicCollector,
  uniqueId,
  uniqueTopicPrefix,
  waitFor,
  type TestCredentials,
} from '@paystream/shared/testing';
import { PaymentsModule } from './payments.module';

/**
 * Tenant isolation in order-payment (docs/design/trust-boundary.md section 6): a merchant acts only
 * on its own payments, its Idempotency-Keys and order ids are its own, and the shopper data it sees
 * (and the logs carry) is masked. The payment controllers on the real database and broker, each
 * request signed by the merchant (or bearing the operator token) it names.
 */
describe('order-payment tenant scoping', () => {
  const prefix = uniqueTopicPrefix('optenant');
  const schema = uniqueId('optenant_');
  const t = (topic: string) => `${prefix}${topic}`;
  let app: NestFastifyApplication;
  let platform: Platform;
  let creds: TestCredentials;
  let upstream: RawProducer;
  let collector: TopicCollector;
  let merchantA: ClientCredential;
  let merchantB: ClientCredential;
  let financeOperator: ClientCredential;
  let riskOperator: ClientCredential;

  /** One request as `who`, signed over exactly the body sent. */
  const call = async (who: ClientCredential, method: 'GET' | 'POST', url: string, json?: unknown, headers: Record<string, string> = {}) => {
    const payload = json === undefined ? undefined : JSON.stringify(json);
    const r = await app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload }),
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...creds.headers(who, method, url, payload ?? '') },
    });
    return { status: r.statusCode, body: r.json(), headers: r.headers };
  };
  const paymentBody = (merchantId: string, orderId: string, amountMinor = '1000', extra: Record<string, string> = {}) => ({
    orderId,
    merchantId,
    userId: 'user-000042',
    amountMinor,
    currency: 'CNY',
    subject: 'tenant scoping',
    ...extra,
  });
  const row = async (paymentId: string) =>
    ((await platform.ds.query(`SELECT status, version FROM payment WHERE id = $1`, [paymentId])) as { status: string; version: number }[])[0];
  /** Risk approves and the channel captures: the payment ends SUCCEEDED (refundable). */
  const capture = async (paymentId: string, orderId: string) => {
    await upstream.sendEvent(t(TOPICS.riskAssessmentDecided), paymentId, { paymentId, orderId, decision: 'approve', score: 0, reasons: [], decidedAt: new Date().toISOString() });
    await waitFor(async () => ((await row(paymentId))?.status === 'AUTHORIZING' ? true : undefined), 20_000, `${paymentId} authorizing`);
    await upstream.sendEvent(t(TOPICS.channelChargeCompleted), paymentId, {
      paymentId,
      orderId,
      channel: 'alipay',
      outcome: 'succeeded',
      channelTradeNo: `T${paymentId.slice(0, 8)}`,
      completedAt: new Date().toISOString(),
    });
    await waitFor(async () => ((await row(paymentId))?.status === 'SUCCEEDED' ? true : undefined), 20_000, `${paymentId} captured`);
  };
  const counts = async () =>
    (
      (await platform.ds.query(
        `SELECT (SELECT count(*)::int FROM payment) AS payments, (SELECT count(*)::int FROM refund) AS refunds,
                (SELECT count(*)::int FROM idempotency_key) AS keys, (SELECT count(*)::int FROM outbox_event) AS outbox`,
      )) as Record<string, number>[]
    )[0];
  /** An error answer without what differs per request: the support reference, and the id asked for in the detail. */
  const errorShape = (answer: { status: number; body: { error?: Record<string, unknown> } }, askedFor: string) => {
    const { supportRef: _supportRef, detail, ...error } = answer.body.error ?? {};
    return { status: answer.status, ...error, detail: typeof detail === 'string' ? detail.replaceAll(askedFor, '<asked>') : detail };
  };

  beforeAll(async () => {
    const config = loadPlatformConfig('order-payment', await testServiceEnv('ORDER_PAYMENT', { schema, topicPrefix: prefix }));
    app = await startInProcessApp({
      module: class OrderPaymentUnderTest {},
      imports: [
        PlatformModule.forRoot({
          config,
          migrations: ORDER_PAYMENT_MIGRATIONS,
          producesTopics: [TOPICS.riskAssessmentRequested, TOPICS.channelChargeRequested, TOPICS.channelRefundRequested, TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.paymentRefunded],
        }),
        PaymentsModule,
      ],
    });
    platform = app.get(Platform, { strict: false });
    creds = authenticateInjects(app, platform.ds);
    merchantA = await creds.merchant('m-a');
    merchantB = await creds.merchant('m-b');
    financeOperator = await creds.operator('op-finance', ['finance']);
    riskOperator = await creds.operator('op-risk', ['risk']);
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.riskAssessmentRequested, TOPICS.paymentFailed, `${TOPICS.paymentRequested}.dlq`].map(t)).start();
    for (const merchantId of ['m-a', 'm-b']) await upstream.sendEvent(t(TOPICS.merchantRegistered), merchantId, testMerchantSnapshot(merchantId));
    await waitFor(async () => ((await platform.ds.query(`SELECT count(*)::int AS n FROM merchant`)) as { n: number }[])[0]!.n === 2 || undefined, 20_000, 'both merchants copied');
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  describe("another merchant's payment answers exactly like a missing one, and nothing changes", () => {
    let paymentA: string;
    const orderA = 'o-private';

    beforeAll(async () => {
      const created = await call(merchantA, 'POST', '/payments', paymentBody('m-a', orderA, '5000'), { 'idempotency-key': 'k-private' });
      expect(created.status).toBe(201);
      paymentA = created.body.paymentId as string;
      await capture(paymentA, orderA);
    });

    it.each([
      ['GET /payments/:id', (id: string) => ['GET', `/payments/${id}`, undefined] as const],
      ['GET /payments/:id/refunds', (id: string) => ['GET', `/payments/${id}/refunds`, undefined] as const],
      ['POST /payments/:id/refunds', (id: string) => ['POST', `/payments/${id}/refunds`, { amountMinor: '100' }] as const],
    ])('%s', async (_route, request) => {
      const missing = randomUUID();
      const before = { counts: await counts(), row: await row(paymentA) };
      const [method, url, json] = request(paymentA);
      const theirs = await call(merchantB, method, url, json, { 'idempotency-key': 'k-probe' });
      const [, missingUrl, missingJson] = request(missing);
      const absent = await call(merchantB, method, missingUrl, missingJson, { 'idempotency-key': 'k-probe-missing' });
      expect(errorShape(theirs, paymentA)).toEqual(errorShape(absent, missing));
      expect(errorShape(theirs, paymentA)).toMatchObject({ status: 404, code: 'PAYMENT_NOT_FOUND', detail: 'no payment <asked>' });
      expect({ counts: await counts(), row: await row(paymentA) }).toEqual(before);
      // the owner still sees its payment as it was, without a refund
      expect((await call(merchantA, 'GET', `/payments/${paymentA}/refunds`)).body).toEqual({ paymentId: paymentA, refunds: [] });
    });

    it('GET /payments?orderId= (naming itself, the other merchant, or no merchant)', async () => {
      const before = await counts();
      for (const query of [`orderId=${orderA}`, `orderId=${orderA}&merchantId=m-a`, `orderId=${orderA}&merchantId=m-b`]) {
        const theirs = await call(merchantB, 'GET', `/payments?${query}`);
        const absent = await call(merchantB, 'GET', `/payments?${query.replace(orderA, 'o-never')}`);
        expect(errorShape(theirs, orderA)).toEqual(errorShape(absent, 'o-never'));
        expect(errorShape(theirs, orderA)).toMatchObject({ status: 404, code: 'PAYMENT_NOT_FOUND', detail: 'no payment for order <asked>' });
      }
      expect(await counts()).toEqual(before);
      expect((await call(merchantA, 'GET', `/payments?orderId=${orderA}`)).body.paymentId).toBe(paymentA);
    });

    it('operators see every merchant, and name the merchant of an order', async () => {
      expect((await call(financeOperator, 'GET', `/payments/${paymentA}`)).body.paymentId).toBe(paymentA);
      expect((await call(financeOperator, 'GET', `/payments?orderId=${orderA}&merchantId=m-a`)).body.paymentId).toBe(paymentA);
      expect((await call(financeOperator, 'GET', `/payments?orderId=${orderA}&merchantId=m-b`)).status).toBe(404);
      const unnamed = await call(financeOperator, 'GET', `/payments?orderId=${orderA}`);
      expect([unnamed.status, unnamed.body.error.code]).toEqual([400, 'MERCHANT_ID_REQUIRED']);
    });
  });

  describe('Idempotency-Keys and order ids are each merchant\'s own', () => {
    it('the same key and the same order id for two merchants make two payments, each replayed to its own merchant', async () => {
      const a = await call(merchantA, 'POST', '/payments', paymentBody('m-a', 'o-shared', '1000'), { 'idempotency-key': 'k-shared' });
      const b = await call(merchantB, 'POST', '/payments', paymentBody('m-b', 'o-shared', '2500'), { 'idempotency-key': 'k-shared' });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body).toMatchObject({ merchantId: 'm-a', orderId: 'o-shared', amountMinor: '1000' });
      expect(b.body).toMatchObject({ merchantId: 'm-b', orderId: 'o-shared', amountMinor: '2500' });
      expect(b.body.paymentId).not.toBe(a.body.paymentId);

      const againA = await call(merchantA, 'POST', '/payments', paymentBody('m-a', 'o-shared', '1000'), { 'idempotency-key': 'k-shared' });
      const againB = await call(merchantB, 'POST', '/payments', paymentBody('m-b', 'o-shared', '2500'), { 'idempotency-key': 'k-shared' });
      expect([againA.status, againA.headers['idempotent-replayed'], againA.body.paymentId]).toEqual([200, 'true', a.body.paymentId]);
      expect([againB.status, againB.headers['idempotent-replayed'], againB.body.paymentId]).toEqual([200, 'true', b.body.paymentId]);

      expect((await call(merchantA, 'GET', '/payments?orderId=o-shared')).body.paymentId).toBe(a.body.paymentId);
      expect((await call(merchantB, 'GET', '/payments?orderId=o-shared')).body.paymentId).toBe(b.body.paymentId);
      expect((await call(financeOperator, 'GET', '/payments?orderId=o-shared&merchantId=m-b')).body.paymentId).toBe(b.body.paymentId);
      // a merchant's key is still its own: reused for another request of the same merchant, it is refused
      const reused = await call(merchantA, 'POST', '/payments', paymentBody('m-a', 'o-other', '1000'), { 'idempotency-key': 'k-shared' });
      expect([reused.status, reused.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    });

    it('the same refund Idempotency-Key for two merchants asks two refunds', async () => {
      const a = (await call(merchantA, 'POST', '/payments', paymentBody('m-a', 'o-refund-shared', '3000'), { 'idempotency-key': 'k-rs' })).body.paymentId as string;
      const b = (await call(merchantB, 'POST', '/payments', paymentBody('m-b', 'o-refund-shared', '3000'), { 'idempotency-key': 'k-rs' })).body.paymentId as string;
      await capture(a, 'o-refund-shared');
      await capture(b, 'o-refund-shared');
      const refundA = await call(merchantA, 'POST', `/payments/${a}/refunds`, { amountMinor: '700' }, { 'idempotency-key': 'rk-shared' });
      const refundB = await call(merchantB, 'POST', `/payments/${b}/refunds`, { amountMinor: '900' }, { 'idempotency-key': 'rk-shared' });
      expect([refundA.status, refundB.status]).toEqual([202, 202]);
      expect(refundA.body).toMatchObject({ paymentId: a, amountMinor: '700' });
      expect(refundB.body).toMatchObject({ paymentId: b, amountMinor: '900' });
      const replayB = await call(merchantB, 'POST', `/payments/${b}/refunds`, { amountMinor: '900' }, { 'idempotency-key': 'rk-shared' });
      expect([replayB.status, replayB.body.refundId]).toEqual([200, refundB.body.refundId]);
      expect((await call(merchantA, 'GET', `/payments/${a}/refunds`)).body.refunds).toMatchObject([{ refundId: refundA.body.refundId }]);
      expect((await call(merchantB, 'GET', `/payments/${b}/refunds`)).body.refunds).toMatchObject([{ refundId: refundB.body.refundId }]);
    });

    it('payment.requested.v1 for the same order id of two merchants makes two payments; a re-sent request makes none', async () => {
      const requested = (merchantId: string, amountMinor: string) => ({ ...paymentBody(merchantId, 'o-kafka-shared', amountMinor), requestedAt: new Date().toISOString() });
      const risked = () => collector.on<{ paymentId: string; merchantId: string; orderId: string }>(t(TOPICS.riskAssessmentRequested), (m) => m.value.orderId === 'o-kafka-shared');
      await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-kafka-shared', requested('m-a', '1100'));
      await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-kafka-shared', requested('m-b', '2200'));
      const both = await waitFor(() => (risked().length >= 2 ? risked() : undefined), 20_000, 'a risk request for each merchant');
      expect(both.map((m) => m.value.merchantId).sort()).toEqual(['m-a', 'm-b']);
      expect(new Set(both.map((m) => m.value.paymentId)).size).toBe(2);

      const duplicates = async () => ((await platform.registry.getSingleMetric('paystream_payments_requested_total')?.get())?.values ?? []).find((v) => v.labels.source === 'kafka' && v.labels.result === 'duplicate')?.value ?? 0;
      const seen = await duplicates();
      await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-kafka-shared', requested('m-a', '1100'));
      await waitFor(async () => ((await duplicates()) > seen ? true : undefined), 20_000, 'the re-sent request answered as a duplicate');
      expect(risked()).toHaveLength(2);
      expect(collector.on(t(`${TOPICS.paymentRequested}.dlq`), (m) => m.key === 'o-kafka-shared')).toEqual([]);
      expect((await call(merchantA, 'GET', '/payments?orderId=o-kafka-shared')).body).toMatchObject({ merchantId: 'm-a', amountMinor: '1100' });
      expect((await call(merchantB, 'GET', '/payments?orderId=o-kafka-shared')).body).toMatchObject({ merchantId: 'm-b', amountMinor: '2200' });
    });

    it('an unregistered merchant reusing another merchant\'s order id is refused as unknown, under a paymentId of its own', async () => {
      await upstream.sendEvent(t(TOPICS.paymentRequested), 'o-kafka-shared', { ...paymentBody('m-stranger', 'o-kafka-shared'), requestedAt: new Date().toISOString() });
      const failed = await waitFor(
        () => collector.on<{ paymentId: string; merchantId: string; reason: { code: string } }>(t(TOPICS.paymentFailed), (m) => (m.value as { merchantId: string }).merchantId === 'm-stranger')[0],
        20_000,
        'payment.failed for the stranger',
      );
      expect(failed.value.reason.code).toBe('MERCHANT_UNKNOWN');
      const paymentA = (await call(merchantA, 'GET', '/payments?orderId=o-kafka-shared')).body.paymentId;
      expect(failed.value.paymentId).not.toBe(paymentA);
    });
  });

  describe('shopper data: masked for merchants (and in the logs), in the clear for risk', () => {
    const token = `tok_${'0123456789abcdef'.repeat(2)}`;
    const signals = { cardToken: token, deviceId: 'dev-7f3a9c', ipAddress: '203.0.113.7' };
    const masked = `tok_${'*'.repeat(28)}cdef`;
    let created: Awaited<ReturnType<typeof call>>;
    let paymentId: string;

    beforeAll(async () => {
      created = await call(merchantA, 'POST', '/payments', paymentBody('m-a', 'o-signals', '1000', signals), { 'idempotency-key': 'k-signals' });
      expect(created.status).toBe(201);
      paymentId = created.body.paymentId as string;
    });

    it.each([
      ['the merchant creating the payment', async () => created],
      ['the merchant, by id', () => call(merchantA, 'GET', `/payments/${paymentId}`)],
      ['the merchant, by order', () => call(merchantA, 'GET', '/payments?orderId=o-signals')],
    ])('%s sees the card token masked and neither device nor IP', async (_who, read) => {
      const view = (await read()).body;
      expect(view.paymentId).toBe(paymentId);
      expect(view.cardToken).toBe(masked);
      expect(view).not.toHaveProperty('deviceId');
      expect(view).not.toHaveProperty('ipAddress');
      expect(JSON.stringify(view)).not.toContain(token);
    });

    it('a finance operator sees them masked like the merchant; a risk operator in the clear', async () => {
      const finance = (await call(financeOperator, 'GET', `/payments/${paymentId}`)).body;
      expect([finance.cardToken, 'deviceId' in finance, 'ipAddress' in finance]).toEqual([masked, false, false]);
      expect((await call(riskOperator, 'GET', `/payments/${paymentId}`)).body).toMatchObject(signals);
    });

    it('logs the terms of a conflicting request with the shopper data masked', async () => {
      const lines: unknown[] = [];
      const child = platform.logger.child.bind(platform.logger);
      const spy = jest.spyOn(platform.logger, 'child').mockImplementation((...args: Parameters<typeof child>) => {
        const logger = child(...args);
        const warn = logger.warn.bind(logger);
        logger.warn = ((...line: unknown[]) => {
          lines.push(line);
          return (warn as (...a: unknown[]) => void)(...line);
        }) as typeof logger.warn;
        return logger;
      });
      try {
        const conflict = await call(merchantA, 'POST', '/payments', paymentBody('m-a', 'o-signals', '1001', signals), { 'idempotency-key': 'k-signals-2' });
        expect(conflict.body.error.code).toBe('ORDER_ALREADY_PAID_DIFFERENTLY');
      } finally {
        spy.mockRestore();
      }
      const logged = JSON.stringify(lines);
      expect(logged).toContain('order already has a payment on different terms');
      for (const clear of [token, signals.deviceId, signals.ipAddress, 'user-000042']) expect(logged).not.toContain(clear);
      expect(logged).toContain(masked);
      expect(logged).toContain('203.0.*.*');
    });
  });
});
