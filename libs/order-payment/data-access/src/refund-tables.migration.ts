import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Refunds of captured payments, each asked for with an idempotency key. */
export class RefundTables1764056000000 implements MigrationInterface {
  name = 'RefundTables1764056000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE refund (
        id               UUID PRIMARY KEY,
        payment_id       UUID NOT NULL REFERENCES payment (id),
        amount_minor     BIGINT NOT NULL CHECK (amount_minor > 0),
        currency         CHAR(3) NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('REQUESTED', 'SUCCEEDED', 'FAILED')),
        reason           TEXT,
        channel_refund_no TEXT,
        failure_code     TEXT,
        failure_message  TEXT,
        idempotency_key  TEXT NOT NULL UNIQUE,
        request_hash     TEXT NOT NULL,
        created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refund_payment_idx ON refund (payment_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refund`);
  }
}
