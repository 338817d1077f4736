import { loadMerchantConfig } from './config';

describe('merchant configuration', () => {
  it('defaults to port 3006, its own database and a 24 h payout account cooling-off', () => {
    const c = loadMerchantConfig({});
    expect(c).toMatchObject({ service: 'merchant', port: 3006, databaseUrl: 'postgres://postgres@127.0.0.1:5432/paystream_merchant', registry: { coolingOffMs: 86_400_000 } });
  });

  it('takes the cooling-off from MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS', () => {
    expect(loadMerchantConfig({ MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: '1500' }).registry.coolingOffMs).toBe(1500);
  });

  it.each(['-1', 'soon', '2592000001'])('refuses a cooling-off of %s', (value) => {
    expect(() => loadMerchantConfig({ MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: value })).toThrow(/MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS/);
  });
});
