import type { DataSource } from 'typeorm';
import { openDatabase } from '@paystream/shared/persistence';
import { createLogger } from '@paystream/shared/observability';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { Inbox } from './inbox';
import { INBOX_RETENTION_DAYS, InboxJanitor } from './inbox-janitor';
import { InboxProcessedAtIndex1765300000000 } from './inbox-retention.migration';
import { OutboxInboxTables1764050000000 } from './outbox-inbox.migration';

describe('InboxJanitor on the real database', () => {
  const schema = uniqueId('inbox_');
  const group = 'paystream.order-payment';
  const logger = createLogger('inbox-janitor-spec', process.env.TEST_LOG_LEVEL ?? 'silent');
  let ds: DataSource;

  beforeAll(async () => {
    ds = await openDatabase({ url: testDatabaseUrl(), schema, migrations: [OutboxInboxTables1764050000000, InboxProcessedAtIndex1765300000000], poolSize: 2 });
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  /** Inserts n processed ids `<prefix>-<i>` processed `ageDays` ago. */
  const seed = (prefix: string, n: number, ageDays: number) =>
    ds.query(
      `INSERT INTO inbox_message (consumer_group, event_id, topic, processed_at)
       SELECT $1, $2 || '-' || i, 'payment.requested.v1', now() - make_interval(days => $3) FROM generate_series(1, $4) AS i`,
      [group, prefix, ageDays, n],
    );
  const count = async (prefix: string) =>
    Number((await ds.query(`SELECT count(*)::int AS n FROM inbox_message WHERE event_id LIKE $1 || '-%'`, [prefix]))[0].n);

  it('deletes rows past the retention in bounded batches, keeps recent ones, and a redelivered recent event is still a duplicate', async () => {
    await seed('old', 2_500, INBOX_RETENTION_DAYS + 1);
    await seed('recent', 3, 0);
    await seed('edge', 2, INBOX_RETENTION_DAYS - 1);
    const janitor = new InboxJanitor(ds, logger, { batchRowsMax: 1_000, batchesPerRunMax: 2 });

    expect(await janitor.prune()).toEqual({ deleted: 2_000, batches: 2 }); // the run's bound, not the whole backlog
    expect(await count('old')).toBe(500);
    expect(await janitor.prune()).toEqual({ deleted: 500, batches: 1 });
    expect(await janitor.prune()).toEqual({ deleted: 0, batches: 1 });
    expect(await count('old')).toBe(0);
    expect(await count('recent')).toBe(3);
    expect(await count('edge')).toBe(2);

    const inbox = new Inbox();
    expect(await inbox.markProcessed(ds.manager, group, { id: 'recent-2', topic: 'payment.requested.v1' })).toBe(false);
    expect(await inbox.markProcessed(ds.manager, group, { id: 'edge-1', topic: 'payment.requested.v1' })).toBe(false);
    expect(await inbox.markProcessed(ds.manager, group, { id: 'brand-new', topic: 'payment.requested.v1' })).toBe(true);
  });

  it('skips rows another transaction holds instead of waiting for it', async () => {
    await seed('held', 3, INBOX_RETENTION_DAYS + 1);
    const holder = ds.createQueryRunner();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT 1 FROM inbox_message WHERE event_id = 'held-1' FOR UPDATE`);
      expect(await new InboxJanitor(ds, logger).prune()).toEqual({ deleted: 2, batches: 1 });
      await holder.rollbackTransaction();
    } finally {
      await holder.release();
    }
    expect(await new InboxJanitor(ds, logger).prune()).toEqual({ deleted: 1, batches: 1 });
  });

  it('has an index the retention query can use', async () => {
    const rows: { indexdef: string }[] = await ds.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'inbox_message'`, [schema]);
    expect(rows.map((r) => r.indexdef)).toContainEqual(expect.stringContaining('(processed_at)'));
  });

  it('runs on its interval once started and stops cleanly', async () => {
    await seed('timed', 5, INBOX_RETENTION_DAYS + 1);
    const janitor = new InboxJanitor(ds, logger, { intervalMs: 50 });
    janitor.start();
    try {
      for (let i = 0; i < 200 && (await count('timed')) > 0; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await janitor.stop();
    }
    expect(await count('timed')).toBe(0);
  });
});
