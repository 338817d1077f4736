import { TOPICS, type PaymentRequested } from '@paystream/contracts';
import { beijingDateTime } from '@paystream/shared/channel-protocols';
import { RawProducer, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { demoIdentity } from '../load/demo-identities';
import { ServiceStack } from './service-stack';
import { bearer, type ClientCredential } from '@paystream/shared/auth';

const DAY_MS = 86_400_000;
/** The payout account cooling-off of this stack: long enough for a payment to settle before the change takes effect. */
const COOLING_OFF_MS = 20_000;
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
  const stack = new ServiceStack(prefix, schema, {
    SETTLEMENT_PAYOUT_ATTEMPTS_MAX: '3',
    SETTLEMENT_RUN_INTERVAL_MS: '86400000',
    SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'true',
    // a four-eyes payout account change takes effect this long after its approval here (24 h in production)
    MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: String(COOLING_OFF_MS),
    MERCHANT_PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS: '200',
  });
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
  const account = (accountNo: string) => ({ payoutAccount: { bankCode: '102100099996', accountNo, accountName: 'E2E Merchant Ltd' } });
  /** A four-eyes payout account change in the merchant service: proposed by one finance operator, approved by another. */
  // the operator is the one the token names (no body names it): two finance operators of their own
  const financeOperators = new Map<string, ClientCredential>();
  const finance = async (operatorId: string) => {
    if (!financeOperators.has(operatorId)) financeOperators.set(operatorId, bearer(await stack.issueOperator(operatorId, ['finance'])));
    return financeOperators.get(operatorId)!;
  };
  const changeAccount = async (merchantId: string, accountNo: string) => {
    const proposed = await stack.json('merchant', `/merchants/${merchantId}/payout-account-changes`, { json: { account: account(accountNo).payoutAccount }, headers: { 'idempotency-key': `${merchantId}-propose-${accountNo}` }, as: await finance('finance.alice') });
    expect(proposed.status).toBe(201);
    const path = `/merchants/${merchantId}/payout-account-changes/${String(proposed.body.changeId)}/approve`;
    const approved = await stack.json('merchant', path, { json: {}, headers: { 'idempotency-key': `${merchantId}-approve-${accountNo}` }, as: await finance('finance.bob') });
    expect(approved.body).toMatchObject({ state: 'approved' });
  };
  /** Waits until settlement's copy pays to the account ending in last4. */
  const accountInEffect = (merchantId: string, last4: string) =>
    waitFor(
      async () => ((await stack.json<{ terms: { payoutAccount: { accountLast4: string } } }>('settlement', `/merchants/${merchantId}/settlement-terms`)).body.terms.payoutAccount.accountLast4 === last4 ? true : undefined),
      COOLING_OFF_MS + 30_000,
      `${merchantId}'s account ending ${last4} in effect`,
    );

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
    await stack.onboardMerchant(rt);
    await stack.onboardMerchant(t1, { schedule: 't_plus_n', nDays: 1, feePlan: { rateBps: 80, fixedMinor: '30' } });
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
    await stack.onboardMerchant(m);
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
    await stack.onboardMerchant(m, account('62220200000004001'));
    await pay(`${m}-o1`, m, '5000');
    const failed = await nth(TOPICS.settlementFailed, m, 1);
    expect(failed.value).toMatchObject({ netMinor: '4970', reason: expect.objectContaining({ code: 'SETTLEMENT_PAYOUT_FAILED' }) });
    const detail = await stack.json('settlement', `/settlements/${failed.value.settlementId}`);
    expect(detail.body).toMatchObject({ status: 'FAILED', attempts: 3, lastError: expect.stringContaining('ACCOUNT_FROZEN') });
    expect((await stack.json('channel-emulator', `/bank/payouts/${failed.value.settlementId}`)).body).toMatchObject({ status: 'FAILED' });
    expect((await stack.json('settlement', `/merchants/${m}/balance`)).body).toMatchObject({ balances: [{ owedMinor: '4970' }] });
    // the account is fixed in the merchant service, by four eyes and after the cooling-off
    await changeAccount(m, '62220200000000008');
    await accountInEffect(m, '0008');
    await run(`e2e-${m}`, { merchantId: m, asOf: chinaDateAhead(1) }); // owed again from the next day
    expect((await nth(TOPICS.settlementCompleted, m, 1)).value).toMatchObject({ netMinor: '4970' });
    expect((await stack.json('settlement', `/merchants/${m}/balance`)).body).toMatchObject({ balances: [{ owedMinor: '0' }] });
  });

  it('settles a payout the bank answered PROCESSING by asking it, paying once', async () => {
    const m = uniqueId('m-slow-');
    await stack.onboardMerchant(m, account('62220200000004003'));
    await pay(`${m}-o1`, m, '7000');
    const done = await nth(TOPICS.settlementCompleted, m, 1);
    expect((await stack.json('settlement', `/settlements/${done.value.settlementId}`)).body).toMatchObject({ status: 'COMPLETED', attempts: 2, payoutRef: done.value.payoutRef });
    expect((await stack.json('channel-emulator', `/bank/payouts/${done.value.settlementId}`)).body).toMatchObject({ status: 'PAID', payoutRef: done.value.payoutRef });
    expect((await stack.json('channel-emulator', '/sandbox/stats')).body).toMatchObject({ payouts: expect.objectContaining({ duplicates: 0 }) });
    expect((await stack.json('settlement', '/ledger/check')).body).toMatchObject({ balanced: true, cachedBalancesDrifted: [] });
    const balances = (await stack.json('settlement', '/ledger/balances')).body as unknown as { kind: string; balanceMinor: string }[];
    expect(balances.find((b) => b.kind === 'payouts_in_flight')?.balanceMinor).toBe('0');
  });

  it('pays the old account until an approved payout account change is effective, and the new one after', async () => {
    const m = uniqueId('m-4eyes-');
    await stack.onboardMerchant(m, account('62220200000000011'));
    await changeAccount(m, '62220200000000022');
    // approved, still cooling off: a settlement now pays the old account
    await pay(`${m}-o1`, m, '3000');
    const before = await nth(TOPICS.settlementCompleted, m, 1);
    expect((await stack.json('settlement', `/settlements/${before.value.settlementId}`)).body).toMatchObject({ payoutAccountNo: '62220200000000011' });
    await accountInEffect(m, '0022');
    await pay(`${m}-o2`, m, '4000');
    const after = await nth(TOPICS.settlementCompleted, m, 2);
    expect((await stack.json('settlement', `/settlements/${after.value.settlementId}`)).body).toMatchObject({ payoutAccountNo: '62220200000000022' });
    const changes = await stack.json<{ changes: { state: string; proposedBy: string; approvedBy: string }[] }>('merchant', `/merchants/${m}/payout-account-changes`);
    expect(changes.body.changes).toEqual([expect.objectContaining({ state: 'effective', proposedBy: 'operator:finance.alice', approvedBy: 'operator:finance.bob' })]);
  });
});
