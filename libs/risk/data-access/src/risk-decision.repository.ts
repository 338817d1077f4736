import { storedFailure, type FailureReason, type RiskDecision } from '@paystream/contracts';
import type { Assessment } from '@paystream/risk/domain';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

/** A decision as stored, with the payment it was made for. */
export interface StoredDecision extends Assessment {
  paymentId: string;
  orderId: string;
  merchantId: string;
  userId: string;
  amountMinor: bigint;
  currency: string;
  decidedAt: Date;
  /** For a held decision: where its review stands. */
  review?: DecisionReview;
}

export type ReviewStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED';

export interface DecisionReview {
  status: ReviewStatus;
  expiresAt: Date;
  by: string | null;
  note: string | null;
  at: Date | null;
}

interface Row {
  payment_id: string;
  order_id: string;
  merchant_id: string;
  user_id: string;
  amount_minor: string;
  currency: string;
  decision: RiskDecision;
  score: number;
  reasons: { ruleId: string; detail?: string }[];
  reject_code: string | null;
  reject_message: string | null;
  decided_at: Date;
  review_status: ReviewStatus | null;
  review_expires_at: Date | null;
  reviewed_by: string | null;
  review_note: string | null;
  reviewed_at: Date | null;
}

function toDecision(r: Row): StoredDecision {
  // retryability belongs to the code, so a re-emitted decision says what the first one said
  const rejectReason: FailureReason | undefined = r.reject_code ? storedFailure(r.reject_code, r.reject_message) : undefined;
  return {
    paymentId: r.payment_id,
    orderId: r.order_id,
    merchantId: r.merchant_id,
    userId: r.user_id,
    amountMinor: toBigInt(r.amount_minor),
    currency: r.currency,
    decision: r.decision,
    score: r.score,
    reasons: r.reasons,
    ...(rejectReason ? { rejectReason } : {}),
    decidedAt: r.decided_at,
    ...(r.review_status
      ? { review: { status: r.review_status, expiresAt: r.review_expires_at!, by: r.reviewed_by, note: r.review_note, at: r.reviewed_at } }
      : {}),
  };
}

/** Risk decisions: one per payment, kept for audit and for answering repeated requests alike. */
export class RiskDecisionRepository {
  /** Stores the decision unless the payment has one; returns the payment's decision and whether it is new. */
  async insertIfAbsent(tx: EntityManager, d: Omit<StoredDecision, 'decidedAt' | 'review'>, reviewExpiresInMs = 0): Promise<{ decision: StoredDecision; created: boolean }> {
    const rows: Row[] = await tx.query(
      `INSERT INTO risk_decision (payment_id, order_id, merchant_id, user_id, amount_minor, currency, decision, score, reasons, reject_code, reject_message, review_status, review_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
               CASE WHEN $7 = 'review' THEN 'PENDING' END,
               CASE WHEN $7 = 'review' THEN now() + make_interval(secs => $12::double precision / 1000) END)
       ON CONFLICT (payment_id) DO NOTHING
       RETURNING *`,
      [
        d.paymentId,
        d.orderId,
        d.merchantId,
        d.userId,
        d.amountMinor.toString(),
        d.currency,
        d.decision,
        d.score,
        JSON.stringify(d.reasons),
        d.rejectReason?.code ?? null,
        d.rejectReason?.message ?? null,
        reviewExpiresInMs,
      ],
    );
    if (rows[0]) return { decision: toDecision(rows[0]), created: true };
    const existing = await this.find(tx, d.paymentId);
    if (!existing) throw new Error(`risk decision for ${d.paymentId} vanished`);
    return { decision: existing, created: false };
  }

  /** Held decisions waiting for a person, oldest first. */
  async pendingReviews(tx: EntityManager, limit: number): Promise<StoredDecision[]> {
    const rows: Row[] = await tx.query(`SELECT * FROM risk_decision WHERE review_status = 'PENDING' ORDER BY decided_at LIMIT $1`, [limit]);
    return rows.map(toDecision);
  }

  /** Settles a pending review (guarded: only a PENDING one moves); undefined when it was not pending. */
  async resolveReview(tx: EntityManager, paymentId: string, status: Exclude<ReviewStatus, 'PENDING'>, by: string, note: string): Promise<StoredDecision | undefined> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE risk_decision SET review_status = $2, reviewed_by = $3, review_note = $4, reviewed_at = now()
        WHERE payment_id = $1 AND review_status = 'PENDING' RETURNING *`,
      [paymentId, status, by, note],
    );
    return rows[0] ? toDecision(rows[0]) : undefined;
  }

  /** Expires the pending reviews past their time (SKIP LOCKED: instances take disjoint batches). */
  async expireDueReviews(tx: EntityManager, limit: number): Promise<StoredDecision[]> {
    const [rows]: [Row[], number] = await tx.query(
      `UPDATE risk_decision d SET review_status = 'EXPIRED', reviewed_by = 'system', review_note = 'nobody reviewed it in time', reviewed_at = now()
         FROM (SELECT payment_id FROM risk_decision WHERE review_status = 'PENDING' AND review_expires_at <= now()
                ORDER BY review_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE d.payment_id = due.payment_id RETURNING d.*`,
      [limit],
    );
    return rows.map(toDecision);
  }

  /**
   * How many payments of the merchant's user (at that merchant: user ids are each merchant's own)
   * were assessed in each of the last `windowsSeconds` (by decided_at, on the database clock), as a
   * map from window to count; the merchant_id, user_id, decided_at index serves it.
   */
  async countByUserWithin(tx: EntityManager, merchantId: string, userId: string, windowsSeconds: readonly number[]): Promise<Map<number, number>> {
    if (windowsSeconds.length === 0) return new Map();
    const rows: { secs: number; n: number }[] = await tx.query(
      `SELECT w.secs, (SELECT count(*)::int FROM risk_decision d
                         WHERE d.merchant_id = $1 AND d.user_id = $2 AND d.decided_at > now() - make_interval(secs => w.secs)) AS n
         FROM unnest($3::int[]) AS w(secs)`,
      [merchantId, userId, windowsSeconds],
    );
    return new Map(rows.map((r) => [r.secs, r.n]));
  }

  /** The payment's decision, if it has one. */
  async find(tx: EntityManager, paymentId: string): Promise<StoredDecision | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM risk_decision WHERE payment_id = $1`, [paymentId]);
    return rows[0] ? toDecision(rows[0]) : undefined;
  }

  /** Decisions by kind, and P_risk = (review + reject) / assessed. */
  async stats(tx: EntityManager) {
    const rows: { decision: RiskDecision; n: number }[] = await tx.query(`SELECT decision, count(*)::int AS n FROM risk_decision GROUP BY decision`);
    const n = (d: RiskDecision) => rows.find((r) => r.decision === d)?.n ?? 0;
    const assessed = n('approve') + n('review') + n('reject');
    // decisions per rule that fired (a decision may name several)
    const rules: { rule: string; n: number }[] = await tx.query(
      `SELECT reason->>'ruleId' AS rule, count(*)::int AS n FROM risk_decision, jsonb_array_elements(reasons) AS reason GROUP BY 1 ORDER BY 2 DESC, 1`,
    );
    return {
      assessed,
      approved: n('approve'),
      review: n('review'),
      rejected: n('reject'),
      pRisk: assessed === 0 ? 0 : (n('review') + n('reject')) / assessed,
      byRule: Object.fromEntries(rules.map((r) => [r.rule, r.n])),
    };
  }
}
