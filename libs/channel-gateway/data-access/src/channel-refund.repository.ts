import { storedFailure, type Channel, type FailureReason } from '@paystream/contracts';
import { channelRefundStatusesLeadingTo, REFUND_STATUSES_AWAITING_CHANNEL, REFUND_STATUSES_HOLDING_CAPTURE, type ChannelRefundStatus, type FinalRefundResult, type RefundResult } from '@paystream/channel-gateway/domain';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface ChannelRefund {
  refundId: string;
  paymentId: string;
  /** The order the refund belongs to (null on refunds recorded before it was kept). */
  orderId: string | null;
  channel: Channel;
  amountMinor: bigint;
  currency: string;
  status: ChannelRefundStatus;
  channelRefundNo: string | null;
  /** Why it failed; while UNKNOWN, why it is unknown. */
  failure: FailureReason | null;
  /**
   * When it is sent to the channel (UnionPay's txnTime, which its query repeats): fixed when the
   * refund is recorded SENDING, before the call, and never changed; null on a refund never sent.
   */
  sentAt: Date | null;
  queryAttempts: number;
  nextQueryAt: Date | null;
  /** When the channel's answer or a query settled it. */
  resolvedAt: Date | null;
  createdAt: Date;
}

/** A refund as asked for. */
export interface RefundAsked {
  refundId: string;
  paymentId: string;
  orderId: string;
  channel: Channel;
  amountMinor: bigint;
  currency: string;
}

interface Row {
  refund_id: string;
  payment_id: string;
  order_id: string | null;
  channel: Channel;
  amount_minor: string;
  currency: string;
  status: ChannelRefundStatus;
  channel_refund_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  sent_at: Date | null;
  query_attempts: number;
  next_query_at: Date | null;
  resolved_at: Date | null;
  created_at: Date;
}

const STATUS_OF = { succeeded: 'SUCCEEDED', failed: 'FAILED', unknown: 'UNKNOWN' } as const satisfies Record<RefundResult['outcome'], ChannelRefundStatus>;

function toRefund(r: Row): ChannelRefund {
  return {
    refundId: r.refund_id,
    paymentId: r.payment_id,
    orderId: r.order_id,
    channel: r.channel,
    amountMinor: toBigInt(r.amount_minor),
    currency: r.currency.trim(),
    status: r.status,
    channelRefundNo: r.channel_refund_no,
    failure: r.failure_code ? storedFailure(r.failure_code, r.failure_message) : null,
    sentAt: r.sent_at,
    queryAttempts: r.query_attempts,
    nextQueryAt: r.next_query_at,
    resolvedAt: r.resolved_at,
    createdAt: r.created_at,
  };
}

/** Refunds at the channels, in channel-gateway's database. */
export class ChannelRefundRepository {
  async find(tx: EntityManager, refundId: string): Promise<ChannelRefund | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM channel_refund WHERE refund_id = $1`, [refundId]);
    return rows[0] ? toRefund(rows[0]) : undefined;
  }

  /**
   * What the payment's refunds other than refundId gave back or may have (succeeded, unknown and
   * being sent), in minor units: one not settled may have been paid out, so it holds its part of the capture.
   */
  async refundedMinor(tx: EntityManager, paymentId: string, exceptRefundId: string): Promise<bigint> {
    const rows: { total: string }[] = await tx.query(
      `SELECT COALESCE(SUM(amount_minor), 0)::text AS total FROM channel_refund WHERE payment_id = $1 AND status = ANY($3::text[]) AND refund_id <> $2`,
      [paymentId, exceptRefundId, REFUND_STATUSES_HOLDING_CAPTURE],
    );
    return toBigInt(rows[0]!.total);
  }

  /** Records a refund that is never sent (refused before the channel) as failed, unless the refund has a row; returns the stored one. */
  async recordNotSent(tx: EntityManager, r: RefundAsked, failure: FailureReason): Promise<ChannelRefund> {
    const rows: Row[] = await tx.query(
      `INSERT INTO channel_refund (refund_id, payment_id, order_id, channel, amount_minor, currency, status, failure_code, failure_message, resolved_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'FAILED', $7, $8, now())
       ON CONFLICT (refund_id) DO NOTHING RETURNING *`,
      [r.refundId, r.paymentId, r.orderId, r.channel, r.amountMinor.toString(), r.currency, failure.code, failure.message],
    );
    return rows[0] ? toRefund(rows[0]) : this.existing(tx, r.refundId);
  }

  /**
   * Records a refund as SENDING before the channel is called, with the send time it is sent (and
   * queried) with; it holds its part of the capture from here on. Its first query is due after
   * `firstQueryAfterMs` (past the call's timeout: the janitor then finds it only if the process
   * died mid-call). `created` is false when the refund has a row already (returned instead).
   */
  async openSending(tx: EntityManager, r: RefundAsked, sentAt: Date, firstQueryAfterMs: number): Promise<{ created: boolean; refund: ChannelRefund }> {
    const rows: Row[] = await tx.query(
      `INSERT INTO channel_refund (refund_id, payment_id, order_id, channel, amount_minor, currency, status, sent_at, next_query_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'SENDING', $7, now() + make_interval(secs => $8::double precision / 1000))
       ON CONFLICT (refund_id) DO NOTHING RETURNING *`,
      [r.refundId, r.paymentId, r.orderId, r.channel, r.amountMinor.toString(), r.currency, sentAt, firstQueryAfterMs],
    );
    return rows[0] ? { created: true, refund: toRefund(rows[0]) } : { created: false, refund: await this.existing(tx, r.refundId) };
  }

  /**
   * Records what the channel said of a refund being sent (or of an unknown one, by a query). Guarded
   * by the state table: undefined when the refund is past where this answer could take it (another
   * handler or the janitor recorded it first, and told it then), so each result is told once. An
   * unknown refund's next query is due after `unknownQueryAfterMs`.
   */
  async recordOutcome(tx: EntityManager, refundId: string, result: RefundResult, unknownQueryAfterMs = 0): Promise<ChannelRefund | undefined> {
    const to = STATUS_OF[result.outcome];
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_refund
          SET status = $2, channel_refund_no = $3, failure_code = $4, failure_message = $5, updated_at = now(),
              next_query_at = CASE WHEN $2 = 'UNKNOWN' THEN now() + make_interval(secs => $7::double precision / 1000) END,
              resolved_at = CASE WHEN $2 = 'UNKNOWN' THEN NULL ELSE now() END
        WHERE refund_id = $1 AND status = ANY($6::text[])
        RETURNING *`,
      [refundId, to, result.channelRefundNo ?? null, result.failure?.code ?? null, result.failure?.message ?? null, channelRefundStatusesLeadingTo(to), unknownQueryAfterMs],
    );
    return rows[0] ? toRefund(rows[0]) : undefined;
  }

  private async existing(tx: EntityManager, refundId: string): Promise<ChannelRefund> {
    const found = await this.find(tx, refundId);
    if (!found) throw new Error(`channel refund ${refundId} vanished`);
    return found;
  }

  /**
   * Claims unknown refunds (and refunds left SENDING by a process that died mid-call) due for a
   * query: each claimed one's next query is pushed back by the lease (a janitor that dies mid-query
   * leaves it due again later), and its attempts counted.
   */
  async claimDueForQuery(tx: EntityManager, leaseMs: number, limit: number): Promise<ChannelRefund[]> {
    // TypeORM answers an UPDATE with [rows, rowCount]
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_refund r
          SET query_attempts = r.query_attempts + 1, next_query_at = now() + make_interval(secs => $1::double precision / 1000)
         FROM (SELECT refund_id FROM channel_refund
                WHERE status = ANY($3::text[]) AND next_query_at <= now()
                ORDER BY next_query_at
                LIMIT $2
                  FOR UPDATE SKIP LOCKED) due
        WHERE r.refund_id = due.refund_id
        RETURNING r.*`,
      [leaseMs, limit, REFUND_STATUSES_AWAITING_CHANNEL],
    );
    return rows.map(toRefund);
  }

  /** Sets when an unknown (or still sending) refund is queried next. */
  async scheduleQuery(tx: EntityManager, refundId: string, delayMs: number): Promise<void> {
    await tx.query(`UPDATE channel_refund SET next_query_at = now() + make_interval(secs => $2::double precision / 1000) WHERE refund_id = $1 AND status = ANY($3::text[])`, [
      refundId,
      delayMs,
      REFUND_STATUSES_AWAITING_CHANNEL,
    ]);
  }

  /** Settles an unknown (or still sending) refund with what the channel said for sure; undefined when it was settled already. */
  settle(tx: EntityManager, refundId: string, result: FinalRefundResult): Promise<ChannelRefund | undefined> {
    return this.recordOutcome(tx, refundId, result);
  }

  /** Refunds whose outcome we do not know (unknown, or left sending) per channel, and how old the oldest is (seconds). */
  async unknownOutstanding(tx: EntityManager): Promise<{ channel: Channel; count: number; oldestAgeSeconds: number }[]> {
    const rows: { channel: Channel; n: number; oldest: number }[] = await tx.query(
      `SELECT channel, count(*)::int AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM channel_refund WHERE status = ANY($1::text[]) GROUP BY channel`,
      [REFUND_STATUSES_AWAITING_CHANNEL],
    );
    return rows.map((r) => ({ channel: r.channel, count: r.n, oldestAgeSeconds: r.oldest }));
  }
}
