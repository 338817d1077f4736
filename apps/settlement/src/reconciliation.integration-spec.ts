import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS, type PaymentRefunded, type PaymentSucceeded } from '@paystream/contracts';
import { DailyReconciliationWorker } from '@paystream/settlement/feature-reconcile';
import { auditRowsAbout } from '@paystream/shared/audit-log';
import { authorizationFor } from '@paystream/shared/auth';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, RawProducer, testDatabaseUrl, testMerchantSnapshot, testServiceEnv, uniqueId, uniqueTopicPrefix, waitFor, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadSettlementConfig } from './config';

type BillRow = { kind: 'payment' | 'refund'; outTradeNo: string; channelTradeNo: string; outRefundNo?: string; amountMinor: string; feeMinor: string; paidAt: string };
type OurRecord = {
  kind: 'payment' | 'refund';
  paymentId: string;
  refundId?: string;
  outTradeNo: string;
  outRefundNo?: string;
  channelTradeNo: string | null;
  amountMinor: string;
  currency: string;
  status: string;
  onDay: boolean;
  at: string;
};

/** Stands in for channel-gateway's two reconciliation endpoints (its own spec runs them against the emulator). */
class GatewayStandIn {
  bills = new Map<string, BillRow[]>();
  ours = new Map<string, OurRecord[]>();
  failBills = false;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const bill = /^\/reconciliation\/bills\/(\w+)\/([\d-]+)$/.exec(url.pathname);
      if (bill) {
        if (this.failBills) return json(502, { error: { code: 'RECONCILIATION_BILL_UNAVAILABLE', detail: 'Alipay answered 503' } });
        return json(200, { channel: bill[1], date: bill[2], rows: this.bills.get(`${bill[1]}/${bill[2]}`) ?? [] });
      }
      if (url.pathname === '/channel-transactions') {
        const key = `${url.searchParams.get('channel')}/${url.searchParams.get('date')}`;
        return json(200, { channel: url.searchParams.get('channel'), date: url.searchParams.get('date'), records: this.ours.get(key) ?? [] });
      }
      json(404, {});
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('settlement reconciliation on the real database (the ledger booked from real events)', () => {
  const prefix = uniqueTopicPrefix('rec');
  const schema = uniqueId('rec_');
  const gateway = new GatewayStandIn();
  const date = '2026-11-20';
  let app: NestFastifyApplication;
  let upstream: RawProducer;
  let creds: TestCredentials;

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };
  // a new Idempotency-Key each call unless said (null: none); as: the finance operator whose token calls
  const post = async (body: unknown, key: string | null = randomUUID(), as?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) };
    if (as) headers.authorization = authorizationFor(await creds.operator(as, ['finance']), 'POST', '/reconciliation/runs', JSON.stringify(body));
    const res = await app.inject({ method: 'POST', url: '/reconciliation/runs', headers, payload: JSON.stringify(body) });
    return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] };
  };
  /** The sample of a metric with these labels (the service label comes along). */
  const metric = async (name: string, labels: Record<string, string>) => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  };
  /** A payment that went through: on the bill, in our records, and (once its event is consumed) in the ledger. */
  const payment = (amountMinor: string) => {
    const paymentId = randomUUID();
    const outTradeNo = paymentId.replace(/-/g, '');
    const tradeNo = `2026${outTradeNo.slice(0, 12)}`;
    return {
      paymentId,
      outTradeNo,
      bill: { kind: 'payment' as const, outTradeNo, channelTradeNo: tradeNo, amountMinor, feeMinor: '0', paidAt: `${date} 12:00:00` },
      ours: { kind: 'payment' as const, paymentId, outTradeNo, channelTradeNo: tradeNo, amountMinor, currency: 'CNY', status: 'SUCCEEDED', onDay: true, at: new Date().toISOString() },
      event: { paymentId, orderId: `o-${paymentId.slice(0, 8)}`, merchantId: 'm-rec', userId: 'u-1', amountMinor, currency: 'CNY', channel: 'alipay', channelTradeNo: tradeNo, succeededAt: new Date().toISOString() } satisfies PaymentSucceeded,
    };
  };
  /** A refund of `of`, succeeded at the channel: its bill row, our record and its event (which books it in the ledger). */
  const refund = (of: ReturnType<typeof payment>, amountMinor: string, day: string) => {
    const refundId = randomUUID();
    const outRefundNo = refundId.replace(/-/g, '');
    return {
      refundId,
      outRefundNo,
      bill: { ...of.bill, kind: 'refund' as const, outRefundNo, amountMinor, paidAt: `${day} 15:00:00` },
      ours: { ...of.ours, kind: 'refund' as const, refundId, outRefundNo, amountMinor },
      event: { refundId, paymentId: of.paymentId, orderId: of.event.orderId, merchantId: of.event.merchantId, amountMinor, currency: 'CNY', refundedAt: new Date().toISOString() } satisfies PaymentRefunded,
    };
  };
  const p = [payment('1000'), payment('2000'), payment('3000'), payment('4000'), payment('5000'), payment('6000')];
  const fake = payment('777');
  const unbooked = payment('8000');

  beforeAll(async () => {
    const gatewayUrl = await gateway.start();
    const config = loadSettlementConfig(
      await testServiceEnv('SETTLEMENT', { schema, topicPrefix: prefix }, { CHANNEL_GATEWAY_URL: gatewayUrl, CHANNEL_EMULATOR_URL: gatewayUrl, RECONCILIATION_CHECK_INTERVAL_MS: '3600000' }),
    );
    app = await startInProcessApp(AppModule.forRoot(config));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    upstream = await new RawProducer().start();
    // m-rec was onboarded in the merchant service: its snapshot reaches settlement's copy first
    await upstream.sendEvent(`${prefix}${TOPICS.merchantRegistered}`, 'm-rec', testMerchantSnapshot('m-rec'));
    for (const x of p) await upstream.sendEvent(`${prefix}${TOPICS.paymentSucceeded}`, x.event.orderId, x.event);
    // each payment's own booking (the ledger also books payouts and fees now, so a total count would come too soon)
    const ds = app.get(Platform, { strict: false }).ds;
    const booked = async () => {
      const [row]: { n: number }[] = await ds.query(`SELECT count(*)::int AS n FROM ledger_transaction WHERE kind = 'payment' AND reference = ANY($1)`, [p.map((x) => `payment:${x.paymentId}`)]);
      return row!.n >= p.length ? true : undefined;
    };
    await waitFor(booked, 30_000, 'the payments booked');
    // the bill: p0, p1 match; p2 the channel billed 1 fen more; p3 missing from the bill; p4 we recorded FAILED;
    // a fake row; p5 matches; `unbooked` succeeded at the channel and with us but was never booked
    gateway.bills.set(`alipay/${date}`, [p[0]!.bill, p[1]!.bill, { ...p[2]!.bill, amountMinor: '3001' }, p[4]!.bill, fake.bill, p[5]!.bill, unbooked.bill]);
    gateway.ours.set(`alipay/${date}`, [p[0]!.ours, p[1]!.ours, p[2]!.ours, p[3]!.ours, { ...p[4]!.ours, status: 'FAILED', onDay: false }, p[5]!.ours, unbooked.ours]);
  });

  afterAll(async () => {
    await upstream?.stop();
    await app?.close();
    await gateway.stop();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('runs a day on demand: a report with the matched count and amount and each break with its kind', async () => {
    const { status, body } = await post({ date, channel: 'alipay' });
    expect(status).toBe(200);
    const [run] = body.runs;
    expect(run).toMatchObject({
      channel: 'alipay',
      date,
      status: 'COMPLETED',
      trigger: 'api',
      attempts: 1,
      billed: { count: 7, amountMinor: String(1000 + 2000 + 3001 + 5000 + 777 + 6000 + 8000) },
      matched: { count: 3, amountMinor: String(1000 + 2000 + 6000) },
      breakCount: 5,
      breaksByKind: { missing_ours: 2, missing_channel: 1, amount_mismatch: 1, status_mismatch: 1 },
    });
    const found = run.breaks.map((b: { kind: string; side: string; reference: string }) => `${b.kind}/${b.side}/${b.reference}`).sort();
    expect(found).toEqual(
      [`amount_mismatch/gateway/${p[2]!.outTradeNo}`, `missing_channel/gateway/${p[3]!.outTradeNo}`, `status_mismatch/gateway/${p[4]!.outTradeNo}`, `missing_ours/gateway/${fake.outTradeNo}`, `missing_ours/ledger/${unbooked.outTradeNo}`].sort(),
    );
    expect(run.breaks.find((b: { kind: string }) => b.kind === 'amount_mismatch')).toMatchObject({ channelAmountMinor: '3001', ourAmountMinor: '3000', paymentId: p[2]!.paymentId, status: 'open' });
    expect(await get(`/reconciliation/runs/${run.runId}`)).toMatchObject({ status: 200, body: { runId: run.runId, breakCount: 5 } });
    expect((await get('/reconciliation/runs')).body.map((r: { runId: string }) => r.runId)).toEqual([run.runId]);
    expect((await get('/reconciliation/breaks?status=open')).body).toHaveLength(5);
    expect((await get('/reconciliation/breaks?status=open&kind=missing_ours')).body).toHaveLength(2);
    expect(await metric('paystream_reconciliation_breaks', { channel: 'alipay', kind: 'missing_ours' })).toMatch(/ 2$/);
    expect(await metric('paystream_reconciliation_breaks', { channel: 'wechatpay', kind: 'amount_mismatch' })).toMatch(/ 0$/);
    expect(await metric('paystream_reconciliation_matched_total', { channel: 'alipay' })).toMatch(/ 3$/);
    expect(await metric('paystream_reconciliation_last_run_timestamp_seconds', { channel: 'alipay' })).toMatch(/ \d{10}(\.\d+)?$/);
    // the run is in the audit chain, stored with it, by the token's operator (on the run too)
    expect(run).toMatchObject({ trigger: 'api', requestedBy: 'operator:test-operator' });
    expect(await auditRowsAbout(app.get(Platform, { strict: false }).ds, `reconciliation_run:${run.runId}`)).toEqual([
      expect.objectContaining({ actor: 'operator:test-operator', action: 'reconciliation.run', details: expect.objectContaining({ channel: 'alipay', date, status: 'COMPLETED', trigger: 'api', attempts: 1, breakCount: 5, matchedCount: 3 }) }),
    ]);
  });

  it('is idempotent per channel and day: a re-run refreshes the same run and doubles nothing; a break no longer found is resolved', async () => {
    const first = (await get(`/reconciliation/runs?channel=alipay&date=${date}`)).body[0];
    const again = (await post({ date, channel: 'alipay' }, 'rec-k-1')).body.runs[0];
    expect(again).toMatchObject({ runId: first.runId, attempts: 2, breakCount: 5 });
    // the same Idempotency-Key and body: the first report again, nothing run; another body under it: refused
    const replayed = await post({ date, channel: 'alipay' }, 'rec-k-1');
    expect(replayed).toMatchObject({ status: 200, replayed: 'true', body: { runs: [{ runId: first.runId, attempts: 2 }] } });
    expect((await get(`/reconciliation/runs/${first.runId}`)).body).toMatchObject({ attempts: 2 });
    expect(await post({ date, channel: 'wechatpay' }, 'rec-k-1')).toMatchObject({ status: 422, body: { error: { code: 'IDEMPOTENCY_KEY_REUSED' } } });
    expect(await post({ date, channel: 'alipay' }, null)).toMatchObject({ status: 400, body: { error: { code: 'IDEMPOTENCY_KEY_MISSING' } } });
    // a key is its operator's own: another operator's rec-k-1 runs the day again, recorded as theirs
    const theirs = await post({ date, channel: 'alipay' }, 'rec-k-1', 'finance.wang');
    expect(theirs).toMatchObject({ status: 200, body: { runs: [{ runId: first.runId, attempts: 3, requestedBy: 'operator:finance.wang' }] } });
    expect(theirs.replayed).toBeUndefined();
    expect((await auditRowsAbout(app.get(Platform, { strict: false }).ds, `reconciliation_run:${first.runId}`)).map((a) => a.actor).slice(-1)).toEqual(['operator:finance.wang']);
    expect((await get('/reconciliation/breaks?status=open')).body).toHaveLength(5);
    // the channel corrects its bill: p2's amount and p3 are right now
    gateway.bills.set(`alipay/${date}`, [p[0]!.bill, p[1]!.bill, p[2]!.bill, p[3]!.bill, p[4]!.bill, fake.bill, p[5]!.bill, unbooked.bill]);
    const corrected = (await post({ date, channel: 'alipay' })).body.runs[0];
    expect(corrected).toMatchObject({ runId: first.runId, attempts: 4, matched: { count: 5 }, breaksByKind: { missing_ours: 2, missing_channel: 0, amount_mismatch: 0, status_mismatch: 1 } });
    const resolved = (await get('/reconciliation/breaks?status=resolved')).body;
    expect(resolved.map((b: { kind: string; resolvedAt: string | null }) => [b.kind, b.resolvedAt !== null]).sort()).toEqual([['amount_mismatch', true], ['missing_channel', true]]);
    expect(await metric('paystream_reconciliation_breaks', { channel: 'alipay', kind: 'amount_mismatch' })).toMatch(/ 0$/);
  });

  it('a bill that cannot be had fails the run (a completed run keeps its results) and says why', async () => {
    gateway.failBills = true;
    try {
      const other = (await post({ date: '2026-11-21', channel: 'alipay' })).body.runs[0];
      expect(other).toMatchObject({ status: 'FAILED', lastError: expect.stringContaining('RECONCILIATION_BILL_UNAVAILABLE'), completedAt: null });
      const kept = (await post({ date, channel: 'alipay' })).body.runs[0];
      expect(kept).toMatchObject({ status: 'COMPLETED', attempts: 5, lastError: expect.stringContaining('502'), breakCount: 3 });
    } finally {
      gateway.failBills = false;
    }
  });

  it('the daily job reconciles the due day (yesterday, Beijing) for each channel once, and retries one that failed', async () => {
    const worker = app.get(DailyReconciliationWorker, { strict: false });
    const now = new Date('2026-11-24T03:00:00Z'); // 11:00 in Beijing: the 23rd is due
    expect(await worker.tick(now)).toEqual(['alipay', 'wechatpay', 'unionpay']);
    expect(await worker.tick(now)).toEqual([]);
    expect((await get('/reconciliation/runs?date=2026-11-23')).body.map((r: { channel: string; trigger: string; status: string }) => [r.channel, r.trigger, r.status])).toEqual([
      ['alipay', 'schedule', 'COMPLETED'],
      ['unionpay', 'schedule', 'COMPLETED'],
      ['wechatpay', 'schedule', 'COMPLETED'],
    ]);
    expect(await worker.tick(new Date('2026-11-22T03:00:00Z'))).toEqual(['alipay', 'wechatpay', 'unionpay']); // the 21st failed above for alipay; the others never ran
    const retried = (await get('/reconciliation/runs?channel=alipay&date=2026-11-21')).body[0];
    expect(retried).toMatchObject({ status: 'COMPLETED', trigger: 'schedule', requestedBy: 'system:daily-reconciliation' });
    // the failed run by the operator and its retry by the daily job, each audited with its outcome
    expect((await auditRowsAbout(app.get(Platform, { strict: false }).ds, `reconciliation_run:${retried.runId}`)).map((a) => [a.actor, (a.details as { status: string }).status])).toEqual([
      ['operator:test-operator', 'FAILED'],
      ['system:daily-reconciliation', 'COMPLETED'],
    ]);
  });

  it('refuses bad requests with stable codes and changes nothing', async () => {
    const before = (await get('/reconciliation/runs')).body.length;
    for (const body of [{}, { date: '2026-02-30x' }, { date: '2026-02-30' }, { date: '2025-02-29', channel: 'alipay' }, { date, channel: 'paypal' }, { date: '2999-01-01' }, { date, extra: 1 }]) {
      expect(await post(body)).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    }
    // a body naming who runs it: the runner is the authenticated principal
    expect(await post({ date, channel: 'alipay', by: 'ops.wang' })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', field: 'by' } } });
    expect(await get(`/reconciliation/runs/${randomUUID()}`)).toMatchObject({ status: 404, body: { error: { code: 'RECONCILIATION_RUN_NOT_FOUND' } } });
    expect(await get('/reconciliation/runs/nope')).toMatchObject({ status: 400 });
    expect(await get('/reconciliation/breaks?status=closed')).toMatchObject({ status: 400 });
    expect(await get('/reconciliation/runs?date=2026-04-31')).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect((await get('/reconciliation/runs')).body.length).toBe(before);
  });

  it('a success paid just before midnight and learned of after it is on the day before\'s bill: no break', async () => {
    const late = payment('4200');
    gateway.ours.set('wechatpay/2026-11-10', [late.ours]);
    gateway.bills.set('wechatpay/2026-11-09', [late.bill]);
    const run = (await post({ date: '2026-11-10', channel: 'wechatpay' })).body.runs[0];
    expect(run).toMatchObject({ status: 'COMPLETED', breakCount: 0, billed: { count: 0 } });
    gateway.bills.delete('wechatpay/2026-11-09');
    expect((await post({ date: '2026-11-10', channel: 'wechatpay' })).body.runs[0]).toMatchObject({ breaksByKind: { missing_channel: 1 } });
  });

  it('books a matched refund cleared once (re-runs and concurrent runs included); a refund in a break waits until a later run matches it', async () => {
    const ds = app.get(Platform, { strict: false }).ds;
    const day = '2026-11-12';
    const nextDay = '2026-11-13';
    const paid = payment('9000');
    const cleared = refund(paid, '3000', day);
    const broken = refund(paid, '1000', day);
    await upstream.sendEvent(`${prefix}${TOPICS.paymentSucceeded}`, paid.event.orderId, paid.event);
    for (const r of [cleared, broken]) await upstream.sendEvent(`${prefix}${TOPICS.paymentRefunded}`, paid.event.orderId, r.event);
    const transactions = async (kind: string, refunds: { refundId: string }[]) =>
      (await ds.query(`SELECT reference FROM ledger_transaction WHERE kind = $1 AND reference = ANY($2) ORDER BY reference`, [kind, refunds.map((r) => `${kind}:${r.refundId}`)])) as { reference: string }[];
    await waitFor(async () => ((await transactions('refund', [cleared, broken])).length === 2 ? true : undefined), 30_000, 'the refunds booked');
    /** What refunds in flight hold for these refunds (booked -amount, cleared +amount) and what the channel's clearing lost to them. */
    const inFlight = async (refunds: { refundId: string }[]) => {
      const rows: { account_id: string; total: string }[] = await ds.query(
        `SELECT e.account_id, sum(e.amount_minor)::text AS total FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
          WHERE t.reference = ANY($1) AND e.account_id IN ('refunds_in_flight', 'channel_clearing:wechatpay') GROUP BY e.account_id`,
        [refunds.flatMap((r) => [`refund:${r.refundId}`, `refund_cleared:${r.refundId}`])],
      );
      return Object.fromEntries(rows.map((r) => [r.account_id, r.total]));
    };
    expect(await inFlight([cleared, broken])).toEqual({ refunds_in_flight: '-4000' });

    // the channel bills `broken` 1 fen more; `cleared` also shows (wrongly) on the next day's bill, whose run races this day's
    gateway.bills.set(`wechatpay/${day}`, [paid.bill, cleared.bill, { ...broken.bill, amountMinor: '1001' }]);
    gateway.ours.set(`wechatpay/${day}`, [paid.ours, cleared.ours, broken.ours]);
    gateway.bills.set(`wechatpay/${nextDay}`, [cleared.bill]);
    gateway.ours.set(`wechatpay/${nextDay}`, [{ ...cleared.ours, onDay: false }]);
    const [first, other] = await Promise.all([post({ date: day, channel: 'wechatpay' }), post({ date: nextDay, channel: 'wechatpay' })]);
    const run = first.body.runs[0];
    expect(run).toMatchObject({ status: 'COMPLETED', matched: { count: 2 }, refundsCleared: { count: 1, amountMinor: '3000' }, breakCount: 1 });
    expect(run.breaks).toEqual([expect.objectContaining({ kind: 'amount_mismatch', entryKind: 'refund', reference: broken.outRefundNo, channelAmountMinor: '1001', ourAmountMinor: '1000' })]);
    expect(other.body.runs[0]).toMatchObject({ status: 'COMPLETED', refundsCleared: { count: 1, amountMinor: '3000' } });
    // booked by exactly one of the two runs
    expect(run.refundsCleared.bookedByThisRun + other.body.runs[0].refundsCleared.bookedByThisRun).toBe(1);
    expect(await transactions('refund_cleared', [cleared, broken])).toEqual([{ reference: `refund_cleared:${cleared.refundId}` }]);
    expect(await inFlight([cleared])).toEqual({ refunds_in_flight: '0', 'channel_clearing:wechatpay': '-3000' });
    expect(await inFlight([broken])).toEqual({ refunds_in_flight: '-1000' });
    expect(await metric('paystream_reconciliation_refunds_cleared_total', { channel: 'wechatpay' })).toMatch(/ 1$/);

    // a re-run books nothing again
    const again = (await post({ date: day, channel: 'wechatpay' })).body.runs[0];
    expect(again).toMatchObject({ runId: run.runId, refundsCleared: { count: 1, amountMinor: '3000', bookedByThisRun: 0 }, breakCount: 1 });
    expect(await transactions('refund_cleared', [cleared, broken])).toHaveLength(1);

    // the channel corrects its bill: the break resolves and the refund is cleared now, once
    gateway.bills.set(`wechatpay/${day}`, [paid.bill, cleared.bill, broken.bill]);
    const corrected = (await post({ date: day, channel: 'wechatpay' })).body.runs[0];
    expect(corrected).toMatchObject({ matched: { count: 3 }, refundsCleared: { count: 2, amountMinor: '4000', bookedByThisRun: 1 }, breakCount: 0 });
    expect((await post({ date: day, channel: 'wechatpay' })).body.runs[0]).toMatchObject({ refundsCleared: { count: 2, bookedByThisRun: 0 } });
    expect(await transactions('refund_cleared', [cleared, broken])).toHaveLength(2);
    expect(await inFlight([cleared, broken])).toEqual({ refunds_in_flight: '0', 'channel_clearing:wechatpay': '-4000' });
    expect(await metric('paystream_reconciliation_refunds_cleared_total', { channel: 'wechatpay' })).toMatch(/ 2$/);
    expect(await metric('paystream_reconciliation_refunds_cleared_amount_minor_total', { channel: 'wechatpay', currency: 'CNY' })).toMatch(/ 4000$/);
    expect((await get('/ledger/check')).body).toMatchObject({ balanced: true });
  });
});
