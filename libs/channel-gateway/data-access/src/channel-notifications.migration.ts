import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The race between response, notification and query: when each unknown outcome is due for its next
 * query, how it was resolved, the notifications accepted (a signature seen twice is a replay), the
 * conflicting reports kept for a person to settle, and card tokens (never the card number).
 */
export class ChannelNotifications1764058000000 implements MigrationInterface {
  name = 'ChannelNotifications1764058000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE channel_transaction
        ADD COLUMN next_query_at TIMESTAMPTZ,
        ADD COLUMN resolved_via  TEXT CHECK (resolved_via IN ('response', 'notification', 'query', 'close')),
        ADD COLUMN resolved_at   TIMESTAMPTZ,
        ADD COLUMN closed_at     TIMESTAMPTZ,
        ADD COLUMN card_token    TEXT`);
    await q.query(`UPDATE channel_transaction SET next_query_at = updated_at WHERE status = 'UNKNOWN'`);
    await q.query(`DROP INDEX IF EXISTS channel_transaction_unknown_idx`);
    await q.query(`CREATE INDEX channel_transaction_due_idx ON channel_transaction (next_query_at) WHERE status = 'UNKNOWN'`);
    await q.query(`
      CREATE TABLE channel_notification (
        id             BIGSERIAL PRIMARY KEY,
        channel        TEXT NOT NULL,
        notice_id      TEXT NOT NULL,
        payment_id     UUID NOT NULL,
        message_digest TEXT NOT NULL UNIQUE,
        reported       TEXT NOT NULL CHECK (reported IN ('succeeded', 'failed', 'pending')),
        verdict        TEXT NOT NULL CHECK (verdict IN ('advance', 'no-change', 'duplicate', 'conflict')),
        received_at    TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX channel_notification_payment_idx ON channel_notification (payment_id)`);
    await q.query(`
      CREATE TABLE channel_outcome_conflict (
        id              BIGSERIAL PRIMARY KEY,
        payment_id      UUID NOT NULL,
        channel         TEXT NOT NULL,
        stored_status   TEXT NOT NULL,
        reported_status TEXT NOT NULL,
        source          TEXT NOT NULL,
        detail          TEXT,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE card_token (
        token         TEXT PRIMARY KEY,
        bin           CHAR(6) NOT NULL CHECK (bin ~ '^[0-9]{6}$'),
        last4         CHAR(4) NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
        channel       TEXT NOT NULL,
        channel_token TEXT NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE card_token`);
    await q.query(`DROP TABLE channel_outcome_conflict`);
    await q.query(`DROP TABLE channel_notification`);
    await q.query(`DROP INDEX channel_transaction_due_idx`);
    await q.query(`CREATE INDEX channel_transaction_unknown_idx ON channel_transaction (updated_at) WHERE status = 'UNKNOWN'`);
    await q.query(`ALTER TABLE channel_transaction DROP COLUMN next_query_at, DROP COLUMN resolved_via, DROP COLUMN resolved_at, DROP COLUMN closed_at, DROP COLUMN card_token`);
  }
}
