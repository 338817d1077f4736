import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index on inbox_message.processed_at, so the inbox janitor finds rows past their retention
 * without scanning the table. Built CONCURRENTLY (outside a transaction): a service's inbox may
 * already hold millions of rows, and a plain CREATE INDEX would block its consumers' inserts.
 */
export class InboxProcessedAtIndex1765300000000 implements MigrationInterface {
  name = 'InboxProcessedAtIndex1765300000000';
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS inbox_message_processed_at_idx ON inbox_message (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS inbox_message_processed_at_idx`);
  }
}
