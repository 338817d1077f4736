import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refund the channel may have made without saying so is UNKNOWN until a query settles it: the
 * janitor's schedule (query_attempts, next_query_at), when it was sent (UnionPay's query repeats
 * the refund's txnTime), and the order it belongs to (its result event names it).
 */
export class ChannelRefundUnknown1764080000000 implements MigrationInterface {
  name = 'ChannelRefundUnknown1764080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE channel_refund DROP CONSTRAINT channel_refund_status_check`);
    await q.query(`ALTER TABLE channel_refund ADD CONSTRAINT channel_refund_status_check CHECK (status IN ('SUCCEEDED', 'FAILED', 'UNKNOWN'))`);
    await q.query(`
      ALTER TABLE channel_refund
        ADD COLUMN order_id       TEXT,
        ADD COLUMN sent_at        TIMESTAMPTZ,
        ADD COLUMN query_attempts INT NOT NULL DEFAULT 0,
        ADD COLUMN next_query_at  TIMESTAMPTZ,
        ADD COLUMN resolved_at    TIMESTAMPTZ,
        ADD COLUMN updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()`);
    await q.query(`CREATE INDEX channel_refund_unknown_due_idx ON channel_refund (next_query_at) WHERE status = 'UNKNOWN'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX channel_refund_unknown_due_idx`);
    await q.query(`ALTER TABLE channel_refund DROP COLUMN order_id, DROP COLUMN sent_at, DROP COLUMN query_attempts, DROP COLUMN next_query_at, DROP COLUMN resolved_at, DROP COLUMN updated_at`);
    await q.query(`ALTER TABLE channel_refund DROP CONSTRAINT channel_refund_status_check`);
    await q.query(`ALTER TABLE channel_refund ADD CONSTRAINT channel_refund_status_check CHECK (status IN ('SUCCEEDED', 'FAILED'))`);
  }
}
