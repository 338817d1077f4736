import { storedFailure, type Channel, type FailureReason } from '@paystream/contracts';
import { channelRefundStatusesLeadingTo, REFUND_STATUSES_HOLDING_CAPTURE, type ChannelRefundStatus, type FinalRefundResult, type RefundResult } from '@paystream/channel-gateway/domain';
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
  /** When it was sent to the channel (UnionPay's query repeats it as txnTime); null if never sent. */
  sentAt: Date | null;
  queryAttempts: number;
  nextQueryAt: Date | null;
  /** When a query settled an unknown refund. */
  resolvedAt: Date | null;
  createdAt: Date;
}

/** A refund as asked for, with what is needed to query it later. */
export interface RefundAsked {
  refundId: string;
  paymentId: string;
  orderId: string;
  channel: Channel;
  amountMinor: bigint;
  currency: string;
  sentAt?: Date;
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
   * What the payment's refunds other than refundId gave back or may have (succeeded and unknown),
   * in minor units: an unknown refund may have been paid out, so it holds its part of the capture.
   */
  async refundedMinor(tx: EntityManager, paymentId: string, exceptRefundId: string): Promise<bigint> {
    const rows: { total: string }[] = await tx.query(
      `SELECT COALESCE(SUM(amount_minor), 0)::text AS total FROM channel_refund WHERE payment_id = $1 AND status = ANY($3::text[]) AND refund_id <> $2`,
      [paymentId, exceptRefundId, REFUND_STATUSES_HOLDING_CAPTURE],
    );
    return toBigInt(rows[0]!.total);
  }

  /**
   * Records the channel's answer unless the refund has one; returns the stored one. An unknown
   * refund's first query is due after `firstQueryAfterMs`.
   */
  async recordIfAbsent(tx: EntityManager, r: RefundAsked, result: RefundResult, firstQueryAfterMs = 0): Promise<ChannelRefund> {
    const rows: Row[] = await tx.query(
      `INSERT INTO channel_refund (refund_id, payment_id, order_id, channel, amount_minor, currency, status, channel_refund_no, failure_code, failure_message, sent_at, next_query_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
               CASE WHEN $7 = 'UNKNOWN' THEN now() + make_interval(secs => $12::double precision / 1000) END)
       ON CONFLICT (refund_id) DO NOTHING RETURNING *`,
      [
        r.refundId,
        r.paymentId,
        r.orderId,
        r.channel,
        r.amountMinor.toString(),
        r.currency,
        STATUS_OF[result.outcome],
        result.channelRefundNo ?? null,
        result.failure?.code ?? null,
        result.failure?.message ?? null,
        r.sentAt ?? null,
        firstQueryAfterMs,
      ],
    );
    if (rows[0]) return toRefund(rows[0]);
    const existing = await this.find(tx, r.refundId);
    if (!existing) throw new Error(`channel refund ${r.refundId} vanished`);
    return existing;
  }

  /**
   * Claims unknown refunds due for a query: each claimed one's next query is pushed back by the
   * lease (a janitor that dies mid-query leaves it due again later), and its attempts counted.
   */
  async claimDueForQuery(tx: EntityManager, leaseMs: number, limit: number): Promise<ChannelRefund[]> {
    // TypeORM answers an UPDATE with [rows, rowCount]
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_refund r
          SET query_attempts = r.query_attempts + 1, next_query_at = now() + make_interval(secs => $1::double precision / 1000)
         FROM (SELECT refund_id FROM channel_refund
                WHERE status = 'UNKNOWN' AND next_query_at <= now()
                ORDER BY next_query_at
                LIMIT $2
                  FOR UPDATE SKIP LOCKED) due
        WHERE r.refund_id = due.refund_id
        RETURNING r.*`,
      [leaseMs, limit],
    );
    return rows.map(toRefund);
  }

  /** Sets when an unknown refund is queried next. */
  async scheduleQuery(tx: EntityManager, refundId: string, delayMs: number): Promise<void> {
    await tx.query(`UPDATE channel_refund SET next_query_at = now() + make_interval(secs => $2::double precision / 1000) WHERE refund_id = $1 AND status = 'UNKNOWN'`, [
      refundId,
      delayMs,
    ]);
  }

  /**
   * Settles an unknown refund with what the channel said for sure. Guarded by the state table:
   * undefined when it was settled already (by another janitor), so its result goes out once.
   */
  async settle(tx: EntityManager, refundId: string, result: FinalRefundResult): Promise<ChannelRefund | undefined> {
    const to = STATUS_OF[result.outcome];
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_refund
          SET status = $2, channel_refund_no = $3, failure_code = $4, failure_message = $5, next_query_at = NULL, resolved_at = now(), updated_at = now()
        WHERE refund_id = $1 AND status = ANY($6::text[])
        RETURNING *`,
      [refundId, to, result.channelRefundNo ?? null, result.failure?.code ?? null, result.failure?.message ?? null, channelRefundStatusesLeadingTo(to)],
    );
    return rows[0] ? toRefund(rows[0]) : undefined;
  }

  /** Unknown refunds per channel, and how old the oldest is (seconds). */
  async unknownOutstanding(tx: EntityManager): Promise<{ channel: Channel; count: number; oldestAgeSeconds: number }[]> {
    const rows: { channel: Channel; n: number; oldest: number }[] = await tx.query(
      `SELECT channel, count(*)::int AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM channel_refund WHERE status = 'UNKNOWN' GROUP BY channel`,
    );
    return rows.map((r) => ({ channel: r.channel, count: r.n, oldestAgeSeconds: r.oldest }));
  }
}
