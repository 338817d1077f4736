import { storedFailure, type Channel, type FailureReason } from '@paystream/contracts';
import type { ChannelTransactionStatus, ChargeResult } from '@paystream/channel-gateway/domain';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface ChannelTransaction {
  paymentId: string;
  orderId: string;
  merchantId: string;
  channel: Channel;
  amountMinor: bigint;
  currency: string;
  status: ChannelTransactionStatus;
  channelTradeNo: string | null;
  failure: FailureReason | null;
  queryAttempts: number;
  /** Why the charge went over this channel. */
  routingReasons: string[];
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  payment_id: string;
  order_id: string;
  merchant_id: string;
  channel: Channel;
  amount_minor: string;
  currency: string;
  status: ChannelTransactionStatus;
  channel_trade_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  query_attempts: number;
  routing_reasons: string[];
  created_at: Date;
  updated_at: Date;
}

const STATUS_OF = { succeeded: 'SUCCEEDED', failed: 'FAILED', unknown: 'UNKNOWN' } as const;

function toTransaction(r: Row): ChannelTransaction {
  return {
    paymentId: r.payment_id,
    orderId: r.order_id,
    merchantId: r.merchant_id,
    channel: r.channel,
    amountMinor: toBigInt(r.amount_minor),
    currency: r.currency,
    status: r.status,
    channelTradeNo: r.channel_trade_no,
    failure: r.failure_code ? storedFailure(r.failure_code, r.failure_message) : null,
    queryAttempts: r.query_attempts,
    routingReasons: r.routing_reasons ?? [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}


/** Channel transactions in channel-gateway's own database. */
export class ChannelTransactionRepository {
  async find(tx: EntityManager, paymentId: string): Promise<ChannelTransaction | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM channel_transaction WHERE payment_id = $1`, [paymentId]);
    return rows[0] ? toTransaction(rows[0]) : undefined;
  }

  /** Records the charge's result unless the payment has a transaction; returns the stored one. */
  async recordIfAbsent(
    tx: EntityManager,
    t: Pick<ChannelTransaction, 'paymentId' | 'orderId' | 'merchantId' | 'channel' | 'amountMinor' | 'currency' | 'routingReasons'>,
    result: ChargeResult,
  ): Promise<{ transaction: ChannelTransaction; created: boolean }> {
    const rows: Row[] = await tx.query(
      `INSERT INTO channel_transaction (payment_id, order_id, merchant_id, channel, amount_minor, currency, status, channel_trade_no, failure_code, failure_message, routing_reasons)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (payment_id) DO NOTHING RETURNING *`,
      [
        t.paymentId,
        t.orderId,
        t.merchantId,
        t.channel,
        t.amountMinor.toString(),
        t.currency,
        STATUS_OF[result.outcome],
        result.channelTradeNo ?? null,
        result.failure?.code ?? null,
        result.failure?.message ?? null,
        JSON.stringify(t.routingReasons),
      ],
    );
    if (rows[0]) return { transaction: toTransaction(rows[0]), created: true };
    const existing = await this.find(tx, t.paymentId);
    if (!existing) throw new Error(`channel transaction ${t.paymentId} vanished`);
    return { transaction: existing, created: false };
  }

  /**
   * Claims a batch of unknown outcomes not looked at for intervalMs, oldest first: SKIP LOCKED lets
   * several instances claim disjoint batches, and bumping updated_at keeps a claimed row from being
   * claimed again for another interval while its query is under way.
   */
  async claimDueForQuery(tx: EntityManager, intervalMs: number, limit: number): Promise<ChannelTransaction[]> {
    // TypeORM answers an UPDATE with [rows, rowCount]
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_transaction t
          SET query_attempts = t.query_attempts + 1, updated_at = now()
         FROM (SELECT payment_id FROM channel_transaction
                WHERE status = 'UNKNOWN' AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
                ORDER BY updated_at
                LIMIT $2
                  FOR UPDATE SKIP LOCKED) due
        WHERE t.payment_id = due.payment_id
        RETURNING t.*`,
      [intervalMs, limit],
    );
    return rows.map(toTransaction);
  }

  /** Settles an unknown outcome (guarded: only an UNKNOWN row moves); undefined when it already moved. */
  async resolveUnknown(tx: EntityManager, paymentId: string, result: ChargeResult): Promise<ChannelTransaction | undefined> {
    if (result.outcome === 'unknown') throw new Error(`an unknown outcome cannot settle payment ${paymentId}`);
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_transaction
          SET status = $2, channel_trade_no = $3, failure_code = $4, failure_message = $5, updated_at = now()
        WHERE payment_id = $1 AND status = 'UNKNOWN'
        RETURNING *`,
      [paymentId, STATUS_OF[result.outcome], result.channelTradeNo ?? null, result.failure?.code ?? null, result.failure?.message ?? null],
    );
    return rows[0] ? toTransaction(rows[0]) : undefined;
  }

  async stats(tx: EntityManager) {
    const rows: { status: ChannelTransactionStatus; channel: string; n: number }[] = await tx.query(
      `SELECT status, channel, count(*)::int AS n FROM channel_transaction GROUP BY status, channel`,
    );
    const byStatus: Record<string, number> = { SUCCEEDED: 0, FAILED: 0, UNKNOWN: 0 };
    const byChannel: Record<string, number> = {};
    for (const r of rows) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
      byChannel[r.channel] = (byChannel[r.channel] ?? 0) + r.n;
    }
    return { total: rows.reduce((a, r) => a + r.n, 0), byStatus, byChannel };
  }
}
