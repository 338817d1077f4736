import type { DataSource } from 'typeorm';
import { formatDeadLetterRef, type DeadLetter } from '@paystream/ops/domain';
import { appendAudit, type Actor } from '@paystream/shared/audit-log';
import { inTransaction } from '@paystream/shared/persistence';

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

/** The record of DLQ replays (who replayed which message to where, and when), each also in the ops audit chain. */
export class ReplayLog {
  constructor(private readonly ds: DataSource) {}

  /**
   * Records a replay and its audit row in one transaction: replayed_by keeps the authenticated
   * operator's id, the audit row the operator and the credential it presented.
   */
  async record(dl: DeadLetter, replayedBy: Actor, credentialId: string): Promise<ReplayRecord> {
    return inTransaction(this.ds, async (tx) => {
      const rows: RawReplay[] = await tx.query(
        `INSERT INTO dlq_replay (dlq_topic, dlq_partition, dlq_offset, original_topic, event_id, reason, replayed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [dl.ref.topic, dl.ref.partition, dl.ref.offset, dl.originalTopic, dl.eventId ?? null, dl.reason, replayedBy.id],
      );
      const record = toRecord(rows[0]!);
      await appendAudit(tx, {
        actor: replayedBy,
        action: 'dlq.replayed',
        subject: `dlq:${record.dlqRef}`,
        details: { replayId: record.id, originalTopic: dl.originalTopic, eventId: dl.eventId ?? null, consumer: dl.consumer, reason: dl.reason, credentialId },
      });
      return record;
    });
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
