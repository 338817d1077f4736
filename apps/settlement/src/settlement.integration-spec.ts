import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { DLQ_HEADERS, TOPICS, type PaymentRefunded, type PaymentSucceeded } from '@paystream/contracts';
import { addDays, chinaDate } from '@paystream/settlement/domain';
import { auditRowsAbout, verifyAuditChain } from '@paystream/shared/audit-log';
import { authorizationFor } from '@paystream/shared/auth';
import { traceIdOf } from '@paystream/shared/observability';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, RawProducer, testDatabaseUrl, testMerchantSnapshot, testPayoutAccount, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadSettlementConfig } from './config';

/** How long the payout client waits for the bank in this spec (the fake bank can hold an answer longer). */
const BANK_TIMEOUT_MS = 300;

/**
 * A bank standing in at CHANNEL_EMULATOR_URL. Like the real one it pays a payoutId once and answers
 * a repeat with the same payoutRef, and answers GET /bank/payouts/:id with what it did; it can be told
 * to fail the next calls (nothing paid) or to pay and then hold the answer past the caller's timeout
 * (paid, but the caller does not learn it). As the emulator's sandbox does, an account ending 4001 is
 * refused and one ending 4003 is paid but answered PROCESSING.
 */
class FakeBank {
  readonly calls: { payoutId: string; amountMinor: string; accountNo?: string; traceparent?: string }[] = [];
  readonly queries: string[] = [];
  /** payoutId -> payoutRef, one entry per payout honoured. */
  readonly paid = new Map<string, string>();
  readonly refused = new Set<string>();
  failNext = 0;
  holdNext = 0;
  /** Pays the next calls and then answers them 503, as a bank whose gateway fails after the core booked the transfer. */
  payThenFailNext = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const json = (status: number, answer: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        const query = /^\/bank\/payouts\/([^/]+)$/.exec(req.url ?? '');
        if (query && req.method === 'GET') {
          const id = decodeURIComponent(query[1]!);
          this.queries.push(id);
          if (this.paid.has(id)) return json(200, { status: 'PAID', payoutId: id, payoutRef: this.paid.get(id) });
          if (this.refused.has(id)) return json(200, { status: 'FAILED', payoutId: id, code: 'ACCOUNT_FROZEN' });
          return json(404, { status: 'NOT_FOUND', payoutId: id });
        }
        if (req.url !== '/bank/payouts' || req.method !== 'POST') return json(404, {});
        const p = JSON.parse(body) as { payoutId: string; amountMinor: string; accountNo?: string };
        this.calls.push({ ...p, traceparent: req.headers.traceparent as string | undefined });
        if (this.failNext > 0) {
          this.failNext--;
          return json(503, { status: 'ERROR', code: 'SYSTEM_ERROR' });
        }
        if (p.accountNo?.endsWith('4001')) {
          this.refused.add(p.payoutId);
          return json(200, { status: 'FAILED', payoutId: p.payoutId, code: 'ACCOUNT_FROZEN' });
        }
        if (!this.paid.has(p.payoutId)) this.paid.set(p.payoutId, `BANK-${this.paid.size + 1}`);
        if (this.payThenFailNext > 0) {
          this.payThenFailNext--;
          return json(503, { status: 'ERROR', code: 'SYSTEM_ERROR' });
        }
        if (p.accountNo?.endsWith('4003')) return json(200, { status: 'PROCESSING', payoutId: p.payoutId });
        const answer = () => json(200, { status: 'PAID', payoutId: p.payoutId, payoutRef: this.paid.get(p.payoutId) });
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
  let creds: TestCredentials;
  // the operator a call acts as: its own token (a name in the body is a claim the service ignores)
  const as = async (operatorId: string) => ({ authorization: authorizationFor(await creds.operator(operatorId, ['finance']), 'GET', '/') });
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
  const refund = (p: PaymentSucceeded, amountMinor: string, refundId = randomUUID()): PaymentRefunded => ({
    refundId,
    paymentId: p.paymentId,
    orderId: p.orderId,
    merchantId: p.merchantId,
    amountMinor,
    currency: 'CNY',
    refundedAt: new Date().toISOString(),
  });
  const sendRefund = (r: PaymentRefunded) => upstream.sendEvent(t(TOPICS.paymentRefunded), r.orderId, r);
  const booked = (ref: string) => waitFor(async () => ((await ds.query(`SELECT 1 FROM ledger_transaction WHERE reference = $1`, [ref])).length ? true : undefined), 20_000, ref);
  const runSettlements = (key: string | undefined, body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/settlement/runs', headers: key === undefined ? {} : { 'idempotency-key': key }, payload: body });
  const today = () => chinaDate(new Date());
  /** The merchant service's snapshot of a merchant arrives; waits until settlement's copy is at its version. */
  const register = async (merchantId: string, overrides: Parameters<typeof testMerchantSnapshot>[1] = {}) => {
    const snapshot = testMerchantSnapshot(merchantId, overrides);
    await upstream.sendEvent(t(snapshot.version === 1 ? TOPICS.merchantRegistered : TOPICS.merchantUpdated), merchantId, snapshot);
    await waitFor(async () => ((await app.inject({ method: 'GET', url: `/merchants/${merchantId}/settlement-terms` })).json().version >= snapshot.version ? true : undefined), 20_000, `${merchantId} v${snapshot.version} copied`);
  };

  beforeAll(async () => {
    const bankUrl = await bank.start();
    const config = loadSettlementConfig(await testServiceEnv('SETTLEMENT', { schema, topicPrefix: prefix }, {
      CHANNEL_EMULATOR_URL: bankUrl,
      SETTLEMENT_PAYOUT_INTERVAL_MS: '50',
      SETTLEMENT_PAYOUT_ATTEMPTS_MAX: '3',
      SETTLEMENT_BANK_TIMEOUT_MS: String(BANK_TIMEOUT_MS),
      // runs are made through POST /settlement/runs here, so the counts below stay exact
      SETTLEMENT_RUN_INTERVAL_MS: '86400000',
      // runs as of a due day ahead settle T+N merchants now (the gate itself: settlement-runs.integration-spec.ts)
      SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'true',
    }));
    app = await startInProcessApp(AppModule.forRoot(config));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    ds = app.get(Platform, { strict: false }).ds;
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.settlementDue, TOPICS.settlementCompleted, TOPICS.settlementFailed, `${TOPICS.paymentSucceeded}.dlq`].map(t)).start();
    // onboarded in the merchant service (real time, 0.60 %); the tests below give others their own terms
    for (const m of ['m-rt', 'm-dup', 'm-retry', 'm-lost', 'm-crash', 'm-fail', 'm-after-bad', 'm-claw', 'm-rt-broken', 'm-paid-503', 'm-x']) await register(m);
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
    expect(due.value).toMatchObject({ merchantId: 'm-rt', grossMinor: '999900', feeMinor: '5999', refundMinor: '0', reserveHeldMinor: '0', carriedMinor: '0', netMinor: '993901', paymentCount: 1, currency: 'CNY', periodStart: p.succeededAt, asOf: today() });
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-rt')[0], 20_000, 'settlement.completed');
    expect(done.value).toMatchObject({ settlementId: due.value.settlementId, netMinor: '993901', currency: 'CNY', payoutRef: bank.paid.get(due.value.settlementId) });
    expect(bank.callsFor(due.value.settlementId)).toEqual([expect.objectContaining({ amountMinor: '993901' })]);
    // the bank call and the completion event belong to one trace (the payout's)
    const traceId = traceIdOf(done.headers.traceparent);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdOf(bank.callsFor(due.value.settlementId)[0]!.traceparent)).toBe(traceId);
    expect(await get(`/settlements/${due.value.settlementId}`)).toMatchObject({ status: 'COMPLETED', payoutRef: done.value.payoutRef, attempts: 1, grossMinor: '999900', netMinor: '993901' });
    // the payout decision is in the audit chain, committed with the completion (one row: the one completion)
    expect(await auditRowsAbout(ds, `settlement:${due.value.settlementId}`)).toEqual([
      expect.objectContaining({ actor: 'system:settlement-payout', action: 'payout.sent', details: expect.objectContaining({ merchantId: 'm-rt', netMinor: '993901', currency: 'CNY', payoutRef: done.value.payoutRef }) }),
    ]);
    expect(await get('/ledger/check')).toMatchObject({ balanced: true, cachedBalancesDrifted: [], totalsByCurrency: { CNY: '0' }, transactions: 3, entries: 8 });
    // after the payout the merchant is owed nothing; the fee stays with the platform, the channel's cost shows beside it
    const balances: { account_id: string; total: string; cached: string }[] = await ds.query(
      `SELECT e.account_id, sum(e.amount_minor)::text AS total, max(a.balance_minor)::text AS cached FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id GROUP BY e.account_id`,
    );
    expect(Object.fromEntries(balances.map((b) => [b.account_id, b.total]))).toEqual({
      'channel_clearing:alipay': '993901',
      'channel_cost:alipay': '5999',
      'merchant_payable:m-rt': '0',
      platform_fee_revenue: '-5999',
      payouts_in_flight: '0',
      bank_settlement_account: '-993901',
    });
    // the merchant's accounts carry their balance cached; the platform's are summed from the entries
    expect(balances.find((b) => b.account_id === 'merchant_payable:m-rt')!.cached).toBe('0');
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
    await register('m-t1', { terms: { schedule: 't_plus_n', nDays: 1 } });
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
    // the timeout made the outcome unknown: the retry asked the bank instead of sending again
    expect(bank.callsFor(id)).toHaveLength(1);
    expect(bank.queries.filter((q) => q === id)).toHaveLength(1);
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
      await tx.query(
        `INSERT INTO ledger_account (id, kind, currency) VALUES ('merchant_payable:m-crash', 'merchant_payable', 'CNY'), ('shopper_funds_in_transit', 'shopper_funds_in_transit', 'CNY'),
           ('platform_fee_revenue', 'platform_fee_revenue', 'CNY') ON CONFLICT DO NOTHING`,
      );
      await tx.query(`INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, 'payment', $2)`, [txId, `payment:${paymentId}`]);
      await tx.query(
        `INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency)
         VALUES ($1, 'shopper_funds_in_transit', 1000, 'CNY'), ($1, 'merchant_payable:m-crash', -994, 'CNY'), ($1, 'platform_fee_revenue', -6, 'CNY')`,
        [txId],
      );
      await tx.query(
        `INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, net_minor, payment_count, period_start, period_end, status, attempts, next_attempt_at, payout_account_no)
         VALUES ($1, 'm-crash', 'CNY', 1000, 6, 994, 1, now(), now(), 'PAYING', 1, now() - interval '1 second', '6222020000000000001')`,
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
      expect((await auditRowsAbout(ds, `settlement:${failed.value.settlementId}`)).map((r) => [r.actor, r.action, (r.details as { netMinor: string }).netMinor])).toEqual([['system:settlement-payout', 'payout.failed', '7952']]);
    } finally {
      bank.failNext = 0;
    }
    expect(on(TOPICS.settlementCompleted, 'm-fail')).toHaveLength(0);
    // the payout in flight was reversed: the merchant is owed it again, and its next settlement carries it
    expect(await ds.query(`SELECT sum(amount_minor)::text AS total FROM ledger_entry WHERE account_id = 'merchant_payable:m-fail'`)).toEqual([{ total: '-7952' }]);
    expect(await ds.query(`SELECT kind, amount_minor::text AS amount, settlement_id FROM settlement_item WHERE merchant_id = 'm-fail' AND settlement_id IS NULL`)).toEqual([
      { kind: 'payout_reversal', amount: '7952', settlement_id: null },
    ]);
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
    // the service's own connection (the runtime role) is refused by the grants before any trigger runs
    for (const change of [`UPDATE ledger_entry SET amount_minor = amount_minor + 1`, `UPDATE ledger_transaction SET reference = 'x'`, `DELETE FROM ledger_entry`, `DELETE FROM ledger_transaction`]) {
      await expect(ds.query(change)).rejects.toThrow(/permission denied/);
    }
    // and the triggers refuse even a role the grants let through (the superuser here)
    const superuser = new Client({ connectionString: testDatabaseUrl(), options: `-c search_path=${schema}` });
    await superuser.connect();
    try {
      await expect(superuser.query(`UPDATE ledger_entry SET amount_minor = amount_minor + 1`)).rejects.toThrow(/append-only/);
      await expect(superuser.query(`UPDATE ledger_transaction SET reference = 'x'`)).rejects.toThrow(/append-only/);
      await expect(superuser.query(`DELETE FROM ledger_entry`)).rejects.toThrow(/append-only/);
      await expect(superuser.query(`DELETE FROM ledger_transaction`)).rejects.toThrow(/append-only/);
    } finally {
      await superuser.end();
    }
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
    // the margin shows: fees booked at 60 bps less the channels' 60 bps (the crash spec booked its fee by hand, without a channel cost)
    expect(BigInt(stats.feeRevenueMinor as string) - BigInt(stats.channelCostMinor as string)).toBe(6n);
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
    // a list cursor that only looks like one (no such instant, no UUID) is bad input, not a database error
    for (const before of [`2026-13-45T99:99:99Z_${randomUUID()}`, `2026-01-01T00:00:00.000Z_${'-'.repeat(36)}`]) {
      const res = await app.inject({ method: 'GET', url: `/settlements?before=${encodeURIComponent(before)}` });
      expect([res.statusCode, res.json().error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
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
  it('settles a T+1 merchant in a run as of its due date, and answers a repeated Idempotency-Key with the first run', async () => {
    expect((await runSettlements(undefined, {})).json().error.code).toBe('IDEMPOTENCY_KEY_MISSING');
    expect((await runSettlements('k-bad', { asOf: '2026-02-30' })).json().error.code).toBe('VALIDATION_FAILED');
    const key = `run-${randomUUID()}`;
    const first = await runSettlements(key, { asOf: today(), merchantId: 'm-t1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ asOf: today(), settlementIds: [], replayed: false }); // T+1: not due today
    const dueDay = addDays(today(), 20); // past T+1 whatever the holidays
    const key2 = `run-${randomUUID()}`;
    const run = (await runSettlements(key2, { asOf: dueDay, merchantId: 'm-t1' })).json();
    expect(run.settlementIds).toHaveLength(1);
    // the run and the settlement it made are audited with the operator the request names (none yet: unauthenticated)
    expect(await auditRowsAbout(ds, `settlement_run:${run.runId}`)).toEqual([
      expect.objectContaining({ actor: 'operator:test-operator', action: 'settlement_run.completed', details: expect.objectContaining({ asOf: dueDay, merchantId: 'm-t1', settlementIds: run.settlementIds }) }),
    ]);
    expect(await auditRowsAbout(ds, `settlement:${run.settlementIds[0]}`)).toEqual([
      expect.objectContaining({ actor: 'operator:test-operator', action: 'settlement.created', details: expect.objectContaining({ runId: run.runId, merchantId: 'm-t1', netMinor: '9940' }) }),
    ]);
    expect(await auditRowsAbout(ds, `settlement_run:${first.json().runId}`)).toEqual([expect.objectContaining({ action: 'settlement_run.completed', details: expect.objectContaining({ settlementIds: [] }) })]);
    const due = await waitFor(() => on(TOPICS.settlementDue, 'm-t1')[0], 20_000, 'T+1 settlement due');
    expect(due.value).toMatchObject({ settlementId: run.settlementIds[0], grossMinor: '10000', feeMinor: '60', netMinor: '9940', paymentCount: 1 });
    await waitFor(() => on(TOPICS.settlementCompleted, 'm-t1')[0], 20_000, 'T+1 settlement paid');
    const replay = await runSettlements(key2, { asOf: dueDay, merchantId: 'm-t1' });
    expect(replay.json()).toMatchObject({ runId: run.runId, settlementIds: run.settlementIds, replayed: true });
    expect((await runSettlements(key2, { asOf: today(), merchantId: 'm-t1' })).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await get(`/settlements/${run.settlementIds[0]}`)).toMatchObject({ status: 'COMPLETED', asOf: dueDay, lines: [expect.objectContaining({ kind: 'payment', grossMinor: '10000', feeMinor: '60', amountMinor: '9940' })] });
    expect(on(TOPICS.settlementDue, 'm-t1')).toHaveLength(1);
  });

  it('pays a payout reversed after failing for good with the next settlement, once', async () => {
    const [failed] = on(TOPICS.settlementFailed, 'm-fail');
    // owed again from the next day (an account that keeps refusing is tried once a day)
    expect((await runSettlements(`run-${randomUUID()}`, { merchantId: 'm-fail' })).json().settlementIds).toEqual([]);
    const run = (await runSettlements(`run-${randomUUID()}`, { merchantId: 'm-fail', asOf: addDays(today(), 1) })).json();
    expect(run.settlementIds).toHaveLength(1);
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-fail')[0], 20_000, 'the reversed payout paid');
    expect(done.value).toMatchObject({ settlementId: run.settlementIds[0], netMinor: '7952' });
    expect(await get(`/settlements/${run.settlementIds[0]}`)).toMatchObject({ carriedMinor: '7952', grossMinor: '0', lines: [expect.objectContaining({ kind: 'payout_reversal', reference: failed!.value.settlementId })] });
    expect(bank.paid.has(failed!.value.settlementId!)).toBe(false);
    expect(await ds.query(`SELECT sum(amount_minor)::text AS total FROM ledger_entry WHERE account_id = 'merchant_payable:m-fail'`)).toEqual([{ total: '0' }]);
  });

  it('claws refunds after settlement back from the next settlement, and carries a negative balance forward', async () => {
    const refundsBookedBefore = (await get('/settlement/stats')).bookedRefunds as number;
    const p1 = succeeded('m-claw', '10000');
    await send(p1);
    await waitFor(() => on(TOPICS.settlementCompleted, 'm-claw')[0], 20_000, 'first settlement');
    const r1 = refund(p1, '3000');
    await sendRefund(r1);
    await booked(`refund:${r1.refundId}`);
    await upstream.sendEvent(t(TOPICS.paymentRefunded), r1.orderId, r1); // redelivered under a new event id
    const p2 = succeeded('m-claw', '5000');
    await send(p2);
    const second = await waitFor(() => on(TOPICS.settlementDue, 'm-claw')[1], 20_000, 'second settlement');
    expect(second.value).toMatchObject({ grossMinor: '5000', feeMinor: '30', refundMinor: '3000', netMinor: '1970', paymentCount: 1 });
    await waitFor(() => on(TOPICS.settlementCompleted, 'm-claw')[1], 20_000, 'second paid');
    const r2 = refund(p1, '5000');
    await sendRefund(r2);
    await booked(`refund:${r2.refundId}`);
    const p3 = succeeded('m-claw', '1000');
    await send(p3);
    await booked(`payment:${p3.paymentId}`);
    await pause(300);
    // 994 owed against 5000 refunded: nothing is paid, the merchant owes 4006 until later payments cover it
    expect(on(TOPICS.settlementDue, 'm-claw')).toHaveLength(2);
    const balance = await get('/merchants/m-claw/balance');
    expect(balance).toMatchObject({ merchantId: 'm-claw', balances: [{ currency: 'CNY', owedMinor: '-4006', reserveHeldMinor: '0', dueUnpaidMinor: '-4006', notYetDueMinor: '0' }] });
    expect(await ds.query(`SELECT count(*)::int AS n FROM ledger_transaction WHERE reference = $1`, [`refund:${r1.refundId}`])).toEqual([{ n: 1 }]);
    // the stats count each refund booked once, the redelivered one too
    expect((await get('/settlement/stats')).bookedRefunds).toBe(refundsBookedBefore + 2);
    // what the bank paid = gross - fees - refunds + what is still owed back
    const paid = bank.calls.filter((c) => on(TOPICS.settlementCompleted, 'm-claw').some((m) => m.value.settlementId === c.payoutId)).reduce((a, c) => a + BigInt(c.amountMinor), 0n);
    expect(paid).toBe(16_000n - (60n + 30n + 6n) - 8_000n + 4_006n);
  });

  it('lists a merchant\'s settlements, shows their line items and exports them as a CSV statement', async () => {
    const list = await get('/settlements?merchantId=m-claw&limit=1');
    expect(list.settlements).toHaveLength(1);
    expect(list.settlements[0]).toMatchObject({ merchantId: 'm-claw', netMinor: '1970', status: 'COMPLETED' });
    const next = await get(`/settlements?merchantId=m-claw&limit=1&before=${encodeURIComponent(list.nextBefore)}`);
    expect(next.settlements[0]).toMatchObject({ netMinor: '9940' });
    const detail = await get(`/settlements/${list.settlements[0].settlementId}`);
    expect(detail.lines.map((l: Record<string, string>) => [l.kind, l.amountMinor])).toEqual([
      ['refund', '-3000'],
      ['payment', '4970'],
    ]);
    expect((await app.inject({ method: 'GET', url: '/settlements?limit=0' })).json().error.code).toBe('VALIDATION_FAILED');
    const csv = await app.inject({ method: 'GET', url: '/merchants/m-claw/statement.csv' });
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.trimEnd().split('\r\n');
    expect(rows[0]).toBe('settlement_id,status,as_of,created_at,payout_ref,line,reference,channel,occurred_at,due_on,gross,fee,refund,reserve,amount,currency');
    expect(rows.filter((r) => r.includes(',total,')).map((r) => r.split(',').slice(-2)[0])).toEqual(['99.40', '19.70']);
    expect(rows.some((r) => r.includes(',refund,') && r.endsWith(',-30.00,CNY'))).toBe(true);
  });

  it('asks the bank about a payout it answered PROCESSING instead of sending it again', async () => {
    await register('m-slow', { terms: { payoutAccount: { ...testPayoutAccount(), accountNo: '62220200000004003' } } });
    await send(succeeded('m-slow', '3000'));
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-slow')[0], 20_000, 'paid after a query');
    const id = done.value.settlementId!;
    expect(bank.callsFor(id)).toEqual([expect.objectContaining({ accountNo: '62220200000004003', amountMinor: '2982' })]);
    expect(bank.queries.filter((q) => q === id)).toHaveLength(1);
    expect(await get(`/settlements/${id}`)).toMatchObject({ status: 'COMPLETED', attempts: 2, payoutRef: bank.paid.get(id) });
  });

  it('fails a payout the bank refuses after the last attempt, reverses it, and pays it to the corrected account', async () => {
    await register('m-frozen', { terms: { payoutAccount: { ...testPayoutAccount(), accountNo: '62220200000004001' } } });
    await send(succeeded('m-frozen', '2000'));
    const failed = await waitFor(() => on(TOPICS.settlementFailed, 'm-frozen')[0], 30_000, 'refused for good');
    const id = failed.value.settlementId!;
    expect(failed.value).toMatchObject({ netMinor: '1988', reason: { code: 'SETTLEMENT_PAYOUT_FAILED' } });
    expect(bank.callsFor(id)).toHaveLength(3);
    const reversal: { kind: string; total: string }[] = await ds.query(
      `SELECT t.kind, sum(e.amount_minor)::text AS total FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id
        WHERE t.reference IN ($1, $2) AND e.account_id = 'payouts_in_flight' GROUP BY t.kind ORDER BY t.kind`,
      [`payout_sent:${id}`, `payout_reversed:${id}`],
    );
    expect(reversal).toEqual([
      { kind: 'payout_reversed', total: '1988' },
      { kind: 'payout_sent', total: '-1988' },
    ]);
    // the corrected account took effect in the merchant service (four eyes, cooling-off): its snapshot follows
    await register('m-frozen', { version: 2, terms: { payoutAccount: { ...testPayoutAccount(), accountNo: '62220200000000009' } } });
    const run = (await runSettlements(`run-${randomUUID()}`, { merchantId: 'm-frozen', asOf: addDays(today(), 1) })).json();
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-frozen')[0], 20_000, 'paid to the corrected account');
    expect(done.value).toMatchObject({ settlementId: run.settlementIds[0], netMinor: '1988' });
    expect(bank.callsFor(run.settlementIds[0])).toEqual([expect.objectContaining({ accountNo: '62220200000000009' })]);
    expect(bank.paid.has(id)).toBe(false);
  });

  it('charges a fee plan with a fixed part and a minimum, holds a rolling reserve and releases it after the hold', async () => {
    await register('m-res', { terms: { feePlan: { rateBps: 80, fixedMinor: '30', minMinor: '50', maxMinor: '5000', rounding: 'half-up' }, reserveBps: 1000, reserveHoldDays: 1 } });
    await send(succeeded('m-res', '1000')); // 8 + 30 = 38, lifted to the 50 minimum; net 950, reserve 95
    const first = await waitFor(() => on(TOPICS.settlementDue, 'm-res')[0], 20_000, 'settled less the reserve');
    expect(first.value).toMatchObject({ grossMinor: '1000', feeMinor: '50', reserveHeldMinor: '95', netMinor: '855' });
    await waitFor(() => on(TOPICS.settlementCompleted, 'm-res')[0], 20_000, 'paid');
    expect((await get('/merchants/m-res/balance')).balances[0]).toMatchObject({ owedMinor: '0', reserveHeldMinor: '95' });
    const early = (await runSettlements(`run-${randomUUID()}`, { merchantId: 'm-res' })).json();
    expect(early.settlementIds).toEqual([]); // the hold has a day to run
    const run = (await runSettlements(`run-${randomUUID()}`, { merchantId: 'm-res', asOf: addDays(today(), 1) })).json();
    expect(run.settlementIds).toHaveLength(1);
    await waitFor(() => on(TOPICS.settlementCompleted, 'm-res')[1], 20_000, 'reserve paid');
    expect(await get(`/settlements/${run.settlementIds[0]}`)).toMatchObject({ reserveReleasedMinor: '95', netMinor: '95', lines: [expect.objectContaining({ kind: 'reserve_release' })] });
    expect((await get('/merchants/m-res/balance')).balances[0]).toMatchObject({ owedMinor: '0', reserveHeldMinor: '0' });
  });

  it('keeps its terms as a copy of the merchant registry: follows updates, ignores older versions, has no terms API to write', async () => {
    expect((await app.inject({ method: 'GET', url: '/merchants/m-terms/settlement-terms' })).json().error.code).toBe('MERCHANT_NOT_FOUND');
    for (const url of ['/merchants/m%20bad/settlement-terms', '/merchants/m%20bad/balance', '/merchants/m%20bad/statement.csv']) {
      expect((await get(url)).error).toMatchObject({ code: 'VALIDATION_FAILED', detail: 'merchantId is not a valid id' });
    }
    // the terms are changed in the merchant service now
    expect((await app.inject({ method: 'PUT', url: '/merchants/m-terms/settlement-terms', headers: { 'idempotency-key': 't-1' }, payload: { nDays: 2 } })).statusCode).toBe(404);
    await register('m-terms');
    await register('m-terms', { version: 3, terms: { schedule: 't_plus_n', nDays: 2, cutoffTime: '20:00', feePlan: { rateBps: 100, fixedMinor: '10', minMinor: '0', maxMinor: null, rounding: 'half-up' } } });
    // version 2 arrives late: the copy stays at 3
    await upstream.sendEvent(t(TOPICS.merchantUpdated), 'm-terms', testMerchantSnapshot('m-terms', { version: 2, terms: { nDays: 0 } }));
    await register('m-terms-marker');
    expect(await get('/merchants/m-terms/settlement-terms')).toEqual({
      merchantId: 'm-terms',
      version: 3,
      status: 'active',
      terms: {
        schedule: 't_plus_n', nDays: 2, cutoffTime: '20:00', payoutMinMinor: '0', reserveBps: 0, reserveHoldDays: 0, payoutChannel: 'bank_transfer',
        feePlan: { rateBps: 100, fixedMinor: '10', minMinor: '0', maxMinor: null, rounding: 'half-up' },
        payoutAccount: { bankCode: testPayoutAccount().bankCode, accountLast4: testPayoutAccount().accountNo.slice(-4), accountName: testPayoutAccount().accountName },
      },
    });
    const p = succeeded('m-terms', '10000');
    await send(p);
    await booked(`payment:${p.paymentId}`);
    expect(await ds.query(`SELECT fee_minor::text AS fee FROM settlement_item WHERE kind = 'payment' AND reference = $1`, [p.paymentId])).toEqual([{ fee: '110' }]);
    expect(on(TOPICS.settlementDue, 'm-terms')).toHaveLength(0);
  });

  it('waits with a payment of a merchant whose registration has not arrived yet, then books it by the merchant\'s terms', async () => {
    const p = succeeded('m-late', '10000');
    await send(p);
    await pause(500);
    expect(await ds.query(`SELECT 1 FROM ledger_transaction WHERE reference = $1`, [`payment:${p.paymentId}`])).toHaveLength(0);
    expect(on(`${TOPICS.paymentSucceeded}.dlq`, p.orderId)).toHaveLength(0);
    await register('m-late', { terms: { feePlan: { rateBps: 100, fixedMinor: '0', minMinor: '0', maxMinor: null, rounding: 'half-up' } } });
    await booked(`payment:${p.paymentId}`);
    expect(await ds.query(`SELECT fee_minor::text AS fee FROM settlement_item WHERE kind = 'payment' AND reference = $1`, [p.paymentId])).toEqual([{ fee: '100' }]);
  });

  it('never pays a merchant without a payout account: its settlement is held (SETTLEMENT_PAYOUT_ACCOUNT_MISSING)', async () => {
    // a profile from before the registry, whose account the migration left empty
    await ds.query(`INSERT INTO merchant_settlement_profile (merchant_id, version, status, schedule, n_days, payout_account_no) VALUES ('m-noacct', 0, 'active', 't_plus_n', 1, NULL)`);
    const p = succeeded('m-noacct', '5000');
    await send(p);
    await booked(`payment:${p.paymentId}`);
    const run = (await runSettlements(`run-${randomUUID()}`, { merchantId: 'm-noacct', asOf: addDays(today(), 5) })).json();
    expect(run).toMatchObject({ settlementIds: [], carriedForward: 1 });
    expect(await ds.query(`SELECT 1 FROM settlement_batch WHERE merchant_id = 'm-noacct'`)).toHaveLength(0);
    expect(await ds.query(`SELECT count(*)::int AS n FROM settlement_item WHERE merchant_id = 'm-noacct' AND settlement_id IS NULL`)).toEqual([{ n: 1 }]);
  });

  it('takes calendar overrides through the API, validated and audited, and a T+1 payment booked after one is paid a day later or earlier', async () => {
    await register('m-cal', { terms: { schedule: 't_plus_n', nDays: 1 } });
    // the operator a change is made by is the token's (ops.li unless said)
    const override = async (method: 'PUT' | 'DELETE', date: string, key: string | undefined, body: Record<string, unknown>, operatorId = 'ops.li') =>
      app.inject({ method, url: `/settlement/calendar/overrides/${date}`, headers: { ...(await as(operatorId)), ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload: body });
    const changes = async () => Number((await ds.query(`SELECT count(*)::int AS n FROM calendar_override_change`))[0].n);
    const dueOn = async (paymentId: string) => (await ds.query(`SELECT to_char(due_on, 'YYYY-MM-DD') AS d FROM settlement_item WHERE kind = 'payment' AND reference = $1`, [paymentId]))[0]?.d;
    const closure = { kind: 'holiday', reason: 'bank closure drill' };

    // refused with a stable code, nothing recorded
    expect((await override('PUT', '2026-06-04', undefined, closure)).json().error.code).toBe('IDEMPOTENCY_KEY_MISSING');
    for (const [date, body, field] of [
      ['2026-02-30', closure, 'date'],
      ['2101-01-03', closure, 'date'],
      ['2026-06-04', { ...closure, kind: 'weekend' }, 'kind'],
      ['2026-06-04', { ...closure, reason: ' ' }, 'reason'],
      ['2026-06-04', { ...closure, extra: 1 }, '(body)'],
    ] as const) {
      const refused = await override('PUT', date, `cal-bad-${field}`, body);
      expect([refused.statusCode, refused.json().error.code, refused.json().error.field]).toEqual([422, 'SETTLEMENT_CALENDAR_OVERRIDE_INVALID', field]);
    }
    // a body naming its operator is refused: the operator is the authenticated principal
    for (const [method, body] of [['PUT', { ...closure, by: 'ops.wang' }], ['DELETE', { reason: 'x', by: 'ops.wang' }]] as const) {
      const claimed = await override(method, '2026-06-04', `cal-claim-${method}`, body);
      expect([claimed.statusCode, claimed.json().error.code, claimed.json().error.field]).toEqual([400, 'VALIDATION_FAILED', 'by']);
    }
    expect((await app.inject({ method: 'GET', url: '/settlement/calendar?year=1999' })).json().error.code).toBe('VALIDATION_FAILED');
    expect(await changes()).toBe(0);

    // Thursday 2026-06-04 closed: a T+1 payment of Wednesday 10:00 China time is due Friday instead
    const closed = await override('PUT', '2026-06-04', 'cal-1', closure);
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ override: { date: '2026-06-04', kind: 'holiday', reason: 'bank closure drill', by: 'ops.li' }, replayed: false });
    expect((await override('PUT', '2026-06-04', 'cal-1', closure)).json()).toEqual({ ...closed.json(), replayed: true });
    expect((await override('PUT', '2026-06-04', 'cal-1', { ...closure, kind: 'workday' })).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const later = { ...succeeded('m-cal', '10000'), succeededAt: '2026-06-03T02:00:00.000Z' };
    await send(later);
    await booked(`payment:${later.paymentId}`);
    expect(await dueOn(later.paymentId)).toBe('2026-06-05');
    expect((await runSettlements(`cal-run-${randomUUID()}`, { asOf: '2026-06-04', merchantId: 'm-cal' })).json().settlementIds).toEqual([]);
    const paidLater = (await runSettlements(`cal-run-${randomUUID()}`, { asOf: '2026-06-05', merchantId: 'm-cal' })).json();
    expect(paidLater.settlementIds).toHaveLength(1);
    expect(await get(`/settlements/${paidLater.settlementIds[0]}`)).toMatchObject({ asOf: '2026-06-05', lines: [expect.objectContaining({ kind: 'payment', grossMinor: '10000' })] });

    // Saturday 2026-06-06 opened: a T+1 payment of Friday is due Saturday instead of Monday
    // an Idempotency-Key is its operator's own: ops.wang's cal-1 is a request of his, not ops.li's replayed
    const opened = await override('PUT', '2026-06-06', 'cal-1', { kind: 'workday', reason: 'make-up day' }, 'ops.wang');
    expect([opened.statusCode, opened.json()]).toEqual([200, { override: expect.objectContaining({ date: '2026-06-06', kind: 'workday', by: 'ops.wang' }), replayed: false }]);
    const earlier = { ...succeeded('m-cal', '20000'), succeededAt: '2026-06-05T02:00:00.000Z' };
    await send(earlier);
    await booked(`payment:${earlier.paymentId}`);
    expect(await dueOn(earlier.paymentId)).toBe('2026-06-06');
    const paidEarlier = (await runSettlements(`cal-run-${randomUUID()}`, { asOf: '2026-06-06', merchantId: 'm-cal' })).json();
    expect(paidEarlier.settlementIds).toHaveLength(1);
    expect(await get(`/settlements/${paidEarlier.settlementIds[0]}`)).toMatchObject({ asOf: '2026-06-06', lines: [expect.objectContaining({ kind: 'payment', grossMinor: '20000' })] });

    // the calendar in force shows both; removing one is audited too, and the shipped data holds again
    const shown = await get('/settlement/calendar?year=2026');
    expect(shown.holidays).toContain('2026-06-04');
    expect(shown.makeUpWorkdays).toEqual(expect.arrayContaining(['2026-02-14', '2026-06-06']));
    expect(shown.overrides).toEqual([
      { date: '2026-06-04', kind: 'holiday', reason: 'bank closure drill', by: 'ops.li', at: expect.any(String) },
      { date: '2026-06-06', kind: 'workday', reason: 'make-up day', by: 'ops.wang', at: expect.any(String) },
    ]);
    const removed = await override('DELETE', '2026-06-04', 'cal-3', { reason: 'drill called off' });
    expect(removed.json()).toMatchObject({ date: '2026-06-04', removed: true, was: { kind: 'holiday' }, replayed: false });
    expect((await override('DELETE', '2026-06-04', 'cal-3', { reason: 'drill called off' })).json()).toMatchObject({ removed: true, replayed: true });
    const missing = await override('DELETE', '2026-06-04', 'cal-4', { reason: 'again' });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'SETTLEMENT_CALENDAR_OVERRIDE_NOT_FOUND']);
    const after = await get('/settlement/calendar?year=2026');
    expect(after.holidays).not.toContain('2026-06-04');
    expect(after.businessDays).toBe(shown.businessDays + 1);
    // each change is in the audit chain with the token's operator; the failed removal (404) left no row
    expect((await auditRowsAbout(ds, 'calendar:2026-06-04')).map((r) => [r.actor, r.action, (r.details as { reason: string }).reason])).toEqual([
      ['operator:ops.li', 'calendar.override.set', 'bank closure drill'],
      ['operator:ops.li', 'calendar.override.removed', 'drill called off'],
    ]);
    expect(after.changes.map((c: Record<string, unknown>) => [c.date, c.action, c.kind, c.by, c.reason])).toEqual([
      ['2026-06-04', 'set', 'holiday', 'ops.li', 'bank closure drill'],
      ['2026-06-06', 'set', 'workday', 'ops.wang', 'make-up day'],
      ['2026-06-04', 'remove', null, 'ops.li', 'drill called off'],
    ]);
    await ds.query(`DELETE FROM calendar_override WHERE day = '2026-06-06'`);
  });

  it('settles each item once when runs for one merchant race each other', async () => {
    await register('m-race', { terms: { schedule: 't_plus_n', nDays: 1 } });
    const payments = ['1000', '2000', '3000', '4000', '5000'].map((a) => succeeded('m-race', a));
    for (const p of payments) await send(p);
    for (const p of payments) await booked(`payment:${p.paymentId}`);
    const runs = await Promise.all(Array.from({ length: 8 }, () => runSettlements(`race-${randomUUID()}`, { merchantId: 'm-race', asOf: addDays(today(), 20) })));
    expect(runs.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(runs.flatMap((r) => r.json().settlementIds as string[])).toHaveLength(1);
    const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-race')[0], 20_000, 'the one settlement paid');
    expect(done.value.netMinor).toBe(String(15_000 - (6 + 12 + 18 + 24 + 30)));
    await pause(300);
    expect(on(TOPICS.settlementDue, 'm-race')).toHaveLength(1);
  });

  it('asks the bank before giving a payout up, and completes one it paid while answering errors', async () => {
    bank.payThenFailNext = 100;
    const p = succeeded('m-paid-503', '9000');
    await send(p);
    try {
      const done = await waitFor(() => on(TOPICS.settlementCompleted, 'm-paid-503')[0], 30_000, 'completed from the bank\'s own record');
      const id = done.value.settlementId!;
      expect(bank.callsFor(id)).toHaveLength(3);
      expect(done.value.payoutRef).toBe(bank.paid.get(id));
      expect(await get(`/settlements/${id}`)).toMatchObject({ status: 'COMPLETED', attempts: 3 });
    } finally {
      bank.payThenFailNext = 0;
    }
    await pause(300);
    // nothing reversed, nothing owed again: the merchant is paid once
    expect(on(TOPICS.settlementFailed, 'm-paid-503')).toHaveLength(0);
    expect(await ds.query(`SELECT kind FROM settlement_item WHERE merchant_id = 'm-paid-503' AND settlement_id IS NULL`)).toEqual([]);
    expect(await ds.query(`SELECT sum(amount_minor)::text AS total FROM ledger_entry WHERE account_id = 'merchant_payable:m-paid-503'`)).toEqual([{ total: '0' }]);
  });

  it('keeps a real-time payment booked when settling it at once fails, and leaves the settlement to the next run', async () => {
    // an item the ledger does not back makes the settlement exceed what is owed: settle refuses (the invariant)
    await ds.query(
      `INSERT INTO settlement_item (kind, reference, merchant_id, currency, due_on, amount_minor, occurred_at) VALUES ('payout_reversal', $1, 'm-rt-broken', 'CNY', $2, 100000, now())`,
      [randomUUID(), today()],
    );
    try {
      const p = succeeded('m-rt-broken', '5000');
      await send(p);
      await booked(`payment:${p.paymentId}`);
      expect(await ds.query(`SELECT kind, settlement_id FROM settlement_item WHERE reference = $1`, [p.paymentId])).toEqual([{ kind: 'payment', settlement_id: null }]);
      await pause(300);
      expect(on(TOPICS.settlementDue, 'm-rt-broken')).toHaveLength(0);
      expect(collector.on(t(`${TOPICS.paymentSucceeded}.dlq`)).filter((m) => m.key === p.orderId)).toHaveLength(0);
    } finally {
      await ds.query(`DELETE FROM settlement_item WHERE merchant_id = 'm-rt-broken' AND kind = 'payout_reversal'`);
    }
  });

  it('keeps the ledger balanced with cached balances equal to the entries, and nothing left in flight', async () => {
    // and everything the tests above did forms one unbroken audit chain
    expect(await verifyAuditChain(ds)).toMatchObject({ status: 'ok', length: expect.any(BigInt) });
    await pause(300);
    expect(await get('/ledger/check')).toMatchObject({ balanced: true, cachedBalancesDrifted: [], totalsByCurrency: { CNY: '0' } });
    const kinds = Object.fromEntries(((await get('/ledger/balances')) as { kind: string; balanceMinor: string }[]).map((b) => [b.kind, b.balanceMinor]));
    expect(kinds.payouts_in_flight).toBe('0');
    expect(BigInt(kinds.channel_cost!)).toBeGreaterThan(0n);
    expect(BigInt(kinds.platform_fee_revenue!)).toBeLessThan(0n);
    // every payout that left the bank account is one the bank paid, once
    const paidByBank = [...bank.paid.entries()].map(([id]) => bank.calls.find((c) => c.payoutId === id)!).reduce((a, c) => a + BigInt(c.amountMinor), 0n);
    expect(BigInt(kinds.bank_settlement_account!)).toBe(-paidByBank);
  });
});
