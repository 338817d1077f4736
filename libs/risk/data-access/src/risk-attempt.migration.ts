import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every assessed payment as an attempt with the shopper signals it came with, so rules can count per
 * card, device and IP: written in the assessment's transaction (approved, or declined by risk) and
 * moved to failed when the payment fails later. Times are the database clock's, like risk_decision's.
 */
export class RiskAttempt1764064300000 implements MigrationInterface {
  name = 'RiskAttempt1764064300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE risk_attempt (
        payment_id   UUID PRIMARY KEY,
        user_id      TEXT NOT NULL,
        merchant_id  TEXT NOT NULL,
        card_token   TEXT,
        device_id    TEXT,
        ip           TEXT,
        amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
        currency     CHAR(3) NOT NULL,
        outcome      TEXT NOT NULL CHECK (outcome IN ('approved', 'declined', 'failed')),
        at           TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // the rules look back from now over one card, device or IP; and over one user's devices
    await q.query(`CREATE INDEX risk_attempt_card_idx ON risk_attempt (card_token, at) WHERE card_token IS NOT NULL`);
    await q.query(`CREATE INDEX risk_attempt_device_idx ON risk_attempt (device_id, at) WHERE device_id IS NOT NULL`);
    await q.query(`CREATE INDEX risk_attempt_ip_idx ON risk_attempt (ip, at) WHERE ip IS NOT NULL`);
    await q.query(`CREATE INDEX risk_attempt_user_device_idx ON risk_attempt (user_id, device_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE risk_attempt`);
  }
}
