import { assessmentInputOf } from './payment-assessor';

describe('the assessment input of a request', () => {
  it('carries the signals sent and leaves out those not sent', () => {
    const base = { paymentId: 'p', orderId: 'o', merchantId: 'm', userId: 'u', amountMinor: '1200', currency: 'CNY' as const, requestedAt: '2026-12-04T10:00:00Z' };
    expect(assessmentInputOf(base)).toEqual({ paymentId: 'p', userId: 'u', merchantId: 'm', amountMinor: 1200n, currency: 'CNY' });
    expect(assessmentInputOf({ ...base, cardToken: `tok_${'a'.repeat(32)}`, deviceId: 'd-1', ipAddress: '2001:DB8::1' })).toMatchObject({ cardToken: `tok_${'a'.repeat(32)}`, deviceId: 'd-1', ip: '2001:db8::1' });
  });
});
