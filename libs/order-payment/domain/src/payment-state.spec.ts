import { canTransition, PAYMENT_STATUSES, paymentTransitions, statusesLeadingTo, type PaymentStatus } from './payment-status';
import { onChargeResult, onRiskDecision, orderMismatch, sameTerms, type Payment } from './payment';

const payment = (status: PaymentStatus, patch: Partial<Payment> = {}): Payment => ({
  id: 'p1', orderId: 'o1', merchantId: 'm1', userId: 'u1', amountMinor: 1000n, currency: 'CNY', requestedChannel: null, cardToken: null, deviceId: null, ipAddress: null, channel: null,
  subject: 's', status, channelTradeNo: null, failure: null, version: 1, createdAt: new Date(), updatedAt: new Date(), ...patch,
});

describe('payment state table', () => {
  const allowed: [PaymentStatus, PaymentStatus][] = [
    ['PENDING_RISK', 'AUTHORIZING'], ['PENDING_RISK', 'REJECTED'], ['PENDING_RISK', 'IN_REVIEW'],
    ['IN_REVIEW', 'AUTHORIZING'], ['IN_REVIEW', 'REJECTED'],
    ['AUTHORIZING', 'SUCCEEDED'], ['AUTHORIZING', 'FAILED'], ['AUTHORIZING', 'UNKNOWN'],
    ['UNKNOWN', 'SUCCEEDED'], ['UNKNOWN', 'FAILED'],
    ['SUCCEEDED', 'PARTIALLY_REFUNDED'], ['SUCCEEDED', 'REFUNDED'],
    ['PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED'], ['PARTIALLY_REFUNDED', 'REFUNDED'],
  ];

  it('allows exactly the listed transitions', () => {
    for (const from of PAYMENT_STATUSES) {
      for (const to of PAYMENT_STATUSES) {
        const expected = allowed.some(([f, t]) => f === from && t === to);
        expect([from, to, canTransition(from, to)]).toEqual([from, to, expected]);
      }
    }
  });

  it('has terminal states with no way out', () => {
    expect(paymentTransitions.FAILED).toEqual([]);
    expect(paymentTransitions.REJECTED).toEqual([]);
    expect(paymentTransitions.REFUNDED).toEqual([]);
  });

  it('lists the statuses a guarded update may start from', () => {
    expect(statusesLeadingTo('SUCCEEDED').sort()).toEqual(['AUTHORIZING', 'UNKNOWN']);
    expect(statusesLeadingTo('AUTHORIZING').sort()).toEqual(['IN_REVIEW', 'PENDING_RISK']);
  });
});

describe('risk decisions', () => {
  it.each([
    ['approve', 'PENDING_RISK', { kind: 'move', to: 'AUTHORIZING' }],
    ['reject', 'PENDING_RISK', { kind: 'move', to: 'REJECTED' }],
    ['review', 'PENDING_RISK', { kind: 'move', to: 'IN_REVIEW' }],
    ['approve', 'IN_REVIEW', { kind: 'move', to: 'AUTHORIZING' }],
    ['approve', 'AUTHORIZING', { kind: 'ignore' }],
    ['reject', 'SUCCEEDED', { kind: 'ignore' }],
  ] as const)('%s while %s -> %o', (decision, status, expected) => {
    expect(onRiskDecision(payment(status), decision)).toMatchObject(expected);
  });

  it('keeps the reject reason as the failure', () => {
    const reason = { code: 'RISK_BLOCKLISTED' as const, message: 'x', retryable: false };
    expect(onRiskDecision(payment('PENDING_RISK'), 'reject', reason)).toMatchObject({ failure: reason });
  });
});

describe('charge results: states move forward, the first terminal outcome wins', () => {
  const fail = { code: 'CHANNEL_UNAVAILABLE' as const, message: 'x', retryable: true };
  it.each([
    ['succeeded', 'AUTHORIZING', 'move'],
    ['failed', 'AUTHORIZING', 'move'],
    ['unknown', 'AUTHORIZING', 'move'],
    ['succeeded', 'UNKNOWN', 'move'],
    ['failed', 'UNKNOWN', 'move'],
    ['succeeded', 'SUCCEEDED', 'ignore'],
    ['succeeded', 'REFUNDED', 'ignore'],
    ['unknown', 'SUCCEEDED', 'ignore'],
    ['failed', 'FAILED', 'ignore'],
    ['unknown', 'UNKNOWN', 'ignore'],
    ['failed', 'SUCCEEDED', 'conflict'],
    ['succeeded', 'FAILED', 'conflict'],
    ['succeeded', 'PENDING_RISK', 'ignore'],
  ] as const)('%s while %s -> %s', (outcome, status, kind) => {
    const t = onChargeResult(payment(status), { outcome, channel: 'alipay', channelTradeNo: 'T1', failure: outcome === 'succeeded' ? undefined : fail });
    expect(t.kind).toBe(kind);
  });
});

describe('one order, one payment', () => {
  it('treats a repeat with the same terms as the same payment and anything else as different', () => {
    const p = payment('SUCCEEDED');
    const terms = { orderId: 'o1', merchantId: 'm1', userId: 'u1', amountMinor: 1000n, currency: 'CNY' as const };
    expect(sameTerms(p, terms)).toBe(true);
    expect(sameTerms(p, { ...terms, amountMinor: 1001n })).toBe(false);
    expect(sameTerms(p, { ...terms, merchantId: 'm2' })).toBe(false);
    expect(sameTerms(p, { ...terms, channel: 'alipay' })).toBe(false);
    expect(sameTerms(p, { ...terms, cardToken: `tok_${'a'.repeat(32)}` })).toBe(false);
    expect(sameTerms({ ...p, cardToken: `tok_${'a'.repeat(32)}` }, { ...terms, cardToken: `tok_${'a'.repeat(32)}` })).toBe(true);
    // routing picked a channel: a repeat that named none still asks for the same payment
    expect(sameTerms({ ...p, channel: 'alipay' }, terms)).toBe(true);
  });
});

describe('events about a payment belong to its order', () => {
  it('names the mismatch when an event carries another order id, and nothing when it carries the payment\'s', () => {
    const p = payment('AUTHORIZING');
    expect(orderMismatch(p, { orderId: 'o1' })).toBeUndefined();
    expect(orderMismatch(p, { orderId: 'o2' })).toBe(`names order o2, but payment ${p.id} is for order o1`);
    expect(orderMismatch(p, { orderId: 'O1' })).toBeDefined();
  });
});
