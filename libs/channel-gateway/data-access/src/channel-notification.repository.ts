import type { Channel } from '@paystream/contracts';
import type { RaceVerdict, ReportedOutcome } from '@paystream/channel-gateway/domain';
import type { EntityManager } from '@paystream/shared/persistence';

/** Notifications accepted from the channels: an audit trail, and the memory that catches replays. */
export class ChannelNotificationRepository {
  /**
   * Records an accepted notification; false when the same signed message was accepted before (a
   * replay: the channels sign every delivery afresh, so an identical message is a copy).
   */
  async record(
    tx: EntityManager,
    n: { channel: Channel; noticeId: string; paymentId: string; messageDigest: string; reported: ReportedOutcome; verdict: RaceVerdict['kind'] },
  ): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO channel_notification (channel, notice_id, payment_id, message_digest, reported, verdict)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_digest) DO NOTHING RETURNING id`,
      [n.channel, n.noticeId, n.paymentId, n.messageDigest, n.reported, n.verdict],
    );
    return rows.length === 1;
  }

  async countFor(tx: EntityManager, paymentId: string): Promise<number> {
    const [row]: { n: number }[] = await tx.query(`SELECT count(*)::int AS n FROM channel_notification WHERE payment_id = $1`, [paymentId]);
    return row?.n ?? 0;
  }
}
