import type { SettlementBatchStatus, SettlementTotals } from '@paystream/settlement/domain';
import { scopedMerchantId, type TenantScope } from '@paystream/shared/auth';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface SettlementBatch {
  id: string;
  merchantId: string;
  currency: string;
  grossMinor: bigint;
  feeMinor: bigint;
  refundMinor: bigint;
  netMinor: bigint;
  reserveHeldMinor: bigint;
  reserveReleasedMinor: bigint;
  carriedMinor: bigint;
  paymentCount: number;
  asOf: string | null;
  payoutChannel: string;
  payoutAccountNo: string | null;
  /** Whether creating it booked the payout in flight (settlements made before that was booked did not). */
  inFlightBooked: boolean;
  /** The last attempt's outcome was unknown: the next one asks the bank before sending again. */
  needsQuery: boolean;
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
  reserve_held_minor: string;
  reserve_released_minor: string;
  carried_minor: string;
  as_of: string | null;
  payout_channel: string;
  payout_account_no: string | null;
  in_flight_booked: boolean;
  needs_query: boolean;
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

const COLUMNS = `id, merchant_id, currency, gross_minor, fee_minor, refund_minor, net_minor, reserve_held_minor, reserve_released_minor, carried_minor,
  to_char(as_of, 'YYYY-MM-DD') AS as_of, payout_channel, payout_account_no, in_flight_booked, needs_query, payment_count, period_start, period_end, status,
  payout_ref, attempts, last_error, created_at, updated_at`;

function toBatch(r: Row): SettlementBatch {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    currency: r.currency.trim(),
    grossMinor: toBigInt(r.gross_minor),
    feeMinor: toBigInt(r.fee_minor),
    refundMinor: toBigInt(r.refund_minor),
    netMinor: toBigInt(r.net_minor),
    reserveHeldMinor: toBigInt(r.reserve_held_minor),
    reserveReleasedMinor: toBigInt(r.reserve_released_minor),
    carriedMinor: toBigInt(r.carried_minor),
    asOf: r.as_of,
    payoutChannel: r.payout_channel,
    payoutAccountNo: r.payout_account_no,
    inFlightBooked: r.in_flight_booked,
    needsQuery: r.needs_query,
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
  /** Creates a settlement order (its items are claimed by the caller); it books its payout in flight. */
  async create(
    tx: EntityManager,
    b: { id: string; merchantId: string; currency: string; asOf: string; payoutAccountNo: string; periodStart: Date; periodEnd: Date },
    t: SettlementTotals,
  ): Promise<SettlementBatch> {
    const [row]: Row[] = await tx.query(
      `INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, refund_minor, reserve_held_minor, reserve_released_minor, carried_minor, net_minor,
                                     payment_count, period_start, period_end, as_of, payout_account_no, in_flight_booked)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, true) RETURNING ${COLUMNS}`,
      [
        b.id, b.merchantId, b.currency, t.grossMinor.toString(), t.feeMinor.toString(), t.refundMinor.toString(), t.reserveHeldMinor.toString(),
        t.reserveReleasedMinor.toString(), t.carriedMinor.toString(), t.netMinor.toString(), t.paymentCount, b.periodStart, b.periodEnd, b.asOf, b.payoutAccountNo,
      ],
    );
    return toBatch(row!);
  }

  /**
   * Settlements in the scope (a merchant's own only), newest first (keyset by created_at, id),
   * optionally of one merchant and status: a merchant that is out of scope lists nothing.
   */
  async list(
    tx: EntityManager,
    scope: TenantScope,
    q: { merchantId?: string; status?: string; limit: number; before?: { createdAt: Date; id: string } },
  ): Promise<SettlementBatch[]> {
    const rows: Row[] = await tx.query(
      `SELECT ${COLUMNS} FROM settlement_batch
        WHERE ($6::text IS NULL OR merchant_id = $6) AND ($1::text IS NULL OR merchant_id = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [q.merchantId ?? null, q.status ?? null, q.before?.createdAt ?? null, q.before?.id ?? null, q.limit, scopedMerchantId(scope)],
    );
    return rows.map(toBatch);
  }

  /** The payments of a settlement in the scope made before settlement items existed (their line items). */
  async legacyPayments(tx: EntityManager, scope: TenantScope, id: string): Promise<{ paymentId: string; grossMinor: bigint; feeMinor: bigint }[]> {
    const rows: { payment_id: string; gross_minor: string; fee_minor: string }[] = await tx.query(
      `SELECT p.payment_id, p.gross_minor, p.fee_minor FROM settlement_batch_payment p JOIN settlement_batch b ON b.id = p.batch_id
        WHERE p.batch_id = $1 AND ($2::text IS NULL OR b.merchant_id = $2) ORDER BY p.payment_id`,
      [id, scopedMerchantId(scope)],
    );
    return rows.map((r) => ({ paymentId: r.payment_id, grossMinor: toBigInt(r.gross_minor), feeMinor: toBigInt(r.fee_minor) }));
  }

  /** A settlement in the scope: another merchant's is not found, as a missing one. */
  async findById(tx: EntityManager, scope: TenantScope, id: string, opts: { forUpdate?: boolean } = {}): Promise<SettlementBatch | undefined> {
    const rows: Row[] = await tx.query(`SELECT ${COLUMNS} FROM settlement_batch WHERE id = $1 AND ($2::text IS NULL OR merchant_id = $2) ${opts.forUpdate ? 'FOR UPDATE' : ''}`, [
      id,
      scopedMerchantId(scope),
    ]);
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
         FROM (SELECT id AS due_id FROM settlement_batch
                WHERE status IN ('DUE', 'PAYING') AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT $1
                FOR UPDATE SKIP LOCKED) due
        WHERE b.id = due.due_id
        RETURNING ${COLUMNS}`,
      [limit, leaseMs],
    );
    return rows.map(toBatch);
  }

  /** Guarded: only the claim that is still current (PAYING, same attempt) completes the batch. */
  async markCompleted(tx: EntityManager, id: string, attempt: number, payoutRef: string): Promise<SettlementBatch | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE settlement_batch SET status = 'COMPLETED', payout_ref = $3, last_error = NULL, needs_query = false, updated_at = now()
        WHERE id = $1 AND status = 'PAYING' AND attempts = $2 RETURNING ${COLUMNS}`,
      [id, attempt, payoutRef],
    );
    return rows[0] ? toBatch(rows[0]) : undefined;
  }

  /** Guarded like markCompleted: a failed (or unknown: needsQuery) attempt sends the batch back to DUE (tried again after retryInMs) or to FAILED. */
  async recordFailedAttempt(
    tx: EntityManager,
    id: string,
    attempt: number,
    error: string,
    next: { status: 'DUE'; retryInMs: number } | { status: 'FAILED' },
    opts: { needsQuery?: boolean } = {},
  ): Promise<SettlementBatch | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE settlement_batch
          SET status = $4, last_error = $3, updated_at = now(), needs_query = $6,
              next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
        WHERE id = $1 AND status = 'PAYING' AND attempts = $2 RETURNING ${COLUMNS}`,
      [id, attempt, error.slice(0, 500), next.status, next.status === 'DUE' ? next.retryInMs : 0, opts.needsQuery ?? false],
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
             COALESCE(sum(refund_minor), 0)::text AS refund_minor,
             COALESCE(sum(reserve_held_minor - reserve_released_minor), 0)::text AS reserve_minor,
             (SELECT count(*)::int FROM ledger_transaction WHERE kind = 'payment') AS booked_payments,
             (SELECT count(*)::int FROM ledger_transaction WHERE kind = 'refund') AS booked_refunds,
             (SELECT COALESCE(sum(e.amount_minor), 0)::text FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id WHERE a.kind = 'channel_cost') AS channel_cost_minor,
             (SELECT COALESCE(-sum(e.amount_minor), 0)::text FROM ledger_entry e WHERE e.account_id = 'platform_fee_revenue') AS fee_revenue_minor
        FROM settlement_batch`);
    const due = Number(row?.due ?? 0);
    const completed = Number(row?.completed ?? 0);
    return {
      bookedPayments: Number(row?.booked_payments ?? 0),
      bookedRefunds: Number(row?.booked_refunds ?? 0),
      due,
      completed,
      failed: Number(row?.failed ?? 0),
      pending: Number(row?.pending ?? 0),
      pSettlement: due === 0 ? 0 : completed / due,
      grossMinor: String(row?.gross_minor ?? '0'),
      feeMinor: String(row?.fee_minor ?? '0'),
      netMinor: String(row?.net_minor ?? '0'),
      paidOutMinor: String(row?.paid_out_minor ?? '0'),
      refundMinor: String(row?.refund_minor ?? '0'),
      /** Fees booked and what the channels charged, over every payment booked: the platform's margin is the difference. */
      feeRevenueMinor: String(row?.fee_revenue_minor ?? '0'),
      channelCostMinor: String(row?.channel_cost_minor ?? '0'),
      reserveHeldMinor: String(row?.reserve_minor ?? '0'),
      merchants: await this.statsByMerchant(tx),
    };
  }

  /**
   * Per merchant (and currency): settlements, gross, fees, refunds netted, reserve held back (less
   * released) and paid out, with the merchant's schedule; minor units as decimal strings.
   */
  async statsByMerchant(tx: EntityManager) {
    const rows: Record<string, string | number | null>[] = await tx.query(`
      SELECT b.merchant_id, b.currency, p.schedule, p.n_days,
             count(*)::int AS settlements,
             count(*) FILTER (WHERE b.status = 'COMPLETED')::int AS completed,
             sum(b.gross_minor)::text AS gross_minor, sum(b.fee_minor)::text AS fee_minor, sum(b.refund_minor)::text AS refund_minor,
             sum(b.reserve_held_minor - b.reserve_released_minor)::text AS reserve_minor,
             COALESCE(sum(b.net_minor) FILTER (WHERE b.status = 'COMPLETED'), 0)::text AS paid_out_minor
        FROM settlement_batch b LEFT JOIN merchant_settlement_profile p ON p.merchant_id = b.merchant_id
       GROUP BY b.merchant_id, b.currency, p.schedule, p.n_days
       ORDER BY b.merchant_id, b.currency`);
    return rows.map((r) => ({
      merchantId: String(r.merchant_id),
      currency: String(r.currency).trim(),
      schedule: r.schedule === 't_plus_n' ? `T+${r.n_days}` : String(r.schedule ?? 'realtime'),
      settlements: Number(r.settlements),
      completed: Number(r.completed),
      grossMinor: String(r.gross_minor),
      feeMinor: String(r.fee_minor),
      refundMinor: String(r.refund_minor),
      reserveHeldMinor: String(r.reserve_minor),
      paidOutMinor: String(r.paid_out_minor),
    }));
  }

  /** Settlement amounts per currency and status (DUE, PAYING, COMPLETED, FAILED), in minor units, for the metrics. */
  async amountsByCurrencyAndStatus(tx: EntityManager): Promise<SettlementAmounts[]> {
    const rows: Record<string, string>[] = await tx.query(`
      SELECT currency, status,
             sum(gross_minor)::text AS gross_minor, sum(fee_minor)::text AS fee_minor,
             sum(refund_minor)::text AS refund_minor, sum(net_minor)::text AS net_minor,
             sum(reserve_held_minor - reserve_released_minor)::text AS reserve_minor
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
      reserveMinor: toBigInt(r.reserve_minor!),
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
  /** Reserve held back by these settlements, less what they released. */
  reserveMinor: bigint;
}
