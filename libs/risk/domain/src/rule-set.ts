import { z } from 'zod';
import { describeIssues, failureReason } from '@paystream/contracts';
import {
  amountAboveHistory,
  assess,
  HISTORY_AMOUNT_MULTIPLE,
  HISTORY_PAYMENTS_MIN,
  HISTORY_REVIEW_AMOUNT_MIN_MINOR,
  SCORE_HISTORY_REVIEW,
  type Assessment,
  type AssessmentInput,
  type RiskRule,
} from './risk-rules';

/** The longest velocity window a rule may look back over (one day, in seconds). */
export const VELOCITY_WINDOW_SECONDS_MAX = 86_400;
/** The most rules one rule set holds, and the most values one list holds. */
export const RULE_SET_RULES_MAX = 100;
export const RULE_LIST_VALUES_MAX = 10_000;
/** The version of the built-in rule set, in force while nobody has published one. */
export const DEFAULT_RULE_SET_VERSION = 1;

const slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'must be a slug: lowercase letters, digits and inner dashes, up to 64');
const action = z.enum(['review', 'reject']);
/** A review's score; a rejection always scores SCORE_REJECT (1000). */
const score = z.number().int().min(0).max(999);
/** Money as a decimal string of whole fen (no sign, no fraction, no leading zeros). */
const fenString = z.string().regex(/^(?:0|[1-9][0-9]{0,17})$/, 'must be a whole number of fen as a decimal string');
const values = z.array(z.string().min(1).max(128)).min(1).max(RULE_LIST_VALUES_MAX);

const velocityUser = z.strictObject({
  kind: z.literal('velocity-user'),
  id: slug,
  enabled: z.boolean(),
  action,
  score,
  /** More than this many payments by one user in the window (counting the one assessed) fires. */
  maxCount: z.number().int().min(1).max(1_000_000),
  windowSeconds: z.number().int().min(1).max(VELOCITY_WINDOW_SECONDS_MAX),
});
const blocklist = z.strictObject({
  kind: z.literal('blocklist'),
  id: slug,
  enabled: z.boolean(),
  /** A blocklist only rejects (RISK_BLOCKLISTED); 'review' holds instead. */
  action,
  score,
  field: z.enum(['userId', 'merchantId']),
  values,
});
const allowlist = z.strictObject({
  kind: z.literal('allowlist'),
  id: slug,
  enabled: z.boolean(),
  field: z.literal('userId'),
  values,
});
const amountAboveHistoryDef = z.strictObject({
  kind: z.literal('amount-above-history'),
  id: slug,
  enabled: z.boolean(),
  action,
  score,
  multiple: z.number().int().min(1).max(1_000_000),
  minPayments: z.number().int().min(1).max(1_000_000),
  minAmountMinor: fenString,
});

export const ruleDefinitionSchema = z.discriminatedUnion('kind', [velocityUser, blocklist, allowlist, amountAboveHistoryDef]);
export const ruleSetSchema = z.strictObject({
  version: z.number().int().min(1),
  rules: z.array(ruleDefinitionSchema).max(RULE_SET_RULES_MAX),
});

export type RuleDefinition = z.infer<typeof ruleDefinitionSchema>;
export type RuleSet = z.infer<typeof ruleSetSchema>;

/**
 * The behaviour before rules were data: amount-above-history with the built-in constants, and a
 * velocity rule loose enough that no honest shopper (nor the e2e suite, whose busiest shopper pays
 * about 50 times in 30 s, 40 of them at 20/s) trips it: more than 100 payments in 60 s holds for review.
 */
export const DEFAULT_RULE_SET: RuleSet = {
  version: DEFAULT_RULE_SET_VERSION,
  rules: [
    {
      kind: 'amount-above-history',
      id: 'amount-above-history',
      enabled: true,
      action: 'review',
      score: SCORE_HISTORY_REVIEW,
      multiple: Number(HISTORY_AMOUNT_MULTIPLE),
      minPayments: HISTORY_PAYMENTS_MIN,
      minAmountMinor: HISTORY_REVIEW_AMOUNT_MIN_MINOR.toString(),
    },
    { kind: 'velocity-user', id: 'velocity-user', enabled: true, action: 'review', score: 500, maxCount: 100, windowSeconds: 60 },
  ],
};

/** Checks a rule set document: its shape, then what a shape cannot say (ids unique). */
export function validateRuleSet(input: unknown): { ok: true; ruleSet: RuleSet } | { ok: false; problems: string[] } {
  const parsed = ruleSetSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => describeIssues([i])) };
  const problems: string[] = [];
  const seen = new Set<string>();
  parsed.data.rules.forEach((r, i) => {
    if (seen.has(r.id)) problems.push(`rules.${i}.id: duplicate rule id ${r.id}`);
    seen.add(r.id);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, ruleSet: parsed.data };
}

/** What the database knows about the user, gathered before the rules run. */
export interface RuleSignals {
  /** The user's payments assessed before this one, per velocity window in seconds (see velocityWindowsOf). */
  recentPaymentsByUser: ReadonlyMap<number, number>;
  /** The user's completed payments in the history window (overrides input.history when given). */
  history?: { count: number; totalMinor: bigint };
}

/** The distinct windows (seconds) the enabled velocity rules need counts for. */
export function velocityWindowsOf(ruleSet: RuleSet): number[] {
  return [...new Set(ruleSet.rules.flatMap((r) => (r.kind === 'velocity-user' && r.enabled ? [r.windowSeconds] : [])))].sort((a, b) => a - b);
}

function velocityRule(r: Extract<RuleDefinition, { kind: 'velocity-user' }>, signals: RuleSignals): RiskRule {
  return {
    id: r.id,
    evaluate() {
      const prior = signals.recentPaymentsByUser.get(r.windowSeconds);
      if (prior === undefined) throw new Error(`no payment count for the ${r.windowSeconds} s window of rule ${r.id}`);
      const count = prior + 1; // the payment being assessed counts
      if (count <= r.maxCount) return { verdict: 'pass' };
      const detail = `${count} payments by the user in ${r.windowSeconds} s, more than ${r.maxCount}`;
      return r.action === 'reject'
        ? { verdict: 'reject', ruleId: r.id, detail, reason: failureReason('RISK_VELOCITY', detail) }
        : { verdict: 'review', ruleId: r.id, detail, score: r.score };
    },
  };
}

function blocklistRule(r: Extract<RuleDefinition, { kind: 'blocklist' }>): RiskRule {
  const listed = new Set(r.values);
  return {
    id: r.id,
    evaluate(input) {
      const value = input[r.field];
      if (!listed.has(value)) return { verdict: 'pass' };
      const detail = `${r.field} ${value} is blocklisted`;
      return r.action === 'reject'
        ? { verdict: 'reject', ruleId: r.id, detail, reason: failureReason('RISK_BLOCKLISTED', detail) }
        : { verdict: 'review', ruleId: r.id, detail, score: r.score };
    },
  };
}

/** The enabled anomaly rules of a rule set as code; none for a user on an enabled allowlist. */
export function ruleSetRules(ruleSet: RuleSet, userId: string, signals: RuleSignals): RiskRule[] {
  const enabled = ruleSet.rules.filter((r) => r.enabled);
  if (enabled.some((r) => r.kind === 'allowlist' && r.values.includes(userId))) return [];
  return enabled.flatMap((r): RiskRule[] => {
    switch (r.kind) {
      case 'velocity-user':
        return [velocityRule(r, signals)];
      case 'blocklist':
        return [blocklistRule(r)];
      case 'amount-above-history':
        return [amountAboveHistory({ ...r, multiple: BigInt(r.multiple), minAmountMinor: BigInt(r.minAmountMinor) })];
      case 'allowlist':
        return [];
    }
  });
}

/**
 * Runs the fixed rules (limits as code, e.g. singlePaymentLimitRule) and then the rule set, combined
 * as `assess` does: any rejection rejects (the first gives the reason), any review holds.
 */
export function evaluateRuleSet(ruleSet: RuleSet, input: AssessmentInput, signals: RuleSignals, fixed: readonly RiskRule[] = []): Assessment {
  const withHistory: AssessmentInput = signals.history ? { ...input, history: signals.history } : input;
  return assess(withHistory, [...fixed, ...ruleSetRules(ruleSet, input.userId, signals)]);
}
