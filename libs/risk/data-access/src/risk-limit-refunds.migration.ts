import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The refunds of payments holding a limit, one row per refund: partial refunds that together give
 * back the whole amount release the reservation, and a refund told twice counts once.
 */
export class RiskLimitRefunds1765200000000 implements MigrationInterface {
  name = 'RiskLimitRefunds1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE limit_refund (
        refund_id    UUID PRIMARY KEY,
        payment_id   UUID NOT NULL REFERENCES limit_reservation (payment_id),
        amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX limit_refund_payment_idx ON limit_refund (payment_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE limit_refund`);
  }
}
