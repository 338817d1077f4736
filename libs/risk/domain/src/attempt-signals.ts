import { fired, type AssessmentInput, type RiskRule, type RuleFinding, type Verdict } from './risk-rules';

/** The shopper signals risk counts attempts by: the card token, the device, the IP address. */
export const ATTEMPT_DIMENSIONS = ['cardToken', 'deviceId', 'ip'] as const;
export type AttemptDimension = (typeof ATTEMPT_DIMENSIONS)[number];

/** The outcome of one attempt: approved (or held) by risk, declined by risk, or failed afterwards (channel, review). */
export const ATTEMPT_OUTCOMES = ['approved', 'declined', 'failed'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** What the rules ask the attempt history about one card, device or IP over a window. */
export interface AttemptQuery {
  dimension: AttemptDimension;
  value: string;
  windowSeconds: number;
  /** Attempts of at most this amount count as small (card testing); null when no rule asks. */
  smallAmountMaxMinor: bigint | null;
}

/** The attempts before this one on a card, device or IP in a window (the one assessed is not among them). */
export interface AttemptCounts {
  attempts: number;
  /** Of them, at most AttemptQuery.smallAmountMaxMinor (0 when the query had no threshold). */
  smallAttempts: number;
  /** Of them, declined by risk or failed afterwards. */
  declinedAttempts: number;
  /**
   * Distinct users other than the one paying now, a user being a merchant's user (merchant and user
   * id): two merchants' same user id are two users, as their merchants chose the ids apart.
   */
  otherUsers: number;
}

/** The user's attempts before this one at the payment's merchant: all of them, and those from the device assessed now. */
export interface UserDeviceHistory {
  userAttempts: number;
  onDevice: number;
}

/** The map key a query's counts are found under. */
export function attemptQueryKey(q: Pick<AttemptQuery, 'dimension' | 'windowSeconds' | 'smallAmountMaxMinor'>): string {
  return `${q.dimension}/${q.windowSeconds}/${q.smallAmountMaxMinor ?? '-'}`;
}

/** The value of a dimension in the payment assessed, if the checkout sent it. */
export function dimensionValue(input: AssessmentInput, dimension: AttemptDimension): string | undefined {
  return input[dimension];
}

/** The attempt counts of a query, or a thrown error: a rule must never decide on a count nobody fetched. */
export function countsFor(attempts: ReadonlyMap<string, AttemptCounts> | undefined, q: Pick<AttemptQuery, 'dimension' | 'windowSeconds' | 'smallAmountMaxMinor'>, ruleId: string): AttemptCounts {
  const c = attempts?.get(attemptQueryKey(q));
  if (!c) throw new Error(`no attempt counts for ${attemptQueryKey(q)} of rule ${ruleId}`);
  return c;
}

/** A rule on one shopper signal: a payment that did not send it passes, otherwise decide judges its value. */
function signalRule(id: string, dimension: AttemptDimension, decide: (input: AssessmentInput, value: string) => RuleFinding): RiskRule {
  return {
    id,
    evaluate(input) {
      const value = dimensionValue(input, dimension);
      return value === undefined ? { verdict: 'pass' } : decide(input, value);
    },
  };
}

/** More than maxCount attempts on one card, device or IP in the window (counting the one assessed) fires (RISK_VELOCITY). */
export function attemptVelocity(r: Verdict & { dimension: AttemptDimension; maxCount: number; windowSeconds: number }, attempts: ReadonlyMap<string, AttemptCounts> | undefined): RiskRule {
  return signalRule(r.id, r.dimension, (_input, value) => {
    const count = countsFor(attempts, { ...r, smallAmountMaxMinor: null }, r.id).attempts + 1;
    if (count <= r.maxCount) return { verdict: 'pass' };
    return fired(r, 'RISK_VELOCITY', `${count} attempts on ${r.dimension} ${value} in ${r.windowSeconds} s, more than ${r.maxCount}`);
  });
}

/**
 * Card testing (RISK_ANOMALY): on one card or device in the window, more than maxSmallCount small
 * attempts (amount <= smallAmountMaxMinor, counting this one when it is small), or more than
 * maxDeclinedCount attempts already declined or failed.
 */
export function cardTesting(
  r: Verdict & { dimension: 'cardToken' | 'deviceId'; windowSeconds: number; smallAmountMaxMinor: bigint; maxSmallCount: number; maxDeclinedCount: number },
  attempts: ReadonlyMap<string, AttemptCounts> | undefined,
): RiskRule {
  return signalRule(r.id, r.dimension, (input, value) => {
    const c = countsFor(attempts, r, r.id);
    const small = input.amountMinor <= r.smallAmountMaxMinor ? c.smallAttempts + 1 : 0;
    if (small > r.maxSmallCount) {
      return fired(r, 'RISK_ANOMALY', `${small} attempts of at most ${r.smallAmountMaxMinor} on ${r.dimension} ${value} in ${r.windowSeconds} s, more than ${r.maxSmallCount}`);
    }
    if (c.declinedAttempts > r.maxDeclinedCount) {
      return fired(r, 'RISK_ANOMALY', `${c.declinedAttempts} declined or failed attempts on ${r.dimension} ${value} in ${r.windowSeconds} s, more than ${r.maxDeclinedCount}`);
    }
    return { verdict: 'pass' };
  });
}

/** One device or card used by more than maxUsers distinct users in the window (counting this user) fires (RISK_ANOMALY). */
export function sharedSignal(r: Verdict & { dimension: 'cardToken' | 'deviceId'; maxUsers: number; windowSeconds: number }, attempts: ReadonlyMap<string, AttemptCounts> | undefined): RiskRule {
  return signalRule(r.id, r.dimension, (_input, value) => {
    const users = countsFor(attempts, { ...r, smallAmountMaxMinor: null }, r.id).otherUsers + 1;
    if (users <= r.maxUsers) return { verdict: 'pass' };
    return fired(r, 'RISK_ANOMALY', `${users} users on ${r.dimension} ${value} in ${r.windowSeconds} s, more than ${r.maxUsers}`);
  });
}

/**
 * A device the user never paid from, with an amount of at least minAmountMinor (RISK_ANOMALY). Only a
 * user with at least minUserAttempts earlier attempts has devices of their own to compare with.
 */
export function newDeviceLargeAmount(r: Verdict & { minAmountMinor: bigint; minUserAttempts: number }, userDevice: UserDeviceHistory | undefined): RiskRule {
  return {
    id: r.id,
    evaluate(input) {
      if (input.deviceId === undefined || input.amountMinor < r.minAmountMinor) return { verdict: 'pass' };
      if (!userDevice) throw new Error(`no device history of the user for rule ${r.id}`);
      if (userDevice.onDevice > 0 || userDevice.userAttempts < r.minUserAttempts) return { verdict: 'pass' };
      return fired(r, 'RISK_ANOMALY', `amount ${input.amountMinor} from device ${input.deviceId}, new for a user with ${userDevice.userAttempts} earlier attempts`);
    },
  };
}
