import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The review queue: a held decision waits for a person (who and why recorded) or expires. */
export class RiskReviews1764062000000 implements MigrationInterface {
  name = 'RiskReviews1764062000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE risk_decision
        ADD COLUMN review_status     TEXT CHECK (review_status IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED')),
        ADD COLUMN review_expires_at TIMESTAMPTZ,
        ADD COLUMN reviewed_by       TEXT,
        ADD COLUMN review_note       TEXT,
        ADD COLUMN reviewed_at       TIMESTAMPTZ,
        ADD CONSTRAINT risk_decision_review_only_for_review CHECK ((decision = 'review') = (review_status IS NOT NULL))`);
    await q.query(`CREATE INDEX risk_decision_review_due_idx ON risk_decision (review_expires_at) WHERE review_status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX risk_decision_review_due_idx`);
    await q.query(`ALTER TABLE risk_decision DROP CONSTRAINT risk_decision_review_only_for_review, DROP COLUMN review_status, DROP COLUMN review_expires_at, DROP COLUMN reviewed_by, DROP COLUMN review_note, DROP COLUMN reviewed_at`);
  }
}
