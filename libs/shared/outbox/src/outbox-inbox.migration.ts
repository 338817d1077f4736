import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The outbox and inbox tables every service keeps in its own database. */
export class OutboxInboxTables1764050000000 implements MigrationInterface {
  name = 'OutboxInboxTables1764050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_event (
        seq          BIGSERIAL PRIMARY KEY,
        id           UUID NOT NULL UNIQUE,
        topic        TEXT NOT NULL,
        key          TEXT NOT NULL,
        source       TEXT NOT NULL,
        traceparent  TEXT,
        payload      JSONB NOT NULL,
        occurred_at  TIMESTAMPTZ NOT NULL,
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        published_at TIMESTAMPTZ
      )`);
    await q.query(`CREATE INDEX outbox_event_unpublished_idx ON outbox_event (seq) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE inbox_message (
        consumer_group TEXT NOT NULL,
        event_id       TEXT NOT NULL,
        topic          TEXT NOT NULL,
        processed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE inbox_message`);
    await q.query(`DROP TABLE outbox_event`);
  }
}
