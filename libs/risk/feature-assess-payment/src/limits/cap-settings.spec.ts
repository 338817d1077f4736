import { RISK_CARD_DAILY_CAP_MINOR_DEFAULT, RISK_MERCHANT_DAILY_CAP_MINOR_DEFAULT } from '@paystream/risk/domain';
import { loadCapSettings } from './cap-settings';

describe('merchant and card daily cap settings', () => {
  it('defaults to CNY 5,000,000 a merchant and CNY 100,000 a card', () => {
    expect(loadCapSettings({})).toEqual({ merchantDailyMinor: RISK_MERCHANT_DAILY_CAP_MINOR_DEFAULT, cardDailyMinor: RISK_CARD_DAILY_CAP_MINOR_DEFAULT });
    expect(RISK_MERCHANT_DAILY_CAP_MINOR_DEFAULT).toBe(500_000_000n);
    expect(RISK_CARD_DAILY_CAP_MINOR_DEFAULT).toBe(10_000_000n);
  });

  it('takes whole fen from the environment', () => {
    expect(loadCapSettings({ RISK_MERCHANT_DAILY_CAP_MINOR: '123456789', RISK_CARD_DAILY_CAP_MINOR: '1' })).toEqual({ merchantDailyMinor: 123_456_789n, cardDailyMinor: 1n });
  });

  it.each(['0', '-5', '100.50', '1e6', 'lots', '0100'])('refuses to start on %s, naming the setting', (bad) => {
    expect(() => loadCapSettings({ RISK_CARD_DAILY_CAP_MINOR: bad })).toThrow(/RISK_CARD_DAILY_CAP_MINOR/);
  });
});
