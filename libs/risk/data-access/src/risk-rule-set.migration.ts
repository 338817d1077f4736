import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Anomaly rules as data: every change is a new version (append-only, the audit trail of who and
 * why) and the newest is in force. No row means the built-in DEFAULT_RULE_SET is in force.
 */
export class RiskRuleSet1764063000000 implements MigrationInterface {
  name = 'RiskRuleSet1764063000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE risk_rule_set (
        version    INT PRIMARY KEY CHECK (version > 0),
        document   JSONB NOT NULL,
        created_by TEXT NOT NULL,
        reason     TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE risk_rule_set`);
  }
}
