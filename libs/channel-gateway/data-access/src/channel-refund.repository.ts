import { storedFailure, type Channel, type FailureReason } from '@paystream/contracts';
import type { RefundResult } from '@paystream/channel-gateway/domain';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface ChannelRefund {
  refundId: string;
  paymentId: string;
  channel: Channel;
  amountMinor: bigint;
  status: 'SUCCEEDED' | 'FAILED';
  channelRefundNo: string | null;
  failure: FailureReason | null;
  createdAt: Date;
}

interface Row {
  refund_id: string;
  payment_id: string;
  channel: Channel;
  amount_minor: string;
  status: 'SUCCEEDED' | 'FAILED';
  channel_refund_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: Date;
}

function toRefund(r: Row): ChannelRefund {
  return {
    refundId: r.refund_id,
    paymentId: r.payment_id,
    channel: r.channel,
    amountMinor: toBigInt(r.amount_minor),
    status: r.status,
    channelRefundNo: r.channel_refund_no,
    failure: r.failure_code ? storedFailure(r.failure_code, r.failure_message) : null,
    createdAt: r.created_at,
  };
}

/** Refunds at the channels, in channel-gateway's database. */
export class ChannelRefundRepository {
  async find(tx: EntityManager, refundId: string): Promise<ChannelRefund | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM channel_refund WHERE refund_id = $1`, [refundId]);
    return rows[0] ? toRefund(rows[0]) : undefined;
  }

  /** What the payment's refunds other than refundId gave back (the succeeded ones), in minor units. */
  async refundedMinor(tx: EntityManager, paymentId: string, exceptRefundId: string): Promise<bigint> {
    const rows: { total: string }[] = await tx.query(
      `SELECT COALESCE(SUM(amount_minor), 0)::text AS total FROM channel_refund WHERE payment_id = $1 AND status = 'SUCCEEDED' AND refund_id <> $2`,
      [paymentId, exceptRefundId],
    );
    return toBigInt(rows[0]!.total);
  }

  /** Records the channel's answer unless the refund has one; returns the stored one. */
  async recordIfAbsent(tx: EntityManager, r: { refundId: string; paymentId: string; channel: Channel; amountMinor: bigint; currency: string }, result: RefundResult): Promise<ChannelRefund> {
    const rows: Row[] = await tx.query(
      `INSERT INTO channel_refund (refund_id, payment_id, channel, amount_minor, currency, status, channel_refund_no, failure_code, failure_message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (refund_id) DO NOTHING RETURNING *`,
      [
        r.refundId,
        r.paymentId,
        r.channel,
        r.amountMinor.toString(),
        r.currency,
        result.outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED',
        result.channelRefundNo ?? null,
        result.failure?.code ?? null,
        result.failure?.message ?? null,
      ],
    );
    if (rows[0]) return toRefund(rows[0]);
    const existing = await this.find(tx, r.refundId);
    if (!existing) throw new Error(`channel refund ${r.refundId} vanished`);
    return existing;
  }
}
