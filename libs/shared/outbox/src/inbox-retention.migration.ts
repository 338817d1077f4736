import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index on inbox_message.processed_at, so the inbox janitor finds rows past their retention
 * without scanning the table. Not CONCURRENTLY: that waits for every older transaction in the whole
 * database (a long report, another schema's test) before a service can start; a plain build only
 * holds back this table's inserts (the other instances' inbox marks) while it runs, once.
 */
export class InboxProcessedAtIndex1765300000000 implements MigrationInterface {
  name = 'InboxProcessedAtIndex1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS inbox_message_processed_at_idx ON inbox_message (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS inbox_message_processed_at_idx`);
  }
}
