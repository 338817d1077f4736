import type { AuditSnapshot, LedgerLine } from './snapshot';

/** A channel order number as the gateway makes it: the uuid's 32 hex digits. */
export const hex = (uuid: string) => uuid.replace(/-/g, '');

export const IDS = {
  p1: '00000000-0000-4000-8000-000000000001',
  p2: '00000000-0000-4000-8000-000000000002',
  p3: '00000000-0000-4000-8000-000000000003',
  p4: '00000000-0000-4000-8000-000000000004',
  r1: '00000000-0000-4000-8000-0000000000a1',
  s1: '00000000-0000-4000-8000-0000000000b1',
  s2: '00000000-0000-4000-8000-0000000000b2',
} as const;

const tx = (transactionId: string, kind: string, reference: string, lines: [string, bigint][]): LedgerLine[] =>
  lines.map(([accountId, amountMinor]) => ({ transactionId, kind, reference, accountId, amountMinor, currency: 'CNY' }));

/**
 * A small stack's state in which every invariant holds: merchant m-1 (real time) paid for o-1,
 * paid for o-2 and refunded 40.00 of it after its settlement s1 (a clawback owed back), o-3
 * declined; merchant m-2 (POST /payments, a 10 % reserve) paid for o-4, its settlement s2 still in
 * flight. o-2 was requested twice (two event ids), its outcome delivered twice (one ce_id), and
 * o-1's outcome emitted again for a repeated request (another ce_id, same terms).
 */
export function consistentSnapshot(): AuditSnapshot {
  const { p1, p2, p3, p4, r1, s1, s2 } = IDS;
  return {
    requested: [
      { eventId: 'req-1', orderId: 'o-1', merchantId: 'm-1', amountMinor: 10_000n, currency: 'CNY' },
      { eventId: 'req-2', orderId: 'o-2', merchantId: 'm-1', amountMinor: 6_000n, currency: 'CNY' },
      { eventId: 'req-2b', orderId: 'o-2', merchantId: 'm-1', amountMinor: 6_000n, currency: 'CNY' },
      { eventId: 'req-3', orderId: 'o-3', merchantId: 'm-1', amountMinor: 2_051n, currency: 'CNY' },
      { eventId: 'req-bad', orderId: 'o-bad', merchantId: 'm-1', amountMinor: 1n, currency: 'XXX' },
    ],
    outcomes: [
      { eventId: 'out-1', outcome: 'succeeded', merchantId: 'm-1', orderId: 'o-1', paymentId: p1, amountMinor: 10_000n, currency: 'CNY', channelTradeNo: 'T1' },
      { eventId: 'out-1b', outcome: 'succeeded', merchantId: 'm-1', orderId: 'o-1', paymentId: p1, amountMinor: 10_000n, currency: 'CNY', channelTradeNo: 'T1' },
      { eventId: 'out-2', outcome: 'succeeded', merchantId: 'm-1', orderId: 'o-2', paymentId: p2, amountMinor: 6_000n, currency: 'CNY', channelTradeNo: 'T2' },
      { eventId: 'out-2', outcome: 'succeeded', merchantId: 'm-1', orderId: 'o-2', paymentId: p2, amountMinor: 6_000n, currency: 'CNY', channelTradeNo: 'T2' },
      { eventId: 'out-3', outcome: 'failed', merchantId: 'm-1', orderId: 'o-3', paymentId: p3, amountMinor: 2_051n, currency: 'CNY' },
      { eventId: 'out-4', outcome: 'succeeded', merchantId: 'm-2', orderId: 'o-4', paymentId: p4, amountMinor: 20_000n, currency: 'CNY', channelTradeNo: 'T4' },
    ],
    payments: [
      { id: p1, orderId: 'o-1', merchantId: 'm-1', amountMinor: 10_000n, currency: 'CNY', status: 'SUCCEEDED' },
      { id: p2, orderId: 'o-2', merchantId: 'm-1', amountMinor: 6_000n, currency: 'CNY', status: 'PARTIALLY_REFUNDED' },
      { id: p3, orderId: 'o-3', merchantId: 'm-1', amountMinor: 2_051n, currency: 'CNY', status: 'FAILED' },
      { id: p4, orderId: 'o-4', merchantId: 'm-2', amountMinor: 20_000n, currency: 'CNY', status: 'SUCCEEDED' },
    ],
    refunds: [{ id: r1, paymentId: p2, amountMinor: 4_000n, currency: 'CNY', status: 'SUCCEEDED' }],
    gatewayTransactions: [
      { paymentId: p1, merchantId: 'm-1', orderId: 'o-1', channel: 'alipay', amountMinor: 10_000n, currency: 'CNY', status: 'SUCCEEDED' },
      { paymentId: p2, merchantId: 'm-1', orderId: 'o-2', channel: 'wechatpay', amountMinor: 6_000n, currency: 'CNY', status: 'SUCCEEDED' },
      { paymentId: p3, merchantId: 'm-1', orderId: 'o-3', channel: 'alipay', amountMinor: 2_051n, currency: 'CNY', status: 'FAILED' },
      { paymentId: p4, merchantId: 'm-2', orderId: 'o-4', channel: 'unionpay', amountMinor: 20_000n, currency: 'CNY', status: 'SUCCEEDED' },
    ],
    channelCharges: [
      { channel: 'alipay', outTradeNo: hex(p1), amountMinor: 10_000n, currency: 'CNY', status: 'SUCCESS' },
      { channel: 'wechatpay', outTradeNo: hex(p2), amountMinor: 6_000n, currency: 'CNY', status: 'SUCCESS' },
      { channel: 'alipay', outTradeNo: hex(p3), amountMinor: 2_051n, currency: 'CNY', status: 'DECLINED' },
      { channel: 'unionpay', outTradeNo: hex(p4), amountMinor: 20_000n, currency: 'CNY', status: 'SUCCESS' },
    ],
    channelRefunds: [
      { channel: 'wechatpay', outTradeNo: hex(p2), outRefundNo: hex(r1), amountMinor: 4_000n, status: 'SUCCESS' },
      { channel: 'wechatpay', outTradeNo: hex(p2), outRefundNo: 'ffffffffffffffffffffffffffffffff', amountMinor: 9_000n, status: 'FAILED' },
    ],
    bankPayouts: [
      { payoutId: s1, amountMinor: 9_940n, currency: 'CNY', status: 'PAID', accountLast4: '0000' },
      { payoutId: '00000000-0000-4000-8000-0000000000c1', amountMinor: 0n, status: 'FAILED' },
    ],
    ledger: [
      ...tx('t-p1', 'payment', `payment:${p1}`, [['channel_clearing:alipay', 9_940n], ['channel_cost:alipay', 60n], ['merchant_payable:m-1', -9_940n], ['platform_fee_revenue', -60n]]),
      ...tx('t-s1', 'payout_sent', `payout_sent:${s1}`, [['merchant_payable:m-1', 9_940n], ['payouts_in_flight', -9_940n]]),
      ...tx('t-s1p', 'payout', `payout:${s1}`, [['payouts_in_flight', 9_940n], ['bank_settlement_account', -9_940n]]),
      ...tx('t-p2', 'payment', `payment:${p2}`, [['channel_clearing:wechatpay', 5_964n], ['channel_cost:wechatpay', 36n], ['merchant_payable:m-1', -5_964n], ['platform_fee_revenue', -36n]]),
      ...tx('t-r1', 'refund', `refund:${r1}`, [['merchant_payable:m-1', 4_000n], ['refunds_in_flight', -4_000n]]),
      ...tx('t-p4', 'payment', `payment:${p4}`, [['channel_clearing:unionpay', 19_880n], ['channel_cost:unionpay', 120n], ['merchant_payable:m-2', -17_892n], ['merchant_reserve:m-2', -1_988n], ['platform_fee_revenue', -120n]]),
      ...tx('t-s2', 'payout_sent', `payout_sent:${s2}`, [['merchant_payable:m-2', 17_892n], ['payouts_in_flight', -17_892n]]),
    ],
    paymentItems: [
      { paymentId: p1, merchantId: 'm-1', currency: 'CNY', feeMinor: 60n },
      { paymentId: p2, merchantId: 'm-1', currency: 'CNY', feeMinor: 36n },
      { paymentId: p4, merchantId: 'm-2', currency: 'CNY', feeMinor: 120n },
    ],
    settlements: [
      { id: s1, merchantId: 'm-1', currency: 'CNY', netMinor: 9_940n, status: 'COMPLETED', accountLast4: '0000' },
      { id: s2, merchantId: 'm-2', currency: 'CNY', netMinor: 17_892n, status: 'PAYING', accountLast4: '0002' },
    ],
    consumerLag: [
      { group: 'paystream.order-payment', topic: 'payment.requested.v1', partition: 0, lag: 0 },
      { group: 'paystream.settlement', topic: 'payment.succeeded.v1', partition: 1, lag: 0 },
    ],
    unpublishedOutbox: [],
    deadLetters: [{ topic: 'payment.requested.v1.dlq', eventId: 'req-bad', position: 'x.payment.requested.v1.dlq@0:0', reason: 'invalid currency' }],
    deliberateDeadLetterIds: ['req-bad'],
  };
}
