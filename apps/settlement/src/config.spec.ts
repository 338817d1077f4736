import { ConfigError } from '@paystream/shared/platform';
import { loadSettlementConfig } from './config';

describe('settlement configuration', () => {
  it('defaults to the local channel emulator and the documented payout limits', () => {
    const c = loadSettlementConfig({});
    expect(c).toMatchObject({
      service: 'settlement',
      port: 3004,
      emulatorUrl: 'http://127.0.0.1:3100',
      payout: { bankUrl: 'http://127.0.0.1:3100', intervalMs: 200, attemptsMax: 5, callTimeoutMs: 5_000 },
      runs: { runIntervalMs: 60_000, futureAsOfAllowed: false, claimStaleMs: 300_000 },
    });
  });

  it('takes the bank URL without a trailing slash', () => {
    expect(loadSettlementConfig({ CHANNEL_EMULATOR_URL: 'http://bank.local:8080/' }).emulatorUrl).toBe('http://bank.local:8080');
  });

  it('allows future-dated runs only when told so explicitly', () => {
    expect(loadSettlementConfig({ SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'true' }).runs.futureAsOfAllowed).toBe(true);
    expect(loadSettlementConfig({ SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'false' }).runs.futureAsOfAllowed).toBe(false);
  });

  it.each([
    [{ SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'yes' }, /SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED/],
    [{ SETTLEMENT_RUN_CLAIM_STALE_MS: '10' }, /SETTLEMENT_RUN_CLAIM_STALE_MS/],
    [{ CHANNEL_EMULATOR_URL: 'not a url' }, /CHANNEL_EMULATOR_URL/],
    [{ CHANNEL_EMULATOR_URL: 'ftp://bank.local' }, /CHANNEL_EMULATOR_URL/],
    [{ SETTLEMENT_PAYOUT_ATTEMPTS_MAX: '0' }, /SETTLEMENT_PAYOUT_ATTEMPTS_MAX/],
    [{ SETTLEMENT_BANK_TIMEOUT_MS: 'soon' }, /SETTLEMENT_BANK_TIMEOUT_MS/],
    [{ SETTLEMENT_RUN_INTERVAL_MS: '10' }, /SETTLEMENT_RUN_INTERVAL_MS/],
  ])('refuses %j and names the variable', (env, name) => {
    expect(() => loadSettlementConfig(env)).toThrow(ConfigError);
    expect(() => loadSettlementConfig(env)).toThrow(name);
  });
});
