import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Refunds asked of the channels, one row per refund. */
export class ChannelRefunds1764057000000 implements MigrationInterface {
  name = 'ChannelRefunds1764057000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE channel_refund (
        refund_id         UUID PRIMARY KEY,
        payment_id        UUID NOT NULL,
        channel           TEXT NOT NULL,
        amount_minor      BIGINT NOT NULL CHECK (amount_minor > 0),
        currency          CHAR(3) NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED')),
        channel_refund_no TEXT,
        failure_code      TEXT,
        failure_message   TEXT,
        created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX channel_refund_payment_idx ON channel_refund (payment_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE channel_refund`);
  }
}
