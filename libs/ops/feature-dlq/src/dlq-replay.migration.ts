import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_LOG_MIGRATIONS } from '@paystream/shared/audit-log';

/** Every dead letter replayed: which one, where to, its event id, who asked and when. */
export class DlqReplayTable1764900000000 implements MigrationInterface {
  name = 'DlqReplayTable1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dlq_replay (
        id              BIGSERIAL PRIMARY KEY,
        dlq_topic       TEXT NOT NULL,
        dlq_partition   INT NOT NULL,
        dlq_offset      BIGINT NOT NULL,
        original_topic  TEXT NOT NULL,
        event_id        TEXT,
        reason          TEXT NOT NULL,
        replayed_by     TEXT NOT NULL,
        replayed_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dlq_replay_message_idx ON dlq_replay (dlq_topic, dlq_partition, dlq_offset)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dlq_replay`);
  }
}

/** The ops database's migrations: the replay record and the audit chain. */
export const OPS_DLQ_MIGRATIONS = [DlqReplayTable1764900000000, ...AUDIT_LOG_MIGRATIONS];
