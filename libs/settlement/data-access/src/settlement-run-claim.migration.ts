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

/**
 * A keyed settlement run records who asked for it (`<kind>:<id>`, the authenticated principal), and
 * an Idempotency-Key is that principal's own: unique per (requested_by, key), so two operators'
 * same key are two runs. Runs stored before have no requester (NULL): their keys are not replayed
 * any more (a retry runs again, which settles only what is still due).
 */
export class SettlementRunRequester1765710000000 implements MigrationInterface {
  name = 'SettlementRunRequester1765710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement_run ADD COLUMN requested_by TEXT`);
    await q.query(`ALTER TABLE settlement_run DROP CONSTRAINT settlement_run_idempotency_key_key, ADD CONSTRAINT settlement_run_requester_key UNIQUE (requested_by, idempotency_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement_run DROP CONSTRAINT settlement_run_requester_key, ADD CONSTRAINT settlement_run_idempotency_key_key UNIQUE (idempotency_key)`);
    await q.query(`ALTER TABLE settlement_run DROP COLUMN requested_by`);
  }
}
