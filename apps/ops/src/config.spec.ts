import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@paystream/shared/platform';
import { loadDlqRegistryConfig, loadOpsAppConfig, loadOpsConfig } from './config';

describe('ops configuration', () => {
  it('defaults to port 3005, the five services on their ports and the documented intervals', () => {
    const c = loadOpsConfig({});
    expect(c).toMatchObject({ port: 3005, databaseUrl: 'postgres://postgres@127.0.0.1:5432/paystream_ops', monitor: { pollIntervalMs: 5_000, stallAfterMs: 30_000 } });
    expect(c.monitor.targets).toEqual([
      { service: 'order-payment', url: 'http://127.0.0.1:3001' },
      { service: 'channel-gateway', url: 'http://127.0.0.1:3002' },
      { service: 'risk', url: 'http://127.0.0.1:3003' },
      { service: 'settlement', url: 'http://127.0.0.1:3004' },
      { service: 'merchant', url: 'http://127.0.0.1:3006' },
    ]);
    expect(c.groupPattern.test('paystream.risk')).toBe(true);
    expect(c.groupPattern.test('collector-x')).toBe(false);
  });

  it('finds a service by its URL, or by its port variable on the services host', () => {
    const c = loadOpsConfig({ RISK_URL: 'http://risk:3003/', SETTLEMENT_PORT: '4004', OPS_SERVICES_HOST: 'box' });
    expect(c.monitor.targets.find((t) => t.service === 'risk')?.url).toBe('http://risk:3003');
    expect(c.monitor.targets.find((t) => t.service === 'settlement')?.url).toBe('http://box:4004');
  });

  it.each([
    [{ OPS_POLL_INTERVAL_MS: '5' }, /OPS_POLL_INTERVAL_MS/],
    [{ OPS_GROUP_PATTERN: '(' }, /OPS_GROUP_PATTERN/],
    [{ ORDER_PAYMENT_URL: 'ftp://x' }, /ORDER_PAYMENT_URL/],
    [{ KAFKA_BROKERS: 'nohost' }, /KAFKA_BROKERS/],
  ])('refuses %j and names the variable', (env, name) => {
    expect(() => loadOpsConfig(env)).toThrow(ConfigError);
    expect(() => loadOpsConfig(env)).toThrow(name);
  });

  it('points the DLQ CLI at the registry (the merchant database) to check operator tokens, in DB_SCHEMA unless MERCHANT_DB_SCHEMA says', () => {
    expect(loadDlqRegistryConfig({})).toEqual({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/paystream_merchant', dbSchema: 'paystream' });
    expect(loadDlqRegistryConfig({ DB_SCHEMA: 'demo', MERCHANT_DATABASE_URL: 'postgres://x@db:5432/m' })).toEqual({ databaseUrl: 'postgres://x@db:5432/m', dbSchema: 'demo' });
    expect(loadDlqRegistryConfig({ DB_SCHEMA: 'demo', MERCHANT_DB_SCHEMA: 'reg' }).dbSchema).toBe('reg');
    expect(() => loadDlqRegistryConfig({ MERCHANT_DB_SCHEMA: 'Bad-Name' })).toThrow(/MERCHANT_DB_SCHEMA/);
  });

  it('runs the app only with the pepper (it verifies who calls it), the DLQ CLI without', () => {
    expect(() => loadOpsAppConfig({})).toThrow(/CREDENTIAL_PEPPER/);
    expect(() => loadOpsConfig({})).not.toThrow();
    const c = loadOpsAppConfig({ CREDENTIAL_PEPPER: Buffer.alloc(32, 1).toString('base64'), HTTP_TRUST_PROXY: '1' });
    expect(c.platform).toMatchObject({ service: 'ops', port: 3005, databaseUrl: 'postgres://postgres@127.0.0.1:5432/paystream_ops' });
    expect(c.trustProxy).toBe(1);
  });

  it('reaches a secure broker as its own principal (KAFKA_SSL_CA_FILE, KAFKA_SASL_*), plaintext when unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-kafka-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      writeFileSync(join(dir, 'ops.password'), 'pw-of-ops\n');
      expect(loadOpsConfig({}).kafka.sasl).toBeUndefined();
      const c = loadOpsConfig({ KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'), KAFKA_SASL_USERNAME: 'ops', KAFKA_SASL_PASSWORD_FILE: join(dir, 'ops.password') });
      expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ops', password: 'pw-of-ops' });
      expect(c.kafka.ssl?.ca).toContain('BEGIN CERTIFICATE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
