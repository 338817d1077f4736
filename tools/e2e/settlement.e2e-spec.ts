import { TOPICS, type PaymentRequested } from '@paystream/contracts';
import { beijingDateTime } from '@paystream/shared/channel-protocols';
import { RawProducer, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { demoIdentity } from '../load/demo-identities';
import { ServiceStack } from './service-stack';

const DAY_MS = 86_400_000;
/** A China date this many days ahead: past any T+1 due date, holidays included. */
const chinaDateAhead = (days: number) => beijingDateTime(new Date(Date.now() + days * DAY_MS)).slice(0, 10);

/**
 * Settlement across the real processes: a real-time merchant paid at once, a T+1 merchant paid by a
 * settlement run, a refund after settlement clawed back from the next one, a payout the emulator's
 * bank refuses (account ending 4001) retried, failed, reversed and paid once the account is fixed,
 * and one it answers PROCESSING (4003) settled by a query.
 */
describe('settlement end to end (real processes, the emulator bank)', () => {
  const prefix = uniqueTopicPrefix('e2s');
  const schema = uniqueId('e2s_');
  const stack = new ServiceStack(prefix, schema, { SETTLEMENT_PAYOUT_ATTEMPTS_MAX: '3', SETTLEMENT_RUN_INTERVAL_MS: '86400000', SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'true' });
  const t = (topic: string) => `${prefix}${topic}`;
  let upstream: RawProducer;
  let collector: TopicCollector;

  const pay = async (orderId: string, merchantId: string, amountMinor: string) => {
    const request: PaymentRequested = { orderId, merchantId, userId: 'shopper-1', amountMinor, currency: 'CNY', channel: 'alipay', subject: 'e2e settlement', requestedAt: new Date().toISOString() };
    await upstream.sendEvent(t(TOPICS.paymentRequested), orderId, request);
    const ok = await waitFor(() => collector.on<{ paymentId: string }>(t(TOPICS.paymentSucceeded), (m) => m.key === orderId)[0], 30_000, `${orderId} succeeded`);
    return ok.value.paymentId;
  };
  const of = (topic: string, merchantId: string) => collector.on<Record<string, string>>(t(topic), (m) => m.key === merchantId);
  const nth = (topic: string, merchantId: string, n: number, timeoutMs = 30_000) => waitFor(() => of(topic, merchantId)[n - 1], timeoutMs, `${topic} #${n} for ${merchantId}`);
  const run = (key: string, body: Record<string, unknown>) =>
    stack.json('settlement', '/settlement/runs', { json: body, headers: { 'idempotency-key': key } });
  const profile = (merchantId: string, columns: Record<string, string | number>) =>
    stack.query('settlement', `INSERT INTO merchant_settlement_profile (merchant_id, ${Object.keys(columns).join(', ')}) VALUES ($1, ${Object.keys(columns).map((_, i) => `$${i + 2}`).join(', ')})`, [merchantId, ...Object.values(columns)]);

  beforeAll(async () => {
    await stack.start();
    const identity = await stack.json<{ level: string }>('risk', '/identities', { json: demoIdentity('shopper-1', 1) });
    expect(identity.body.level).toBe('full');
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.paymentSucceeded, TOPICS.paymentRefunded, TOPICS.settlementDue, TOPICS.settlementCompleted, TOPICS.settlementFailed].map(t)).start();
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await stack.dispose();
  }, 60_000);

  it('pays a real-time merchant at once and a T+1 merchant in its run, each to the fen', async () => {
    const rt = uniqueId('m-rt-');
    const t1 = uniqueId('m-t1-');
    await profile(t1, { schedule: 't_plus_n', n_days: 1, fee_bps: 80, fee_fixed_minor: 30 });
    await pay(`${rt}-o1`, rt, '12345');
    await pay(`${t1}-o1`, t1, '20000');
    await pay(`${t1}-o2`, t1, '30000');
    const done = await nth(TOPICS.settlementCompleted, rt, 1);
    expect(done.value).toMatchObject({ netMinor: '12271' }); // 12345 - 74 (60 bps, half up)
    await waitFor(async () => ((await stack.query('settlement', `SELECT 1 FROM settlement_item WHERE merchant_id = $1`, [t1])).length === 2 ? true : undefined), 30_000, 'T+1 payments booked');
    expect(of(TOPICS.settlementDue, t1)).toHaveLength(0);
    const settled = await run(`e2e-${t1}`, { asOf: chinaDateAhead(14), merchantId: t1 });
    expect(settled.status).toBe(200);
    // fees: 160 + 30 and 240 + 30
    expect((await nth(TOPICS.settlementDue, t1, 1)).value).toMatchObject({ grossMinor: '50000', feeMinor: '460', netMinor: '49540', paymentCount: 2 });
    expect((await nth(TOPICS.settlementCompleted, t1, 1)).value).toMatchObject({ netMinor: '49540' });
    expect((await run(`e2e-${t1}`, { asOf: chinaDateAhead(14), merchantId: t1 })).body).toMatchObject({ replayed: true, settlementIds: settled.body.settlementIds });
    expect((await stack.json('settlement', '/ledger/check')).body).toMatchObject({ balanced: true, cachedBalancesDrifted: [] });
  });

  it('claws a refund after settlement back from the next settlement', async () => {
    const m = uniqueId('m-claw-');
    const paymentId = await pay(`${m}-o1`, m, '10000');
    await nth(TOPICS.settlementCompleted, m, 1);
    const refund = await stack.json('order-payment', `/payments/${paymentId}/refunds`, { json: { amountMinor: '4000', reason: 'customer return' }, headers: { 'idempotency-key': `${m}-r1` } });
    expect(refund.status).toBe(202);
    const refunded = await waitFor(() => collector.on<{ refundId: string }>(t(TOPICS.paymentRefunded), (x) => x.key === `${m}-o1`)[0], 30_000, 'refunded');
    await waitFor(async () => ((await stack.query('settlement', `SELECT 1 FROM settlement_item WHERE kind = 'refund' AND reference = $1`, [refunded.value.refundId])).length ? true : undefined), 30_000, 'refund booked');
    await pay(`${m}-o2`, m, '6000');
    expect((await nth(TOPICS.settlementDue, m, 2)).value).toMatchObject({ grossMinor: '6000', feeMinor: '36', refundMinor: '4000', netMinor: '1964' });
    await nth(TOPICS.settlementCompleted, m, 2);
  });

  it('retries a payout the bank refuses, fails it with a reason, reverses it, and pays it once the account is fixed', async () => {
    const m = uniqueId('m-frozen-');
    await profile(m, { payout_account_no: '62220200000004001' });
    await pay(`${m}-o1`, m, '5000');
    const failed = await nth(TOPICS.settlementFailed, m, 1);
    expect(failed.value).toMatchObject({ netMinor: '4970', reason: expect.objectContaining({ code: 'SETTLEMENT_PAYOUT_FAILED' }) });
    const detail = await stack.json('settlement', `/settlements/${failed.value.settlementId}`);
    expect(detail.body).toMatchObject({ status: 'FAILED', attempts: 3, lastError: expect.stringContaining('ACCOUNT_FROZEN') });
    expect((await stack.json('channel-emulator', `/bank/payouts/${failed.value.settlementId}`)).body).toMatchObject({ status: 'FAILED' });
    expect((await stack.json('settlement', `/merchants/${m}/balance`)).body).toMatchObject({ balances: [{ owedMinor: '4970' }] });
    await stack.query('settlement', `UPDATE merchant_settlement_profile SET payout_account_no = '62220200000000008' WHERE merchant_id = $1`, [m]);
    await run(`e2e-${m}`, { merchantId: m, asOf: chinaDateAhead(1) }); // owed again from the next day
    expect((await nth(TOPICS.settlementCompleted, m, 1)).value).toMatchObject({ netMinor: '4970' });
    expect((await stack.json('settlement', `/merchants/${m}/balance`)).body).toMatchObject({ balances: [{ owedMinor: '0' }] });
  });

  it('settles a payout the bank answered PROCESSING by asking it, paying once', async () => {
    const m = uniqueId('m-slow-');
    await profile(m, { payout_account_no: '62220200000004003' });
    await pay(`${m}-o1`, m, '7000');
    const done = await nth(TOPICS.settlementCompleted, m, 1);
    expect((await stack.json('settlement', `/settlements/${done.value.settlementId}`)).body).toMatchObject({ status: 'COMPLETED', attempts: 2, payoutRef: done.value.payoutRef });
    expect((await stack.json('channel-emulator', `/bank/payouts/${done.value.settlementId}`)).body).toMatchObject({ status: 'PAID', payoutRef: done.value.payoutRef });
    expect((await stack.json('channel-emulator', '/sandbox/stats')).body).toMatchObject({ payouts: expect.objectContaining({ duplicates: 0 }) });
    expect((await stack.json('settlement', '/ledger/check')).body).toMatchObject({ balanced: true, cachedBalancesDrifted: [] });
    const balances = (await stack.json('settlement', '/ledger/balances')).body as unknown as { kind: string; balanceMinor: string }[];
    expect(balances.find((b) => b.kind === 'payouts_in_flight')?.balanceMinor).toBe('0');
  });
});
