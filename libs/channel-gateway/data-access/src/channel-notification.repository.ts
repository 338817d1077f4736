import type { Channel } from '@paystream/contracts';
import type { RaceVerdict, ReportedOutcome } from '@paystream/channel-gateway/domain';
import type { EntityManager } from '@paystream/shared/persistence';

/** Notifications accepted from the channels: an audit trail, and the memory that catches replays. */
export class ChannelNotificationRepository {
  /**
   * Claims a notification before anything is applied: false when the same signed message was
   * accepted before (a replay: the channels sign every delivery afresh, so an identical message is a
   * copy). The unique digest makes a concurrent copy wait for this transaction and then see it. The
   * row says 'no-change' until settle() records the race verdict, in the same transaction.
   */
  async claim(tx: EntityManager, n: { channel: Channel; noticeId: string; paymentId: string; messageDigest: string; reported: ReportedOutcome }): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO channel_notification (channel, notice_id, payment_id, message_digest, reported, verdict)
       VALUES ($1, $2, $3, $4, $5, 'no-change') ON CONFLICT (message_digest) DO NOTHING RETURNING id`,
      [n.channel, n.noticeId, n.paymentId, n.messageDigest, n.reported],
    );
    return rows.length === 1;
  }

  /** Records the race verdict of a notification claimed in this transaction. */
  async settle(tx: EntityManager, messageDigest: string, verdict: RaceVerdict['kind']): Promise<void> {
    await tx.query(`UPDATE channel_notification SET verdict = $2 WHERE message_digest = $1`, [messageDigest, verdict]);
  }

  async countFor(tx: EntityManager, paymentId: string): Promise<number> {
    const [row]: { n: number }[] = await tx.query(`SELECT count(*)::int AS n FROM channel_notification WHERE payment_id = $1`, [paymentId]);
    return row?.n ?? 0;
  }
}
