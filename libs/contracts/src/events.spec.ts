import { checkEventPayload, TOPICS, TOPIC_KEYS } from './index';

const validRequest = {
  orderId: 'ord-1',
  merchantId: 'm-1',
  userId: 'u-1',
  amountMinor: '12345',
  currency: 'CNY',
  subject: 'Tea set',
  requestedAt: '2026-11-25T08:00:00.000Z',
};

describe('payment.requested.v1 schema', () => {
  it('accepts a valid request and keys it by orderId', () => {
    const check = checkEventPayload(TOPICS.paymentRequested, validRequest);
    expect(check.ok).toBe(true);
    if (check.ok) expect(TOPIC_KEYS[TOPICS.paymentRequested](check.value)).toBe('ord-1');
  });

  it.each([
    ['a float amount', { amountMinor: '12.5' }, 'amountMinor'],
    ['a numeric amount', { amountMinor: 12345 }, 'amountMinor'],
    ['a zero amount', { amountMinor: '0' }, 'amountMinor'],
    ['a negative amount', { amountMinor: '-5' }, 'amountMinor'],
    ['leading zeros', { amountMinor: '0100' }, 'amountMinor'],
    ['an amount over the sanity bound', { amountMinor: '1000000000000' }, 'amountMinor'],
    ['another currency', { currency: 'USD' }, 'currency'],
    ['an unknown channel', { channel: 'paypal' }, 'channel'],
    ['an order id with spaces', { orderId: 'ord 1' }, 'orderId'],
    ['a timestamp without offset', { requestedAt: '2026-11-25 08:00' }, 'requestedAt'],
    ['an empty device id', { deviceId: '' }, 'deviceId'],
    ['a device id with spaces', { deviceId: 'my phone' }, 'deviceId'],
    ['a device id over 128 characters', { deviceId: 'd'.repeat(129) }, 'deviceId'],
    ['an IPv4 address out of range', { ipAddress: '256.1.1.1' }, 'ipAddress'],
    ['a host name for an IP address', { ipAddress: 'shop.example.com' }, 'ipAddress'],
    ['an IPv6 address with a zone id', { ipAddress: 'fe80::1%eth0' }, 'ipAddress'],
  ])('rejects %s and names the field', (_name, patch, field) => {
    const check = checkEventPayload(TOPICS.paymentRequested, { ...validRequest, ...patch });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain(field);
  });

  it.each([
    ['IPv4', { deviceId: 'd-7f3a.9:x_1', ipAddress: '203.0.113.7' }],
    ['IPv6', { deviceId: 'd'.repeat(128), ipAddress: '2001:db8::1' }],
    ['a card token', { cardToken: `tok_${'a'.repeat(32)}`, ipAddress: '::ffff:198.51.100.1' }],
  ])('accepts optional shopper signals (%s)', (_name, patch) => {
    expect(checkEventPayload(TOPICS.paymentRequested, { ...validRequest, ...patch }).ok).toBe(true);
  });

  it('rejects a missing field', () => {
    const { merchantId: _omit, ...rest } = validRequest;
    const check = checkEventPayload(TOPICS.paymentRequested, rest);
    expect(check.ok).toBe(false);
  });
});

describe('internal decision and charge schemas', () => {
  const paymentId = '6f1c1f59-4d8e-4a4e-9d59-8d5d0f0a3b11';

  it('requires a reject reason on a reject decision', () => {
    const base = { paymentId, orderId: 'o', decision: 'reject', score: 900, reasons: [], decidedAt: '2026-11-25T08:00:00Z' };
    expect(checkEventPayload(TOPICS.riskAssessmentDecided, base).ok).toBe(false);
    const withReason = { ...base, rejectReason: { code: 'RISK_BLOCKLISTED', message: 'x', retryable: false } };
    expect(checkEventPayload(TOPICS.riskAssessmentDecided, withReason).ok).toBe(true);
  });

  it('requires a trade number on success and a failure otherwise', () => {
    const base = { paymentId, orderId: 'o', channel: 'alipay', completedAt: '2026-11-25T08:00:00Z' };
    expect(checkEventPayload(TOPICS.channelChargeCompleted, { ...base, outcome: 'succeeded' }).ok).toBe(false);
    expect(checkEventPayload(TOPICS.channelChargeCompleted, { ...base, outcome: 'succeeded', channelTradeNo: 'T1' }).ok).toBe(true);
    expect(checkEventPayload(TOPICS.channelChargeCompleted, { ...base, outcome: 'failed' }).ok).toBe(false);
  });

  it('rejects an error code outside the catalogue', () => {
    const failed = {
      paymentId, orderId: 'o', merchantId: 'm', userId: 'u', amountMinor: '1', currency: 'CNY',
      reason: { code: 'MADE_UP', message: 'x', retryable: false }, failedAt: '2026-11-25T08:00:00Z',
    };
    expect(checkEventPayload(TOPICS.paymentFailed, failed).ok).toBe(false);
  });
});
