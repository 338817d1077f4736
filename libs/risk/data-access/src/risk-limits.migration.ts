import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily and yearly limits as reservations: one row per payment holding its amount, and one counter
 * per user and period that reservations add to under a guard, so the counter row's lock is what
 * serialises concurrent payments of one user.
 */
export class RiskLimits1764060000000 implements MigrationInterface {
  name = 'RiskLimits1764060000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE limit_reservation (
        payment_id   UUID PRIMARY KEY,
        user_id      TEXT NOT NULL,
        amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
        currency     CHAR(3) NOT NULL,
        day          DATE NOT NULL,
        year         INT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED')),
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK (year = EXTRACT(YEAR FROM day))
      )`);
    await q.query(`CREATE INDEX limit_reservation_user_day_idx ON limit_reservation (user_id, day)`);
    // period_key is the Asia/Shanghai day (yyyy-MM-dd) or year (yyyy) the counter covers
    await q.query(`
      CREATE TABLE limit_usage (
        user_id     TEXT NOT NULL,
        period_kind TEXT NOT NULL CHECK (period_kind IN ('day', 'year')),
        period_key  TEXT NOT NULL CHECK (period_key ~ CASE period_kind WHEN 'day' THEN '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' ELSE '^[0-9]{4}$' END),
        used_minor  BIGINT NOT NULL CHECK (used_minor >= 0),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, period_kind, period_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE limit_usage`);
    await q.query(`DROP TABLE limit_reservation`);
  }
}
