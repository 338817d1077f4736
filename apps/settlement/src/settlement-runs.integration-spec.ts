import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { TOPICS, type PaymentSucceeded } from '@paystream/contracts';
import { addDays, chinaDate } from '@paystream/settlement/domain';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authorizationFor } from '@paystream/shared/auth';
import { authenticateInjects, dropSchemas, RawProducer, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix, waitFor, type TestCredentials } from '@paystream/shared/testing';
import { AppModule } from './app.module';
import { loadSettlementConfig } from './config';

/**
 * POST /settlement/runs as production runs it (SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED left off): a
 * future asOf is refused, and a run's Idempotency-Key is answered in progress / taken over when
 * stale / replayed once completed. Future runs allowed: settlement.integration-spec.ts.
 */
describe('settlement runs on the real database', () => {
  const prefix = uniqueTopicPrefix('stlrun');
  const schema = uniqueId('stlrun_');
  const t = (topic: string) => `${prefix}${topic}`;
  let app: NestFastifyApplication;
  let ds: DataSource;
  let upstream: RawProducer;

  const today = () => chinaDate(new Date());
  let creds: TestCredentials;
  // as: the finance operator whose token calls (the all-roles test operator unless said)
  const runSettlements = async (key: string, body: Record<string, unknown>, as?: string) =>
    app.inject({
      method: 'POST',
      url: '/settlement/runs',
      headers: { 'idempotency-key': key, 'content-type': 'application/json', ...(as ? { authorization: authorizationFor(await creds.operator(as, ['finance']), 'POST', '/settlement/runs', JSON.stringify(body)) } : {}) },
      payload: JSON.stringify(body),
    });
  const runRows = (key: string) => ds.query(`SELECT id, status FROM settlement_run WHERE idempotency_key = $1`, [key]) as Promise<{ id: string; status: string }[]>;
  const unsettledItems = async (merchantId: string) =>
    ((await ds.query(`SELECT count(*)::int AS n FROM settlement_item WHERE merchant_id = $1 AND settlement_id IS NULL`, [merchantId])) as { n: number }[])[0]!.n;
  const batches = async (merchantId: string) => ((await ds.query(`SELECT count(*)::int AS n FROM settlement_batch WHERE merchant_id = $1`, [merchantId])) as { n: number }[])[0]!.n;

  /** Books a 10000 payment for a T+1 merchant; with dueToday its item is made due today (as if booked on the last business day). */
  const bookT1Payment = async (merchantId: string, dueToday: boolean) => {
    // the copy a merchant.registered.v1 leaves (the copy itself: settlement.integration-spec.ts)
    await ds.query(
      `INSERT INTO merchant_settlement_profile (merchant_id, version, status, schedule, n_days, payout_account_no, payout_bank_code, payout_account_name)
       VALUES ($1, 1, 'active', 't_plus_n', 1, '6222020000000000001', '102100099996', 'Test Merchant Ltd') ON CONFLICT DO NOTHING`,
      [merchantId],
    );
    const paymentId = randomUUID();
    const p: PaymentSucceeded = {
      paymentId,
      orderId: `o-${paymentId.slice(0, 8)}`,
      merchantId,
      userId: 'u-1',
      amountMinor: '10000',
      currency: 'CNY',
      channel: 'alipay',
      channelTradeNo: `T${paymentId.slice(0, 8)}`,
      succeededAt: new Date().toISOString(),
    };
    await upstream.sendEvent(t(TOPICS.paymentSucceeded), p.orderId, p);
    await waitFor(async () => ((await ds.query(`SELECT 1 FROM settlement_item WHERE kind = 'payment' AND reference = $1`, [paymentId])).length ? true : undefined), 20_000, `payment ${paymentId} booked`);
    if (dueToday) await ds.query(`UPDATE settlement_item SET due_on = $2 WHERE kind = 'payment' AND reference = $1`, [paymentId, today()]);
  };

  /** Holds the advisory lock a run takes to settle a merchant, so a run for it stays in progress until released. */
  const holdMerchant = async (merchantId: string) => {
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await qr.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`settle:${merchantId}`]);
    return async () => {
      await qr.commitTransaction();
      await qr.release();
    };
  };

  beforeAll(async () => {
    const config = loadSettlementConfig(await testServiceEnv('SETTLEMENT', { schema, topicPrefix: prefix }, {
      // no bank: the payouts of the settlements made here are not the point (they are retried, then given up)
      CHANNEL_EMULATOR_URL: 'http://127.0.0.1:9',
      SETTLEMENT_PAYOUT_INTERVAL_MS: '600000',
      // runs are made through POST /settlement/runs only
      SETTLEMENT_RUN_INTERVAL_MS: '86400000',
    }));
    expect(config.runs).toMatchObject({ futureAsOfAllowed: false, claimStaleMs: 300_000 });
    app = await startInProcessApp(AppModule.forRoot(config));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    ds = app.get(Platform, { strict: false }).ds;
    upstream = await new RawProducer().start();
  });

  afterAll(async () => {
    await upstream?.stop();
    await app?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('refuses a run as of a day after today (China time) and changes nothing; today and earlier days run', async () => {
    await bookT1Payment('m-future', false);
    const key = `run-${randomUUID()}`;
    const refused = await runSettlements(key, { asOf: addDays(today(), 20), merchantId: 'm-future' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'SETTLEMENT_RUN_AS_OF_IN_FUTURE', retryable: false });
    expect((await runSettlements(`run-${randomUUID()}`, { asOf: addDays(today(), 1) })).json().error.code).toBe('SETTLEMENT_RUN_AS_OF_IN_FUTURE');
    // nothing changed: the key is not taken, the T+1 payment is still waiting, no settlement was made
    expect(await runRows(key)).toEqual([]);
    expect(await unsettledItems('m-future')).toBe(1);
    expect(await batches('m-future')).toBe(0);
    // the same key as of today runs (the refusal did not use it up); T+1: nothing due yet
    const now = await runSettlements(key, { asOf: today(), merchantId: 'm-future' });
    expect(now.statusCode).toBe(200);
    expect(now.json()).toMatchObject({ asOf: today(), settlementIds: [], replayed: false });
    expect((await runSettlements(`run-${randomUUID()}`, { merchantId: 'm-future' })).json()).toMatchObject({ asOf: today(), replayed: false });
    expect((await runSettlements(`run-${randomUUID()}`, { asOf: addDays(today(), -1), merchantId: 'm-future' })).statusCode).toBe(200);
    expect(await unsettledItems('m-future')).toBe(1);
  });

  it('runs once for concurrent requests with one key: the others are told it is in progress, and the completed run is replayed', async () => {
    await bookT1Payment('m-conc', true);
    const key = `run-${randomUUID()}`;
    const body = { merchantId: 'm-conc' };
    const release = await holdMerchant('m-conc');
    const answered: number[] = [];
    const requests = Array.from({ length: 5 }, () => runSettlements(key, body).then((r) => (answered.push(r.statusCode), r)));
    // all but the one running answer while it waits for the merchant
    await waitFor(() => (answered.length === 4 ? true : undefined), 20_000, 'four requests answered');
    expect(answered).toEqual([409, 409, 409, 409]);
    expect(await runRows(key)).toEqual([{ id: expect.any(String), status: 'in_progress' }]);
    // the same key for a different request is still refused as reused
    expect((await runSettlements(key, { merchantId: 'm-other' })).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await release();
    const responses = await Promise.all(requests);
    const busy = responses.filter((r) => r.statusCode === 409);
    expect(busy).toHaveLength(4);
    expect(busy[0]!.json().error).toMatchObject({ code: 'SETTLEMENT_RUN_IN_PROGRESS', retryable: true, action: 'retry' });
    const ran = responses.find((r) => r.statusCode === 200)!.json();
    expect(ran).toMatchObject({ asOf: today(), merchantId: 'm-conc', replayed: false });
    expect(ran.settlementIds).toHaveLength(1);
    expect(await batches('m-conc')).toBe(1);
    expect(await runRows(key)).toEqual([{ id: ran.runId, status: 'completed' }]);
    // a retry now gets the same body, marked replayed, and runs nothing
    const replay = await runSettlements(key, body);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ ...ran, replayed: true });
    expect(await batches('m-conc')).toBe(1);
  });

  it('takes over a claim left in progress longer than SETTLEMENT_RUN_CLAIM_STALE_MS and redoes the run', async () => {
    await bookT1Payment('m-stale', true);
    const key = `run-${randomUUID()}`;
    const crashed = randomUUID();
    // a process claimed the key a minute ago and has not finished: in progress
    await ds.query(
      `INSERT INTO settlement_run (id, idempotency_key, requested_by, as_of, merchant_id, orders, carried_forward, status, claimed_at, created_at)
       VALUES ($1, $2, 'operator:test-operator', $3, 'm-stale', 0, 0, 'in_progress', now() - interval '1 minute', now() - interval '1 minute')`,
      [crashed, key, today()],
    );
    const early = await runSettlements(key, { merchantId: 'm-stale' });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('SETTLEMENT_RUN_IN_PROGRESS');
    expect(await unsettledItems('m-stale')).toBe(1);
    // past the stale time (5 minutes) it crashed as far as anyone can tell: a different request still may not take it
    await ds.query(`UPDATE settlement_run SET claimed_at = now() - interval '6 minutes' WHERE idempotency_key = $1`, [key]);
    expect((await runSettlements(key, { merchantId: 'm-other' })).json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const takenOver = await runSettlements(key, { merchantId: 'm-stale' });
    expect(takenOver.statusCode).toBe(200);
    const ran = takenOver.json();
    expect(ran).toMatchObject({ asOf: today(), merchantId: 'm-stale', replayed: false });
    expect(ran.runId).not.toBe(crashed);
    expect(ran.settlementIds).toHaveLength(1);
    expect(await unsettledItems('m-stale')).toBe(0);
    expect(await runRows(key)).toEqual([{ id: ran.runId, status: 'completed' }]);
    expect((await runSettlements(key, { merchantId: 'm-stale' })).json()).toEqual({ ...ran, replayed: true });
    expect(await batches('m-stale')).toBe(1);
  });

  it('records who ran a keyed run, keeps a key per requester, and refuses a body naming the runner', async () => {
    await bookT1Payment('m-who', true);
    const key = `run-${randomUUID()}`;
    const claimed = await runSettlements(key, { merchantId: 'm-who', by: 'finance.bob' }, 'finance.alice');
    expect([claimed.statusCode, claimed.json().error.code, claimed.json().error.field]).toEqual([400, 'VALIDATION_FAILED', 'by']);
    expect(await runRows(key)).toEqual([]);
    const alices = (await runSettlements(key, { merchantId: 'm-who' }, 'finance.alice')).json();
    expect(alices).toMatchObject({ merchantId: 'm-who', requestedBy: 'operator:finance.alice', replayed: false });
    expect(alices.settlementIds).toHaveLength(1);
    // bob's same key is bob's own run (nothing left to settle), not alice's replayed
    const bobs = (await runSettlements(key, { merchantId: 'm-who' }, 'finance.bob')).json();
    expect(bobs).toMatchObject({ requestedBy: 'operator:finance.bob', settlementIds: [], replayed: false });
    expect(bobs.runId).not.toBe(alices.runId);
    expect((await runSettlements(key, { merchantId: 'm-who' }, 'finance.alice')).json()).toEqual({ ...alices, replayed: true });
    expect(await ds.query(`SELECT requested_by FROM settlement_run WHERE idempotency_key = $1 ORDER BY created_at`, [key])).toEqual([{ requested_by: 'operator:finance.alice' }, { requested_by: 'operator:finance.bob' }]);
    expect(await batches('m-who')).toBe(1);
  });
});
