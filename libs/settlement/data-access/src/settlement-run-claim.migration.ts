import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A settlement run's Idempotency-Key row says whether its run is still in progress or completed
 * (with the result), and when it was claimed: a concurrent request with the same key is answered
 * "in progress" instead of an empty result, and a claim left by a crashed process is taken over once
 * stale. Additive: existing rows are completed (their result was written when they were claimed or run).
 */
export class SettlementRunClaim1765230000000 implements MigrationInterface {
  name = 'SettlementRunClaim1765230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE settlement_run
        ADD COLUMN status TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('in_progress', 'completed')),
        ADD COLUMN claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        ADD COLUMN completed_at TIMESTAMPTZ`);
    await q.query(`UPDATE settlement_run SET claimed_at = created_at, completed_at = created_at`);
    // a new claim states its status
    await q.query(`ALTER TABLE settlement_run ALTER COLUMN status DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement_run DROP COLUMN status, DROP COLUMN claimed_at, DROP COLUMN completed_at`);
  }
}
