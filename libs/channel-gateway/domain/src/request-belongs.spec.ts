import { chargeRequestMismatch, refundIdReused, refundRequestMismatch } from './request-belongs';

const charge = { paymentId: 'p1', orderId: 'o1', merchantId: 'm1', amountMinor: 1000n, currency: 'CNY' };

describe('a request belongs to the stored charge it names', () => {
  it('accepts the same charge request again and names every term that differs', () => {
    expect(chargeRequestMismatch(charge, { ...charge })).toBeUndefined();
    expect(chargeRequestMismatch(charge, { ...charge, amountMinor: 1001n })).toBe('asks payment p1 for other terms than its stored attempt (amountMinor 1001 instead of 1000)');
    expect(chargeRequestMismatch(charge, { ...charge, orderId: 'o2', currency: 'USD' })).toBe('asks payment p1 for other terms than its stored attempt (orderId o2 instead of o1, currency USD instead of CNY)');
    expect(chargeRequestMismatch(charge, { ...charge, merchantId: 'm2' })).toContain('merchantId m2 instead of m1');
  });

  it('refuses a refund naming another order, channel or currency than the charge', () => {
    const stored = { ...charge, channel: 'alipay' as const };
    const asked = { refundId: 'r1', paymentId: 'p1', orderId: 'o1', channel: 'alipay' as const, currency: 'CNY' };
    expect(refundRequestMismatch(stored, asked)).toBeUndefined();
    expect(refundRequestMismatch(stored, { ...asked, orderId: 'o2' })).toBe('refund r1 does not match the charge of payment p1 (orderId o2 instead of o1)');
    expect(refundRequestMismatch(stored, { ...asked, channel: 'wechatpay' })).toContain('channel wechatpay instead of alipay');
    expect(refundRequestMismatch(stored, { ...asked, currency: 'USD' })).toContain('currency USD instead of CNY');
  });

  it('keeps a refundId with the payment it was first answered for', () => {
    expect(refundIdReused({ refundId: 'r1', paymentId: 'p1' }, { paymentId: 'p1' })).toBeUndefined();
    expect(refundIdReused({ refundId: 'r1', paymentId: 'p1' }, { paymentId: 'p2' })).toBe('refund r1 is a refund of payment p1, not of payment p2');
  });
});
