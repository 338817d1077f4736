import { assessmentInputOf, canonicalIp } from './payment-assessor';

describe('the assessment input of a request', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:DB8::7', '2001:db8::7'],
    ['2001:0db8:0000:0000:0000:0000:0000:0007', '2001:db8::7'],
    ['::ffff:198.51.100.1', '198.51.100.1'],
    ['::1', '::1'],
  ])('writes the IP address %s as %s', (ip, canonical) => {
    expect(canonicalIp(ip)).toBe(canonical);
  });

  it('carries the signals sent and leaves out those not sent', () => {
    const base = { paymentId: 'p', orderId: 'o', merchantId: 'm', userId: 'u', amountMinor: '1200', currency: 'CNY' as const, requestedAt: '2026-12-04T10:00:00Z' };
    expect(assessmentInputOf(base)).toEqual({ paymentId: 'p', userId: 'u', merchantId: 'm', amountMinor: 1200n, currency: 'CNY' });
    expect(assessmentInputOf({ ...base, cardToken: `tok_${'a'.repeat(32)}`, deviceId: 'd-1', ipAddress: '2001:DB8::1' })).toMatchObject({ cardToken: `tok_${'a'.repeat(32)}`, deviceId: 'd-1', ip: '2001:db8::1' });
  });
});
