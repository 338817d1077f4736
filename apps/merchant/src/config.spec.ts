import { loadMerchantConfig } from './config';
import { TEST_CREDENTIAL_PEPPER as CREDENTIAL_PEPPER } from '@paystream/shared/testing';

describe('merchant configuration', () => {
  it('defaults to port 3006, its own database and a 24 h payout account cooling-off', () => {
    const c = loadMerchantConfig({ CREDENTIAL_PEPPER });
    expect(c).toMatchObject({ service: 'merchant', port: 3006, databaseUrl: 'postgres://postgres@127.0.0.1:5432/paystream_merchant', registry: { coolingOffMs: 86_400_000 } });
  });

  it('takes the cooling-off from MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS', () => {
    expect(loadMerchantConfig({ CREDENTIAL_PEPPER, MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: '1500' }).registry.coolingOffMs).toBe(1500);
  });

  it.each(['-1', 'soon', '2592000001'])('refuses a cooling-off of %s', (value) => {
    expect(() => loadMerchantConfig({ CREDENTIAL_PEPPER, MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: value })).toThrow(/MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS/);
  });

  it.each([
    [{}, /CREDENTIAL_PEPPER/],
    [{ CREDENTIAL_PEPPER: 'c2hvcnQ=' }, /at least 32 bytes/],
    [{ CREDENTIAL_PEPPER, PAYSTREAM_MONEY_MODE: 'play' }, /PAYSTREAM_MONEY_MODE/],
  ])('refuses to start with %j (no pepper: no way to verify anyone)', (env, why) => {
    expect(() => loadMerchantConfig(env)).toThrow(why);
  });
});
