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

  /**
   * Claims up to `limit` batches for a payout attempt: DUE ones whose retry time has come, and PAYING
   * ones whose worker's lease ran out. Each claim counts as an attempt and leases the batch for
   * `leaseMs`; SKIP LOCKED lets several workers claim side by side without waiting on each other.
   * The returned `attempts` is the claim's fencing token for markCompleted / recordFailedAttempt.
   */
  async claimForPayout(tx: EntityManager, limit: number, leaseMs: number): Promise<SettlementBatch[]> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE settlement_batch b
          SET status = 'PAYING', attempts = b.attempts + 1, updated_at = now(),
              next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
         FROM (SELECT id FROM settlement_batch
                WHERE status IN ('DUE', 'PAYING') AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT $1
                FOR UPDATE SKIP LOCKED) due
        WHERE b.id = due.id
        RETURNING b.*`,
      [limit, leaseMs],
    );
    return rows.map(toBatch);
  }

  /** Guarded: only the claim that is still current (PAYING, same attempt) completes the batch. */
  async markCompleted(tx: EntityManager, id: string, attempt: number, payoutRef: string): Promise<SettlementBatch | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE settlement_batch SET status = 'COMPLETED', payout_ref = $3, last_error = NULL, updated_at = now()
        WHERE id = $1 AND status = 'PAYING' AND attempts = $2 RETURNING *`,
      [id, attempt, payoutRef],
    );
    return rows[0] ? toBatch(rows[0]) : undefined;
  }

  /** Guarded like markCompleted: a failed attempt sends the batch back to DUE (tried again after retryInMs) or to FAILED. */
  async recordFailedAttempt(
    tx: EntityManager,
    id: string,
    attempt: number,
    error: string,
    next: { status: 'DUE'; retryInMs: number } | { status: 'FAILED' },
  ): Promise<SettlementBatch | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE settlement_batch
          SET status = $4, last_error = $3, updated_at = now(),
              next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
        WHERE id = $1 AND status = 'PAYING' AND attempts = $2 RETURNING *`,
      [id, attempt, error.slice(0, 500), next.status, next.status === 'DUE' ? next.retryInMs : 0],
    );
    return rows[0] ? toBatch(rows[0]) : undefined;
  }

  /** P_settlement = completed / due settlements (0 before any is due). */
  async pSettlement(tx: EntityManager): Promise<number> {
    const [row]: { due: number; completed: number }[] = await tx.query(
      `SELECT count(*)::int AS due, count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed FROM settlement_batch`,
    );
    return !row || row.due === 0 ? 0 : row.completed / row.due;
  }

  /** Totals for the report and dashboards, in minor units as decimal strings. */
  async stats(tx: EntityManager) {
    const [row]: Record<string, string | number>[] = await tx.query(`
      SELECT count(*)::int AS due,
             count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed,
             count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
             count(*) FILTER (WHERE status IN ('DUE', 'PAYING'))::int AS pending,
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

  /** Settlement amounts per currency and status (DUE, PAYING, COMPLETED, FAILED), in minor units, for the metrics. */
  async amountsByCurrencyAndStatus(tx: EntityManager): Promise<SettlementAmounts[]> {
    const rows: Record<string, string>[] = await tx.query(`
      SELECT currency, status,
             sum(gross_minor)::text AS gross_minor, sum(fee_minor)::text AS fee_minor,
             sum(refund_minor)::text AS refund_minor, sum(net_minor)::text AS net_minor
        FROM settlement_batch
       GROUP BY currency, status
       ORDER BY currency, status`);
    return rows.map((r) => ({
      currency: r.currency!,
      status: r.status as SettlementBatchStatus,
      grossMinor: toBigInt(r.gross_minor!),
      feeMinor: toBigInt(r.fee_minor!),
      refundMinor: toBigInt(r.refund_minor!),
      netMinor: toBigInt(r.net_minor!),
    }));
  }
}

/** Sums over the settlement batches of one currency in one status. */
export interface SettlementAmounts {
  currency: string;
  status: SettlementBatchStatus;
  grossMinor: bigint;
  feeMinor: bigint;
  refundMinor: bigint;
  netMinor: bigint;
}
