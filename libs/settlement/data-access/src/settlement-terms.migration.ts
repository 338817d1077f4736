import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Account kinds whose balance is cached on the account row (one row per merchant, so no hot row). */
export const CACHED_ACCOUNT_KINDS = `'merchant_payable', 'merchant_reserve'`;

/** Demo merchants' agreements (tools/load/drive-orders spreads orders over merchant-0..merchant-4). */
const DEMO_MERCHANT_TERMS = `
  INSERT INTO merchant_settlement_profile
    (merchant_id, schedule, n_days, fee_bps, fee_fixed_minor, fee_min_minor, fee_max_minor, cutoff_time, payout_min_minor, reserve_bps, reserve_hold_days, payout_account_no)
  VALUES
    ('merchant-0', 'realtime', 0, 60, 0, 0, NULL, '23:00', 0, 0, 0, '6222020000000000000'),
    ('merchant-1', 'realtime', 0, 80, 30, 50, 5000, '23:00', 0, 0, 0, '6222020000000000001'),
    ('merchant-2', 't_plus_n', 1, 60, 0, 0, NULL, '22:00', 0, 0, 0, '6222020000000000002'),
    ('merchant-3', 't_plus_n', 1, 70, 0, 100, NULL, '22:00', 10000, 1000, 30, '6222020000000000003'),
    ('merchant-4', 't_plus_n', 2, 60, 0, 0, NULL, '18:00', 0, 0, 0, '6222020000000000004')
  ON CONFLICT (merchant_id) DO NOTHING`;

/**
 * Per-merchant terms (fee plan, cut-off, minimum payout, rolling reserve, payout account), calendar
 * overrides, cached account balances kept by the database, settlement items (what each settlement
 * pays, and what waits), and settlement orders that book payouts in flight. Additive: existing rows
 * stay valid (their new columns take neutral defaults; old settlements keep their payment lines).
 */
export class SettlementTerms1764950000000 implements MigrationInterface {
  name = 'SettlementTerms1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE merchant_settlement_profile
        ADD COLUMN fee_fixed_minor   BIGINT NOT NULL DEFAULT 0 CHECK (fee_fixed_minor BETWEEN 0 AND 1000000),
        ADD COLUMN fee_min_minor     BIGINT NOT NULL DEFAULT 0 CHECK (fee_min_minor BETWEEN 0 AND 1000000),
        ADD COLUMN fee_max_minor     BIGINT CHECK (fee_max_minor BETWEEN 0 AND 1000000),
        ADD COLUMN fee_rounding      TEXT NOT NULL DEFAULT 'half-up' CHECK (fee_rounding = 'half-up'),
        ADD COLUMN cutoff_time       TEXT NOT NULL DEFAULT '23:00' CHECK (cutoff_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        ADD COLUMN payout_min_minor  BIGINT NOT NULL DEFAULT 0 CHECK (payout_min_minor BETWEEN 0 AND 100000000),
        ADD COLUMN reserve_bps       INT NOT NULL DEFAULT 0 CHECK (reserve_bps BETWEEN 0 AND 10000),
        ADD COLUMN reserve_hold_days INT NOT NULL DEFAULT 0 CHECK (reserve_hold_days BETWEEN 0 AND 365),
        ADD COLUMN payout_channel    TEXT NOT NULL DEFAULT 'bank_transfer' CHECK (payout_channel = 'bank_transfer'),
        ADD COLUMN payout_account_no TEXT NOT NULL DEFAULT '6222020000000000000' CHECK (payout_account_no ~ '^[0-9]{8,32}$'),
        ADD CONSTRAINT merchant_settlement_profile_fee_bounds CHECK (fee_max_minor IS NULL OR fee_max_minor >= fee_min_minor),
        ADD CONSTRAINT merchant_settlement_profile_reserve_hold CHECK (reserve_bps = 0 OR reserve_hold_days > 0)`);
    await q.query(DEMO_MERCHANT_TERMS);
    await q.query(`
      CREATE TABLE calendar_override (
        day          DATE PRIMARY KEY,
        business_day BOOLEAN NOT NULL,
        note         TEXT NOT NULL DEFAULT ''
      )`);

    // cached balances of the merchants' accounts, kept by the database on every entry so they cannot
    // drift from the entries; the platform's own accounts (clearing, fees, in flight, bank) are summed
    // from their entries when asked, so every booking does not queue on their rows
    await q.query(`ALTER TABLE ledger_account ADD COLUMN balance_minor BIGINT NOT NULL DEFAULT 0, ADD COLUMN entry_count BIGINT NOT NULL DEFAULT 0`);
    await q.query(`
      UPDATE ledger_account a SET balance_minor = e.total, entry_count = e.n
        FROM (SELECT account_id, sum(amount_minor) AS total, count(*) AS n FROM ledger_entry GROUP BY account_id) e
       WHERE a.id = e.account_id AND a.kind IN (${CACHED_ACCOUNT_KINDS})`);
    await q.query(`
      CREATE FUNCTION ledger_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE ledger_account SET balance_minor = balance_minor + NEW.amount_minor, entry_count = entry_count + 1
         WHERE id = NEW.account_id AND currency = NEW.currency AND kind IN (${CACHED_ACCOUNT_KINDS});
        IF NOT FOUND THEN
          PERFORM 1 FROM ledger_account WHERE id = NEW.account_id AND currency = NEW.currency;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger entry in % for account % of another currency', NEW.currency, NEW.account_id;
          END IF;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER ledger_entry_balance AFTER INSERT ON ledger_entry FOR EACH ROW EXECUTE FUNCTION ledger_apply_entry()`);

    await q.query(`
      DO $$ DECLARE c RECORD; BEGIN
        FOR c IN SELECT conname FROM pg_constraint
                  WHERE conrelid = 'settlement_batch'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%net_minor = %'
        LOOP EXECUTE format('ALTER TABLE settlement_batch DROP CONSTRAINT %I', c.conname); END LOOP;
      END $$`);
    await q.query(`
      ALTER TABLE settlement_batch
        ADD COLUMN reserve_held_minor     BIGINT NOT NULL DEFAULT 0 CHECK (reserve_held_minor >= 0),
        ADD COLUMN reserve_released_minor BIGINT NOT NULL DEFAULT 0 CHECK (reserve_released_minor >= 0),
        ADD COLUMN carried_minor          BIGINT NOT NULL DEFAULT 0 CHECK (carried_minor >= 0),
        ADD COLUMN as_of                  DATE,
        ADD COLUMN payout_channel         TEXT NOT NULL DEFAULT 'bank_transfer',
        ADD COLUMN payout_account_no      TEXT,
        ADD COLUMN in_flight_booked       BOOLEAN NOT NULL DEFAULT false,
        ADD COLUMN needs_query            BOOLEAN NOT NULL DEFAULT false,
        ADD CONSTRAINT settlement_batch_net CHECK (net_minor = gross_minor - fee_minor - refund_minor - reserve_held_minor + reserve_released_minor + carried_minor)`);
    await q.query(`
      CREATE TABLE settlement_item (
        kind          TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'reserve_release', 'payout_reversal')),
        reference     TEXT NOT NULL,
        merchant_id   TEXT NOT NULL,
        currency      CHAR(3) NOT NULL,
        channel       TEXT,
        due_on        DATE NOT NULL,
        gross_minor   BIGINT NOT NULL DEFAULT 0 CHECK (gross_minor >= 0),
        fee_minor     BIGINT NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
        refund_minor  BIGINT NOT NULL DEFAULT 0 CHECK (refund_minor >= 0),
        reserve_minor BIGINT NOT NULL DEFAULT 0 CHECK (reserve_minor >= 0),
        amount_minor  BIGINT NOT NULL,
        occurred_at   TIMESTAMPTZ NOT NULL,
        settlement_id UUID REFERENCES settlement_batch (id),
        created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, reference)
      )`);
    await this.backfillItems(q);
    await q.query(`CREATE INDEX settlement_item_unsettled_idx ON settlement_item (merchant_id, currency, due_on) WHERE settlement_id IS NULL`);
    await q.query(`CREATE INDEX settlement_item_settlement_idx ON settlement_item (settlement_id)`);
    await q.query(`CREATE INDEX settlement_batch_merchant_idx ON settlement_batch (merchant_id, created_at)`);
    await q.query(`
      CREATE TABLE settlement_run (
        id              UUID PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        as_of           DATE NOT NULL,
        merchant_id     TEXT,
        orders          INT NOT NULL,
        carried_forward INT NOT NULL,
        settlement_ids  UUID[] NOT NULL DEFAULT '{}',
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // every change of a merchant's terms, by the Idempotency-Key it came with (the audit trail too)
    await q.query(`
      CREATE TABLE merchant_terms_change (
        idempotency_key TEXT PRIMARY KEY,
        merchant_id     TEXT NOT NULL,
        request_hash    TEXT NOT NULL,
        terms           JSONB NOT NULL,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  /**
   * What the first release booked but never settled becomes settlement items, so nothing owed is
   * stranded: payments outside any settlement (T+N merchants had no runs), every refund (there was no
   * clawback) and the net of every FAILED settlement (owed again). Each merchant's unsettled items
   * then add up to what its payable account says it is owed.
   */
  private async backfillItems(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO settlement_item (kind, reference, merchant_id, currency, due_on, gross_minor, fee_minor, amount_minor, occurred_at)
      SELECT 'payment', substr(t.reference, 9), substr(pay.account_id, 18), pay.currency, (t.created_at AT TIME ZONE 'Asia/Shanghai')::date,
             COALESCE((SELECT sum(amount_minor) FROM ledger_entry WHERE transaction_id = t.id AND amount_minor > 0), 0),
             COALESCE((SELECT -sum(amount_minor) FROM ledger_entry WHERE transaction_id = t.id AND account_id = 'platform_fee_revenue'), 0),
             -pay.amount_minor, t.created_at
        FROM ledger_transaction t
        JOIN ledger_entry pay ON pay.transaction_id = t.id AND pay.account_id LIKE 'merchant\\_payable:%'
       WHERE t.kind = 'payment' AND NOT EXISTS (SELECT 1 FROM settlement_batch_payment bp WHERE bp.payment_id::text = substr(t.reference, 9))`);
    await q.query(`
      INSERT INTO settlement_item (kind, reference, merchant_id, currency, due_on, refund_minor, amount_minor, occurred_at)
      SELECT 'refund', substr(t.reference, 8), substr(pay.account_id, 18), pay.currency, (t.created_at AT TIME ZONE 'Asia/Shanghai')::date,
             pay.amount_minor, -pay.amount_minor, t.created_at
        FROM ledger_transaction t
        JOIN ledger_entry pay ON pay.transaction_id = t.id AND pay.account_id LIKE 'merchant\\_payable:%'
       WHERE t.kind = 'refund'`);
    await q.query(`
      INSERT INTO settlement_item (kind, reference, merchant_id, currency, due_on, amount_minor, occurred_at)
      SELECT 'payout_reversal', id::text, merchant_id, currency, (updated_at AT TIME ZONE 'Asia/Shanghai')::date, net_minor, updated_at
        FROM settlement_batch WHERE status = 'FAILED' AND net_minor > 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE merchant_terms_change`);
    await q.query(`DROP TABLE settlement_run`);
    await q.query(`DROP TABLE settlement_item`);
    await q.query(`DROP INDEX settlement_batch_merchant_idx`);
    await q.query(`
      ALTER TABLE settlement_batch DROP CONSTRAINT settlement_batch_net,
        DROP COLUMN reserve_held_minor, DROP COLUMN reserve_released_minor, DROP COLUMN carried_minor, DROP COLUMN as_of,
        DROP COLUMN payout_channel, DROP COLUMN payout_account_no, DROP COLUMN in_flight_booked, DROP COLUMN needs_query`);
    // NOT VALID: settlements made under these terms (a reserve held, a payout carried) stay as they
    // were paid; what the first release writes is checked again
    await q.query(`ALTER TABLE settlement_batch ADD CHECK (net_minor = gross_minor - fee_minor - refund_minor) NOT VALID`);
    await q.query(`DROP TRIGGER ledger_entry_balance ON ledger_entry`);
    await q.query(`DROP FUNCTION ledger_apply_entry`);
    await q.query(`ALTER TABLE ledger_account DROP COLUMN balance_minor, DROP COLUMN entry_count`);
    await q.query(`DROP TABLE calendar_override`);
    await q.query(`
      ALTER TABLE merchant_settlement_profile DROP CONSTRAINT merchant_settlement_profile_fee_bounds, DROP CONSTRAINT merchant_settlement_profile_reserve_hold,
        DROP COLUMN fee_fixed_minor, DROP COLUMN fee_min_minor, DROP COLUMN fee_max_minor, DROP COLUMN fee_rounding, DROP COLUMN cutoff_time,
        DROP COLUMN payout_min_minor, DROP COLUMN reserve_bps, DROP COLUMN reserve_hold_days, DROP COLUMN payout_channel, DROP COLUMN payout_account_no`);
  }
}
