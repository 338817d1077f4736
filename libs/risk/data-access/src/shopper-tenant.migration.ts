import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user id is its merchant's (each merchant chooses its shoppers' ids: merchant A's `u-1` and
 * merchant B's `u-1` are two people), so everything risk keeps per shopper is kept per merchant and
 * user (docs/design/trust-boundary.md section 6, "Tenant scoping in settlement, cards and identities"):
 *
 * - **Limit counters.** A user's day and year counter (limit_usage scope `user`) names the merchant
 *   too (`merchant_id`, only for that scope; merchant and card caps have none). The counters are
 *   rebuilt from the reservations holding them, the record they sum, per merchant.
 * - **Reservations** always name the payment's merchant (`merchant_id`): reservations from before
 *   the merchant caps had none and get it from the payment's decision. As they never counted
 *   against their merchant's cap, `holds_merchant_cap` is false for them, so a release later gives
 *   back to the user's counters only, as before. A released placeholder of a failure that never got
 *   a decision may keep no merchant: it holds nothing. A reservation holding a limit without a
 *   merchant stops the migration (every one was made beside its decision, so none should).
 * - **History, velocity and devices** are read per merchant and user: the indexes follow.
 */
export class RiskShopperTenant1766000200000 implements MigrationInterface {
  name = 'RiskShopperTenant1766000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE limit_reservation ADD COLUMN holds_merchant_cap BOOLEAN NOT NULL DEFAULT true`);
    await q.query(`UPDATE limit_reservation SET holds_merchant_cap = false WHERE merchant_id IS NULL`);
    await q.query(`UPDATE limit_reservation r SET merchant_id = d.merchant_id FROM risk_decision d WHERE r.merchant_id IS NULL AND d.payment_id = r.payment_id`);
    const orphans: { payment_id: string }[] = await q.query(`SELECT payment_id FROM limit_reservation WHERE merchant_id IS NULL AND status <> 'RELEASED' ORDER BY payment_id LIMIT 10`);
    if (orphans.length > 0) throw new Error(`limit reservations holding a limit with no merchant to count it for (no decision of the payment): ${orphans.map((o) => o.payment_id).join(', ')}`);
    await q.query(`ALTER TABLE limit_reservation ADD CONSTRAINT limit_reservation_holding_names_merchant CHECK (merchant_id IS NOT NULL OR status = 'RELEASED')`);
    await q.query(`DROP INDEX limit_reservation_user_day_idx`);
    await q.query(`CREATE INDEX limit_reservation_merchant_user_day_idx ON limit_reservation (merchant_id, user_id, day)`);

    // the merchant last: a counter is found by its scope, subject and period, then told apart by merchant (IS NOT DISTINCT FROM, no index needed)
    await q.query(`ALTER TABLE limit_usage DROP CONSTRAINT limit_usage_pkey, ADD COLUMN merchant_id TEXT`);
    await q.query(`DELETE FROM limit_usage WHERE scope = 'user'`);
    await q.query(`
      INSERT INTO limit_usage (scope, merchant_id, subject_id, period_kind, period_key, used_minor)
      SELECT 'user', merchant_id, user_id, 'day', to_char(day, 'YYYY-MM-DD'), sum(amount_minor)
        FROM limit_reservation WHERE status IN ('RESERVED', 'COMMITTED') GROUP BY merchant_id, user_id, day
      UNION ALL
      SELECT 'user', merchant_id, user_id, 'year', year::text, sum(amount_minor)
        FROM limit_reservation WHERE status IN ('RESERVED', 'COMMITTED') GROUP BY merchant_id, user_id, year`);
    await q.query(`
      ALTER TABLE limit_usage
        ADD CONSTRAINT limit_usage_user_names_merchant CHECK ((scope = 'user') = (merchant_id IS NOT NULL)),
        ADD CONSTRAINT limit_usage_key UNIQUE NULLS NOT DISTINCT (scope, subject_id, period_kind, period_key, merchant_id)`);

    await q.query(`CREATE INDEX risk_decision_merchant_user_idx ON risk_decision (merchant_id, user_id, decided_at)`);
    await q.query(`DROP INDEX risk_decision_user_idx`);
    await q.query(`CREATE INDEX risk_attempt_merchant_user_device_idx ON risk_attempt (merchant_id, user_id, device_id)`);
    await q.query(`DROP INDEX risk_attempt_user_device_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX risk_attempt_user_device_idx ON risk_attempt (user_id, device_id)`);
    await q.query(`DROP INDEX risk_attempt_merchant_user_device_idx`);
    await q.query(`CREATE INDEX risk_decision_user_idx ON risk_decision (user_id, decided_at)`);
    await q.query(`DROP INDEX risk_decision_merchant_user_idx`);

    // one counter per user id again: the merchants' counters of an id added up
    await q.query(`ALTER TABLE limit_usage DROP CONSTRAINT limit_usage_key, DROP CONSTRAINT limit_usage_user_names_merchant`);
    await q.query(`
      INSERT INTO limit_usage (scope, merchant_id, subject_id, period_kind, period_key, used_minor)
      SELECT 'user', NULL, subject_id, period_kind, period_key, sum(used_minor) FROM limit_usage WHERE scope = 'user' GROUP BY subject_id, period_kind, period_key`);
    await q.query(`DELETE FROM limit_usage WHERE scope = 'user' AND merchant_id IS NOT NULL`);
    await q.query(`ALTER TABLE limit_usage DROP COLUMN merchant_id, ADD PRIMARY KEY (scope, subject_id, period_kind, period_key)`);

    await q.query(`DROP INDEX limit_reservation_merchant_user_day_idx`);
    await q.query(`CREATE INDEX limit_reservation_user_day_idx ON limit_reservation (user_id, day)`);
    await q.query(`ALTER TABLE limit_reservation DROP CONSTRAINT limit_reservation_holding_names_merchant`);
    // a reservation not counted against its merchant's cap named no merchant before
    await q.query(`UPDATE limit_reservation SET merchant_id = NULL WHERE NOT holds_merchant_cap`);
    await q.query(`ALTER TABLE limit_reservation DROP COLUMN holds_merchant_cap`);
  }
}
