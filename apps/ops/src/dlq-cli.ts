import 'reflect-metadata';
import { userInfo } from 'node:os';
import type { DataSource } from 'typeorm';
import { DeadLetterReader, OPS_DLQ_MIGRATIONS, ReplayLog, runDlqCommand, type DlqCommandDeps } from '@paystream/ops/feature-dlq';
import { createKafka, EventProducer, physicalTopic } from '@paystream/shared/kafka';
import { createLogger } from '@paystream/shared/observability';
import { openDatabase } from '@paystream/shared/persistence';
import type { OpsConfig } from './config';

/** The `npm run dlq -- <command>` entry point: the same configuration as the ops app (KAFKA_*, OPS_DATABASE_URL, DB_SCHEMA). */
export async function dlqMain(
  argv: readonly string[],
  config: OpsConfig,
  io: Pick<DlqCommandDeps, 'out' | 'err'> = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
): Promise<number> {
  const logger = createLogger('ops-dlq', process.env.LOG_LEVEL ?? 'warn');
  const kafka = createKafka({ ...config.kafka, clientId: 'paystream-ops-dlq' }, logger);
  const producer = new EventProducer(kafka, config.kafka);
  let ds: DataSource | undefined;
  const replayLog = async () => {
    ds ??= await openDatabase({ url: config.databaseUrl, schema: config.dbSchema, migrations: OPS_DLQ_MIGRATIONS, poolSize: 2, applicationName: 'paystream-ops-dlq' });
    return new ReplayLog(ds);
  };
  const deps: DlqCommandDeps = {
    reader: new DeadLetterReader(kafka, config.kafka),
    publish: async (topic, message) => {
      await producer.connect();
      await producer.publishRaw(physicalTopic(config.kafka, topic), [message]);
    },
    replays: {
      record: async (dl, by) => (await replayLog()).record(dl, by),
      list: async (limit) => (await replayLog()).list(limit),
    },
    defaultActor: process.env.USER ?? userInfo().username,
    ...io,
  };
  try {
    return await runDlqCommand(argv, deps);
  } finally {
    await producer.disconnect();
    if (ds?.isInitialized) await ds.destroy();
  }
}
