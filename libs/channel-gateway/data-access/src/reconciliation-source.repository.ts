import type { Channel } from '@paystream/contracts';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

/** How far around the day our records are read: a charge created before midnight may be paid after it. */
const RECONCILIATION_WINDOW_MARGIN_MS = 24 * 60 * 60 * 1000;

/** A payment or refund as reconciliation sees our side of it. */
export interface OurChannelRecord {
  kind: 'payment' | 'refund';
  paymentId: string;
  refundId?: string;
  channelTradeNo: string | null;
  amountMinor: bigint;
  currency: string;
  status: 'SUCCEEDED' | 'FAILED' | 'UNKNOWN';
  /** Whether the outcome belongs to the day: a payment that succeeded (was resolved) on it, a refund made on it. */
  onDay: boolean;
  at: Date;
}

/** Our channel transactions and refunds around one day, for the channel's bill to be matched against. */
export class ReconciliationSourceRepository {
  /** The day is [dayStart, dayEnd); records from a margin before and after come along, marked not on the day. */
  async around(tx: EntityManager, channel: Channel, dayStart: Date, dayEnd: Date): Promise<OurChannelRecord[]> {
    const from = new Date(dayStart.getTime() - RECONCILIATION_WINDOW_MARGIN_MS);
    const to = new Date(dayEnd.getTime() + RECONCILIATION_WINDOW_MARGIN_MS);
    const payments: { payment_id: string; channel_trade_no: string | null; amount_minor: string; currency: string; status: OurChannelRecord['status']; on_day: boolean; at: Date }[] = await tx.query(
      `SELECT payment_id, channel_trade_no, amount_minor, currency, status, created_at AS at,
              (status = 'SUCCEEDED' AND resolved_at >= $2 AND resolved_at < $3) AS on_day
         FROM channel_transaction
        WHERE channel = $1 AND ((created_at >= $4 AND created_at < $5) OR (resolved_at >= $2 AND resolved_at < $3))
        ORDER BY created_at`,
      [channel, dayStart, dayEnd, from, to],
    );
    // a refund still being sent is, to reconciliation, a refund whose outcome we do not know yet
    const refunds: { refund_id: string; payment_id: string; channel_trade_no: string | null; amount_minor: string; currency: string; status: 'SUCCEEDED' | 'FAILED' | 'UNKNOWN'; on_day: boolean; at: Date }[] = await tx.query(
      `SELECT r.refund_id, r.payment_id, t.channel_trade_no, r.amount_minor, r.currency, CASE WHEN r.status = 'SENDING' THEN 'UNKNOWN' ELSE r.status END AS status, r.created_at AS at,
              (r.created_at >= $2 AND r.created_at < $3) AS on_day
         FROM channel_refund r JOIN channel_transaction t ON t.payment_id = r.payment_id
        WHERE r.channel = $1 AND r.created_at >= $4 AND r.created_at < $5
        ORDER BY r.created_at`,
      [channel, dayStart, dayEnd, from, to],
    );
    return [
      ...payments.map((p): OurChannelRecord => ({ kind: 'payment', paymentId: p.payment_id, channelTradeNo: p.channel_trade_no, amountMinor: toBigInt(p.amount_minor), currency: p.currency.trim(), status: p.status, onDay: p.on_day, at: p.at })),
      ...refunds.map((r): OurChannelRecord => ({ kind: 'refund', paymentId: r.payment_id, refundId: r.refund_id, channelTradeNo: r.channel_trade_no, amountMinor: toBigInt(r.amount_minor), currency: r.currency.trim(), status: r.status, onDay: r.on_day, at: r.at })),
    ];
  }
}
