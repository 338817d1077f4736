import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { DLQ_HEADERS, TOPICS, type PaymentSucceeded } from '@paystream/contracts';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { dropSchemas, RawProducer, testDatabaseUrl, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadSettlementConfig } from './config';

/** A bank that can be told to fail the next calls; it remembers payouts by payoutId as the real one does. */
class FakeBank {
  readonly calls: { payoutId: string; amountMinor: string }[] = [];
  readonly paid = new Map<string, string>();
  failNext = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const p = JSON.parse(body) as { payoutId: string; amountMinor: string };
        this.calls.push(p);
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(503).end(JSON.stringify({ status: 'ERROR', code: 'SYSTEM_ERROR' }));
          return;
        }
        if (!this.paid.has(p.payoutId)) this.paid.set(p.payoutId, `BANK-${this.paid.size + 1}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'PAID', payoutId: p.payoutId, payoutRef: this.paid.get(p.payoutId) }));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('settlement on the real broker and database', () => {
  const prefix = uniqueTopicPrefix('stl');
  const schema = uniqueId('stl_');
  const t = (topic: string) => `${prefix}${topic}`;
  const bank = new FakeBank();
  let app: NestFastifyApplication;
  let ds: DataSource;
  let upstream: RawProducer;
  let collector: TopicCollector;

  const succeeded = (merchantId: string, amountMinor: string, paymentId = randomUUID()): PaymentSucceeded => ({
    paymentId,
    orderId: `o-${paymentId.slice(0, 8)}`,
    merchantId,
    userId: 'u-1',
    amountMinor,
    currency: 'CNY',
    channel: 'alipay',
    channelTradeNo: `T${paymentId.slice(0, 8)}`,
    succeededAt: new Date().toISOString(),
  });
  const on = (topic: string, merchantId: string) => collector.on<Record<string, string>>(t(topic), (m) => m.key === merchantId);
  const get = async (url: string) => (await app.inject({ method: 'GET', url })).json();

  beforeAll(async () => {
    const bankUrl = await bank.start();
    const config = loadSettlementConfig({
      SETTLEMENT_DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: schema,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '2',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      CHANNEL_EMULATOR_URL: bankUrl,
      SETTLEMENT_PAYOUT_INTERVAL_MS: '50',
      SETTLEMENT_PAYOUT_ATTEMPTS_MAX: '3',
    });
    app = await startInProcessApp(AppModule.forRoot(config));
    ds = app.get(Platform, { strict: false }).ds;
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.settlementDue, TOPICS.settlementCompleted, TOPICS.settlementFailed, `${TOPICS.paymentSucceeded}.dlq`].map(t)).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await bank.stop();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('books a payment, makes its settlement due with the 60 bps fee, and pays it out', async () => {
    const p = succeeded('m-rt', '999900');
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p);
    const due = await waitFor(() => on(TOPICS.settlementDue, 'm-rt')[0], 20_000, 'settlement.due');
    expect(due.value).toMatchObject({ grossMinor: '999900', feeMinor: '5999', refundMinor: '0', netMinor: '993901', paymentCount: 1, currency: 'CNY' });
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-rt')[0], 20_000, 'settlement.completed');
    expect(done.value).toMatchObject({ settlementId: due.value.settlementId, netMinor: '993901', payoutRef: 'BANK-1' });
    expect(await get(`/settlements/${due.value.settlementId}`)).toMatchObject({ status: 'COMPLETED', payoutRef: 'BANK-1' });
    expect(await get('/ledger/check')).toMatchObject({ balanced: true, totalsByCurrency: { CNY: '0' } });
    // after the payout the merchant is owed nothing; the fee stays with the platform
    const balances: { account_id: string; total: string }[] = await ds.query(`SELECT account_id, sum(amount_minor)::text AS total FROM ledger_entry GROUP BY account_id`);
    expect(Object.fromEntries(balances.map((b) => [b.account_id, b.total]))).toEqual({
      shopper_funds_in_transit: '999900',
      'merchant_payable:m-rt': '0',
      platform_fee_revenue: '-5999',
      bank_settlement_account: '-993901',
    });
  });

  it('books a payment once: the same event twice, and the same payment under a new event id', async () => {
    const p = succeeded('m-dup', '5000');
    const id = await upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p);
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p, { id });
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p);
    await waitFor(() => on(TOPICS.settlementCompleted, 'm-dup')[0], 20_000, 'settlement');
    await new Promise((r) => setTimeout(r, 800));
    expect(on(TOPICS.settlementDue, 'm-dup')).toHaveLength(1);
    const booked = await ds.query(`SELECT 1 FROM ledger_transaction WHERE reference = $1`, [`payment:${p.paymentId}`]);
    expect(booked).toHaveLength(1);
  });

  it('retries a failed payout and pays once; reports failure after the last attempt', async () => {
    bank.failNext = 1;
    const p = succeeded('m-retry', '7000');
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p);
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-retry')[0], 20_000, 'completed after a retry');
    const calls = bank.calls.filter((c) => c.payoutId === done.value.settlementId);
    expect(calls).toHaveLength(2);
    expect((await get(`/settlements/${done.value.settlementId}`)).attempts).toBe(2);

    bank.failNext = 100;
    const q = succeeded('m-fail', '8000');
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), q.orderId, q);
    const failed = await waitFor(() => on(TOPICS.settlementFailed, 'm-fail')[0], 30_000, 'settlement.failed');
    expect(failed.value).toMatchObject({ netMinor: '7952', reason: { code: 'SETTLEMENT_PAYOUT_FAILED' } });
    expect(on(TOPICS.settlementCompleted, 'm-fail')).toHaveLength(0);
    bank.failNext = 0;
    expect(await get('/ledger/check')).toMatchObject({ balanced: true });
  });

  it('has the database refuse an unbalanced transaction and any change to the ledger', async () => {
    const txId = randomUUID();
    await expect(
      ds.transaction(async (tx) => {
        await tx.query(`INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, 'test', $2)`, [txId, txId]);
        await tx.query(`INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) VALUES ($1, 'platform_fee_revenue', 1, 'CNY')`, [txId]);
      }),
    ).rejects.toThrow(/does not balance/);
    await expect(ds.query(`UPDATE ledger_entry SET amount_minor = amount_minor + 1`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM ledger_transaction`)).rejects.toThrow(/append-only/);
  });

  it('dead-letters a malformed event and keeps booking', async () => {
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), 'bad', { ...succeeded('m-bad', '100'), currency: 'USD' });
    const p = succeeded('m-after-bad', '100');
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p);
    await waitFor(() => on(TOPICS.settlementDue, 'm-after-bad')[0], 20_000, 'the good event');
    const dlq = await waitFor(() => collector.on(t(`${TOPICS.paymentSucceeded}.dlq`))[0], 20_000, 'dead letter');
    expect(dlq.headers[DLQ_HEADERS.reason]).toContain('currency');
  });

  it('reports stats, P_settlement, health and a 404 with its code', async () => {
    const stats = await get('/settlement/stats');
    expect(stats).toMatchObject({ bookedPayments: 5, due: 5, completed: 4, failed: 1, pSettlement: 0.8 });
    expect((await get(`/settlements/${randomUUID()}`)).error.code).toBe('SETTLEMENT_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/paystream_p_settlement\{[^}]*\} 0\.8\n/);
  });
});
