import { randomUUID } from 'node:crypto';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';
import type { BreakKind, LedgerBooking, ReconciliationBreak, ReconciliationReport } from './match/reconciliation-matcher';

export type RunTrigger = 'schedule' | 'api';

export interface ReconciliationRun {
  id: string;
  channel: string;
  date: string;
  status: 'COMPLETED' | 'FAILED';
  trigger: RunTrigger;
  /** Who asked for the latest run (`operator:<id>`, `system:<job>`); null for runs stored before it was recorded. */
  requestedBy: string | null;
  attempts: number;
  currency: string;
  channelCount: number;
  channelAmountMinor: bigint;
  ourCount: number;
  matchedCount: number;
  matchedAmountMinor: bigint;
  /** The day's matched refunds, cleared in the ledger (by this run or an earlier run of the day). */
  refundsClearedCount: number;
  refundsClearedAmountMinor: bigint;
  /** How many of them the latest run booked cleared (0 on a re-run: each is booked once). */
  refundsClearedNewCount: number;
  breakCount: number;
  lastError: string | null;
  startedAt: Date;
  finishedAt: Date;
  completedAt: Date | null;
}

export interface StoredBreak extends ReconciliationBreak {
  id: string;
  runId: string;
  channel: string;
  date: string;
  currency: string;
  status: 'open' | 'resolved';
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

interface RunRow {
  id: string;
  channel: string;
  bill_date: string;
  status: ReconciliationRun['status'];
  trigger: RunTrigger;
  requested_by: string | null;
  attempts: number;
  currency: string;
  channel_count: number;
  channel_amount_minor: string;
  our_count: number;
  matched_count: number;
  matched_amount_minor: string;
  refunds_cleared_count: number;
  refunds_cleared_amount_minor: string;
  refunds_cleared_new_count: number;
  break_count: number;
  last_error: string | null;
  started_at: Date;
  finished_at: Date;
  completed_at: Date | null;
}

interface BreakRow {
  id: string;
  run_id: string;
  channel: string;
  bill_date: string;
  kind: BreakKind;
  side: ReconciliationBreak['side'];
  entry_kind: ReconciliationBreak['entryKind'];
  reference: string;
  payment_id: string | null;
  channel_trade_no: string | null;
  currency: string;
  channel_amount_minor: string | null;
  our_amount_minor: string | null;
  ledger_amount_minor: string | null;
  our_status: ReconciliationBreak['ourStatus'] | null;
  detail: string;
  status: 'open' | 'resolved';
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
}

const RUN_COLUMNS = `id, channel, to_char(bill_date, 'YYYY-MM-DD') AS bill_date, status, trigger, requested_by, attempts, currency, channel_count, channel_amount_minor, our_count,
  matched_count, matched_amount_minor, refunds_cleared_count, refunds_cleared_amount_minor, refunds_cleared_new_count, break_count, last_error, started_at, finished_at, completed_at`;
const BREAK_COLUMNS = `id, run_id, channel, to_char(bill_date, 'YYYY-MM-DD') AS bill_date, kind, side, entry_kind, reference, payment_id, channel_trade_no, currency,
  channel_amount_minor, our_amount_minor, ledger_amount_minor, our_status, detail, status, first_seen_at, last_seen_at, resolved_at`;

function toRun(r: RunRow): ReconciliationRun {
  return {
    id: r.id,
    channel: r.channel,
    date: r.bill_date,
    status: r.status,
    trigger: r.trigger,
    requestedBy: r.requested_by,
    attempts: r.attempts,
    currency: r.currency.trim(),
    channelCount: r.channel_count,
    channelAmountMinor: toBigInt(r.channel_amount_minor),
    ourCount: r.our_count,
    matchedCount: r.matched_count,
    matchedAmountMinor: toBigInt(r.matched_amount_minor),
    refundsClearedCount: r.refunds_cleared_count,
    refundsClearedAmountMinor: toBigInt(r.refunds_cleared_amount_minor),
    refundsClearedNewCount: r.refunds_cleared_new_count,
    breakCount: r.break_count,
    lastError: r.last_error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    completedAt: r.completed_at,
  };
}

function toBreak(r: BreakRow): StoredBreak {
  const optional = <T>(v: T | null | undefined) => v ?? undefined;
  const amount = (v: string | null) => (v === null ? undefined : toBigInt(v));
  const b: StoredBreak = {
    id: String(r.id),
    runId: r.run_id,
    channel: r.channel,
    date: r.bill_date,
    kind: r.kind,
    side: r.side,
    entryKind: r.entry_kind,
    reference: r.reference,
    currency: r.currency.trim(),
    detail: r.detail,
    status: r.status,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    resolvedAt: r.resolved_at,
  };
  const extras = {
    paymentId: optional(r.payment_id),
    channelTradeNo: optional(r.channel_trade_no),
    channelAmountMinor: amount(r.channel_amount_minor),
    ourAmountMinor: amount(r.our_amount_minor),
    ledgerAmountMinor: amount(r.ledger_amount_minor),
    ourStatus: optional(r.our_status),
  };
  for (const [k, v] of Object.entries(extras)) if (v !== undefined) Object.assign(b, { [k]: v });
  return b;
}

/** Reconciliation runs and breaks, and the ledger bookings they are matched against, in settlement's database. */
export class ReconciliationRepository {
  /** Serialises runs of one channel and day (the daily job and the API may start one at once). */
  async lockDay(tx: EntityManager, channel: string, date: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('reconciliation:' || $1 || ':' || $2))`, [channel, date]);
  }

  /**
   * The amount each payment and refund was booked at: the sum of its ledger transaction's debits (the gross,
   * however the booking splits it over accounts).
   */
  async ledgerBookings(tx: EntityManager, paymentIds: readonly string[], refundIds: readonly string[]): Promise<LedgerBooking[]> {
    const references = [...paymentIds.map((id) => `payment:${id}`), ...refundIds.map((id) => `refund:${id}`)];
    if (references.length === 0) return [];
    const rows: { kind: 'payment' | 'refund'; reference: string; debits: string; currency: string }[] = await tx.query(
      `SELECT t.kind, t.reference, sum(e.amount_minor) FILTER (WHERE e.amount_minor > 0)::text AS debits, min(e.currency) AS currency
         FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id
        WHERE t.kind IN ('payment', 'refund') AND t.reference = ANY($1)
        GROUP BY t.kind, t.reference`,
      [references],
    );
    return rows.map((r) => ({ kind: r.kind, id: r.reference.slice(r.kind.length + 1), amountMinor: toBigInt(r.debits ?? '0'), currency: r.currency.trim() }));
  }

  /**
   * Stores a completed run of a channel and day: the one run row (created, or refreshed by a re-run), the breaks
   * found (new ones opened, known ones seen again and reopened), and the day's other open breaks resolved.
   */
  async saveCompleted(
    tx: EntityManager,
    run: { channel: string; date: string; trigger: RunTrigger; requestedBy: string; startedAt: Date; ourCount: number; refundsCleared: { count: number; amountMinor: bigint; newCount: number } },
    report: ReconciliationReport,
  ): Promise<ReconciliationRun> {
    const cleared = run.refundsCleared;
    const [row]: RunRow[] = await tx.query(
      `INSERT INTO reconciliation_run (id, channel, bill_date, status, trigger, channel_count, channel_amount_minor, our_count, matched_count, matched_amount_minor,
         refunds_cleared_count, refunds_cleared_amount_minor, refunds_cleared_new_count, break_count, started_at, finished_at, completed_at, requested_by)
       VALUES ($1, $2, $3, 'COMPLETED', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), now(), $15)
       ON CONFLICT (channel, bill_date) DO UPDATE SET
         status = 'COMPLETED', trigger = EXCLUDED.trigger, requested_by = EXCLUDED.requested_by, attempts = reconciliation_run.attempts + 1, channel_count = EXCLUDED.channel_count,
         channel_amount_minor = EXCLUDED.channel_amount_minor, our_count = EXCLUDED.our_count, matched_count = EXCLUDED.matched_count,
         matched_amount_minor = EXCLUDED.matched_amount_minor, refunds_cleared_count = EXCLUDED.refunds_cleared_count,
         refunds_cleared_amount_minor = EXCLUDED.refunds_cleared_amount_minor, refunds_cleared_new_count = EXCLUDED.refunds_cleared_new_count,
         break_count = EXCLUDED.break_count, last_error = NULL, started_at = EXCLUDED.started_at, finished_at = now(), completed_at = now()
       RETURNING ${RUN_COLUMNS}`,
      [
        randomUUID(),
        run.channel,
        run.date,
        run.trigger,
        report.channelCount,
        report.channelAmountMinor.toString(),
        run.ourCount,
        report.matchedCount,
        report.matchedAmountMinor.toString(),
        cleared.count,
        cleared.amountMinor.toString(),
        cleared.newCount,
        report.breaks.length,
        run.startedAt,
        run.requestedBy,
      ],
    );
    const saved = toRun(row!);
    const ids: string[] = [];
    for (const b of report.breaks) {
      const [stored]: { id: string }[] = await tx.query(
        `INSERT INTO reconciliation_break (run_id, channel, bill_date, kind, side, entry_kind, reference, payment_id, channel_trade_no, channel_amount_minor, our_amount_minor, ledger_amount_minor, our_status, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (channel, bill_date, kind, side, entry_kind, reference) DO UPDATE SET
           run_id = EXCLUDED.run_id, payment_id = EXCLUDED.payment_id, channel_trade_no = EXCLUDED.channel_trade_no,
           channel_amount_minor = EXCLUDED.channel_amount_minor, our_amount_minor = EXCLUDED.our_amount_minor, ledger_amount_minor = EXCLUDED.ledger_amount_minor,
           our_status = EXCLUDED.our_status, detail = EXCLUDED.detail, status = 'open', last_seen_at = now(), resolved_at = NULL
         RETURNING id`,
        [
          saved.id,
          run.channel,
          run.date,
          b.kind,
          b.side,
          b.entryKind,
          b.reference,
          b.paymentId ?? null,
          b.channelTradeNo ?? null,
          b.channelAmountMinor?.toString() ?? null,
          b.ourAmountMinor?.toString() ?? null,
          b.ledgerAmountMinor?.toString() ?? null,
          b.ourStatus ?? null,
          b.detail,
        ],
      );
      ids.push(stored!.id);
    }
    await tx.query(
      `UPDATE reconciliation_break SET status = 'resolved', resolved_at = now()
        WHERE channel = $1 AND bill_date = $2 AND status = 'open' AND NOT (id = ANY($3::bigint[]))`,
      [run.channel, run.date, ids],
    );
    return saved;
  }

  /** Records a run that could not complete (the bill or our records could not be had); a completed run of the day keeps its results. */
  async saveFailed(tx: EntityManager, run: { channel: string; date: string; trigger: RunTrigger; requestedBy: string; startedAt: Date }, error: string): Promise<ReconciliationRun> {
    const [row]: RunRow[] = await tx.query(
      `INSERT INTO reconciliation_run (id, channel, bill_date, status, trigger, last_error, started_at, finished_at, requested_by)
       VALUES ($1, $2, $3, 'FAILED', $4, $5, $6, now(), $7)
       ON CONFLICT (channel, bill_date) DO UPDATE SET
         status = CASE WHEN reconciliation_run.completed_at IS NULL THEN 'FAILED' ELSE reconciliation_run.status END,
         attempts = reconciliation_run.attempts + 1, last_error = EXCLUDED.last_error, finished_at = now(), requested_by = EXCLUDED.requested_by
       RETURNING ${RUN_COLUMNS}`,
      [randomUUID(), run.channel, run.date, run.trigger, error, run.startedAt, run.requestedBy],
    );
    return toRun(row!);
  }

  async findRun(tx: EntityManager, id: string): Promise<ReconciliationRun | undefined> {
    const rows: RunRow[] = await tx.query(`SELECT ${RUN_COLUMNS} FROM reconciliation_run WHERE id = $1`, [id]);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async findRunOf(tx: EntityManager, channel: string, date: string): Promise<ReconciliationRun | undefined> {
    const rows: RunRow[] = await tx.query(`SELECT ${RUN_COLUMNS} FROM reconciliation_run WHERE channel = $1 AND bill_date = $2`, [channel, date]);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The latest runs first (by day, then channel). */
  async listRuns(tx: EntityManager, filter: { channel?: string; date?: string; limit: number }): Promise<ReconciliationRun[]> {
    const rows: RunRow[] = await tx.query(
      `SELECT ${RUN_COLUMNS} FROM reconciliation_run
        WHERE ($1::text IS NULL OR channel = $1) AND ($2::date IS NULL OR bill_date = $2)
        ORDER BY bill_date DESC, channel LIMIT $3`,
      [filter.channel ?? null, filter.date ?? null, filter.limit],
    );
    return rows.map(toRun);
  }

  async breaksOfRun(tx: EntityManager, runId: string): Promise<StoredBreak[]> {
    const rows: BreakRow[] = await tx.query(`SELECT ${BREAK_COLUMNS} FROM reconciliation_break WHERE run_id = $1 AND status = 'open' ORDER BY id`, [runId]);
    return rows.map(toBreak);
  }

  async listBreaks(tx: EntityManager, filter: { status?: 'open' | 'resolved'; channel?: string; date?: string; kind?: string; limit: number }): Promise<StoredBreak[]> {
    const rows: BreakRow[] = await tx.query(
      `SELECT ${BREAK_COLUMNS} FROM reconciliation_break
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR channel = $2) AND ($3::date IS NULL OR bill_date = $3) AND ($4::text IS NULL OR kind = $4)
        ORDER BY bill_date DESC, id LIMIT $5`,
      [filter.status ?? null, filter.channel ?? null, filter.date ?? null, filter.kind ?? null, filter.limit],
    );
    return rows.map(toBreak);
  }

  /** Open breaks by channel and kind, for the gauge. */
  async openBreakCounts(tx: EntityManager): Promise<{ channel: string; kind: BreakKind; count: number }[]> {
    return tx.query(`SELECT channel, kind, count(*)::int AS count FROM reconciliation_break WHERE status = 'open' GROUP BY channel, kind`);
  }

  /** When each channel's last completed run finished (seconds since the epoch), for the staleness gauge. */
  async lastCompletedRuns(tx: EntityManager): Promise<{ channel: string; seconds: number }[]> {
    return tx.query(`SELECT channel, extract(epoch FROM max(completed_at))::float8 AS seconds FROM reconciliation_run WHERE completed_at IS NOT NULL GROUP BY channel`);
  }
}
