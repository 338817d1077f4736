import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MERCHANT_KEY_BURST_REQUESTS, MERCHANT_KEY_REQUESTS_PER_S, rateLimitsOf } from '@paystream/shared/auth';
import { DB_CONNECT_TIMEOUT_MS, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS } from '@paystream/shared/persistence';
import { ConfigError, loadDatabaseLimits, loadPlatformConfig, withLocalKafkaLogin, type TrustProxy } from './config';

// every service needs its deployment's pepper; this spec is about the Kafka settings
const PEPPER = { CREDENTIAL_PEPPER: Buffer.alloc(32, 0x5a).toString('base64') };

describe('loadPlatformConfig: KAFKA_REPLICATION_FACTOR', () => {
  it('creates topics with one replica unless told otherwise (the single-broker stack)', () => {
    expect(loadPlatformConfig('risk', PEPPER).kafka.replicationFactor).toBe(1);
  });

  it('takes the replicas a cluster of brokers asks for', () => {
    expect(loadPlatformConfig('risk', { ...PEPPER, KAFKA_REPLICATION_FACTOR: '3' }).kafka.replicationFactor).toBe(3);
  });

  it.each(['0', '-1', '2.5', 'three', '6'])('refuses to start on %s', (value) => {
    expect(() => loadPlatformConfig('risk', { ...PEPPER, KAFKA_REPLICATION_FACTOR: value })).toThrow(ConfigError);
  });
});

describe('loadPlatformConfig: rate limits and HTTP_TRUST_PROXY', () => {
  it('limits with the named defaults and trusts no proxy unless told', () => {
    const c = loadPlatformConfig('risk', PEPPER);
    expect(c.rateLimits).toEqual(rateLimitsOf());
    expect(c.rateLimits.standard['merchant-key']).toEqual({ ratePerS: MERCHANT_KEY_REQUESTS_PER_S, burst: MERCHANT_KEY_BURST_REQUESTS });
    expect(c.trustProxy).toBe(false);
  });

  it('takes RATE_LIMIT_SCALE and each RATE_LIMIT_<name> from the environment (the load tools raise them)', () => {
    const c = loadPlatformConfig('risk', { ...PEPPER, RATE_LIMIT_SCALE: '10', RATE_LIMIT_CARD_TOKENIZE_REQUESTS_PER_S: '0.5', RATE_LIMIT_MERCHANT_KEY_BURST_REQUESTS: '7' });
    expect(c.rateLimits.standard['merchant-key']).toEqual({ ratePerS: MERCHANT_KEY_REQUESTS_PER_S * 10, burst: 7 });
    expect(c.rateLimits.strict['card-tokenize'].ratePerS).toBe(0.5);
  });

  it.each([['RATE_LIMIT_SCALE', '0'], ['RATE_LIMIT_MERCHANT_KEY_REQUESTS_PER_S', '-1'], ['RATE_LIMIT_CLIENT_ADDRESS_BURST_REQUESTS', 'lots']])('refuses to start on %s=%s', (name, value) => {
    expect(() => loadPlatformConfig('risk', { ...PEPPER, [name]: value })).toThrow(new RegExp(name));
  });

  it.each<[string, TrustProxy]>([
    ['', false],
    ['false', false],
    ['1', 1],
    ['10.0.0.5', ['10.0.0.5']],
    ['10.0.0.0/8, fd00::/8', ['10.0.0.0/8', 'fd00::/8']],
  ])('HTTP_TRUST_PROXY=%p trusts %p', (value, trusted) => {
    expect(loadPlatformConfig('risk', { ...PEPPER, HTTP_TRUST_PROXY: value }).trustProxy).toEqual(trusted);
  });

  it.each(['true', '0', '11', '10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1'])('refuses HTTP_TRUST_PROXY=%p (trusting every hop lets a client pick its address)', (value) => {
    expect(() => loadPlatformConfig('risk', { ...PEPPER, HTTP_TRUST_PROXY: value })).toThrow(/HTTP_TRUST_PROXY/);
  });
});

describe('loadPlatformConfig: CREDENTIAL_PEPPER_FILE (the docker-compose secrets volume)', () => {
  const pepperText = PEPPER.CREDENTIAL_PEPPER;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pepper-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the pepper from the file the variable names (a trailing newline ignored)', () => {
    const file = join(dir, 'credential-pepper');
    writeFileSync(file, `${pepperText}\n`);
    expect(loadPlatformConfig('risk', { CREDENTIAL_PEPPER_FILE: file }).credentialPepper).toEqual(Buffer.from(pepperText, 'base64'));
  });

  it('keeps reading CREDENTIAL_PEPPER when no file is named (scripts/stack.sh)', () => {
    expect(loadPlatformConfig('risk', PEPPER).credentialPepper).toEqual(Buffer.from(pepperText, 'base64'));
  });

  it('refuses to start when the named file is missing, naming the variable', () => {
    expect(() => loadPlatformConfig('risk', { CREDENTIAL_PEPPER_FILE: join(dir, 'absent') })).toThrow(/CREDENTIAL_PEPPER_FILE: .*absent/);
  });

  it('refuses to start when both the variable and the file are given (which one is meant?)', () => {
    const file = join(dir, 'credential-pepper');
    writeFileSync(file, pepperText);
    expect(() => loadPlatformConfig('risk', { ...PEPPER, CREDENTIAL_PEPPER_FILE: file })).toThrow(/not both/);
  });

  it('validates a pepper read from a file as one from the variable', () => {
    const file = join(dir, 'credential-pepper');
    writeFileSync(file, 'short');
    expect(() => loadPlatformConfig('risk', { CREDENTIAL_PEPPER_FILE: file })).toThrow(/CREDENTIAL_PEPPER/);
  });

  it('refuses to start with neither', () => {
    expect(() => loadPlatformConfig('risk', {})).toThrow(/CREDENTIAL_PEPPER: is required/);
  });
});

describe('loadPlatformConfig: the database limits', () => {
  it('are the named defaults unless told', () => {
    expect(loadPlatformConfig('risk', PEPPER).database).toEqual({
      timeouts: { statementMs: DB_STATEMENT_TIMEOUT_MS, lockMs: DB_LOCK_TIMEOUT_MS, idleInTransactionMs: DB_IDLE_IN_TRANSACTION_TIMEOUT_MS },
      connectTimeoutMs: DB_CONNECT_TIMEOUT_MS,
    });
  });

  it('take DB_STATEMENT_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS and DB_CONNECT_TIMEOUT_MS (0 turns a session limit off)', () => {
    const env = { ...PEPPER, DB_STATEMENT_TIMEOUT_MS: '0', DB_LOCK_TIMEOUT_MS: '2500', DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '120000', DB_CONNECT_TIMEOUT_MS: '3000' };
    expect(loadPlatformConfig('risk', env).database).toEqual({ timeouts: { statementMs: 0, lockMs: 2_500, idleInTransactionMs: 120_000 }, connectTimeoutMs: 3_000 });
    expect(loadDatabaseLimits('ops', env)).toEqual(loadPlatformConfig('risk', env).database);
  });

  it.each([['DB_STATEMENT_TIMEOUT_MS', '-1'], ['DB_LOCK_TIMEOUT_MS', '1.5'], ['DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', '3600001'], ['DB_CONNECT_TIMEOUT_MS', '0'], ['DB_STATEMENT_TIMEOUT_MS', '30s']])('refuse to start on %s=%s', (name, value) => {
    expect(() => loadPlatformConfig('risk', { ...PEPPER, [name]: value })).toThrow(new RegExp(name));
  });
});

describe('loadPlatformConfig: the migration role (<PREFIX>_MIGRATION_DATABASE_URL)', () => {
  it('migrates on <PREFIX>_DATABASE_URL unless told another URL (tests and setups without roles unchanged)', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/paystream_risk';
    expect(loadPlatformConfig('risk', { ...PEPPER, RISK_DATABASE_URL: url }).migrationDatabaseUrl).toBe(url);
  });

  it("takes <PREFIX>_MIGRATION_DATABASE_URL (the schema owner's) beside the runtime role's <PREFIX>_DATABASE_URL", () => {
    const config = loadPlatformConfig('settlement', { ...PEPPER, SETTLEMENT_DATABASE_URL: 'postgres://app:a@db/s', SETTLEMENT_MIGRATION_DATABASE_URL: 'postgres://owner:o@db/s' });
    expect([config.databaseUrl, config.migrationDatabaseUrl]).toEqual(['postgres://app:a@db/s', 'postgres://owner:o@db/s']);
  });

  it('refuses a migration URL that is not a postgres:// URL', () => {
    expect(() => loadPlatformConfig('risk', { ...PEPPER, RISK_MIGRATION_DATABASE_URL: 'mysql://x' })).toThrow(/RISK_MIGRATION_DATABASE_URL/);
  });
});

describe('loadPlatformConfig: KAFKA_SSL_CA_FILE, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE (the secure broker)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
  const caFile = join(dir, 'ca.pem');
  const passwordFile = join(dir, 'risk.password');
  const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(caFile, CA_PEM);
  writeFileSync(passwordFile, 's3cret-of-risk\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stays plaintext and anonymous when none is set (the default broker)', () => {
    const { kafka } = loadPlatformConfig('risk', PEPPER);
    expect(kafka.ssl).toBeUndefined();
    expect(kafka.sasl).toBeUndefined();
  });

  it('trusts the CA and logs in with SCRAM-SHA-512 as the named principal', () => {
    const { kafka } = loadPlatformConfig('risk', { ...PEPPER, KAFKA_SSL_CA_FILE: caFile, KAFKA_SASL_USERNAME: 'risk', KAFKA_SASL_PASSWORD_FILE: passwordFile });
    expect(kafka.ssl).toEqual({ ca: CA_PEM });
    expect(kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'risk', password: 's3cret-of-risk' });
  });

  it('takes TLS alone', () => {
    const { kafka } = loadPlatformConfig('risk', { ...PEPPER, KAFKA_SSL_CA_FILE: caFile });
    expect(kafka.ssl).toEqual({ ca: CA_PEM });
    expect(kafka.sasl).toBeUndefined();
  });

  it.each([
    [{ KAFKA_SASL_USERNAME: 'risk', KAFKA_SSL_CA_FILE: caFile }, /KAFKA_SASL_PASSWORD_FILE: is required/],
    [{ KAFKA_SASL_PASSWORD_FILE: passwordFile, KAFKA_SSL_CA_FILE: caFile }, /KAFKA_SASL_USERNAME: is required/],
    [{ KAFKA_SASL_USERNAME: 'risk', KAFKA_SASL_PASSWORD_FILE: passwordFile }, /KAFKA_SSL_CA_FILE: is required with SASL/],
    [{ KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, /KAFKA_SSL_CA_FILE: ENOENT/],
    [{ KAFKA_SSL_CA_FILE: passwordFile }, /holds no PEM certificate/],
    [{ KAFKA_SASL_USERNAME: 'risk', KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing'), KAFKA_SSL_CA_FILE: caFile }, /KAFKA_SASL_PASSWORD_FILE: ENOENT/],
  ])('refuses to start with %o', (vars, message) => {
    expect(() => loadPlatformConfig('risk', { ...PEPPER, ...vars })).toThrow(message);
  });
});

describe('withLocalKafkaLogin (a CLI on the machine setup ran on)', () => {
  const secrets = mkdtempSync(join(tmpdir(), 'kafka-secrets-'));
  writeFileSync(join(secrets, 'dlq-replay.password'), 'pw\n');

  it("logs in as the principal whose password kafka.sh wrote, over TLS with kafka.sh's CA", () => {
    expect(withLocalKafkaLogin({ KAFKA_SECRETS_DIR: secrets }, 'dlq-replay')).toMatchObject({
      KAFKA_SSL_CA_FILE: join(secrets, 'ca.pem'),
      KAFKA_SASL_USERNAME: 'dlq-replay',
      KAFKA_SASL_PASSWORD_FILE: join(secrets, 'dlq-replay.password'),
    });
  });

  it('leaves an explicit login, a plaintext broker and a principal without a password alone', () => {
    const explicit = { KAFKA_SECRETS_DIR: secrets, KAFKA_SASL_USERNAME: 'ops', KAFKA_SASL_PASSWORD_FILE: '/x', KAFKA_SSL_CA_FILE: '/ca' };
    expect(withLocalKafkaLogin(explicit, 'dlq-replay')).toBe(explicit);
    expect(withLocalKafkaLogin({ KAFKA_SECRETS_DIR: secrets, KAFKA_SECURITY: 'plaintext' }, 'dlq-replay').KAFKA_SASL_USERNAME).toBeUndefined();
    expect(withLocalKafkaLogin({ KAFKA_SECRETS_DIR: secrets }, 'auditor').KAFKA_SASL_USERNAME).toBeUndefined();
  });
});
