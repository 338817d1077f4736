import { z } from 'zod';
import { TOPIC_PARTITIONS_DEFAULT, type KafkaSettings } from '@paystream/shared/kafka';
import { SERVICES, type ServiceName } from './services';

/** A configuration that does not validate: the service refuses to start and says why. */
export class ConfigError extends Error {
  constructor(service: string, issues: string[]) {
    super(`invalid configuration for ${service}:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const portSchema = z.coerce.number().int().min(1).max(65_535);

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
  dbSchema: string;
  kafka: KafkaSettings;
  logLevel: string;
}

/** The configuration every service shares, read from `<PREFIX>_PORT`, `<PREFIX>_DATABASE_URL`, `KAFKA_*`, ... */
export function loadPlatformConfig(service: ServiceName, env: Record<string, string | undefined> = process.env): PlatformConfig {
  const { port, envPrefix, database } = SERVICES[service];
  const pgHost = env.PGHOST ?? '127.0.0.1';
  const pgPort = env.PGPORT ?? '5432';
  const schema = z.object({
    [`${envPrefix}_PORT`]: portSchema.default(port),
    HOST: z.string().min(1).default('127.0.0.1'),
    [`${envPrefix}_DATABASE_URL`]: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .default(`postgres://postgres@${pgHost}:${pgPort}/${database ?? 'postgres'}`),
    DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('paystream'),
    KAFKA_BROKERS: z
      .string()
      .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'must be host:port[,host:port...]')
      .default('127.0.0.1:9092'),
    KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, . _ - only').default(''),
    KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(64).default(TOPIC_PARTITIONS_DEFAULT),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });
  const c = parseConfig(service, schema, env) as Record<string, unknown>;
  return {
    service,
    host: c.HOST as string,
    port: c[`${envPrefix}_PORT`] as number,
    databaseUrl: c[`${envPrefix}_DATABASE_URL`] as string,
    dbSchema: c.DB_SCHEMA as string,
    logLevel: c.LOG_LEVEL as string,
    kafka: {
      brokers: (c.KAFKA_BROKERS as string).split(','),
      clientId: `paystream-${service}`,
      topicPrefix: c.KAFKA_TOPIC_PREFIX as string,
      partitions: c.KAFKA_PARTITIONS as number,
    },
  };
}
