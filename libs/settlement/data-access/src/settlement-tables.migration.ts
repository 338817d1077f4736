import { MerchantTermsCopy1765520000000, ParkedPayment1765530000000 } from './merchant-terms-copy.migration';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CalendarChangeKeyPerOperator1765720000000, CalendarOverrideAudit1765100000000 } from './calendar-override-audit.migration';
import { SettlementRunClaim1765230000000, SettlementRunRequester1765710000000 } from './settlement-run-claim.migration';
import { SettlementTerms1764950000000 } from './settlement-terms.migration';

/**
 * The double-entry ledger (append-only, every transaction balanced per currency, both enforced by
 * the database), merchant settlement profiles, and settlement batches with their payments.
 */
export class SettlementTables1764053000000 implements MigrationInterface {
  name = 'SettlementTables1764053000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE merchant_settlement_profile (
        merchant_id TEXT PRIMARY KEY,
        schedule    TEXT NOT NULL DEFAULT 'realtime' CHECK (schedule IN ('realtime', 't_plus_n')),
        n_days      INT NOT NULL DEFAULT 0 CHECK (n_days BETWEEN 0 AND 30),
        fee_bps     INT NOT NULL DEFAULT 60 CHECK (fee_bps BETWEEN 0 AND 10000),
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger_account (
        id       TEXT PRIMARY KEY,
        kind     TEXT NOT NULL,
        currency CHAR(3) NOT NULL
      )`);
    await q.query(`
      CREATE TABLE ledger_transaction (
        id         UUID PRIMARY KEY,
        kind       TEXT NOT NULL,
        reference  TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (kind, reference)
      )`);
    await q.query(`
      CREATE TABLE ledger_entry (
        id             BIGSERIAL PRIMARY KEY,
        transaction_id UUID NOT NULL REFERENCES ledger_transaction (id),
        account_id     TEXT NOT NULL REFERENCES ledger_account (id),
        amount_minor   BIGINT NOT NULL CHECK (amount_minor <> 0),
        currency       CHAR(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX ledger_entry_transaction_idx ON ledger_entry (transaction_id)`);
    await q.query(`CREATE INDEX ledger_entry_account_idx ON ledger_entry (account_id)`);
    await q.query(`
      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
      END $$`);
    for (const table of ['ledger_entry', 'ledger_transaction']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
    }
    // checked at commit, when every line of the transaction is in
    await q.query(`
      CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE unbalanced TEXT;
      BEGIN
        SELECT string_agg(currency || ' ' || total, ', ') INTO unbalanced
          FROM (SELECT currency, sum(amount_minor) AS total FROM ledger_entry
                 WHERE transaction_id = NEW.transaction_id GROUP BY currency HAVING sum(amount_minor) <> 0) t;
        IF unbalanced IS NOT NULL THEN
          RAISE EXCEPTION 'ledger transaction % does not balance: %', NEW.transaction_id, unbalanced;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()`);
    await q.query(`
      CREATE TABLE settlement_batch (
        id              UUID PRIMARY KEY,
        merchant_id     TEXT NOT NULL,
        currency        CHAR(3) NOT NULL,
        gross_minor     BIGINT NOT NULL CHECK (gross_minor >= 0),
        fee_minor       BIGINT NOT NULL CHECK (fee_minor >= 0),
        refund_minor    BIGINT NOT NULL DEFAULT 0 CHECK (refund_minor >= 0),
        net_minor       BIGINT NOT NULL,
        payment_count   INT NOT NULL CHECK (payment_count >= 0),
        period_start    TIMESTAMPTZ NOT NULL,
        period_end      TIMESTAMPTZ NOT NULL,
        status          TEXT NOT NULL DEFAULT 'DUE' CHECK (status IN ('DUE', 'PAYING', 'COMPLETED', 'FAILED')),
        payout_ref      TEXT,
        attempts        INT NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_error      TEXT,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK (net_minor = gross_minor - fee_minor - refund_minor),
        CHECK (status <> 'COMPLETED' OR payout_ref IS NOT NULL)
      )`);
    // next_attempt_at: when a DUE batch may be tried again, or when a PAYING batch's lease runs out
    await q.query(`CREATE INDEX settlement_batch_due_idx ON settlement_batch (next_attempt_at) WHERE status IN ('DUE', 'PAYING')`);
    await q.query(`
      CREATE TABLE settlement_batch_payment (
        batch_id     UUID NOT NULL REFERENCES settlement_batch (id),
        payment_id   UUID NOT NULL UNIQUE,
        gross_minor  BIGINT NOT NULL,
        fee_minor    BIGINT NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement_batch_payment`);
    await q.query(`DROP TABLE settlement_batch`);
    await q.query(`DROP TABLE ledger_entry`);
    await q.query(`DROP TABLE ledger_transaction`);
    await q.query(`DROP TABLE ledger_account`);
    await q.query(`DROP FUNCTION ledger_check_balanced`);
    await q.query(`DROP FUNCTION ledger_refuse_change`);
    await q.query(`DROP TABLE merchant_settlement_profile`);
  }
}

export const SETTLEMENT_MIGRATIONS = [SettlementTables1764053000000, SettlementTerms1764950000000, CalendarOverrideAudit1765100000000, SettlementRunClaim1765230000000, MerchantTermsCopy1765520000000, ParkedPayment1765530000000, SettlementRunRequester1765710000000, CalendarChangeKeyPerOperator1765720000000];
