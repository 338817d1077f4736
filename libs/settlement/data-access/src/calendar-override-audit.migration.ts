import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who set each calendar override and when (the reason is the existing note), and every change made
 * through the calendar API, set or removed, by the Idempotency-Key it came with: the audit trail,
 * which keeps a removed override's who and why after its row is gone. Additive: existing overrides
 * are attributed to 'migration'.
 */
export class CalendarOverrideAudit1765100000000 implements MigrationInterface {
  name = 'CalendarOverrideAudit1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE calendar_override
        ADD COLUMN set_by TEXT NOT NULL DEFAULT 'migration',
        ADD COLUMN set_at TIMESTAMPTZ NOT NULL DEFAULT now()`);
    await q.query(`
      CREATE TABLE calendar_override_change (
        idempotency_key TEXT PRIMARY KEY,
        day             DATE NOT NULL,
        action          TEXT NOT NULL CHECK (action IN ('set', 'remove')),
        business_day    BOOLEAN,
        reason          TEXT NOT NULL,
        changed_by      TEXT NOT NULL,
        request_hash    TEXT NOT NULL,
        changed_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK ((action = 'set') = (business_day IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX calendar_override_change_day_idx ON calendar_override_change (day, changed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE calendar_override_change`);
    await q.query(`ALTER TABLE calendar_override DROP COLUMN set_by, DROP COLUMN set_at`);
  }
}

/**
 * Idempotency-Keys are the operator's own (docs/design/trust-boundary.md section 7): two operators may
 * use the same key, so a change is keyed by who made it and the key. The answer a key gets again is
 * kept in the platform's idempotent_request; this table stays the calendar's change history.
 */
export class CalendarChangeKeyPerOperator1765720000000 implements MigrationInterface {
  name = 'CalendarChangeKeyPerOperator1765720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calendar_override_change DROP CONSTRAINT calendar_override_change_pkey, ADD PRIMARY KEY (changed_by, idempotency_key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calendar_override_change DROP CONSTRAINT calendar_override_change_pkey, ADD PRIMARY KEY (idempotency_key)`);
  }
}
