import { storedFailure, type Channel, type FailureReason } from '@paystream/contracts';
import { raceVerdict, type ChannelTransactionStatus, type ChargeResult, type RaceVerdict, type ReportSource } from '@paystream/channel-gateway/domain';
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
  /** Who first told us the final outcome, and when. */
  resolvedVia: ReportSource | null;
  resolvedAt: Date | null;
  /** When the trade was closed at the channel (after the janitor's maximum age). */
  closedAt: Date | null;
  /** The card token of a card payment (never the card number). */
  cardToken: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What applying a report did: the race rule's verdict and the transaction as it stands after it. */
export interface AppliedReport {
  verdict: RaceVerdict;
  transaction: ChannelTransaction;
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
  resolved_via: ReportSource | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  card_token: string | null;
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
    resolvedVia: r.resolved_via,
    resolvedAt: r.resolved_at,
    closedAt: r.closed_at,
    cardToken: r.card_token,
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

  /** The charge of a payment, locked (FOR UPDATE) until tx ends: its refunds are checked and sent one at a time. */
  async lockForRefund(tx: EntityManager, paymentId: string): Promise<ChannelTransaction | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM channel_transaction WHERE payment_id = $1 FOR UPDATE`, [paymentId]);
    return rows[0] ? toTransaction(rows[0]) : undefined;
  }

  /**
   * Opens the attempt before the channel is called: an UNKNOWN row the notification can find even when
   * it outruns the synchronous answer, and the janitor queries if the process dies mid-call. Its first
   * query is due only after the call could have answered. Returns the stored row when one exists.
   */
  async open(
    tx: EntityManager,
    t: Pick<ChannelTransaction, 'paymentId' | 'orderId' | 'merchantId' | 'channel' | 'amountMinor' | 'currency' | 'routingReasons' | 'cardToken'>,
    firstQueryAfterMs: number,
  ): Promise<{ transaction: ChannelTransaction; created: boolean }> {
    const rows: Row[] = await tx.query(
      `INSERT INTO channel_transaction (payment_id, order_id, merchant_id, channel, amount_minor, currency, status, failure_code, failure_message, routing_reasons, card_token, next_query_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'UNKNOWN', 'CHANNEL_OUTCOME_UNKNOWN', 'awaiting the channel', $7, $8, now() + make_interval(secs => $9::double precision / 1000))
       ON CONFLICT (payment_id) DO NOTHING RETURNING *`,
      [t.paymentId, t.orderId, t.merchantId, t.channel, t.amountMinor.toString(), t.currency, JSON.stringify(t.routingReasons), t.cardToken, firstQueryAfterMs],
    );
    if (rows[0]) return { transaction: toTransaction(rows[0]), created: true };
    return { transaction: await this.get(tx, t.paymentId), created: false };
  }

  /** Records a charge that was never sent (no channel would take it), unless the payment has a transaction. */
  async recordNotSent(
    tx: EntityManager,
    t: Pick<ChannelTransaction, 'paymentId' | 'orderId' | 'merchantId' | 'channel' | 'amountMinor' | 'currency' | 'routingReasons'>,
    failure: FailureReason,
  ): Promise<{ transaction: ChannelTransaction; created: boolean }> {
    const rows: Row[] = await tx.query(
      `INSERT INTO channel_transaction (payment_id, order_id, merchant_id, channel, amount_minor, currency, status, failure_code, failure_message, routing_reasons, resolved_via, resolved_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'FAILED', $7, $8, $9, 'response', now())
       ON CONFLICT (payment_id) DO NOTHING RETURNING *`,
      [t.paymentId, t.orderId, t.merchantId, t.channel, t.amountMinor.toString(), t.currency, failure.code, failure.message, JSON.stringify(t.routingReasons)],
    );
    if (rows[0]) return { transaction: toTransaction(rows[0]), created: true };
    return { transaction: await this.get(tx, t.paymentId), created: false };
  }

  /**
   * Applies what a source reported, by the race rule: only an UNKNOWN row moves (a guarded update,
   * so of two concurrent reports exactly one advances it); a later report is a duplicate or, when it
   * contradicts the stored outcome, a conflict that is recorded and leaves the stored outcome as it is.
   */
  async applyReport(tx: EntityManager, paymentId: string, result: ChargeResult, source: ReportSource, detail?: string): Promise<AppliedReport> {
    if (result.outcome === 'unknown') return { verdict: { kind: 'no-change' }, transaction: await this.get(tx, paymentId) };
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_transaction
          SET status = $2, channel_trade_no = $3, failure_code = $4, failure_message = $5, resolved_via = $6, resolved_at = now(), updated_at = now(), next_query_at = NULL
        WHERE payment_id = $1 AND status = 'UNKNOWN'
        RETURNING *`,
      [paymentId, STATUS_OF[result.outcome], result.channelTradeNo ?? null, result.failure?.code ?? null, result.failure?.message ?? null, source],
    );
    if (rows[0]) return { verdict: { kind: 'advance', to: rows[0].status as 'SUCCEEDED' | 'FAILED' }, transaction: toTransaction(rows[0]) };
    const current = await this.get(tx, paymentId);
    const verdict = raceVerdict(current.status, result.outcome);
    if (verdict.kind === 'conflict') {
      await tx.query(
        `INSERT INTO channel_outcome_conflict (payment_id, channel, stored_status, reported_status, source, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
        [paymentId, current.channel, verdict.stored, verdict.reported, source, detail ?? result.failure?.message ?? result.channelTradeNo ?? null],
      );
    }
    return { verdict, transaction: current };
  }

  /**
   * Moves an attempt to another channel. Only for an attempt nothing was sent for (its channel's
   * breaker refused the call), so no channel can have charged it; guarded on UNKNOWN.
   */
  async reroute(tx: EntityManager, paymentId: string, channel: Channel, routingReasons: string[]): Promise<void> {
    await tx.query(`UPDATE channel_transaction SET channel = $2, routing_reasons = $3, updated_at = now() WHERE payment_id = $1 AND status = 'UNKNOWN'`, [
      paymentId,
      channel,
      JSON.stringify(routingReasons),
    ]);
  }

  /**
   * Claims a batch of unknown outcomes due for a query, oldest due first: SKIP LOCKED lets several
   * instances claim disjoint batches, and pushing next_query_at out by the lease keeps a claimed row
   * from being claimed again while its query is under way.
   */
  async claimDueForQuery(tx: EntityManager, leaseMs: number, limit: number): Promise<ChannelTransaction[]> {
    // TypeORM answers an UPDATE with [rows, rowCount]
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE channel_transaction t
          SET query_attempts = t.query_attempts + 1, next_query_at = now() + make_interval(secs => $1::double precision / 1000)
         FROM (SELECT payment_id FROM channel_transaction
                WHERE status = 'UNKNOWN' AND next_query_at <= now()
                ORDER BY next_query_at
                LIMIT $2
                  FOR UPDATE SKIP LOCKED) due
        WHERE t.payment_id = due.payment_id
        RETURNING t.*`,
      [leaseMs, limit],
    );
    return rows.map(toTransaction);
  }

  /** Schedules the next query of a still-unknown outcome. */
  async scheduleQuery(tx: EntityManager, paymentId: string, delayMs: number): Promise<void> {
    await tx.query(
      `UPDATE channel_transaction SET next_query_at = now() + make_interval(secs => $2::double precision / 1000) WHERE payment_id = $1 AND status = 'UNKNOWN'`,
      [paymentId, delayMs],
    );
  }

  /** Notes that the trade was closed at the channel (it can no longer be paid). */
  async markClosed(tx: EntityManager, paymentId: string): Promise<void> {
    await tx.query(`UPDATE channel_transaction SET closed_at = coalesce(closed_at, now()) WHERE payment_id = $1`, [paymentId]);
  }

  /** Unknown outcomes per channel, and how old the oldest is (seconds). */
  async unknownOutstanding(tx: EntityManager): Promise<{ channel: Channel; count: number; oldestAgeSeconds: number }[]> {
    const rows: { channel: Channel; n: number; oldest: number }[] = await tx.query(
      `SELECT channel, count(*)::int AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM channel_transaction WHERE status = 'UNKNOWN' GROUP BY channel`,
    );
    return rows.map((r) => ({ channel: r.channel, count: r.n, oldestAgeSeconds: r.oldest }));
  }

  /** The conflicting reports recorded for a payment (for people and tests). */
  async conflicts(tx: EntityManager, paymentId: string): Promise<{ storedStatus: string; reportedStatus: string; source: string }[]> {
    const rows: { stored_status: string; reported_status: string; source: string }[] = await tx.query(
      `SELECT stored_status, reported_status, source FROM channel_outcome_conflict WHERE payment_id = $1 ORDER BY id`,
      [paymentId],
    );
    return rows.map((r) => ({ storedStatus: r.stored_status, reportedStatus: r.reported_status, source: r.source }));
  }

  private async get(tx: EntityManager, paymentId: string): Promise<ChannelTransaction> {
    const found = await this.find(tx, paymentId);
    if (!found) throw new Error(`channel transaction ${paymentId} vanished`);
    return found;
  }

  /** Counts per channel and status, how outcomes were resolved, janitor resolution times, conflicts. */
  async stats(tx: EntityManager) {
    const rows: { status: ChannelTransactionStatus; channel: string; n: number }[] = await tx.query(
      `SELECT status, channel, count(*)::int AS n FROM channel_transaction GROUP BY status, channel`,
    );
    const byStatus: Record<string, number> = { SUCCEEDED: 0, FAILED: 0, UNKNOWN: 0 };
    const byChannel: Record<string, Record<ChannelTransactionStatus, number>> = {};
    for (const r of rows) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
      const c = (byChannel[r.channel] ??= { SUCCEEDED: 0, FAILED: 0, UNKNOWN: 0 });
      c[r.status] += r.n;
    }
    const via: { resolved_via: string | null; n: number }[] = await tx.query(
      `SELECT resolved_via, count(*)::int AS n FROM channel_transaction WHERE status <> 'UNKNOWN' GROUP BY resolved_via`,
    );
    // how long the janitor (query, close) took from the charge to the outcome
    const [janitor]: { n: number; p50: number | null; p95: number | null; max: number | null }[] = await tx.query(
      `SELECT count(*)::int AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY s) AS p95,
              max(s) AS max
         FROM (SELECT extract(epoch FROM resolved_at - created_at)::float8 AS s
                 FROM channel_transaction WHERE resolved_via IN ('query', 'close')) j`,
    );
    const [conflicts]: { n: number }[] = await tx.query(`SELECT count(*)::int AS n FROM channel_outcome_conflict`);
    return {
      total: rows.reduce((a, r) => a + r.n, 0),
      byStatus,
      byChannel,
      resolvedVia: Object.fromEntries(via.map((v) => [v.resolved_via ?? 'none', v.n])),
      janitorResolutionSeconds: { count: janitor?.n ?? 0, p50: janitor?.p50 ?? null, p95: janitor?.p95 ?? null, max: janitor?.max ?? null },
      conflicts: conflicts?.n ?? 0,
    };
  }
}
