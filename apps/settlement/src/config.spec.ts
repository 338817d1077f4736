import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@paystream/shared/platform';
import { loadSettlementConfig } from './config';
import { deriveSecret, parsePepper } from '@paystream/shared/auth';
import { TEST_CREDENTIAL_PEPPER as CREDENTIAL_PEPPER } from '@paystream/shared/testing';

describe('settlement configuration', () => {
  it('defaults to the local channel emulator and the documented payout limits', () => {
    const c = loadSettlementConfig({ CREDENTIAL_PEPPER });
    expect(c).toMatchObject({
      service: 'settlement',
      port: 3004,
      emulatorUrl: 'http://127.0.0.1:3100',
      payout: { bankUrl: 'http://127.0.0.1:3100', intervalMs: 200, attemptsMax: 5, callTimeoutMs: 5_000 },
      runs: { runIntervalMs: 60_000, futureAsOfAllowed: false, claimStaleMs: 300_000 },
    });
  });

  it('takes the bank URL without a trailing slash', () => {
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER, CHANNEL_EMULATOR_URL: 'http://bank.local:8080/' }).emulatorUrl).toBe('http://bank.local:8080');
  });

  it('allows future-dated runs only when told so explicitly', () => {
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER, SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'true' }).runs.futureAsOfAllowed).toBe(true);
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER, SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'false' }).runs.futureAsOfAllowed).toBe(false);
  });

  it('bears its service credential to the gateway, its secret derived from the pepper', () => {
    const id = 'svc_settlement_0123456789abcdefghijkl';
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER, SETTLEMENT_SERVICE_CREDENTIAL_ID: id }).reconcile.serviceToken).toBe(`${id}.${deriveSecret(parsePepper(CREDENTIAL_PEPPER), id)}`);
    expect(loadSettlementConfig({ CREDENTIAL_PEPPER }).reconcile.serviceToken).toBeUndefined();
  });

  it('reads its service credential id from SETTLEMENT_SERVICE_CREDENTIAL_ID_FILE (the docker-compose secrets volume), validated alike', () => {
    const id = 'svc_settlement_0123456789abcdefghijkl';
    const dir = mkdtempSync(join(tmpdir(), 'settlement-id-'));
    try {
      writeFileSync(join(dir, 'id'), `${id}\n`);
      writeFileSync(join(dir, 'bad'), 'op_0123456789012345678901');
      expect(loadSettlementConfig({ CREDENTIAL_PEPPER, SETTLEMENT_SERVICE_CREDENTIAL_ID_FILE: join(dir, 'id') }).reconcile.serviceToken).toBe(`${id}.${deriveSecret(parsePepper(CREDENTIAL_PEPPER), id)}`);
      expect(() => loadSettlementConfig({ CREDENTIAL_PEPPER, SETTLEMENT_SERVICE_CREDENTIAL_ID_FILE: join(dir, 'bad') })).toThrow(/SETTLEMENT_SERVICE_CREDENTIAL_ID/);
      expect(() => loadSettlementConfig({ CREDENTIAL_PEPPER, SETTLEMENT_SERVICE_CREDENTIAL_ID_FILE: join(dir, 'absent') })).toThrow(/SETTLEMENT_SERVICE_CREDENTIAL_ID_FILE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: 'yes' }, /SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED/],
    [{ SETTLEMENT_RUN_CLAIM_STALE_MS: '10' }, /SETTLEMENT_RUN_CLAIM_STALE_MS/],
    [{ CHANNEL_EMULATOR_URL: 'not a url' }, /CHANNEL_EMULATOR_URL/],
    [{ CHANNEL_EMULATOR_URL: 'ftp://bank.local' }, /CHANNEL_EMULATOR_URL/],
    [{ SETTLEMENT_PAYOUT_ATTEMPTS_MAX: '0' }, /SETTLEMENT_PAYOUT_ATTEMPTS_MAX/],
    [{ SETTLEMENT_BANK_TIMEOUT_MS: 'soon' }, /SETTLEMENT_BANK_TIMEOUT_MS/],
    [{ SETTLEMENT_RUN_INTERVAL_MS: '10' }, /SETTLEMENT_RUN_INTERVAL_MS/],
    [{ SETTLEMENT_SERVICE_CREDENTIAL_ID: 'op_0123456789012345678901' }, /SETTLEMENT_SERVICE_CREDENTIAL_ID/],
  ])('refuses %j and names the variable', (env, name) => {
    expect(() => loadSettlementConfig({ CREDENTIAL_PEPPER, ...env })).toThrow(ConfigError);
    expect(() => loadSettlementConfig({ CREDENTIAL_PEPPER, ...env })).toThrow(name);
  });
});
