import type { Channel, Currency, ErrorCode, FailureReason } from '@paystream/contracts';
import { statusesLeadingTo, type Payment, type PaymentStatus, type Transition } from '@paystream/order-payment/domain';
import { scopedMerchantId, type TenantScope } from '@paystream/shared/auth';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

interface PaymentRow {
  id: string;
  order_id: string;
  merchant_id: string;
  user_id: string;
  amount_minor: string;
  currency: string;
  requested_channel: string | null;
  card_token: string | null;
  device_id: string | null;
  ip_address: string | null;
  channel: string | null;
  subject: string;
  status: string;
  channel_trade_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  failure_retryable: boolean | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface PaymentStats {
  total: number;
  byStatus: Record<string, number>;
  succeeded: number;
  failed: number;
  rejected: number;
  inFlight: number;
  /** succeeded / (succeeded + failed + rejected) */
  pSuccess: number;
  /** Sum of succeeded payments in minor units, as a decimal string. */
  succeededMinor: string;
  outcomeLatencyMs: { p50: number | null; p99: number | null };
}

function roundMs(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10;
}

export interface StatusChange {
  from: PaymentStatus | null;
  to: PaymentStatus;
  reason: string;
  at: Date;
}

const COLUMNS = `id, order_id, merchant_id, user_id, amount_minor, currency, requested_channel, card_token, device_id, ip_address, channel, subject, status, channel_trade_no,
  failure_code, failure_message, failure_retryable, version, created_at, updated_at`;

function toPayment(r: PaymentRow): Payment {
  const failure: FailureReason | null = r.failure_code
    ? { code: r.failure_code as ErrorCode, message: r.failure_message ?? '', retryable: r.failure_retryable ?? false }
    : null;
  return {
    id: r.id,
    orderId: r.order_id,
    merchantId: r.merchant_id,
    userId: r.user_id,
    amountMinor: toBigInt(r.amount_minor),
    currency: r.currency as Currency,
    requestedChannel: r.requested_channel as Channel | null,
    cardToken: r.card_token,
    deviceId: r.device_id,
    ipAddress: r.ip_address,
    channel: r.channel as Channel | null,
    subject: r.subject,
    status: r.status as PaymentStatus,
    channelTradeNo: r.channel_trade_no,
    failure,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Payments in order-payment's own database; every status change is a guarded update. An order id is
 * its merchant's own: a payment is found by (merchant, order), and by id only within a scope.
 */
export class PaymentRepository {
  /** Inserts a new payment unless its merchant's order has one; returns the order's payment and whether it is new. */
  async insertIfAbsent(
    tx: EntityManager,
    p: Omit<Payment, 'channel' | 'status' | 'channelTradeNo' | 'failure' | 'version' | 'createdAt' | 'updatedAt'>,
    traceparent: string | undefined,
  ): Promise<{ payment: Payment; created: boolean }> {
    // the payment and its first history row in one round trip
    const rows: PaymentRow[] = await tx.query(
      `WITH created AS (
         INSERT INTO payment (id, order_id, merchant_id, user_id, amount_minor, currency, requested_channel, channel, subject, status, traceparent, card_token, device_id, ip_address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, 'PENDING_RISK', $9, $10, $11, $12)
         ON CONFLICT (merchant_id, order_id) DO NOTHING
         RETURNING ${COLUMNS}),
       history AS (
         INSERT INTO payment_status_history (payment_id, from_status, to_status, reason)
         SELECT id, NULL, 'PENDING_RISK', 'requested' FROM created)
       SELECT * FROM created`,
      [p.id, p.orderId, p.merchantId, p.userId, p.amountMinor.toString(), p.currency, p.requestedChannel, p.subject, traceparent ?? null, p.cardToken, p.deviceId, p.ipAddress],
    );
    if (rows.length === 1) return { payment: toPayment(rows[0]!), created: true };
    const existing = await this.findByOrderId(tx, p.merchantId, p.orderId, { forUpdate: true });
    if (!existing) throw new Error(`payment for order ${p.orderId} of ${p.merchantId} vanished`);
    return { payment: existing, created: false };
  }

  /** The payment with this id within the scope: another merchant's payment is not found, exactly like a missing one. */
  async findById(tx: EntityManager, scope: TenantScope, id: string, opts: { forUpdate?: boolean } = {}): Promise<Payment | undefined> {
    const rows: PaymentRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM payment WHERE id = $1 AND ($2::text IS NULL OR merchant_id = $2) ${opts.forUpdate ? 'FOR UPDATE' : ''}`,
      [id, scopedMerchantId(scope)],
    );
    return rows[0] ? toPayment(rows[0]) : undefined;
  }

  /** The payment of the merchant's order (order ids are per merchant, so the merchant is always named). */
  async findByOrderId(tx: EntityManager, merchantId: string, orderId: string, opts: { forUpdate?: boolean } = {}): Promise<Payment | undefined> {
    const rows: PaymentRow[] = await tx.query(`SELECT ${COLUMNS} FROM payment WHERE merchant_id = $1 AND order_id = $2 ${opts.forUpdate ? 'FOR UPDATE' : ''}`, [merchantId, orderId]);
    return rows[0] ? toPayment(rows[0]) : undefined;
  }

  /**
   * Applies a domain move with a guarded update (expected version and an allowed from-status);
   * returns the updated payment, or undefined when another writer got there first.
   */
  async applyMove(tx: EntityManager, payment: Payment, move: Extract<Transition, { kind: 'move' }>): Promise<Payment | undefined> {
    // guarded update, history row and the updated payment in one round trip
    const rows: PaymentRow[] = await tx.query(
      `WITH moved AS (
         UPDATE payment
            SET status = $3, version = version + 1, updated_at = now(),
                channel = COALESCE($4, channel),
                channel_trade_no = COALESCE($5, channel_trade_no),
                failure_code = CASE WHEN $12 THEN NULL ELSE COALESCE($6, failure_code) END,
                failure_message = CASE WHEN $12 THEN NULL ELSE COALESCE($7, failure_message) END,
                failure_retryable = CASE WHEN $12 THEN NULL ELSE COALESCE($8, failure_retryable) END
          WHERE id = $1 AND version = $2 AND status = ANY($9::text[])
          RETURNING ${COLUMNS}),
       history AS (
         INSERT INTO payment_status_history (payment_id, from_status, to_status, reason)
         SELECT id, $10, $3, $11 FROM moved)
       SELECT * FROM moved`,
      [
        payment.id,
        payment.version,
        move.to,
        move.channel ?? null,
        move.channelTradeNo ?? null,
        move.failure?.code ?? null,
        move.failure?.message ?? null,
        move.failure?.retryable ?? null,
        statusesLeadingTo(move.to),
        payment.status,
        move.reason,
        // a payment that succeeds after an unknown outcome keeps no failure (CHANNEL_OUTCOME_UNKNOWN was not its end)
        move.to === 'SUCCEEDED',
      ],
    );
    return rows[0] ? toPayment(rows[0]) : undefined;
  }

  /** The status history of a payment already found within its caller's scope (read by its id). */
  async history(tx: EntityManager, paymentId: string): Promise<StatusChange[]> {
    const rows: { from_status: string | null; to_status: string; reason: string; at: Date }[] = await tx.query(
      `SELECT from_status, to_status, reason, at FROM payment_status_history WHERE payment_id = $1 ORDER BY id`,
      [paymentId],
    );
    return rows.map((r) => ({ from: r.from_status as PaymentStatus | null, to: r.to_status as PaymentStatus, reason: r.reason, at: r.at }));
  }

  /** Payment counts by status, for the demo report and dashboards. */
  async countByStatus(tx: EntityManager): Promise<Record<string, number>> {
    const rows: { status: string; n: number }[] = await tx.query(`SELECT status, count(*)::int AS n FROM payment GROUP BY status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * Counts, P_success (succeeded / payments with an outcome) and the time from recording a payment
   * to its first outcome (p50/p99 in ms), computed from the tables so they survive restarts.
   */
  async stats(tx: EntityManager): Promise<PaymentStats> {
    const byStatus = await this.countByStatus(tx);
    const n = (s: string) => byStatus[s] ?? 0;
    const succeeded = n('SUCCEEDED') + n('PARTIALLY_REFUNDED') + n('REFUNDED');
    const failed = n('FAILED');
    const rejected = n('REJECTED');
    const finished = succeeded + failed + rejected;
    const [lat]: { p50: number | null; p99: number | null; succeeded_minor: string | null }[] = await tx.query(`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
             (SELECT sum(amount_minor)::text FROM payment WHERE status IN ('SUCCEEDED','PARTIALLY_REFUNDED','REFUNDED')) AS succeeded_minor
        FROM (SELECT extract(epoch FROM (min(h.at) - p.created_at)) * 1000 AS ms
                FROM payment p JOIN payment_status_history h ON h.payment_id = p.id
               WHERE h.to_status IN ('SUCCEEDED', 'FAILED', 'REJECTED')
               GROUP BY p.id, p.created_at) t`);
    return {
      total: Object.values(byStatus).reduce((a, b) => a + b, 0),
      byStatus,
      succeeded,
      failed,
      rejected,
      inFlight: n('PENDING_RISK') + n('IN_REVIEW') + n('AUTHORIZING') + n('UNKNOWN'),
      pSuccess: finished === 0 ? 0 : succeeded / finished,
      succeededMinor: lat?.succeeded_minor ?? '0',
      outcomeLatencyMs: { p50: roundMs(lat?.p50), p99: roundMs(lat?.p99) },
    };
  }
}
