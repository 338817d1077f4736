import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settlement's merchant terms become a copy of the merchant registry (merchant.registered.v1 /
 * merchant.updated.v1): each row carries the registry version it was copied at (0: set here before
 * the registry, replaced by the first snapshot), the merchant's status and the whole payout account
 * in effect. There is no default payout account any more: a merchant without one is not paid.
 */
export class MerchantTermsCopy1765520000000 implements MigrationInterface {
  name = 'MerchantTermsCopy1765520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE merchant_settlement_profile
        ADD COLUMN version             INT NOT NULL DEFAULT 0 CHECK (version >= 0),
        ADD COLUMN status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
        ADD COLUMN payout_bank_code    TEXT CHECK (payout_bank_code ~ '^[1-9][0-9]{11}$'),
        ADD COLUMN payout_account_name TEXT,
        ALTER COLUMN payout_account_no DROP DEFAULT,
        ALTER COLUMN payout_account_no DROP NOT NULL`);
    // every row is written from a snapshot now: no column may fill in for the registry
    await q.query(`ALTER TABLE merchant_settlement_profile ALTER COLUMN version DROP DEFAULT, ALTER COLUMN status DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM merchant_settlement_profile WHERE payout_account_no IS NULL`);
    await q.query(`
      ALTER TABLE merchant_settlement_profile
        DROP COLUMN version, DROP COLUMN status, DROP COLUMN payout_bank_code, DROP COLUMN payout_account_name,
        ALTER COLUMN payout_account_no SET NOT NULL`);
  }
}

/**
 * A captured payment of a merchant whose registration has not reached settlement's copy yet (the
 * merchant service's event and order-payment's arrive on different topics, in either order): kept
 * here and booked when the merchant's snapshot arrives, instead of holding up the consumer.
 */
export class ParkedPayment1765530000000 implements MigrationInterface {
  name = 'ParkedPayment1765530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_awaiting_merchant (
        payment_id  UUID PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        payload     JSONB NOT NULL,
        traceparent TEXT,
        parked_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payment_awaiting_merchant_idx ON payment_awaiting_merchant (merchant_id, parked_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payment_awaiting_merchant`);
  }
}
