import type { DataSource } from 'typeorm';
import { formatDeadLetterRef, type DeadLetter } from '@paystream/ops/domain';

/** A replay as recorded in the ops database. */
export interface ReplayRecord {
  id: string;
  dlqRef: string;
  originalTopic: string;
  eventId: string | null;
  reason: string;
  replayedBy: string;
  replayedAt: string;
}

/** The record of DLQ replays (who replayed which message to where, and when). */
export class ReplayLog {
  constructor(private readonly ds: DataSource) {}

  async record(dl: DeadLetter, replayedBy: string): Promise<ReplayRecord> {
    const rows: RawReplay[] = await this.ds.query(
      `INSERT INTO dlq_replay (dlq_topic, dlq_partition, dlq_offset, original_topic, event_id, reason, replayed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [dl.ref.topic, dl.ref.partition, dl.ref.offset, dl.originalTopic, dl.eventId ?? null, dl.reason, replayedBy],
    );
    return toRecord(rows[0]!);
  }

  /** The most recent replays first. */
  async list(limit: number): Promise<ReplayRecord[]> {
    const rows: RawReplay[] = await this.ds.query(`SELECT * FROM dlq_replay ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.map(toRecord);
  }
}

interface RawReplay {
  id: string;
  dlq_topic: string;
  dlq_partition: number;
  dlq_offset: string;
  original_topic: string;
  event_id: string | null;
  reason: string;
  replayed_by: string;
  replayed_at: Date;
}

const toRecord = (r: RawReplay): ReplayRecord => ({
  id: String(r.id),
  dlqRef: formatDeadLetterRef({ topic: r.dlq_topic, partition: r.dlq_partition, offset: r.dlq_offset }),
  originalTopic: r.original_topic,
  eventId: r.event_id,
  reason: r.reason,
  replayedBy: r.replayed_by,
  replayedAt: r.replayed_at.toISOString(),
});
