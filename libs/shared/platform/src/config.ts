import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { KEY_MODES } from '@paystream/contracts';
import { parsePepper, RATE_LIMIT_DEFAULTS, RATE_LIMIT_ENV_PREFIX, RATE_LIMIT_SCALE_ENV, rateLimitsOf, type KeyMode, type RateLimits, type RateLimitSetting } from '@paystream/shared/auth';
import { kafkaLoginEnv, TOPIC_PARTITIONS_DEFAULT, TOPIC_REPLICATION_FACTOR_DEFAULT, TOPIC_REPLICATION_FACTOR_MAX, type KafkaSaslSettings, type KafkaSettings } from '@paystream/shared/kafka';
import { DB_CONNECT_TIMEOUT_MS, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS, type SessionTimeouts } from '@paystream/shared/persistence';
import { SERVICES, type ServiceName } from './services';

/** A configuration that does not validate: the service refuses to start and says why. */
export class ConfigError extends Error {
  constructor(service: string, issues: string[]) {
    super(`invalid configuration for ${service}:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The formats of the variables every process of the stack reads alike (services and the ops tool),
 * with their defaults where those are the same for all.
 */
export const ENV_FORMATS = {
  port: z.coerce.number().int().min(1).max(65_535),
  host: z.string().min(1).default('127.0.0.1'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  dbSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('paystream'),
  kafkaBrokers: z
    .string()
    .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'must be host:port[,host:port...]')
    .default('127.0.0.1:9092'),
  kafkaTopicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, . _ - only').default(''),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // required, no default: a service without the pepper cannot verify anyone and must not start
  credentialPepper: z.string({ error: 'is required (base64, at least 32 bytes; scripts/setup.sh writes .run/credential-pepper; or CREDENTIAL_PEPPER_FILE names a file holding it)' }).superRefine((v, ctx) => {
    try {
      parsePepper(v);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  moneyMode: z.enum(KEY_MODES).default('live'),
  trustProxy: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      try {
        parseTrustProxy(v);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
};

/** The most a database limit (DB_*_TIMEOUT_MS) may be set to: an hour. */
export const DB_TIMEOUT_MS_MAX = 3_600_000;

const dbTimeoutMs = (fallback: number, min: 0 | 1) => z.coerce.number().int().min(min).max(DB_TIMEOUT_MS_MAX).default(fallback);

/**
 * The database limits every process of the stack takes from the environment (0 turns a session limit
 * off; the connect timeout cannot be): defaults in shared/persistence, where they are argued.
 */
const DB_LIMITS_ENV = {
  DB_STATEMENT_TIMEOUT_MS: dbTimeoutMs(DB_STATEMENT_TIMEOUT_MS, 0),
  DB_LOCK_TIMEOUT_MS: dbTimeoutMs(DB_LOCK_TIMEOUT_MS, 0),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: dbTimeoutMs(DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, 0),
  DB_CONNECT_TIMEOUT_MS: dbTimeoutMs(DB_CONNECT_TIMEOUT_MS, 1),
};

/** The limits of a process's database connections (openDatabase's timeouts and connectTimeoutMs). */
export interface DatabaseLimits {
  timeouts: SessionTimeouts;
  connectTimeoutMs: number;
}

function databaseLimitsFrom(c: Record<string, unknown>): DatabaseLimits {
  return {
    timeouts: { statementMs: c.DB_STATEMENT_TIMEOUT_MS as number, lockMs: c.DB_LOCK_TIMEOUT_MS as number, idleInTransactionMs: c.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS as number },
    connectTimeoutMs: c.DB_CONNECT_TIMEOUT_MS as number,
  };
}

/** DB_STATEMENT_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS and DB_CONNECT_TIMEOUT_MS, for processes without a PlatformConfig (the ops tools). */
export function loadDatabaseLimits(service: string, env: Record<string, string | undefined> = process.env): DatabaseLimits {
  return databaseLimitsFrom(parseConfig(service, z.object(DB_LIMITS_ENV), env) as Record<string, unknown>);
}

/** Proxy hops HTTP_TRUST_PROXY may name at most. */
export const TRUST_PROXY_HOPS_MAX = 10;

/**
 * Whom a service believes about the client's address (X-Forwarded-For), for the per-address rate limit:
 * nobody (false: the peer's address, the default), the N proxies nearest it, or proxies at these addresses / CIDRs.
 */
export type TrustProxy = false | number | string[];

/**
 * Reads HTTP_TRUST_PROXY: empty or `false` (trust no proxy), a hop count (`1`: the balancer in front),
 * or a comma-separated list of proxy addresses / CIDRs. `true` is refused: trusting every hop lets any
 * client choose the address it is limited under.
 */
export function parseTrustProxy(text: string): TrustProxy {
  const t = text.trim();
  if (t === '' || t === 'false') return false;
  if (/^\d+$/.test(t)) {
    const hops = Number(t);
    if (hops < 1 || hops > TRUST_PROXY_HOPS_MAX) throw new Error(`a hop count must be 1..${TRUST_PROXY_HOPS_MAX}`);
    return hops;
  }
  if (t === 'true') throw new Error('true would trust any X-Forwarded-For a client sends; name the hop count or the proxies');
  const proxies = t.split(',').map((p) => p.trim());
  for (const p of proxies) {
    const [ip, bits, ...rest] = p.split('/');
    const family = isIP(ip ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) throw new Error(`not a proxy address or CIDR: ${p}`);
  }
  return proxies;
}

/** The variables of the rate limits: RATE_LIMIT_SCALE (multiplies every default) and RATE_LIMIT_<name> for each limit. */
const RATE_LIMIT_ENV = {
  [RATE_LIMIT_SCALE_ENV]: z.coerce.number().positive().default(1),
  ...Object.fromEntries(Object.keys(RATE_LIMIT_DEFAULTS).map((name) => [`${RATE_LIMIT_ENV_PREFIX}${name}`, z.coerce.number().positive().optional()])),
};

function rateLimitsFrom(c: Record<string, unknown>): RateLimits {
  const settings: Partial<Record<RateLimitSetting, number>> = {};
  for (const name of Object.keys(RATE_LIMIT_DEFAULTS) as RateLimitSetting[]) {
    const value = c[`${RATE_LIMIT_ENV_PREFIX}${name}`];
    if (typeof value === 'number') settings[name] = value;
  }
  return rateLimitsOf(settings, c[RATE_LIMIT_SCALE_ENV] as number);
}

/**
 * A secret given either in the variable `name` or in a file whose path `<name>_FILE` holds (the
 * docker-compose secrets volume): the variable's value, else the file's content without surrounding
 * white space, else undefined. Both set, or a file that cannot be read, refuse the start.
 */
export function envOrFile(service: string, env: Record<string, string | undefined>, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return env[name];
  if (env[name] !== undefined) throw new ConfigError(service, [`${name}_FILE: set ${name} or ${name}_FILE, not both`]);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(service, [`${name}_FILE: ${(error as Error).message}`]);
  }
}

/** How a process reaches a secure broker (infra/kafka/kafka.sh with KAFKA_SECURITY=sasl_ssl): TLS trusting a CA, and SCRAM-SHA-512 as one principal. */
export interface KafkaSecurity {
  ssl?: { ca: string };
  sasl?: KafkaSaslSettings;
}

function readSecretFile(service: string, name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(service, [`${name}: ${(error as Error).message}`]);
  }
}

/**
 * KAFKA_SSL_CA_FILE (the CA's PEM), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE (SCRAM-SHA-512);
 * none set: plaintext and anonymous, as the default local broker. A username goes with a password
 * file and with TLS: a SCRAM login is never offered over plaintext.
 */
export function loadKafkaSecurity(service: string, env: Record<string, string | undefined> = process.env): KafkaSecurity {
  const caFile = env.KAFKA_SSL_CA_FILE || undefined;
  const username = env.KAFKA_SASL_USERNAME || undefined;
  const passwordFile = env.KAFKA_SASL_PASSWORD_FILE || undefined;
  const issues: string[] = [];
  if (username !== undefined && passwordFile === undefined) issues.push('KAFKA_SASL_PASSWORD_FILE: is required with KAFKA_SASL_USERNAME');
  if (passwordFile !== undefined && username === undefined) issues.push('KAFKA_SASL_USERNAME: is required with KAFKA_SASL_PASSWORD_FILE');
  if ((username !== undefined || passwordFile !== undefined) && caFile === undefined) issues.push('KAFKA_SSL_CA_FILE: is required with SASL (the password is sent over TLS only)');
  if (issues.length > 0) throw new ConfigError(service, issues);
  const security: KafkaSecurity = {};
  if (caFile !== undefined) {
    const ca = readSecretFile(service, 'KAFKA_SSL_CA_FILE', caFile);
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(service, [`KAFKA_SSL_CA_FILE: ${caFile} holds no PEM certificate`]);
    security.ssl = { ca };
  }
  if (username !== undefined && passwordFile !== undefined) {
    const password = readSecretFile(service, 'KAFKA_SASL_PASSWORD_FILE', passwordFile).trim();
    if (password === '') throw new ConfigError(service, [`KAFKA_SASL_PASSWORD_FILE: ${passwordFile} is empty`]);
    security.sasl = { mechanism: 'scram-sha-512', username, password };
  }
  return security;
}

/**
 * For a command-line tool run on the machine that ran scripts/setup.sh (npm run dlq): when the environment names
 * no Kafka login and kafka.sh's secrets directory (KAFKA_SECRETS_DIR, else .run/kafka) holds `principal`'s
 * password, the tool logs in as that principal. An explicit KAFKA_SSL_CA_FILE / KAFKA_SASL_* wins.
 */
export function withLocalKafkaLogin(env: Record<string, string | undefined>, principal: string): Record<string, string | undefined> {
  if (env.KAFKA_SASL_USERNAME || env.KAFKA_SSL_CA_FILE || env.KAFKA_SECURITY === 'plaintext') return env;
  const dir = env.KAFKA_SECRETS_DIR || join('.run', 'kafka');
  const login = kafkaLoginEnv(dir, principal);
  if (!existsSync(login.KAFKA_SASL_PASSWORD_FILE)) return env;
  return { ...env, ...login };
}

/** The database URL used when none is given: the local Postgres (PGHOST, PGPORT) and the given database. */
export function defaultDatabaseUrl(env: Record<string, string | undefined>, database: string): string {
  return `postgres://postgres@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? '5432'}/${database}`;
}

/** Validates env against a zod schema, listing every problem with the variable's name. */
export function parseConfig<S extends z.ZodType>(service: string, schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(service, result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return result.data;
}

export interface PlatformConfig {
  service: ServiceName;
  host: string;
  port: number;
  databaseUrl: string;
  /**
   * Where the service's migrations run (`<PREFIX>_MIGRATION_DATABASE_URL`: the owner role of its schema,
   * while databaseUrl is the runtime role, allowed no DDL); databaseUrl when not set.
   */
  migrationDatabaseUrl?: string;
  dbSchema: string;
  /** The limits of every database connection (DB_STATEMENT_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, DB_CONNECT_TIMEOUT_MS). */
  database: DatabaseLimits;
  kafka: KafkaSettings;
  logLevel: string;
  /** The per-deployment secret every credential's secret is derived from (CREDENTIAL_PEPPER). */
  credentialPepper: Buffer;
  /** The money this deployment moves (PAYSTREAM_MONEY_MODE, default live): merchant keys of the other mode are refused. */
  moneyMode: KeyMode;
  /** The HTTP rate limits per client address and per credential (RATE_LIMIT_*; docs/design/trust-boundary.md section 8). */
  rateLimits: RateLimits;
  /** Whom to believe about the client address (HTTP_TRUST_PROXY; default nobody). */
  trustProxy: TrustProxy;
}

/**
 * The configuration every service shares, read from `<PREFIX>_PORT`, `<PREFIX>_DATABASE_URL`, `KAFKA_*` (KAFKA_REPLICATION_FACTOR: replicas of the topics it creates), ...
 * The pepper comes from CREDENTIAL_PEPPER or from the file CREDENTIAL_PEPPER_FILE names (docker-compose).
 */
export function loadPlatformConfig(service: ServiceName, givenEnv: Record<string, string | undefined> = process.env): PlatformConfig {
  const pepper = envOrFile(service, givenEnv, 'CREDENTIAL_PEPPER');
  const env = pepper === undefined ? givenEnv : { ...givenEnv, CREDENTIAL_PEPPER: pepper };
  const { port, envPrefix, database } = SERVICES[service];
  const schema = z.object({
    [`${envPrefix}_PORT`]: ENV_FORMATS.port.default(port),
    HOST: ENV_FORMATS.host,
    [`${envPrefix}_DATABASE_URL`]: ENV_FORMATS.databaseUrl.default(defaultDatabaseUrl(env, database ?? 'postgres')),
    [`${envPrefix}_MIGRATION_DATABASE_URL`]: ENV_FORMATS.databaseUrl.optional(),
    DB_SCHEMA: ENV_FORMATS.dbSchema,
    ...DB_LIMITS_ENV,
    KAFKA_BROKERS: ENV_FORMATS.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: ENV_FORMATS.kafkaTopicPrefix,
    KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(64).default(TOPIC_PARTITIONS_DEFAULT),
    KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(TOPIC_REPLICATION_FACTOR_MAX).default(TOPIC_REPLICATION_FACTOR_DEFAULT),
    LOG_LEVEL: ENV_FORMATS.logLevel,
    CREDENTIAL_PEPPER: ENV_FORMATS.credentialPepper,
    PAYSTREAM_MONEY_MODE: ENV_FORMATS.moneyMode,
    HTTP_TRUST_PROXY: ENV_FORMATS.trustProxy,
    ...RATE_LIMIT_ENV,
  });
  const c = parseConfig(service, schema, env) as Record<string, unknown>;
  return {
    service,
    host: c.HOST as string,
    port: c[`${envPrefix}_PORT`] as number,
    databaseUrl: c[`${envPrefix}_DATABASE_URL`] as string,
    migrationDatabaseUrl: (c[`${envPrefix}_MIGRATION_DATABASE_URL`] as string | undefined) ?? (c[`${envPrefix}_DATABASE_URL`] as string),
    dbSchema: c.DB_SCHEMA as string,
    database: databaseLimitsFrom(c),
    logLevel: c.LOG_LEVEL as string,
    credentialPepper: parsePepper(c.CREDENTIAL_PEPPER as string),
    moneyMode: c.PAYSTREAM_MONEY_MODE as KeyMode,
    rateLimits: rateLimitsFrom(c),
    trustProxy: parseTrustProxy(c.HTTP_TRUST_PROXY as string),
    kafka: {
      brokers: (c.KAFKA_BROKERS as string).split(','),
      clientId: `paystream-${service}`,
      topicPrefix: c.KAFKA_TOPIC_PREFIX as string,
      partitions: c.KAFKA_PARTITIONS as number,
      replicationFactor: c.KAFKA_REPLICATION_FACTOR as number,
      ...loadKafkaSecurity(service, env),
    },
  };
}

/** One service's own database, as that service reads it. */
export interface ServiceDatabase {
  service: ServiceName;
  url: string;
  schema: string;
}

/**
 * Every service's database from the same variables the services read (`<PREFIX>_DATABASE_URL`,
 * DB_SCHEMA, with the same defaults), for tools that walk each service's data (the audit chain).
 */
export function loadServiceDatabases(env: Record<string, string | undefined> = process.env): ServiceDatabase[] {
  const withDatabase = (Object.keys(SERVICES) as ServiceName[]).filter((s) => SERVICES[s].database !== undefined);
  const schema = z.object({
    DB_SCHEMA: ENV_FORMATS.dbSchema,
    ...Object.fromEntries(withDatabase.map((s) => [`${SERVICES[s].envPrefix}_DATABASE_URL`, ENV_FORMATS.databaseUrl.default(defaultDatabaseUrl(env, SERVICES[s].database!))])),
  });
  const c = parseConfig('audit', schema, env) as Record<string, string>;
  return withDatabase.map((service) => ({ service, url: c[`${SERVICES[service].envPrefix}_DATABASE_URL`]!, schema: c.DB_SCHEMA! }));
}
