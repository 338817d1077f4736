import type { DataSource } from 'typeorm';
import { Actors } from '@paystream/shared/audit-log';
import { createLogger } from '@paystream/shared/observability';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { answerOnce, keyedRequestHash } from './idempotent-request';
import { IDEMPOTENT_REQUEST_RETENTION_DAYS, IdempotentRequestJanitor } from './idempotent-request-janitor';
import { IDEMPOTENT_REQUEST_MIGRATIONS } from './idempotent-request.migration';

describe('IdempotentRequestJanitor on the real database', () => {
  const schema = uniqueId('idemjan_');
  const logger = createLogger('idempotent-request-janitor-spec', process.env.TEST_LOG_LEVEL ?? 'silent');
  const alice = Actors.operator('alice');
  const route = 'PUT /risk/rules';
  const request = { version: 1 };
  let ds: DataSource;

  beforeAll(async () => {
    ds = await openDatabase({ url: testDatabaseUrl(), schema, migrations: IDEMPOTENT_REQUEST_MIGRATIONS, poolSize: 2 });
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  /** Inserts n answered keys `<prefix>-<i>` of alice, made `ageDays` ago. */
  const seed = (prefix: string, n: number, ageDays: number) =>
    ds.query(
      `INSERT INTO idempotent_request (principal, idempotency_key, route, request_hash, response, created_at)
       SELECT $1, $2 || '-' || i, $3, $4, '{"n":"first"}', now() - make_interval(days => $5) FROM generate_series(1, $6) AS i`,
      [Actors.format(alice), prefix, route, keyedRequestHash(route, request), ageDays, n],
    );
  const count = async (prefix: string) =>
    Number((await ds.query(`SELECT count(*)::int AS n FROM idempotent_request WHERE idempotency_key LIKE $1 || '-%'`, [prefix]))[0].n);
  const retry = (key: string) => inTransaction(ds, (tx) => answerOnce(tx, { principal: alice, key, route, request }, async () => ({ n: 'again' })));

  it('deletes keys past the retention in bounded batches and keeps recent ones: a retry after the retention is a new request', async () => {
    await seed('old', 2_500, IDEMPOTENT_REQUEST_RETENTION_DAYS + 1);
    await seed('recent', 3, 0);
    await seed('edge', 2, IDEMPOTENT_REQUEST_RETENTION_DAYS - 1);
    const janitor = new IdempotentRequestJanitor(ds, logger, { batchRowsMax: 1_000, batchesPerRunMax: 2 });

    expect(await janitor.prune()).toEqual({ deleted: 2_000, batches: 2 }); // the run's bound, not the whole backlog
    expect(await count('old')).toBe(500);
    expect(await janitor.prune()).toEqual({ deleted: 500, batches: 1 });
    expect(await janitor.prune()).toEqual({ deleted: 0, batches: 1 });
    expect([await count('old'), await count('recent'), await count('edge')]).toEqual([0, 3, 2]);

    expect(await retry('recent-1')).toEqual({ result: { n: 'first' }, replayed: true });
    expect(await retry('edge-2')).toEqual({ result: { n: 'first' }, replayed: true });
    expect(await retry('old-1')).toEqual({ result: { n: 'again' }, replayed: false });
  });

  it('skips keys another transaction holds (a claim being answered) instead of waiting for it', async () => {
    await seed('held', 3, IDEMPOTENT_REQUEST_RETENTION_DAYS + 1);
    const holder = ds.createQueryRunner();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT 1 FROM idempotent_request WHERE idempotency_key = 'held-1' FOR UPDATE`);
      expect(await new IdempotentRequestJanitor(ds, logger).prune()).toEqual({ deleted: 2, batches: 1 });
      await holder.rollbackTransaction();
    } finally {
      await holder.release();
    }
    expect(await new IdempotentRequestJanitor(ds, logger).prune()).toEqual({ deleted: 1, batches: 1 });
  });

  it('has an index the retention query can use', async () => {
    const rows: { indexdef: string }[] = await ds.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'idempotent_request'`, [schema]);
    expect(rows.map((r) => r.indexdef)).toContainEqual(expect.stringContaining('(created_at)'));
  });

  it('runs on its interval once started and stops cleanly', async () => {
    await seed('timed', 5, IDEMPOTENT_REQUEST_RETENTION_DAYS + 1);
    const janitor = new IdempotentRequestJanitor(ds, logger, { intervalMs: 50 });
    janitor.start();
    try {
      for (let i = 0; i < 200 && (await count('timed')) > 0; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await janitor.stop();
    }
    expect(await count('timed')).toBe(0);
  });
});
