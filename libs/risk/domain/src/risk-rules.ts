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

/** Rejects a payment above the single-payment limit. */
export const singlePaymentLimitRule: RiskRule = {
  id: 'single-limit',
  evaluate(input) {
    if (input.amountMinor <= SINGLE_PAYMENT_MAX_MINOR) return { verdict: 'pass' };
    const detail = `amount ${input.amountMinor} exceeds the single-payment limit ${SINGLE_PAYMENT_MAX_MINOR}`;
    return { verdict: 'reject', ruleId: this.id, detail, reason: failureReason('RISK_SINGLE_LIMIT_EXCEEDED', detail) };
  },
};

/** The rules in force; later issues add daily/yearly limits, real-name checks and anomaly rules. */
export const DEFAULT_RULES: readonly RiskRule[] = [singlePaymentLimitRule];

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
