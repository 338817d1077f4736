import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { DeadLetterReader, OPS_DLQ_MIGRATIONS, ReplayLog, runDlqCommand, type DlqCommandDeps } from '@paystream/ops/feature-dlq';
import { checkOperatorToken, presentedOperatorToken, RegistryCredentials } from '@paystream/shared/auth';
import { createKafka, EventProducer, physicalTopic } from '@paystream/shared/kafka';
import { createLogger } from '@paystream/shared/observability';
import { createDataSource, openDatabase } from '@paystream/shared/persistence';
import type { DlqRegistryConfig, OpsConfig } from './config';

/**
 * The `npm run dlq -- <command>` entry point: the same configuration as the ops app (KAFKA_*,
 * OPS_DATABASE_URL, DB_SCHEMA), and the registry (MERCHANT_DATABASE_URL, MERCHANT_DB_SCHEMA) where a
 * replay's operator token is checked. `env` gives PAYSTREAM_OPERATOR_TOKEN when --token-file does not.
 * The least roles do (scripts/with-db-roles.sh): the ops runtime role writes the replay log in the schema
 * the ops service migrated (the CLI's migration check only reads), the merchant read-only role reads the registry.
 */
export async function dlqMain(
  argv: readonly string[],
  config: OpsConfig,
  registry: DlqRegistryConfig,
  io: Pick<DlqCommandDeps, 'out' | 'err'> = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const logger = createLogger('ops-dlq', process.env.LOG_LEVEL ?? 'warn');
  const kafka = createKafka({ ...config.kafka, clientId: 'paystream-ops-dlq' }, logger);
  const producer = new EventProducer(kafka, config.kafka);
  let ds: DataSource | undefined;
  let registryDb: DataSource | undefined;
  const replayLog = async () => {
    ds ??= await openDatabase({ url: config.databaseUrl, schema: config.dbSchema, migrations: OPS_DLQ_MIGRATIONS, poolSize: 2, applicationName: 'paystream-ops-dlq', ...config.database });
    return new ReplayLog(ds);
  };
  const deps: DlqCommandDeps = {
    reader: new DeadLetterReader(kafka, config.kafka),
    publish: async (topic, message) => {
      await producer.connect();
      await producer.publishRaw(physicalTopic(config.kafka, topic), [message]);
    },
    replays: {
      record: async (dl, by, credentialId) => (await replayLog()).record(dl, by, credentialId),
      list: async (limit) => (await replayLog()).list(limit),
    },
    operatorToken: (tokenFile) => presentedOperatorToken(tokenFile, env),
    authenticate: async (token, role) => {
      // read only, no migrations, no schema creation: the merchant service owns the registry's schema, and the CLI
      // reads it as the merchant database's read-only role (scripts/with-db-roles.sh)
      if (registryDb === undefined) {
        const db = createDataSource({ url: registry.databaseUrl, schema: registry.dbSchema, migrations: [], poolSize: 1, applicationName: 'paystream-ops-dlq', ...config.database });
        registryDb = await db.initialize();
      }
      return checkOperatorToken(token, role, new RegistryCredentials(registryDb));
    },
    ...io,
  };
  try {
    return await runDlqCommand(argv, deps);
  } finally {
    await producer.disconnect();
    if (ds?.isInitialized) await ds.destroy();
    if (registryDb?.isInitialized) await registryDb.destroy();
  }
}
