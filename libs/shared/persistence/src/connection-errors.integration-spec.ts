import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { dropSchemas, testDatabaseUrl, uniqueId, waitFor } from '@paystream/shared/testing';
import { openDatabase } from './data-source';

/**
 * A connection the server ends while the service holds it between statements (a transaction waiting
 * on a channel, a Postgres restart, pg_terminate_backend) must not take the process down: pg emits
 * 'error' on a checked-out client with no query running, and TypeORM listens for none there.
 */
describe('a checked-out connection ended by the server', () => {
  const schema = uniqueId('conn_err_');
  let ds: DataSource;
  const seen: Error[] = [];

  beforeAll(async () => {
    ds = await openDatabase({ url: testDatabaseUrl(), schema, migrations: [], onConnectionError: (error) => seen.push(error) });
  });
  afterAll(async () => {
    await ds.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('is reported and dropped, and the data source goes on working', async () => {
    // a client as pg-pool hands it out: no listener of the pool's while checked out (TypeORM removes its own once it released one)
    const pool = (ds.driver as unknown as { master: { connect(): Promise<PoolClient> } }).master;
    const held = await pool.connect();
    const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await ds.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await waitFor(() => (seen.length ? true : undefined), 5_000, 'the connection error to be reported');
    held.release(seen[0]);
    expect((seen[0] as Error & { code?: string }).code).toBe('57P01');
    expect(await ds.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
