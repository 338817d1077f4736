import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index on risk_attempt's time, so the retention janitor finds the oldest attempts without
 * scanning the table: each of its bounded batches reads only the rows it deletes.
 */
export class RiskAttemptRetention1765100000000 implements MigrationInterface {
  name = 'RiskAttemptRetention1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX risk_attempt_at_idx ON risk_attempt (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX risk_attempt_at_idx`);
  }
}
