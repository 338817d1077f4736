import type { SettlementBatchStatus } from '@paystream/settlement/domain';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface SettlementBatch {
  id: string;
  merchantId: string;
  currency: string;
  grossMinor: bigint;
  feeMinor: bigint;
  refundMinor: bigint;
  netMinor: bigint;
  paymentCount: number;
  periodStart: Date;
  periodEnd: Date;
  status: SettlementBatchStatus;
  payoutRef: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  merchant_id: string;
  currency: string;
  gross_minor: string;
  fee_minor: string;
  refund_minor: string;
  net_minor: string;
  payment_count: number;
  period_start: Date;
  period_end: Date;
  status: SettlementBatchStatus;
  payout_ref: string | null;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

function toBatch(r: Row): SettlementBatch {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    currency: r.currency.trim(),
    grossMinor: toBigInt(r.gross_minor),
    feeMinor: toBigInt(r.fee_minor),
    refundMinor: toBigInt(r.refund_minor),
    netMinor: toBigInt(r.net_minor),
    paymentCount: r.payment_count,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    status: r.status,
    payoutRef: r.payout_ref,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Settlement batches: what a merchant is owed for a period, and whether it was paid out. */
export class SettlementBatchRepository {
  async create(
    tx: EntityManager,
    b: Pick<SettlementBatch, 'id' | 'merchantId' | 'currency' | 'grossMinor' | 'feeMinor' | 'netMinor' | 'periodStart' | 'periodEnd'>,
    payments: { paymentId: string; grossMinor: bigint; feeMinor: bigint }[],
  ): Promise<SettlementBatch> {
    const [row]: Row[] = await tx.query(
      `INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, net_minor, payment_count, period_start, period_end)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [b.id, b.merchantId, b.currency, b.grossMinor.toString(), b.feeMinor.toString(), b.netMinor.toString(), payments.length, b.periodStart, b.periodEnd],
    );
    for (const p of payments) {
      await tx.query(`INSERT INTO settlement_batch_payment (batch_id, payment_id, gross_minor, fee_minor) VALUES ($1, $2, $3, $4)`, [
        b.id,
        p.paymentId,
        p.grossMinor.toString(),
        p.feeMinor.toString(),
      ]);
    }
    return toBatch(row!);
  }

  async findById(tx: EntityManager, id: string, opts: { forUpdate?: boolean } = {}): Promise<SettlementBatch | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM settlement_batch WHERE id = $1 ${opts.forUpdate ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toBatch(rows[0]) : undefined;
  }

  /** Batches due for a payout attempt now, oldest first. */
  async dueForPayout(tx: EntityManager, limit: number): Promise<SettlementBatch[]> {
    const rows: Row[] = await tx.query(`SELECT * FROM settlement_batch WHERE status = 'DUE' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1`, [limit]);
    return rows.map(toBatch);
  }

  /** Guarded: only a DUE batch completes. */
  async markCompleted(tx: EntityManager, id: string, payoutRef: string): Promise<SettlementBatch | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE settlement_batch SET status = 'COMPLETED', payout_ref = $2, attempts = attempts + 1, last_error = NULL, updated_at = now()
        WHERE id = $1 AND status = 'DUE' RETURNING *`,
      [id, payoutRef],
    );
    return rows[0] ? toBatch(rows[0]) : undefined;
  }

  /** A failed attempt: tried again at nextAttemptAt, or FAILED for good when final. */
  async recordFailedAttempt(tx: EntityManager, id: string, error: string, next: { final: true } | { final: false; delayMs: number }): Promise<SettlementBatch | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE settlement_batch
          SET attempts = attempts + 1, last_error = $2, updated_at = now(),
              status = CASE WHEN $3 THEN 'FAILED' ELSE status END,
              next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
        WHERE id = $1 AND status = 'DUE' RETURNING *`,
      [id, error.slice(0, 500), next.final, next.final ? 0 : next.delayMs],
    );
    return rows[0] ? toBatch(rows[0]) : undefined;
  }

  /** Totals for the report and dashboards, in minor units as decimal strings. */
  async stats(tx: EntityManager) {
    const [row]: Record<string, string | number>[] = await tx.query(`
      SELECT count(*)::int AS due,
             count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed,
             count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
             count(*) FILTER (WHERE status = 'DUE')::int AS pending,
             COALESCE(sum(gross_minor), 0)::text AS gross_minor,
             COALESCE(sum(fee_minor), 0)::text AS fee_minor,
             COALESCE(sum(net_minor), 0)::text AS net_minor,
             COALESCE(sum(net_minor) FILTER (WHERE status = 'COMPLETED'), 0)::text AS paid_out_minor,
             (SELECT count(*)::int FROM ledger_transaction WHERE kind = 'payment') AS booked_payments
        FROM settlement_batch`);
    const due = Number(row?.due ?? 0);
    const completed = Number(row?.completed ?? 0);
    return {
      bookedPayments: Number(row?.booked_payments ?? 0),
      due,
      completed,
      failed: Number(row?.failed ?? 0),
      pending: Number(row?.pending ?? 0),
      pSettlement: due === 0 ? 0 : completed / due,
      grossMinor: String(row?.gross_minor ?? '0'),
      feeMinor: String(row?.fee_minor ?? '0'),
      netMinor: String(row?.net_minor ?? '0'),
      paidOutMinor: String(row?.paid_out_minor ?? '0'),
    };
  }
}
