import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CONSUMER_GROUP_STALL_AFTER_MS_DEFAULT } from '@paystream/ops/domain';
import type { OpsModuleOptions, ServiceTarget } from '@paystream/ops/feature-monitor';
import { TOPIC_PARTITIONS_DEFAULT } from '@paystream/shared/kafka';
import { ConfigError, defaultDatabaseUrl, ENV_FORMATS, loadDatabaseLimits, loadKafkaSecurity, loadPlatformConfig, parseConfig, SERVICES, type DatabaseLimits, type PlatformConfig, type ServiceName } from '@paystream/shared/platform';

/** How often ops reads the cluster and probes the services by default. */
export const OPS_POLL_INTERVAL_MS_DEFAULT = 5_000;
/** The services whose /health and /metrics ops reads (the channel emulator stands in for the outside world). */
export const OPS_WATCHED_SERVICES = ['order-payment', 'channel-gateway', 'risk', 'settlement', 'merchant'] as const satisfies readonly ServiceName[];

export interface OpsConfig extends Omit<OpsModuleOptions, 'platform'> {
  host: string;
  port: number;
  /** The ops database: DLQ replays are recorded there. */
  databaseUrl: string;
  dbSchema: string;
  /** The limits of its database connections (DB_*_TIMEOUT_MS, as every service reads them). */
  database: DatabaseLimits;
}

const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a regular expression');

/** ops's environment (OPS_PORT, OPS_POLL_INTERVAL_MS, OPS_STALL_AFTER_MS, OPS_GROUP_PATTERN, <SERVICE>_URL, KAFKA_*); refuses to start when invalid. */
export function loadOpsConfig(env: Record<string, string | undefined> = process.env): OpsConfig {
  const servicesHost = env.OPS_SERVICES_HOST ?? '127.0.0.1';
  const urlVars = Object.fromEntries(
    OPS_WATCHED_SERVICES.map((s) => {
      const { envPrefix, port } = SERVICES[s];
      return [`${envPrefix}_URL`, z.url({ protocol: /^https?$/ }).default(`http://${servicesHost}:${env[`${envPrefix}_PORT`] ?? port}`)];
    }),
  );
  const schema = z.object({
    OPS_PORT: ENV_FORMATS.port.default(SERVICES.ops.port),
    HOST: ENV_FORMATS.host,
    OPS_DATABASE_URL: ENV_FORMATS.databaseUrl.default(defaultDatabaseUrl(env, SERVICES.ops.database)),
    DB_SCHEMA: ENV_FORMATS.dbSchema,
    KAFKA_BROKERS: ENV_FORMATS.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: ENV_FORMATS.kafkaTopicPrefix,
    OPS_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(300_000).default(OPS_POLL_INTERVAL_MS_DEFAULT),
    OPS_STALL_AFTER_MS: z.coerce.number().int().min(100).max(3_600_000).default(CONSUMER_GROUP_STALL_AFTER_MS_DEFAULT),
    OPS_GROUP_PATTERN: regex.default('^paystream\\.'),
    LOG_LEVEL: ENV_FORMATS.logLevel,
    ...urlVars,
  });
  const c = parseConfig('ops', schema, env) as Record<string, unknown> & z.infer<typeof schema>;
  // the services' /metrics ask for the service:monitoring token (scripts/setup.sh writes .run/monitoring-token)
  const tokenFile = env.OPS_MONITORING_TOKEN_FILE;
  let metricsToken: string | undefined;
  try {
    metricsToken = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  } catch (error) {
    throw new ConfigError('ops', [`OPS_MONITORING_TOKEN_FILE: ${(error as Error).message}`]);
  }
  const targets: ServiceTarget[] = OPS_WATCHED_SERVICES.map((s) => ({ service: s, url: String(c[`${SERVICES[s].envPrefix}_URL`]).replace(/\/+$/, ''), ...(metricsToken ? { metricsToken } : {}) }));
  return {
    host: c.HOST,
    port: c.OPS_PORT,
    databaseUrl: c.OPS_DATABASE_URL,
    dbSchema: c.DB_SCHEMA,
    database: loadDatabaseLimits('ops', env),
    logLevel: c.LOG_LEVEL,
    groupPattern: new RegExp(c.OPS_GROUP_PATTERN),
    kafka: { brokers: c.KAFKA_BROKERS.split(','), clientId: 'paystream-ops', topicPrefix: c.KAFKA_TOPIC_PREFIX, partitions: TOPIC_PARTITIONS_DEFAULT, ...loadKafkaSecurity('ops', env) },
    monitor: { pollIntervalMs: c.OPS_POLL_INTERVAL_MS, stallAfterMs: c.OPS_STALL_AFTER_MS, targets },
  };
}

/** Where the DLQ CLI checks an operator token: the registry, i.e. the merchant database (read only). */
export interface DlqRegistryConfig {
  databaseUrl: string;
  dbSchema: string;
}

/** MERCHANT_DATABASE_URL (default the merchant service's database) and MERCHANT_DB_SCHEMA (default DB_SCHEMA). */
export function loadDlqRegistryConfig(env: Record<string, string | undefined> = process.env): DlqRegistryConfig {
  const schema = z.object({
    MERCHANT_DATABASE_URL: ENV_FORMATS.databaseUrl.default(defaultDatabaseUrl(env, SERVICES.merchant.database)),
    DB_SCHEMA: ENV_FORMATS.dbSchema,
    MERCHANT_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').optional(),
  });
  const c = parseConfig('ops-dlq', schema, env);
  return { databaseUrl: c.MERCHANT_DATABASE_URL, dbSchema: c.MERCHANT_DB_SCHEMA ?? c.DB_SCHEMA };
}

/** What the ops app runs with: ops' own settings, and the platform's (its database, CREDENTIAL_PEPPER, rate limits, HTTP_TRUST_PROXY). */
export interface OpsAppConfig extends OpsConfig, OpsModuleOptions {
  trustProxy: PlatformConfig['trustProxy'];
}

/**
 * The ops app's environment: loadOpsConfig's, plus what every service reads to verify who calls it
 * (CREDENTIAL_PEPPER, required: the app refuses to start without it; the DLQ CLI does not need it).
 */
export function loadOpsAppConfig(env: Record<string, string | undefined> = process.env): OpsAppConfig {
  const ops = loadOpsConfig(env);
  const platform = loadPlatformConfig('ops', env);
  return { ...ops, trustProxy: platform.trustProxy, platform };
}
