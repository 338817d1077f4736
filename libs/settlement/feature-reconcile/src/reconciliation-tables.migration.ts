import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation: one run per channel and Beijing day (a re-run refreshes it), and the breaks it found, each kept
 * open until a later run of the same day no longer finds it.
 */
export class ReconciliationTables1764071000000 implements MigrationInterface {
  name = 'ReconciliationTables1764071000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_run (
        id                   UUID PRIMARY KEY,
        channel              TEXT NOT NULL,
        bill_date            DATE NOT NULL,
        status               TEXT NOT NULL CHECK (status IN ('COMPLETED', 'FAILED')),
        trigger              TEXT NOT NULL CHECK (trigger IN ('schedule', 'api')),
        attempts             INT NOT NULL DEFAULT 1,
        currency             CHAR(3) NOT NULL DEFAULT 'CNY',
        channel_count        INT NOT NULL DEFAULT 0,
        channel_amount_minor BIGINT NOT NULL DEFAULT 0,
        our_count            INT NOT NULL DEFAULT 0,
        matched_count        INT NOT NULL DEFAULT 0,
        matched_amount_minor BIGINT NOT NULL DEFAULT 0,
        break_count          INT NOT NULL DEFAULT 0,
        last_error           TEXT,
        started_at           TIMESTAMPTZ NOT NULL,
        finished_at          TIMESTAMPTZ NOT NULL,
        completed_at         TIMESTAMPTZ,
        UNIQUE (channel, bill_date)
      )`);
    await q.query(`
      CREATE TABLE reconciliation_break (
        id                   BIGSERIAL PRIMARY KEY,
        run_id               UUID NOT NULL REFERENCES reconciliation_run (id),
        channel              TEXT NOT NULL,
        bill_date            DATE NOT NULL,
        kind                 TEXT NOT NULL CHECK (kind IN ('missing_ours', 'missing_channel', 'amount_mismatch', 'status_mismatch')),
        side                 TEXT NOT NULL CHECK (side IN ('gateway', 'ledger')),
        entry_kind           TEXT NOT NULL CHECK (entry_kind IN ('payment', 'refund')),
        reference            TEXT NOT NULL,
        payment_id           UUID,
        channel_trade_no     TEXT,
        currency             CHAR(3) NOT NULL DEFAULT 'CNY',
        channel_amount_minor BIGINT,
        our_amount_minor     BIGINT,
        ledger_amount_minor  BIGINT,
        our_status           TEXT,
        detail               TEXT NOT NULL,
        status               TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        first_seen_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_seen_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        resolved_at          TIMESTAMPTZ,
        UNIQUE (channel, bill_date, kind, side, entry_kind, reference)
      )`);
    await q.query(`CREATE INDEX reconciliation_break_open_idx ON reconciliation_break (channel, kind) WHERE status = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reconciliation_break`);
    await q.query(`DROP TABLE reconciliation_run`);
  }
}

/**
 * A run reports the refunds it found matched and booked cleared in the ledger (refunds in flight -> channel
 * clearing): how many and how much of the day's, and how many the latest run booked.
 */
export class ReconciliationRefundsCleared1765000000000 implements MigrationInterface {
  name = 'ReconciliationRefundsCleared1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE reconciliation_run
        ADD COLUMN refunds_cleared_count        INT NOT NULL DEFAULT 0,
        ADD COLUMN refunds_cleared_amount_minor BIGINT NOT NULL DEFAULT 0,
        ADD COLUMN refunds_cleared_new_count    INT NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reconciliation_run DROP COLUMN refunds_cleared_count, DROP COLUMN refunds_cleared_amount_minor, DROP COLUMN refunds_cleared_new_count`);
  }
}

/**
 * Who asked for a day's latest run: the authenticated operator of POST /reconciliation/runs or the
 * daily job (`<kind>:<id>`, as the audit row says). Runs stored before are NULL (not recorded then).
 */
export class ReconciliationRequester1765730000000 implements MigrationInterface {
  name = 'ReconciliationRequester1765730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reconciliation_run ADD COLUMN requested_by TEXT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reconciliation_run DROP COLUMN requested_by`);
  }
}

export const RECONCILIATION_MIGRATIONS = [ReconciliationTables1764071000000, ReconciliationRefundsCleared1765000000000, ReconciliationRequester1765730000000];
