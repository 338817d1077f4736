import { runChecks } from '../audit';
import { checkCharges } from './charges';
import { checkDrained } from './drained';
import { checkLedger } from './ledger';
import { checkMerchantBalances } from './merchant-balances';
import { checkOrders } from './orders';
import { checkPayouts } from './payouts';
import { checkRefunds } from './refunds';
import { consistentSnapshot, hex, IDS } from './snapshot.fixture';
import type { AuditSnapshot } from './snapshot';
import type { ViolationCode } from './violation';

const { p1, p2, p3, r1, s1, s2 } = IDS;
const ledgerLine = (transactionId: string, accountId: string, amountMinor: bigint) => ({ transactionId, kind: 'manual', reference: transactionId, accountId, amountMinor, currency: 'CNY' });

describe('the auditor on a consistent snapshot', () => {
  it('finds nothing, each check on its own and all together, and says OK with the counts', () => {
    const s = consistentSnapshot();
    expect(checkOrders(s).violations).toEqual([]);
    expect(checkCharges(s).violations).toEqual([]);
    expect(checkRefunds(s).violations).toEqual([]);
    expect(checkLedger(s).violations).toEqual([]);
    expect(checkMerchantBalances(s)).toEqual([]);
    expect(checkPayouts(s).violations).toEqual([]);
    expect(checkDrained(s)).toEqual([]);
    const report = runChecks(s);
    expect(report.ok).toBe(true);
    expect(report.lines).toEqual(['auditor: OK orders=4 succeeded=3 failed=1 captured=CNY 360.00 refunds=1 payouts=1 ledger=balanced']);
  });
});

/** One kind of inconsistency planted in the consistent snapshot, and what the auditor must say. */
const plants: { what: string; plant: (s: AuditSnapshot) => void; code: ViolationCode; ids: string[] }[] = [
  // 1. orders
  { what: 'a requested order without an outcome', plant: (s) => s.requested.push({ eventId: 'req-5', orderId: 'o-5', merchantId: 'm-1', amountMinor: 100n, currency: 'CNY' }), code: 'ORDER_NO_OUTCOME', ids: ['o-5'] },
  { what: 'an HTTP payment left in flight', plant: (s) => (s.payments.push({ id: '00000000-0000-4000-8000-000000000005', orderId: 'o-5', merchantId: 'm-1', amountMinor: 100n, currency: 'CNY', status: 'AUTHORIZING' })), code: 'ORDER_NO_OUTCOME', ids: ['o-5'] },
  { what: 'a success and a failure for one order', plant: (s) => s.outcomes.push({ eventId: 'out-3b', outcome: 'succeeded', orderId: 'o-3', merchantId: 'm-1', paymentId: p3, amountMinor: 2_051n, currency: 'CNY', channelTradeNo: 'T3' }), code: 'ORDER_CONFLICTING_OUTCOMES', ids: ['o-3', 'out-3', 'out-3b'] },
  { what: 'two outcomes naming different payments', plant: (s) => s.outcomes.push({ ...s.outcomes[0]!, eventId: 'out-1c', paymentId: p2 }), code: 'ORDER_CONFLICTING_OUTCOMES', ids: ['o-1', 'out-1c'] },
  { what: 'an outcome order-payment disagrees with', plant: (s) => (s.payments[0]!.status = 'FAILED'), code: 'ORDER_STATE_MISMATCH', ids: ['o-1', p1] },
  { what: 'an outcome for a payment order-payment never recorded', plant: (s) => (s.payments = s.payments.filter((p) => p.orderId !== 'o-3')), code: 'ORDER_STATE_MISMATCH', ids: ['o-3', 'out-3'] },
  { what: 'an outcome for an order nobody requested', plant: (s) => s.outcomes.push({ eventId: 'out-9', outcome: 'failed', orderId: 'o-9', merchantId: 'm-1', paymentId: p3, amountMinor: 1n, currency: 'CNY' }), code: 'OUTCOME_WITHOUT_ORDER', ids: ['o-9', 'out-9'] },
  // 2. charges
  {
    what: 'an order captured twice (a second payment of the order charged)',
    plant: (s) => {
      const dup = '00000000-0000-4000-8000-0000000000d1';
      s.gatewayTransactions.push({ paymentId: dup, orderId: 'o-1', merchantId: 'm-1', channel: 'wechatpay', amountMinor: 10_000n, currency: 'CNY', status: 'SUCCEEDED' });
      s.channelCharges.push({ channel: 'wechatpay', outTradeNo: hex(dup), amountMinor: 10_000n, currency: 'CNY', status: 'SUCCESS' });
    },
    code: 'DOUBLE_CHARGE',
    ids: ['o-1', hex(p1), '000000000000400080000000000000d1'],
  },
  { what: 'a capture the gateway does not know', plant: (s) => s.channelCharges.push({ channel: 'alipay', outTradeNo: 'SOMEONEELSES', amountMinor: 500n, currency: 'CNY', status: 'SUCCESS' }), code: 'CHARGE_UNKNOWN_TO_GATEWAY', ids: ['SOMEONEELSES'] },
  { what: 'a capture for a failed order', plant: (s) => (s.channelCharges[2]!.status = 'SUCCESS'), code: 'CHARGE_WITHOUT_SUCCESS', ids: ['o-3', hex(p3)] },
  { what: 'a success no channel captured', plant: (s) => (s.channelCharges[0]!.status = 'CLOSED'), code: 'SUCCESS_WITHOUT_CHARGE', ids: ['o-1', p1] },
  { what: 'a capture of another amount', plant: (s) => (s.channelCharges[0]!.amountMinor = 10_001n), code: 'CAPTURE_MISMATCH', ids: ['o-1'] },
  { what: 'captured in total not what succeeded', plant: (s) => (s.channelCharges[0]!.amountMinor = 10_001n), code: 'CAPTURE_MISMATCH', ids: ['CNY'] },
  // 3. refunds
  { what: 'refunds beyond the capture', plant: (s) => s.channelRefunds.push({ channel: 'wechatpay', outTradeNo: hex(p2), outRefundNo: 'r-x', amountMinor: 2_001n, status: 'SUCCESS' }), code: 'REFUND_EXCEEDS_CAPTURE', ids: [hex(p2), hex(r1), 'r-x'] },
  { what: 'a refund still processing at the channel that takes it beyond the capture', plant: (s) => s.channelRefunds.push({ channel: 'wechatpay', outTradeNo: hex(p2), outRefundNo: 'r-z', amountMinor: 2_001n, status: 'PROCESSING' }), code: 'REFUND_EXCEEDS_CAPTURE', ids: [hex(p2), hex(r1), 'r-z'] },
  { what: 'a refund of a charge never captured', plant: (s) => s.channelRefunds.push({ channel: 'alipay', outTradeNo: hex(p3), outRefundNo: 'r-y', amountMinor: 1n, status: 'SUCCESS' }), code: 'REFUND_EXCEEDS_CAPTURE', ids: [hex(p3)] },
  { what: 'one refund id refunded twice', plant: (s) => s.channelRefunds.push({ ...s.channelRefunds[0]!, amountMinor: 1_000n }), code: 'REFUND_DUPLICATE', ids: [hex(r1)] },
  { what: 'a refund order-payment still has as requested', plant: (s) => (s.refunds[0]!.status = 'REQUESTED'), code: 'REFUND_MISMATCH', ids: [r1] },
  { what: 'a refund succeeded in order-payment that no channel made', plant: (s) => (s.channelRefunds[0]!.status = 'FAILED'), code: 'REFUND_MISMATCH', ids: [r1, p2] },
  { what: 'a refund of another amount', plant: (s) => (s.refunds[0]!.amountMinor = 3_999n), code: 'REFUND_MISMATCH', ids: [r1] },
  // 4. ledger and merchants
  { what: 'an unbalanced posting', plant: (s) => s.ledger.push(ledgerLine('t-bad', 'platform_fee_revenue', -1n)), code: 'LEDGER_TRANSACTION_UNBALANCED', ids: ['t-bad'] },
  { what: 'a ledger that does not sum to zero', plant: (s) => s.ledger.push(ledgerLine('t-bad', 'platform_fee_revenue', -1n)), code: 'LEDGER_UNBALANCED', ids: ['CNY', 't-bad'] },
  { what: 'a payment never booked', plant: (s) => (s.ledger = s.ledger.filter((l) => l.transactionId !== 't-p4')), code: 'MERCHANT_BALANCE_MISMATCH', ids: ['m-2'] },
  { what: 'a refund never booked (not clawed back)', plant: (s) => (s.ledger = s.ledger.filter((l) => l.transactionId !== 't-r1')), code: 'MERCHANT_BALANCE_MISMATCH', ids: ['m-1'] },
  { what: 'a reversal booked for a payout the bank made', plant: (s) => s.ledger.push(ledgerLine('t-rev', 'payouts_in_flight', 9_940n), ledgerLine('t-rev', 'merchant_payable:m-1', -9_940n)), code: 'MERCHANT_BALANCE_MISMATCH', ids: ['m-1'] },
  { what: 'a fee booked twice', plant: (s) => s.paymentItems.push({ ...s.paymentItems[0]! }), code: 'MERCHANT_BALANCE_MISMATCH', ids: ['m-1'] },
  // 5. payouts
  { what: 'a settlement paid again under a new payout id', plant: (s) => s.bankPayouts.push({ payoutId: 'again-1', amountMinor: 9_940n, currency: 'CNY', status: 'PAID', accountLast4: '0000' }), code: 'DOUBLE_PAYOUT', ids: ['again-1', s1] },
  { what: 'a bank payout for no settlement', plant: (s) => s.bankPayouts.push({ payoutId: 'stray-1', amountMinor: 123n, currency: 'CNY', status: 'PAID', accountLast4: '9999' }), code: 'PAYOUT_WITHOUT_SETTLEMENT', ids: ['stray-1'] },
  { what: 'a completed settlement the bank never paid', plant: (s) => (s.bankPayouts = s.bankPayouts.filter((b) => b.payoutId !== s1)), code: 'PAYOUT_MISSING_AT_BANK', ids: [s1] },
  { what: 'a payout of another amount', plant: (s) => (s.bankPayouts[0]!.amountMinor = 9_941n), code: 'PAYOUT_AMOUNT_MISMATCH', ids: [s1] },
  { what: 'a bank payout the settlement never booked', plant: (s) => s.bankPayouts.push({ payoutId: s2, amountMinor: 17_892n, currency: 'CNY', status: 'PAID', accountLast4: '0002' }), code: 'PAYOUT_NOT_BOOKED', ids: [s2] },
  {
    what: 'a paid payout reversed in the ledger',
    plant: (s) => s.ledger.push({ ...ledgerLine('t-rev', 'payouts_in_flight', 9_940n), kind: 'payout_reversed', reference: `payout_reversed:${s1}` }, { ...ledgerLine('t-rev', 'merchant_payable:m-1', -9_940n), kind: 'payout_reversed', reference: `payout_reversed:${s1}` }),
    code: 'PAYOUT_REVERSED_BUT_PAID',
    ids: [s1],
  },
  // 6. drained
  { what: 'a consumer group behind', plant: (s) => (s.consumerLag[1]!.lag = 2), code: 'CONSUMER_LAG', ids: ['paystream.settlement'] },
  { what: 'an outbox row never published', plant: (s) => s.unpublishedOutbox.push({ service: 'risk', id: 'ob-1', topic: 'risk.assessment-decided.v1' }), code: 'OUTBOX_UNPUBLISHED', ids: ['ob-1'] },
  { what: 'a dead letter nobody planted', plant: (s) => s.deadLetters.push({ topic: 'payment.succeeded.v1.dlq', eventId: 'out-x', position: 'p', reason: 'handler failed' }), code: 'DEAD_LETTER_UNEXPECTED', ids: ['out-x'] },
  { what: 'a dead letter without a ce_id', plant: (s) => s.deadLetters.push({ topic: 'payment.requested.v1.dlq', position: 'x.payment.requested.v1.dlq@1:7' }), code: 'DEAD_LETTER_UNEXPECTED', ids: ['x.payment.requested.v1.dlq@1:7'] },
];

describe('the auditor on each kind of inconsistency', () => {
  it.each(plants)('reports $code for $what, with its ids', ({ plant, code, ids }) => {
    const s = consistentSnapshot();
    plant(s);
    const report = runChecks(s);
    expect(report.ok).toBe(false);
    const found = report.violations.filter((v) => v.code === code);
    expect(found.some((v) => ids.every((id) => v.ids.includes(id)))).toBe(true);
    const line = report.lines.find((l) => l.startsWith(`auditor: VIOLATION ${code} `));
    expect(line).toMatch(/ ids=\S+$/);
    expect(report.lines.at(-1)).toMatch(/^auditor: \d+ violation\(s\) orders=/);
  });
});

describe('what is not a violation', () => {
  it('counts an order requested twice once, a redelivered outcome once and a re-emitted outcome as the same outcome', () => {
    const { summary, violations } = checkOrders(consistentSnapshot());
    expect(violations).toEqual([]);
    expect(summary).toEqual({ orders: 4, succeeded: 3, failed: 1 });
  });

  it("counts two merchants' same order id as two orders, each paid and captured once", () => {
    const s = consistentSnapshot();
    // m-2 uses o-1 too (order ids are per merchant): its own request, payment, outcome and capture
    const p5 = '00000000-0000-4000-8000-000000000005';
    s.requested.push({ eventId: 'req-m2-1', orderId: 'o-1', merchantId: 'm-2', amountMinor: 3_000n, currency: 'CNY' });
    s.payments.push({ id: p5, orderId: 'o-1', merchantId: 'm-2', amountMinor: 3_000n, currency: 'CNY', status: 'SUCCEEDED' });
    s.outcomes.push({ eventId: 'out-m2-1', outcome: 'succeeded', orderId: 'o-1', merchantId: 'm-2', paymentId: p5, amountMinor: 3_000n, currency: 'CNY', channelTradeNo: 'T5' });
    s.gatewayTransactions.push({ paymentId: p5, orderId: 'o-1', merchantId: 'm-2', channel: 'alipay', amountMinor: 3_000n, currency: 'CNY', status: 'SUCCEEDED' });
    s.channelCharges.push({ channel: 'alipay', outTradeNo: hex(p5), amountMinor: 3_000n, currency: 'CNY', status: 'SUCCESS' });
    const orders = checkOrders(s);
    expect(orders.violations).toEqual([]);
    expect(orders.summary).toEqual({ orders: 5, succeeded: 4, failed: 1 });
    expect(checkCharges(s).violations).toEqual([]);
  });

  it('ignores a dead-lettered request planted on purpose (it is no order)', () => {
    const s = consistentSnapshot();
    expect(checkOrders(s).summary.orders).toBe(4);
    s.deliberateDeadLetterIds = [];
    expect(checkOrders(s).violations.map((v) => v.code)).toContain('ORDER_NO_OUTCOME');
    expect(checkDrained(s).map((v) => v.code)).toEqual(['DEAD_LETTER_UNEXPECTED']);
  });

  it('holds a merchant with a negative balance carried forward (a full refund after its payout) and one with a payout in flight', () => {
    const s = consistentSnapshot();
    // o-1 refunded in full after s1 paid it out: m-1 owes 80.36 back, carried forward to its next payments
    const r2 = '00000000-0000-4000-8000-0000000000a2';
    s.refunds.push({ id: r2, paymentId: p1, amountMinor: 10_000n, currency: 'CNY', status: 'SUCCEEDED' });
    s.payments[0]!.status = 'REFUNDED';
    s.channelRefunds.push({ channel: 'alipay', outTradeNo: hex(p1), outRefundNo: hex(r2), amountMinor: 10_000n, status: 'SUCCESS' });
    s.ledger.push({ ...ledgerLine('t-r2', 'merchant_payable:m-1', 10_000n), kind: 'refund', reference: `refund:${r2}` }, { ...ledgerLine('t-r2', 'refunds_in_flight', -10_000n), kind: 'refund', reference: `refund:${r2}` });
    expect(runChecks(s).violations).toEqual([]);
    const payable = s.ledger.filter((l) => l.accountId === 'merchant_payable:m-1').reduce((a, l) => a + l.amountMinor, 0n);
    expect(payable).toBe(8_036n); // a debit balance: owed back
  });

  it('reads a payout the bank made while its settlement was still in flight as paid, not twice', () => {
    const s = consistentSnapshot();
    s.bankPayouts.push({ payoutId: s2, amountMinor: 17_892n, currency: 'CNY', status: 'PAID', accountLast4: '0002' });
    expect(checkMerchantBalances(s)).toEqual([]);
    expect(checkPayouts(s).violations.map((v) => v.code)).toEqual(['PAYOUT_NOT_BOOKED']); // still PAYING: caught by the payout check
  });

  it('keeps a refused payout and a declined charge out of the money', () => {
    const s = consistentSnapshot();
    expect(s.bankPayouts.some((b) => b.status === 'FAILED')).toBe(true);
    expect(runChecks(s).summary).toMatchObject({ payouts: 1, capturedMinor: { CNY: 36_000n } });
  });
});
