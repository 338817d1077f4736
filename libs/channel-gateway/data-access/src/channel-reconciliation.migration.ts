import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Reconciliation reads a day's transactions by when they were made and when they succeeded. */
export class ChannelReconciliation1764070000000 implements MigrationInterface {
  name = 'ChannelReconciliation1764070000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX channel_transaction_channel_created_idx ON channel_transaction (channel, created_at)`);
    await q.query(`CREATE INDEX channel_transaction_channel_resolved_idx ON channel_transaction (channel, resolved_at)`);
    await q.query(`CREATE INDEX channel_refund_channel_created_idx ON channel_refund (channel, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX channel_refund_channel_created_idx`);
    await q.query(`DROP INDEX channel_transaction_channel_resolved_idx`);
    await q.query(`DROP INDEX channel_transaction_channel_created_idx`);
  }
}
