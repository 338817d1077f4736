import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merchant and card daily caps as reservations beside the user's limits: a usage counter now belongs
 * to a scope (user, merchant or card; caps count days only), and a reservation remembers the merchant
 * and card it was counted against so a release gives back to the same counters. Reservations made
 * before this have neither and give back to their user's counters only, as before.
 */
export class RiskCaps1764064200000 implements MigrationInterface {
  name = 'RiskCaps1764064200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE limit_usage RENAME COLUMN user_id TO subject_id`);
    await q.query(`
      ALTER TABLE limit_usage
        ADD COLUMN scope TEXT NOT NULL DEFAULT 'user' CHECK (scope IN ('user', 'merchant', 'card')),
        ADD CONSTRAINT limit_usage_caps_count_days CHECK (scope = 'user' OR period_kind = 'day'),
        DROP CONSTRAINT limit_usage_pkey,
        ADD PRIMARY KEY (scope, subject_id, period_kind, period_key)`);
    await q.query(`ALTER TABLE limit_reservation ADD COLUMN merchant_id TEXT, ADD COLUMN card_token TEXT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE limit_reservation DROP COLUMN merchant_id, DROP COLUMN card_token`);
    await q.query(`DELETE FROM limit_usage WHERE scope <> 'user'`);
    await q.query(`ALTER TABLE limit_usage DROP CONSTRAINT limit_usage_pkey, DROP CONSTRAINT limit_usage_caps_count_days, DROP COLUMN scope, ADD PRIMARY KEY (subject_id, period_kind, period_key)`);
    await q.query(`ALTER TABLE limit_usage RENAME COLUMN subject_id TO user_id`);
  }
}
