import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { DB_CONNECT_TIMEOUT_MS, DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, DB_LOCK_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS, inTransaction, openDatabase, type SessionTimeouts } from './data-source';

/** The error a promise rejects with (fails the spec when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const SHORT: SessionTimeouts = { statementMs: 300, lockMs: 300, idleInTransactionMs: 5_000 };

/** A migration that runs longer than SHORT.statementMs (a backfill, say). */
class SlowBackfill1700000000000 implements MigrationInterface {
  name = 'SlowBackfill1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE backfilled (id INT PRIMARY KEY)`);
    await q.query(`SELECT pg_sleep(1)`);
    await q.query(`INSERT INTO backfilled VALUES (1)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backfilled`);
  }
}

describe('the limits every connection carries', () => {
  const url = testDatabaseUrl();
  const schemas: string[] = [];
  const opened: DataSource[] = [];
  const open = async (options: Partial<Parameters<typeof openDatabase>[0]> = {}) => {
    const schema = uniqueId('timeouts_');
    schemas.push(schema);
    const ds = await openDatabase({ url, schema, migrations: [], poolSize: 2, ...options });
    opened.push(ds);
    return ds;
  };
  afterAll(async () => {
    for (const ds of opened) if (ds.isInitialized) await ds.destroy();
    await dropSchemas(url, schemas);
  });

  it('are the named defaults when the caller gives none, with the application name', async () => {
    const ds = await open({ applicationName: 'paystream-timeouts-spec' });
    const [row] = (await ds.query(
      `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
              current_setting('idle_in_transaction_session_timeout') AS idle,
              (SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS app`,
    )) as { statement: string; lock: string; idle: string; app: string }[];
    const asShown = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}min` : ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`);
    expect(row).toEqual({ statement: asShown(DB_STATEMENT_TIMEOUT_MS), lock: asShown(DB_LOCK_TIMEOUT_MS), idle: asShown(DB_IDLE_IN_TRANSACTION_TIMEOUT_MS), app: 'paystream-timeouts-spec' });
    const pool = (ds.driver as unknown as { master: { options: { connectionTimeoutMillis?: number } } }).master;
    expect(pool.options.connectionTimeoutMillis).toBe(DB_CONNECT_TIMEOUT_MS);
  });

  it('cancel a statement running past statement_timeout (57014)', async () => {
    const ds = await open({ timeouts: SHORT });
    const error = await rejection(ds.query(`SELECT pg_sleep(2)`));
    expect(error).toMatchObject({ name: 'QueryFailedError', code: '57014' });
    expect(await ds.query(`SELECT 1 AS ok`)).toEqual([{ ok: 1 }]); // the connection goes on serving
  });

  it('fail a lock wait past lock_timeout (55P03), an advisory lock wait included', async () => {
    const ds = await open({ timeouts: { ...SHORT, statementMs: 10_000 } });
    const holder = ds.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT pg_advisory_xact_lock(hashtext('timeouts-spec'))`);
      const started = Date.now();
      const error = await rejection(inTransaction(ds, (tx) => tx.query(`SELECT pg_advisory_xact_lock(hashtext('timeouts-spec'))`)));
      expect(error).toMatchObject({ name: 'QueryFailedError', code: '55P03' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
  });

  it('bound the wait for a pooled connection by the connect timeout', async () => {
    const ds = await open({ poolSize: 1, connectTimeoutMs: 200 });
    const holder = ds.createQueryRunner();
    await holder.connect();
    try {
      const error = await rejection(ds.query(`SELECT 1`));
      expect((error as Error).message).toBe('timeout exceeded when trying to connect');
    } finally {
      await holder.release();
    }
  });

  it('do not cut off a migration running longer than the statement timeout', async () => {
    const ds = await open({ timeouts: SHORT, migrations: [SlowBackfill1700000000000] });
    expect(await ds.query(`SELECT id FROM backfilled`)).toEqual([{ id: 1 }]);
    expect(await rejection(ds.query(`SELECT pg_sleep(1)`))).toMatchObject({ code: '57014' }); // the service's own connections keep the limit
  });

  it('are refused when not a whole number of milliseconds', async () => {
    await expect(open({ timeouts: { ...SHORT, lockMs: -1 } })).rejects.toThrow(/invalid lockMs/);
  });
});
