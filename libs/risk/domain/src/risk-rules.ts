import { failureReason, type FailureReason, type RiskDecision } from '@paystream/contracts';

/** The largest single payment risk approves, in minor units (CNY 50,000.00). */
export const SINGLE_PAYMENT_MAX_MINOR = 5_000_000n;
/** The score of a decision no rule objected to, and of a hard rejection. */
export const SCORE_CLEAN = 0;
export const SCORE_REJECT = 1000;

export interface AssessmentInput {
  paymentId: string;
  userId: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  /** Shopper signals the checkout sent (optional): the card token, the device, the IP address. */
  cardToken?: string;
  deviceId?: string;
  ip?: string;
  /** The user's completed payments (committed limit reservations) in the history window. */
  history?: { count: number; totalMinor: bigint };
}

/** What one rule found: nothing, a reason to hold for review, or a reason to reject. */
export type RuleFinding =
  | { verdict: 'pass' }
  | { verdict: 'review'; ruleId: string; detail: string; score: number }
  | { verdict: 'reject'; ruleId: string; detail: string; reason: FailureReason };

export interface RiskRule {
  id: string;
  evaluate(input: AssessmentInput): RuleFinding;
}

export interface Assessment {
  decision: RiskDecision;
  score: number;
  reasons: { ruleId: string; detail?: string }[];
  rejectReason?: FailureReason;
}

/** What a configurable rule does when it fires: reject, or hold for review with its score. */
export interface Verdict {
  id: string;
  action: 'review' | 'reject';
  score: number;
}

/** A finding for a rule that fired: a rejection with its code, or a hold with the rule's score. */
export function fired(r: Verdict, code: 'RISK_VELOCITY' | 'RISK_ANOMALY' | 'RISK_BLOCKLISTED', detail: string): RuleFinding {
  return r.action === 'reject'
    ? { verdict: 'reject', ruleId: r.id, detail, reason: failureReason(code, detail) }
    : { verdict: 'review', ruleId: r.id, detail, score: r.score };
}

/** Rejects a payment above the single-payment limit. */
export const singlePaymentLimitRule: RiskRule = {
  id: 'single-limit',
  evaluate(input) {
    if (input.amountMinor <= SINGLE_PAYMENT_MAX_MINOR) return { verdict: 'pass' };
    const detail = `amount ${input.amountMinor} exceeds the single-payment limit ${SINGLE_PAYMENT_MAX_MINOR}`;
    return { verdict: 'reject', ruleId: this.id, detail, reason: failureReason('RISK_SINGLE_LIMIT_EXCEEDED', detail) };
  },
};

/** Payments a user must have made before their history says what is usual for them. */
export const HISTORY_PAYMENTS_MIN = 3;
/** How many times the user's average payment is "far above" it. */
export const HISTORY_AMOUNT_MULTIPLE = 10n;
/** Below this an unusual amount is not worth a person's time (CNY 1,000.00). */
export const HISTORY_REVIEW_AMOUNT_MIN_MINOR = 100_000n;
/** The score of a payment held for review because it is far above the user's history. */
export const SCORE_HISTORY_REVIEW = 600;

/** The parameters of the amount-above-history rule (the constants above are the built-in ones). */
export interface AmountAboveHistoryParams {
  id: string;
  action: 'review' | 'reject';
  /** The score of a held payment (0-999); a rejection scores SCORE_REJECT. */
  score: number;
  multiple: bigint;
  minPayments: number;
  minAmountMinor: bigint;
}

/** Flags a payment far above what the user usually pays (anomaly: amount vs history); rejects with RISK_ANOMALY. */
export function amountAboveHistory(p: AmountAboveHistoryParams): RiskRule {
  return {
    id: p.id,
    evaluate(input) {
      const h = input.history;
      if (!h || h.count < p.minPayments || h.count < 1 || input.amountMinor < p.minAmountMinor) return { verdict: 'pass' };
      // amount > multiple x average, without dividing: amount x count > multiple x total
      if (input.amountMinor * BigInt(h.count) <= p.multiple * h.totalMinor) return { verdict: 'pass' };
      const detail = `amount ${input.amountMinor} is over ${p.multiple}x the user's average of ${h.count} payments (${h.totalMinor / BigInt(h.count)})`;
      return fired(p, 'RISK_ANOMALY', detail);
    },
  };
}

/** Holds for review a payment far above what the user usually pays, with the built-in parameters. */
export const amountAboveHistoryRule: RiskRule = amountAboveHistory({
  id: 'amount-above-history',
  action: 'review',
  score: SCORE_HISTORY_REVIEW,
  multiple: HISTORY_AMOUNT_MULTIPLE,
  minPayments: HISTORY_PAYMENTS_MIN,
  minAmountMinor: HISTORY_REVIEW_AMOUNT_MIN_MINOR,
});

/**
 * The built-in rules. The service runs singlePaymentLimitRule and then the anomaly rule set in force
 * (rule-set.ts, whose default matches these); the limits of the user's verification level come after.
 */
export const DEFAULT_RULES: readonly RiskRule[] = [singlePaymentLimitRule, amountAboveHistoryRule];

/** Runs every rule: any rejection rejects (the first one gives the reason), any review holds. */
export function assess(input: AssessmentInput, rules: readonly RiskRule[] = DEFAULT_RULES): Assessment {
  const findings = rules.map((r) => r.evaluate(input)).filter((f): f is Exclude<RuleFinding, { verdict: 'pass' }> => f.verdict !== 'pass');
  const reasons = findings.map((f) => ({ ruleId: f.ruleId, detail: f.detail }));
  const reject = findings.find((f): f is Extract<RuleFinding, { verdict: 'reject' }> => f.verdict === 'reject');
  if (reject) return { decision: 'reject', score: SCORE_REJECT, reasons, rejectReason: reject.reason };
  const reviews = findings.filter((f): f is Extract<RuleFinding, { verdict: 'review' }> => f.verdict === 'review');
  if (reviews.length > 0) {
    return { decision: 'review', score: Math.min(SCORE_REJECT - 1, Math.max(...reviews.map((r) => r.score))), reasons };
  }
  return { decision: 'approve', score: SCORE_CLEAN, reasons };
}
