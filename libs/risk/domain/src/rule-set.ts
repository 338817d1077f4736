import { z } from 'zod';
import { cardTokenSchema, describeIssues, deviceIdSchema, externalIdSchema, ipAddressSchema, storableText } from '@paystream/contracts';
import { canonicalIp } from './ip-address';
import {
  amountAboveHistory,
  assess,
  fired,
  HISTORY_AMOUNT_MULTIPLE,
  HISTORY_PAYMENTS_MIN,
  HISTORY_REVIEW_AMOUNT_MIN_MINOR,
  SCORE_HISTORY_REVIEW,
  type Assessment,
  type AssessmentInput,
  type RiskRule,
} from './risk-rules';
import {
  ATTEMPT_DIMENSIONS,
  attemptQueryKey,
  attemptVelocity,
  cardTesting,
  dimensionValue,
  newDeviceLargeAmount,
  sharedSignal,
  type AttemptCounts,
  type AttemptDimension,
  type AttemptQuery,
  type UserDeviceHistory,
} from './attempt-signals';

/** The longest velocity window a rule may look back over (one day, in seconds). */
export const VELOCITY_WINDOW_SECONDS_MAX = 86_400;
/** The most rules one rule set holds, and the most values one list holds. */
export const RULE_SET_RULES_MAX = 100;
export const RULE_LIST_VALUES_MAX = 10_000;
/** The version of the built-in rule set, in force while nobody has published one. */
export const DEFAULT_RULE_SET_VERSION = 1;

const slug = storableText().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'must be a slug: lowercase letters, digits and inner dashes, up to 64');
const action = z.enum(['review', 'reject']);
/** A review's score; a rejection always scores SCORE_REJECT (1000). */
const score = z.number().int().min(0).max(999);
/** Money as a decimal string of whole fen (no sign, no fraction, no leading zeros). */
const fenString = storableText().regex(/^(?:0|[1-9][0-9]{0,17})$/, 'must be a whole number of fen as a decimal string');
const windowSeconds = z.number().int().min(1).max(VELOCITY_WINDOW_SECONDS_MAX);
const count = z.number().int().min(1).max(1_000_000);
/** The fields a block or allow list matches: who pays, whom, and the shopper signals. */
const listField = z.enum(['userId', 'merchantId', ...ATTEMPT_DIMENSIONS]);
const values = z.array(storableText().min(1).max(128)).min(1).max(RULE_LIST_VALUES_MAX);

/** What every rule that decides carries: its id, whether it is on, and what it does when it fires. */
const verdictFields = { id: slug, enabled: z.boolean(), action, score };

const velocityUser = z.strictObject({
  kind: z.literal('velocity-user'),
  ...verdictFields,
  /** More than this many payments by one user in the window (counting the one assessed) fires. */
  maxCount: count,
  windowSeconds,
});
/**
 * Whose users a list of user ids names: a user id is its merchant's (each merchant chooses its
 * users' ids, so one id at two merchants is two people). Required for a user list when published;
 * only a user list names one.
 */
const listMerchant = { merchantId: externalIdSchema.optional() };
const blocklist = z.strictObject({
  kind: z.literal('blocklist'),
  /** A blocklist only rejects (RISK_BLOCKLISTED); 'review' holds instead. */
  ...verdictFields,
  field: listField,
  ...listMerchant,
  values,
});
const allowlist = z.strictObject({
  kind: z.literal('allowlist'),
  id: slug,
  enabled: z.boolean(),
  field: listField.exclude(['merchantId']),
  ...listMerchant,
  values,
});
const amountAboveHistoryDef = z.strictObject({
  kind: z.literal('amount-above-history'),
  ...verdictFields,
  multiple: count,
  minPayments: count,
  minAmountMinor: fenString,
});

const velocityDef = z.strictObject({
  kind: z.literal('velocity'),
  ...verdictFields,
  dimension: z.enum(ATTEMPT_DIMENSIONS),
  /** More than this many attempts on one card, device or IP in the window (counting the one assessed) fires. */
  maxCount: count,
  windowSeconds,
});
const cardTestingDef = z.strictObject({
  kind: z.literal('card-testing'),
  ...verdictFields,
  dimension: z.enum(['cardToken', 'deviceId']),
  windowSeconds,
  /** An attempt of at most this much is small. */
  smallAmountMaxMinor: fenString,
  /** More than this many small attempts in the window (counting the one assessed, when small) fires. */
  maxSmallCount: count,
  /** More than this many attempts declined or failed in the window fires. */
  maxDeclinedCount: count,
});
const newDeviceLargeAmountDef = z.strictObject({
  kind: z.literal('new-device-large-amount'),
  ...verdictFields,
  minAmountMinor: fenString,
  /** The user's earlier attempts needed before a device can be new to them (0: a first payment counts too). */
  minUserAttempts: z.number().int().min(0).max(1_000_000),
});
const sharedDef = <K extends 'shared-device' | 'shared-card'>(kind: K) =>
  z.strictObject({
    kind: z.literal(kind),
    ...verdictFields,
    /** More than this many distinct users on one device or card in the window (counting this one) fires. */
    maxUsers: count,
    windowSeconds,
  });

export const ruleDefinitionSchema = z.discriminatedUnion('kind', [
  velocityUser,
  blocklist,
  allowlist,
  amountAboveHistoryDef,
  velocityDef,
  cardTestingDef,
  newDeviceLargeAmountDef,
  sharedDef('shared-device'),
  sharedDef('shared-card'),
]);
export const ruleSetSchema = z.strictObject({
  version: z.number().int().min(1),
  rules: z.array(ruleDefinitionSchema).max(RULE_SET_RULES_MAX),
});

export type RuleDefinition = z.infer<typeof ruleDefinitionSchema>;
export type RuleSet = z.infer<typeof ruleSetSchema>;

/**
 * The rules on shopper signals in force by default. They only look at a card, device or IP the
 * checkout sent, so a payment without signals is decided as before; the thresholds sit well above
 * an honest shopper (a card paying 10 times a minute, 4 payments of CNY 5 or less on one card in 10
 * minutes, one phone shared by 6 accounts in a day).
 */
export const DEFAULT_SIGNAL_RULES: RuleDefinition[] = [
  { kind: 'velocity', id: 'velocity-card', enabled: true, action: 'reject', score: 900, dimension: 'cardToken', maxCount: 10, windowSeconds: 60 },
  { kind: 'velocity', id: 'velocity-device', enabled: true, action: 'reject', score: 900, dimension: 'deviceId', maxCount: 20, windowSeconds: 60 },
  // an IP is shared behind carrier NAT: a burst from one is worth a look, not a refusal
  { kind: 'velocity', id: 'velocity-ip', enabled: true, action: 'review', score: 500, dimension: 'ip', maxCount: 100, windowSeconds: 60 },
  {
    kind: 'card-testing',
    id: 'card-testing',
    enabled: true,
    action: 'reject',
    score: 950,
    dimension: 'cardToken',
    windowSeconds: 600,
    smallAmountMaxMinor: '500',
    maxSmallCount: 3,
    maxDeclinedCount: 3,
  },
  { kind: 'new-device-large-amount', id: 'new-device-large-amount', enabled: true, action: 'review', score: 400, minAmountMinor: '1000000', minUserAttempts: 1 },
  { kind: 'shared-device', id: 'shared-device', enabled: true, action: 'reject', score: 900, maxUsers: 5, windowSeconds: 86_400 },
  { kind: 'shared-card', id: 'shared-card', enabled: true, action: 'reject', score: 900, maxUsers: 3, windowSeconds: 86_400 },
];

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
    ...DEFAULT_SIGNAL_RULES,
  ],
};

/**
 * Checks a rule set document: its shape, then what a shape cannot say (ids unique; only a user list
 * names a merchant; and the checks a list gets when published, unless opts.listValues is false, as
 * for versions stored before them: values that could match, and a user list naming its merchant).
 */
export function validateRuleSet(input: unknown, opts: { listValues?: boolean } = {}): { ok: true; ruleSet: RuleSet } | { ok: false; problems: string[] } {
  const parsed = ruleSetSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => describeIssues([i])) };
  const problems: string[] = [];
  const seen = new Set<string>();
  parsed.data.rules.forEach((r, i) => {
    if (seen.has(r.id)) problems.push(`rules.${i}.id: duplicate rule id ${r.id}`);
    seen.add(r.id);
    if (r.kind !== 'blocklist' && r.kind !== 'allowlist') return;
    if (r.field !== 'userId' && r.merchantId !== undefined) problems.push(`rules.${i}.merchantId: only a list of user ids names a merchant`);
    if (opts.listValues === false) return;
    if (r.field === 'userId' && r.merchantId === undefined) problems.push(`rules.${i}.merchantId: a user id is its merchant's: name the merchant whose users these are`);
    problems.push(...listValueProblems(r.field, r.values).map((p) => `rules.${i}.values.${p}`));
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, ruleSet: parsed.data };
}

/**
 * What a list's values must look like to ever match what a payment carries (`<index>: problem`): the
 * shape the field has in an event, and an IP in the one form assessments compare (canonicalIp).
 * A problem never repeats the value: a card number pasted in place of a token must not travel on.
 */
function listValueProblems(field: z.infer<typeof listField>, values: readonly string[]): string[] {
  const problems: string[] = [];
  values.forEach((v, j) => {
    if (field === 'cardToken' && !cardTokenSchema.safeParse(v).success) problems.push(`${j}: not a card token (tok_ and 32 hex digits)`);
    else if (field === 'deviceId' && !deviceIdSchema.safeParse(v).success) problems.push(`${j}: not a device id`);
    else if ((field === 'userId' || field === 'merchantId') && !externalIdSchema.safeParse(v).success) problems.push(`${j}: not a ${field}`);
    else if (field === 'ip') {
      if (!ipAddressSchema.safeParse(v).success) problems.push(`${j}: not an IP address`);
      else if (canonicalIp(v) !== v) problems.push(`${j}: ${v} would never match: write it ${canonicalIp(v)}`);
    }
  });
  return problems;
}

/**
 * What the database knows about the user, gathered before the rules run. The user is the payment's
 * merchant's user (user ids are each merchant's own): its payments, history and devices are those
 * at that merchant.
 */
export interface RuleSignals {
  /** The merchant's user's payments assessed before this one, per velocity window in seconds (see velocityWindowsOf). */
  recentPaymentsByUser: ReadonlyMap<number, number>;
  /** The merchant's user's completed payments in the history window (overrides input.history when given). */
  history?: { count: number; totalMinor: bigint };
  /** Earlier attempts per card, device or IP, by attemptQueryKey of the queries attemptQueriesOf asked. */
  attempts?: ReadonlyMap<string, AttemptCounts>;
  /** The merchant's user's earlier attempts and those from this device (when needsUserDeviceHistory said so). */
  userDevice?: UserDeviceHistory;
}

type SignalRule = Extract<RuleDefinition, { kind: 'velocity' | 'card-testing' | 'shared-device' | 'shared-card' }>;

function signalDimension(r: SignalRule): AttemptDimension {
  return r.kind === 'shared-device' ? 'deviceId' : r.kind === 'shared-card' ? 'cardToken' : r.dimension;
}

type ListRule = Extract<RuleDefinition, { kind: 'blocklist' | 'allowlist' }>;

/**
 * Whether a list names the payment: its value of the field is listed, and for a list of user ids,
 * the payment's merchant is the list's (another merchant's user of a listed id is someone else). A
 * user list stored before lists named a merchant: a blocklist still names the id at every merchant
 * (as it was written: a block is not lifted quietly), an allowlist names nobody (an allowlisted id
 * would let any merchant's user of that id past every anomaly rule, and merchants choose the ids).
 */
function listNames(r: ListRule, input: AssessmentInput): boolean {
  const value = input[r.field];
  if (value === undefined || !r.values.includes(value)) return false;
  if (r.field !== 'userId') return true;
  return r.merchantId === undefined ? r.kind === 'blocklist' : r.merchantId === input.merchantId;
}

function enabledFor(ruleSet: RuleSet, input: AssessmentInput): RuleDefinition[] {
  const enabled = ruleSet.rules.filter((r) => r.enabled);
  const allowlisted = enabled.some((r) => r.kind === 'allowlist' && listNames(r, input));
  return allowlisted ? [] : enabled;
}

/**
 * What the enabled rules need counted in the attempt history for this payment, one query per card,
 * device or IP and window (none for a signal the checkout did not send, nor for an allowlisted payment).
 */
export function attemptQueriesOf(ruleSet: RuleSet, input: AssessmentInput): AttemptQuery[] {
  const queries = new Map<string, AttemptQuery>();
  for (const r of enabledFor(ruleSet, input)) {
    if (r.kind !== 'velocity' && r.kind !== 'card-testing' && r.kind !== 'shared-device' && r.kind !== 'shared-card') continue;
    const dimension = signalDimension(r);
    const value = dimensionValue(input, dimension);
    if (value === undefined) continue;
    const q: AttemptQuery = { dimension, value, windowSeconds: r.windowSeconds, smallAmountMaxMinor: r.kind === 'card-testing' ? BigInt(r.smallAmountMaxMinor) : null };
    queries.set(attemptQueryKey(q), q);
  }
  return [...queries.values()];
}

/** Whether a new-device rule could fire on this payment, so the user's device history must be read. */
export function needsUserDeviceHistory(ruleSet: RuleSet, input: AssessmentInput): boolean {
  return input.deviceId !== undefined && enabledFor(ruleSet, input).some((r) => r.kind === 'new-device-large-amount' && input.amountMinor >= BigInt(r.minAmountMinor));
}

/**
 * The cards, devices and IPs whose attempts the rules count, and the merchant's user when a
 * velocity-user rule counts their payments, as lock keys in one global order: an assessment locks
 * them all before counting, so concurrent payments on one card (or of one merchant's user) count
 * each other.
 */
export function attemptLockKeysOf(ruleSet: RuleSet, input: AssessmentInput): string[] {
  const keys = attemptQueriesOf(ruleSet, input).map((q) => `${q.dimension}:${q.value}`);
  // a user id is its merchant's; JSON keeps the two apart whatever characters they hold
  if (enabledFor(ruleSet, input).some((r) => r.kind === 'velocity-user')) keys.push(`userId:${JSON.stringify([input.merchantId, input.userId])}`);
  return [...new Set(keys)].sort();
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
      return fired(r, 'RISK_VELOCITY', detail);
    },
  };
}

function blocklistRule(r: Extract<RuleDefinition, { kind: 'blocklist' }>): RiskRule {
  const listed = new Set(r.values);
  return {
    id: r.id,
    evaluate(input) {
      const value = input[r.field];
      if (value === undefined || !listed.has(value) || !listNames(r, input)) return { verdict: 'pass' };
      const detail = r.field === 'userId' && r.merchantId !== undefined ? `userId ${value} of merchant ${r.merchantId} is blocklisted` : `${r.field} ${value} is blocklisted`;
      return fired(r, 'RISK_BLOCKLISTED', detail);
    },
  };
}

/** The enabled anomaly rules of a rule set as code; none for a payment an enabled allowlist names (user, card, device or IP). */
export function ruleSetRules(ruleSet: RuleSet, input: AssessmentInput, signals: RuleSignals): RiskRule[] {
  return enabledFor(ruleSet, input).flatMap((r): RiskRule[] => {
    switch (r.kind) {
      case 'velocity-user':
        return [velocityRule(r, signals)];
      case 'blocklist':
        return [blocklistRule(r)];
      case 'amount-above-history':
        return [amountAboveHistory({ ...r, multiple: BigInt(r.multiple), minAmountMinor: BigInt(r.minAmountMinor) })];
      case 'velocity':
        return [attemptVelocity(r, signals.attempts)];
      case 'card-testing':
        return [cardTesting({ ...r, smallAmountMaxMinor: BigInt(r.smallAmountMaxMinor) }, signals.attempts)];
      case 'shared-device':
      case 'shared-card':
        return [sharedSignal({ ...r, dimension: signalDimension(r) as 'cardToken' | 'deviceId' }, signals.attempts)];
      case 'new-device-large-amount':
        return [newDeviceLargeAmount({ ...r, minAmountMinor: BigInt(r.minAmountMinor) }, signals.userDevice)];
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
  return assess(withHistory, [...fixed, ...ruleSetRules(ruleSet, input, signals)]);
}
