import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { DLQ_HEADERS, TOPICS, type PaymentSucceeded } from '@paystream/contracts';
import { traceIdOf } from '@paystream/shared/observability';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { dropSchemas, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadSettlementConfig } from './config';

/** How long the payout client waits for the bank in this spec (the fake bank can hold an answer longer). */
const BANK_TIMEOUT_MS = 300;

/**
 * A bank standing in at CHANNEL_EMULATOR_URL. Like the real one it pays a payoutId once and answers
 * a repeat with the same payoutRef; it can be told to fail the next calls (nothing paid) or to pay
 * and then hold the answer past the caller's timeout (paid, but the caller does not learn it).
 */
class FakeBank {
  readonly calls: { payoutId: string; amountMinor: string; traceparent?: string }[] = [];
  /** payoutId -> payoutRef, one entry per payout honoured. */
  readonly paid = new Map<string, string>();
  failNext = 0;
  holdNext = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const p = JSON.parse(body) as { payoutId: string; amountMinor: string };
        this.calls.push({ ...p, traceparent: req.headers.traceparent as string | undefined });
        if (req.url !== '/bank/payouts' || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ERROR', code: 'SYSTEM_ERROR' }));
          return;
        }
        if (!this.paid.has(p.payoutId)) this.paid.set(p.payoutId, `BANK-${this.paid.size + 1}`);
        const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'PAID', payoutId: p.payoutId, payoutRef: this.paid.get(p.payoutId) }));
        if (this.holdNext > 0) {
          this.holdNext--;
          setTimeout(answer, BANK_TIMEOUT_MS * 3);
          return;
        }
        answer();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  callsFor(payoutId: string) {
    return this.calls.filter((c) => c.payoutId === payoutId);
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
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
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const send = (p: PaymentSucceeded, opts?: { id?: string }) => upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p, opts);

  beforeAll(async () => {
    const bankUrl = await bank.start();
    const config = loadSettlementConfig(testServiceEnv('SETTLEMENT', { schema, topicPrefix: prefix }, {
      CHANNEL_EMULATOR_URL: bankUrl,
      SETTLEMENT_PAYOUT_INTERVAL_MS: '50',
      SETTLEMENT_PAYOUT_ATTEMPTS_MAX: '3',
      SETTLEMENT_BANK_TIMEOUT_MS: String(BANK_TIMEOUT_MS),
    }));
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
    await send(p);
    const due = await waitFor(() => on(TOPICS.settlementDue, 'm-rt')[0], 20_000, 'settlement.due');
    expect(due.value).toMatchObject({ merchantId: 'm-rt', grossMinor: '999900', feeMinor: '5999', refundMinor: '0', netMinor: '993901', paymentCount: 1, currency: 'CNY', periodStart: p.succeededAt });
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-rt')[0], 20_000, 'settlement.completed');
    expect(done.value).toMatchObject({ settlementId: due.value.settlementId, netMinor: '993901', currency: 'CNY', payoutRef: bank.paid.get(due.value.settlementId) });
    expect(bank.callsFor(due.value.settlementId)).toEqual([expect.objectContaining({ amountMinor: '993901' })]);
    // the bank call and the completion event belong to one trace (the payout's)
    const traceId = traceIdOf(done.headers.traceparent);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdOf(bank.callsFor(due.value.settlementId)[0]!.traceparent)).toBe(traceId);
    expect(await get(`/settlements/${due.value.settlementId}`)).toMatchObject({ status: 'COMPLETED', payoutRef: done.value.payoutRef, attempts: 1, grossMinor: '999900', netMinor: '993901' });
    expect(await get('/ledger/check')).toMatchObject({ balanced: true, totalsByCurrency: { CNY: '0' }, transactions: 2, entries: 5 });
    // after the payout the merchant is owed nothing; the fee stays with the platform
    const balances: { account_id: string; total: string }[] = await ds.query(`SELECT account_id, sum(amount_minor)::text AS total FROM ledger_entry GROUP BY account_id`);
    expect(Object.fromEntries(balances.map((b) => [b.account_id, b.total]))).toEqual({
      shopper_funds_in_transit: '999900',
      'merchant_payable:m-rt': '0',
      platform_fee_revenue: '-5999',
      bank_settlement_account: '-993901',
    });
    expect(await ds.query(`SELECT merchant_id, schedule, n_days, fee_bps FROM merchant_settlement_profile WHERE merchant_id = 'm-rt'`)).toEqual([
      { merchant_id: 'm-rt', schedule: 'realtime', n_days: 0, fee_bps: 60 },
    ]);
  });

  it('books a payment once: the same event twice, and the same payment under a new event id', async () => {
    const p = succeeded('m-dup', '5000');
    const id = await send(p);
    await send(p, { id });
    await send(p);
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-dup')[0], 20_000, 'settlement');
    await pause(800);
    expect(on(TOPICS.settlementDue, 'm-dup')).toHaveLength(1);
    expect(on(TOPICS.settlementCompleted, 'm-dup')).toHaveLength(1);
    expect(bank.callsFor(done.value.settlementId)).toHaveLength(1);
    expect(await ds.query(`SELECT 1 FROM ledger_transaction WHERE reference = $1`, [`payment:${p.paymentId}`])).toHaveLength(1);
  });

  it('books a T+N merchant without making a settlement due now', async () => {
    await ds.query(`INSERT INTO merchant_settlement_profile (merchant_id, schedule, n_days) VALUES ('m-t1', 't_plus_n', 1)`);
    const p = succeeded('m-t1', '10000');
    await send(p);
    await waitFor(async () => ((await ds.query(`SELECT 1 FROM ledger_transaction WHERE reference = $1`, [`payment:${p.paymentId}`])).length ? true : undefined), 20_000, 'booked');
    await pause(300);
    expect(on(TOPICS.settlementDue, 'm-t1')).toHaveLength(0);
    expect(await ds.query(`SELECT 1 FROM settlement_batch WHERE merchant_id = 'm-t1'`)).toHaveLength(0);
  });

  it('retries a failed payout: completed once, the bank pays once', async () => {
    bank.failNext = 1;
    const p = succeeded('m-retry', '7000');
    await send(p);
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-retry')[0], 20_000, 'completed after a retry');
    await pause(500);
    const id = done.value.settlementId!;
    expect(on(TOPICS.settlementCompleted, 'm-retry')).toHaveLength(1);
    expect(bank.callsFor(id)).toHaveLength(2);
    expect(bank.paid.get(id)).toBe(done.value.payoutRef);
    expect(await get(`/settlements/${id}`)).toMatchObject({ status: 'COMPLETED', attempts: 2, lastError: null });
  });

  it('pays once when the bank paid but its answer was lost, and keeps the first payoutRef', async () => {
    bank.holdNext = 1;
    const p = succeeded('m-lost', '6000');
    await send(p);
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-lost')[0], 20_000, 'completed after a lost answer');
    await pause(BANK_TIMEOUT_MS * 3);
    const id = done.value.settlementId!;
    expect(bank.callsFor(id)).toHaveLength(2);
    expect([...bank.paid.keys()].filter((k) => k === id)).toHaveLength(1);
    expect(done.value.payoutRef).toBe(bank.paid.get(id));
    expect(on(TOPICS.settlementCompleted, 'm-lost')).toHaveLength(1);
    expect(await ds.query(`SELECT 1 FROM ledger_transaction WHERE reference = $1`, [`payout:${id}`])).toHaveLength(1);
  });

  it('takes over a payout whose worker died after claiming it, and the bank pays it once', async () => {
    // as left by a process killed after the bank paid and before the commit: PAYING, lease run out
    const id = randomUUID();
    const paymentId = randomUUID();
    await ds.transaction(async (tx) => {
      const txId = randomUUID();
      await tx.query(`INSERT INTO ledger_account (id, kind, currency) VALUES ('merchant_payable:m-crash', 'merchant_payable', 'CNY') ON CONFLICT DO NOTHING`);
      await tx.query(`INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, 'payment', $2)`, [txId, `payment:${paymentId}`]);
      await tx.query(
        `INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency)
         VALUES ($1, 'shopper_funds_in_transit', 1000, 'CNY'), ($1, 'merchant_payable:m-crash', -994, 'CNY'), ($1, 'platform_fee_revenue', -6, 'CNY')`,
        [txId],
      );
      await tx.query(
        `INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, net_minor, payment_count, period_start, period_end, status, attempts, next_attempt_at)
         VALUES ($1, 'm-crash', 'CNY', 1000, 6, 994, 1, now(), now(), 'PAYING', 1, now() - interval '1 second')`,
        [id],
      );
      await tx.query(`INSERT INTO settlement_batch_payment (batch_id, payment_id, gross_minor, fee_minor) VALUES ($1, $2, 1000, 6)`, [id, paymentId]);
    });
    bank.paid.set(id, 'BANK-BEFORE-THE-CRASH');
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-crash')[0], 20_000, 'completed after the takeover');
    expect(done.value).toMatchObject({ settlementId: id, payoutRef: 'BANK-BEFORE-THE-CRASH', netMinor: '994' });
    expect(bank.callsFor(id)).toHaveLength(1);
    expect(await get(`/settlements/${id}`)).toMatchObject({ status: 'COMPLETED', attempts: 2 });
    expect(await ds.query(`SELECT sum(amount_minor)::text AS total FROM ledger_entry WHERE account_id = 'merchant_payable:m-crash'`)).toEqual([{ total: '0' }]);
  });

  it('reports failure after the last attempt and pays nothing', async () => {
    bank.failNext = 100;
    const q = succeeded('m-fail', '8000');
    await send(q);
    try {
      const failed = await waitFor(() => on(TOPICS.settlementFailed, 'm-fail')[0], 30_000, 'settlement.failed');
      expect(failed.value).toMatchObject({ merchantId: 'm-fail', netMinor: '7952', currency: 'CNY', reason: { code: 'SETTLEMENT_PAYOUT_FAILED', retryable: expect.any(Boolean) } });
      expect(bank.callsFor(failed.value.settlementId!)).toHaveLength(3);
      expect(bank.paid.has(failed.value.settlementId!)).toBe(false);
      expect(await get(`/settlements/${failed.value.settlementId}`)).toMatchObject({ status: 'FAILED', attempts: 3, lastError: expect.stringContaining('503') });
    } finally {
      bank.failNext = 0;
    }
    expect(on(TOPICS.settlementCompleted, 'm-fail')).toHaveLength(0);
    // nothing left the merchant's account
    expect(await ds.query(`SELECT sum(amount_minor)::text AS total FROM ledger_entry WHERE account_id = 'merchant_payable:m-fail'`)).toEqual([{ total: '-7952' }]);
  });

  it('has the database refuse an unbalanced transaction and any change to the ledger', async () => {
    const txId = randomUUID();
    await expect(
      ds.transaction(async (tx) => {
        await tx.query(`INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, 'test', $2)`, [txId, txId]);
        await tx.query(`INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) VALUES ($1, 'platform_fee_revenue', 1, 'CNY')`, [txId]);
      }),
    ).rejects.toThrow(/does not balance/);
    expect(await ds.query(`SELECT 1 FROM ledger_transaction WHERE id = $1`, [txId])).toHaveLength(0);
    await expect(ds.query(`UPDATE ledger_entry SET amount_minor = amount_minor + 1`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`UPDATE ledger_transaction SET reference = 'x'`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM ledger_entry`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM ledger_transaction`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, net_minor, payment_count, period_start, period_end, status) VALUES ($1, 'm-x', 'CNY', 1, 0, 1, 1, now(), now(), 'PAID')`, [randomUUID()])).rejects.toThrow(/check constraint/);
  });

  it('dead-letters a malformed event and keeps booking', async () => {
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), 'bad', { ...succeeded('m-bad', '100'), currency: 'USD' });
    const p = succeeded('m-after-bad', '100');
    await send(p);
    await waitFor(() => on(TOPICS.settlementCompleted, 'm-after-bad')[0], 20_000, 'the good event paid out');
    const dlq = await waitFor(() => collector.on(t(`${TOPICS.paymentSucceeded}.dlq`))[0], 20_000, 'dead letter');
    expect(dlq.key).toBe('bad');
    expect(dlq.headers[DLQ_HEADERS.reason]).toContain('currency');
    expect(await ds.query(`SELECT 1 FROM ledger_account WHERE id = 'merchant_payable:m-bad'`)).toHaveLength(0);
  });

  it('reports stats, P_settlement, health and errors with their codes', async () => {
    // booked: rt, dup, t1, retry, lost, crash, fail, after-bad; due: all but t1; failed: fail
    const stats = await get('/settlement/stats');
    expect(stats).toMatchObject({ bookedPayments: 8, due: 7, completed: 6, failed: 1, pending: 0 });
    expect(stats.pSettlement).toBeCloseTo(6 / 7, 10);
    const [sums]: { gross: string; fee: string; net: string; paid: string }[] = await ds.query(
      `SELECT sum(gross_minor)::text AS gross, sum(fee_minor)::text AS fee, sum(net_minor)::text AS net, sum(net_minor) FILTER (WHERE status = 'COMPLETED')::text AS paid FROM settlement_batch`,
    );
    expect(stats).toMatchObject({ grossMinor: sums!.gross, feeMinor: sums!.fee, netMinor: sums!.net, paidOutMinor: sums!.paid });
    expect(BigInt(stats.grossMinor as string)).toBe(999900n + 5000n + 7000n + 6000n + 1000n + 8000n + 100n);
    expect(await get('/ledger/check')).toMatchObject({ balanced: true, totalsByCurrency: { CNY: '0' } });

    const notFound = await app.inject({ method: 'GET', url: `/settlements/${randomUUID()}` });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json().error.code).toBe('SETTLEMENT_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/settlements/not-a-uuid' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/# HELP paystream_p_settlement P_settlement = completed \/ due/);
    expect(Number(/^paystream_p_settlement(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1])).toBeCloseTo(6 / 7, 10);
    for (const name of ['paystream_payments_booked_total', 'paystream_settlements_due_total', 'paystream_settlements_completed_total', 'paystream_settlements_failed_total']) {
      expect(metrics).toContain(`# TYPE ${name} counter`);
    }
    // the amounts per currency, status and kind agree with the tables to the fen
    const amount = (status: string, kind: string) =>
      [...metrics.matchAll(/^paystream_settlement_amount_minor\{(.*)\} (\S+)$/gm)].find((m) => m[1]!.includes(`status="${status}"`) && m[1]!.includes(`kind="${kind}"`) && m[1]!.includes('currency="CNY"'))?.[2];
    expect(amount('completed', 'net')).toBe(sums!.paid);
    expect(amount('failed', 'net')).toBe('7952');
    expect(amount('failed', 'fee')).toBe('48');
  });
});
