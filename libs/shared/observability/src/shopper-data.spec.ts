import { maskCardToken, maskedShopperData, maskId, maskIpAddress } from './shopper-data';

describe('shopper data as it may be shown or logged', () => {
  it('keeps only the prefix and the last four of a card token', () => {
    const token = `tok_${'0123456789abcdef'.repeat(2)}`;
    const masked = maskCardToken(token);
    expect(masked).toBe(`tok_${'*'.repeat(28)}cdef`);
    expect(masked).toHaveLength(token.length);
    expect(maskCardToken('not-a-token')).toBe('***********');
  });

  it('keeps the last four of a long id and masks a short one whole', () => {
    expect(maskId('dev-7f3a9c')).toBe('******3a9c');
    expect(maskId('u-1')).toBe('***');
  });

  it('keeps the network of an IP address and masks the host', () => {
    expect(maskIpAddress('203.0.113.7')).toBe('203.0.*.*');
    expect(maskIpAddress('2001:db8::7')).toBe('2001:db8:*:*');
  });

  it('masks every shopper field a log line carries, and adds none that is absent', () => {
    const logged = maskedShopperData({ userId: 'user-000042', cardToken: `tok_${'a'.repeat(32)}`, deviceId: 'dev-7f3a9c', ipAddress: '198.51.100.23' });
    expect(logged).toEqual({ userId: '*******0042', cardToken: `tok_${'*'.repeat(28)}aaaa`, deviceId: '******3a9c', ipAddress: '198.51.*.*' });
    expect(maskedShopperData({ cardToken: null })).toEqual({});
  });
});
