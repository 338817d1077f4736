import { storedFailure, type FailureReason } from '@paystream/contracts';
import { refundStatusesLeadingTo, type RefundStatus } from '@paystream/order-payment/domain';
import { scopedMerchantId, type TenantScope } from '@paystream/shared/auth';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface Refund {
  id: string;
  paymentId: string;
  /** The payment's merchant: its Idempotency-Key is unique per merchant. */
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  status: RefundStatus;
  reason: string | null;
  channelRefundNo: string | null;
  failure: FailureReason | null;
  idempotencyKey: string;
  requestHash: string;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  payment_id: string;
  merchant_id: string;
  amount_minor: string;
  currency: string;
  status: RefundStatus;
  reason: string | null;
  channel_refund_no: string | null;
  failure_code: string | null;
  failure_message: string | null;
  idempotency_key: string;
  request_hash: string;
  created_at: Date;
  updated_at: Date;
}

function toRefund(r: Row): Refund {
  return {
    id: r.id,
    paymentId: r.payment_id,
    merchantId: r.merchant_id,
    amountMinor: toBigInt(r.amount_minor),
    currency: r.currency.trim(),
    status: r.status,
    reason: r.reason,
    channelRefundNo: r.channel_refund_no,
    failure: r.failure_code ? storedFailure(r.failure_code, r.failure_message) : null,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Refunds in order-payment's database; each carries its payment's merchant, whose Idempotency-Keys are its own. */
export class RefundRepository {
  /** Inserts a refund; undefined when the merchant's idempotency key was taken meanwhile (by a concurrent request, which committed). */
  async insert(tx: EntityManager, r: Pick<Refund, 'id' | 'paymentId' | 'merchantId' | 'amountMinor' | 'currency' | 'reason' | 'idempotencyKey' | 'requestHash'>): Promise<Refund | undefined> {
    const [row]: Row[] = await tx.query(
      `INSERT INTO refund (id, payment_id, merchant_id, amount_minor, currency, status, reason, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4, $5, 'REQUESTED', $6, $7, $8) ON CONFLICT (merchant_id, idempotency_key) DO NOTHING RETURNING *`,
      [r.id, r.paymentId, r.merchantId, r.amountMinor.toString(), r.currency, r.reason, r.idempotencyKey, r.requestHash],
    );
    return row ? toRefund(row) : undefined;
  }

  /** The merchant's refund asked for with this Idempotency-Key (another merchant's same key is another key). */
  async findByKey(tx: EntityManager, merchantId: string, idempotencyKey: string): Promise<Refund | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM refund WHERE merchant_id = $1 AND idempotency_key = $2`, [merchantId, idempotencyKey]);
    return rows[0] ? toRefund(rows[0]) : undefined;
  }

  /** The refunds of a payment within the scope (none for another merchant's payment). */
  async forPayment(tx: EntityManager, scope: TenantScope, paymentId: string): Promise<Refund[]> {
    const rows: Row[] = await tx.query(`SELECT * FROM refund WHERE payment_id = $1 AND ($2::text IS NULL OR merchant_id = $2) ORDER BY created_at, id`, [
      paymentId,
      scopedMerchantId(scope),
    ]);
    return rows.map(toRefund);
  }

  /** What is refunded or being refunded: the amount no new refund may eat into. */
  async committedMinor(tx: EntityManager, paymentId: string): Promise<bigint> {
    const [row]: { total: string | null }[] = await tx.query(
      `SELECT sum(amount_minor)::text AS total FROM refund WHERE payment_id = $1 AND status IN ('REQUESTED', 'SUCCEEDED')`,
      [paymentId],
    );
    return BigInt(row?.total ?? '0');
  }

  async refundedMinor(tx: EntityManager, paymentId: string): Promise<bigint> {
    const [row]: { total: string | null }[] = await tx.query(`SELECT sum(amount_minor)::text AS total FROM refund WHERE payment_id = $1 AND status = 'SUCCEEDED'`, [paymentId]);
    return BigInt(row?.total ?? '0');
  }

  async findById(tx: EntityManager, id: string): Promise<Refund | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM refund WHERE id = $1`, [id]);
    return rows[0] ? toRefund(rows[0]) : undefined;
  }

  /** Guarded by the refund state table: only a refund of paymentId still in flight completes. */
  async complete(tx: EntityManager, id: string, paymentId: string, outcome: { status: 'SUCCEEDED'; channelRefundNo?: string } | { status: 'FAILED'; failure: FailureReason }): Promise<Refund | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE refund SET status = $2, channel_refund_no = $3, failure_code = $4, failure_message = $5, updated_at = now()
        WHERE id = $1 AND status = ANY($6::text[]) AND payment_id = $7 RETURNING *`,
      [
        id,
        outcome.status,
        outcome.status === 'SUCCEEDED' ? (outcome.channelRefundNo ?? null) : null,
        outcome.status === 'FAILED' ? outcome.failure.code : null,
        outcome.status === 'FAILED' ? outcome.failure.message : null,
        refundStatusesLeadingTo(outcome.status),
        paymentId,
      ],
    );
    return rows[0] ? toRefund(rows[0]) : undefined;
  }
}
