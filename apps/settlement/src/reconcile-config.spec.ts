import { ConfigError } from '@paystream/shared/platform';
import { loadSettlementConfig } from './config';
import { TEST_CREDENTIAL_PEPPER as CREDENTIAL_PEPPER } from '@paystream/shared/testing';

describe('settlement configuration: reconciliation', () => {
  it('defaults to the local gateway (on its port), the daily run at 10:30 Beijing, a check every 10 s', () => {
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER }).reconcile).toEqual({ gatewayUrl: 'http://127.0.0.1:3002', dailyAtBeijing: '10:30', checkIntervalMs: 10_000 });
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER, CHANNEL_GATEWAY_PORT: '4002' }).reconcile.gatewayUrl).toBe('http://127.0.0.1:4002');
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER, CHANNEL_GATEWAY_URL: 'http://gw.local:8080/' }).reconcile.gatewayUrl).toBe('http://gw.local:8080');
  });

  it.each([
    [{ CHANNEL_GATEWAY_URL: 'gateway' }, /CHANNEL_GATEWAY_URL/],
    [{ RECONCILIATION_DAILY_AT: '24:00' }, /RECONCILIATION_DAILY_AT/],
    [{ RECONCILIATION_CHECK_INTERVAL_MS: '5' }, /RECONCILIATION_CHECK_INTERVAL_MS/],
  ])('refuses %j and names the variable', (env, name) => {
    expect(() => loadSettlementConfig({ CREDENTIAL_PEPPER, ...env })).toThrow(ConfigError);
    expect(() => loadSettlementConfig({ CREDENTIAL_PEPPER, ...env })).toThrow(name);
  });
});
