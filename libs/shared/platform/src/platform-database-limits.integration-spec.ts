import { isTransientError } from '@paystream/shared/kafka';
import { inTransaction } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, testServiceEnv, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { loadPlatformConfig } from './config';
import { Platform } from './platform';

/** The error a promise rejects with (fails the spec when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe("a service's database connections", () => {
  const schema = uniqueId('dblimits_');
  let platform: Platform;

  beforeAll(async () => {
    const env = await testServiceEnv('SETTLEMENT', { schema, topicPrefix: uniqueTopicPrefix('dblimits') }, { DB_STATEMENT_TIMEOUT_MS: '400', DB_LOCK_TIMEOUT_MS: '300', DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '45000' });
    platform = await Platform.open({ config: loadPlatformConfig('settlement', env), migrations: [], producesTopics: [] });
  });
  afterAll(async () => {
    await platform?.stop();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('carry the limits from the environment and the service name as application_name', async () => {
    const [row] = (await platform.ds.query(
      `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
              current_setting('idle_in_transaction_session_timeout') AS idle, application_name AS app
         FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
    )) as { statement: string; lock: string; idle: string; app: string }[];
    expect(row).toEqual({ statement: '400ms', lock: '300ms', idle: '45s', app: 'paystream-settlement' });
  });

  it('cancel a statement past the limit with 57014, which a consumer retries (transient) rather than dead-letters', async () => {
    const error = await rejection(platform.ds.query(`SELECT pg_sleep(2)`));
    expect(error).toMatchObject({ code: '57014' });
    expect(isTransientError(error)).toBe(true);
  });

  it('fail a lock wait past the limit with 55P03, which a consumer retries (transient)', async () => {
    const holder = platform.ds.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT pg_advisory_xact_lock(hashtext('dblimits-spec'))`);
      const error = await rejection(inTransaction(platform.ds, (tx) => tx.query(`SELECT pg_advisory_xact_lock(hashtext('dblimits-spec'))`)));
      expect(error).toMatchObject({ code: '55P03' });
      expect(isTransientError(error)).toBe(true);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
  });
});
