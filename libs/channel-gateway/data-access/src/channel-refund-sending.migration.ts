import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refund is recorded SENDING (with its refund number and send time) before the channel is
 * called, so a process that dies mid-call leaves a row that holds its part of the capture and that
 * the refund janitor queries, and a redelivered request never sends it under another send time.
 */
export class ChannelRefundSending1764090000000 implements MigrationInterface {
  name = 'ChannelRefundSending1764090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE channel_refund DROP CONSTRAINT channel_refund_status_check`);
    await q.query(`ALTER TABLE channel_refund ADD CONSTRAINT channel_refund_status_check CHECK (status IN ('SENDING', 'SUCCEEDED', 'FAILED', 'UNKNOWN'))`);
    await q.query(`DROP INDEX channel_refund_unknown_due_idx`);
    await q.query(`CREATE INDEX channel_refund_unknown_due_idx ON channel_refund (next_query_at) WHERE status IN ('SENDING', 'UNKNOWN')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX channel_refund_unknown_due_idx`);
    await q.query(`CREATE INDEX channel_refund_unknown_due_idx ON channel_refund (next_query_at) WHERE status = 'UNKNOWN'`);
    // a refund still being sent may have been made: it is kept as unknown, never dropped
    await q.query(`UPDATE channel_refund SET status = 'UNKNOWN' WHERE status = 'SENDING'`);
    await q.query(`ALTER TABLE channel_refund DROP CONSTRAINT channel_refund_status_check`);
    await q.query(`ALTER TABLE channel_refund ADD CONSTRAINT channel_refund_status_check CHECK (status IN ('SUCCEEDED', 'FAILED', 'UNKNOWN'))`);
  }
}
