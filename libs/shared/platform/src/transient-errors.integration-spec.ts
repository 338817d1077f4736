// Beside the platform, not in shared/kafka: shared/testing imports shared/kafka, so a kafka spec importing it would be a cycle.
import { connect, createServer, type Server } from 'node:net';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { freePort, testDatabaseUrl } from '@paystream/shared/testing';
import { isTransientError } from '@paystream/shared/kafka';

/** The error a promise rejects with (fails the spec when it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const dataSource = (url: string, extra: Record<string, unknown> = {}) => new DataSource({ type: 'postgres', url, poolSize: 1, extra });

/** Real errors from a real Postgres (and a real closed port), the way a handler meets them. */
describe('isTransientError on errors the database really throws', () => {
  let admin: DataSource;
  beforeAll(async () => {
    admin = await new DataSource({ type: 'postgres', url: testDatabaseUrl(), poolSize: 4 }).initialize();
  });
  afterAll(async () => {
    await admin?.destroy();
  });

  it('a connect to a port nobody listens on (pg and TypeORM)', async () => {
    const port = await freePort();
    const pgError = await rejection(new Client({ host: '127.0.0.1', port, user: 'postgres' }).connect());
    expect(pgError).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isTransientError(pgError)).toBe(true);
    const typeormError = await rejection(dataSource(`postgres://postgres@127.0.0.1:${port}/postgres`).initialize());
    expect(isTransientError(typeormError)).toBe(true);
  });

  it('a connect tried on two addresses, both refused (AggregateError)', async () => {
    const port = await freePort();
    const socket = connect({
      host: 'db.invalid',
      port,
      autoSelectFamily: true,
      lookup: (_host, _options, callback) =>
        (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: '127.0.0.1', family: 4 },
          { address: '::1', family: 6 },
        ]),
    });
    const error = await new Promise<unknown>((resolve) => socket.once('error', resolve));
    expect((error as Error).name).toBe('AggregateError'); // not instanceof: node's realm, not jest's
    expect(isTransientError(error)).toBe(true);
    expect(isTransientError(Object.assign(error as object, { code: undefined }))).toBe(true); // through its errors alone
  });

  it('a backend terminated mid-query, and the next query on the dead connection', async () => {
    const ds = await dataSource(testDatabaseUrl()).initialize();
    const runner = ds.createQueryRunner();
    try {
      await runner.connect();
      const [{ pid }] = (await runner.query(`SELECT pg_backend_pid() AS pid`)) as { pid: number }[];
      const sleeping = rejection(runner.query(`SELECT pg_sleep(30)`));
      await waitUntilActive(admin, pid);
      await admin.query(`SELECT pg_terminate_backend($1)`, [pid]);
      const terminated = await sleeping;
      expect(terminated).toMatchObject({ name: 'QueryFailedError', code: '57P01' });
      expect(isTransientError(terminated)).toBe(true);
      const next = await rejection(runner.query(`SELECT 1`));
      expect(String((next as Error).message)).toMatch(/Connection terminated|not queryable/);
      expect(isTransientError(next)).toBe(true);
    } finally {
      await runner.release().catch(() => undefined);
      await ds.destroy().catch(() => undefined);
    }
  });

  it('no pooled connection free within the connect timeout (pg-pool)', async () => {
    const ds = await dataSource(testDatabaseUrl(), { connectionTimeoutMillis: 200 }).initialize();
    const holder = ds.createQueryRunner();
    try {
      await holder.connect();
      const error = await rejection(ds.query(`SELECT 1`));
      expect((error as Error).message).toBe('timeout exceeded when trying to connect');
      expect(isTransientError(error)).toBe(true);
    } finally {
      await holder.release();
      await ds.destroy();
    }
  });

  it('a server that accepts the connection and never answers (connect timeout)', async () => {
    const server: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await rejection(new Client({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 200 }).connect());
      expect(isTransientError(error)).toBe(true);
      const pooled = await rejection(dataSource(`postgres://postgres@127.0.0.1:${port}/postgres`, { connectionTimeoutMillis: 200 }).initialize());
      expect(isTransientError(pooled)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('a lock wait cut by lock_timeout and a serialization failure, but not a constraint violation', async () => {
    const schema = `errors_${Date.now().toString(36)}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const first = admin.createQueryRunner();
    const second = admin.createQueryRunner();
    try {
      await admin.query(`CREATE TABLE ${schema}.account (id INT PRIMARY KEY, balance BIGINT NOT NULL)`);
      await admin.query(`INSERT INTO ${schema}.account VALUES (1, 0)`);
      await first.startTransaction();
      await first.query(`UPDATE ${schema}.account SET balance = balance + 1 WHERE id = 1`);
      await second.startTransaction();
      await second.query(`SET LOCAL lock_timeout = '100ms'`);
      const lockTimeout = await rejection(second.query(`UPDATE ${schema}.account SET balance = balance + 1 WHERE id = 1`));
      expect(lockTimeout).toMatchObject({ code: '55P03' });
      expect(isTransientError(lockTimeout)).toBe(true);
      await second.rollbackTransaction();
      await first.rollbackTransaction();

      await second.startTransaction('REPEATABLE READ');
      await second.query(`SELECT balance FROM ${schema}.account WHERE id = 1`);
      await admin.query(`UPDATE ${schema}.account SET balance = 5 WHERE id = 1`);
      const serialization = await rejection(second.query(`UPDATE ${schema}.account SET balance = balance + 1 WHERE id = 1`));
      expect(serialization).toMatchObject({ code: '40001' });
      expect(isTransientError(serialization)).toBe(true);
      await second.rollbackTransaction();

      const duplicate = await rejection(admin.query(`INSERT INTO ${schema}.account VALUES (1, 0)`));
      expect(duplicate).toMatchObject({ code: '23505' });
      expect(isTransientError(duplicate)).toBe(false);
    } finally {
      await first.release();
      await second.release();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});

async function waitUntilActive(admin: DataSource, pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows = (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%' AND state = 'active'`, [pid])) as unknown[];
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`backend ${pid} never ran the query`);
}
