import { failureReason, type ErrorCode, type RiskAssessmentRequested } from '@paystream/contracts';
import { IdentityRepository, LimitReservationRepository, RiskAttemptRepository, RiskDecisionRepository, RiskRuleSetRepository } from '@paystream/risk/data-access';
import {
  attemptLockKeysOf,
  attemptQueriesOf,
  attemptQueryKey,
  canonicalIp,
  checkSingleLimit,
  evaluateRuleSet,
  needsUserDeviceHistory,
  periodLimitsOf,
  SCORE_REJECT,
  singlePaymentLimitRule,
  velocityWindowsOf,
  type Assessment,
  type AssessmentInput,
  type AttemptCounts,
  type DailyCaps,
} from '@paystream/risk/domain';
import type { EntityManager } from '@paystream/shared/persistence';
import { RISK_HISTORY_DAYS } from '../review/review-settings';

/** The repositories an assessment reads and writes, all in the caller's transaction. */
export interface AssessorStores {
  decisions: RiskDecisionRepository;
  identities: IdentityRepository;
  limits: LimitReservationRepository;
  ruleSets: RiskRuleSetRepository;
  attempts: RiskAttemptRepository;
}

/** The assessment's view of a request: the payment and the shopper signals it came with. */
export function assessmentInputOf(r: RiskAssessmentRequested): AssessmentInput {
  return {
    paymentId: r.paymentId,
    userId: r.userId,
    merchantId: r.merchantId,
    amountMinor: BigInt(r.amountMinor),
    currency: r.currency,
    ...(r.cardToken ? { cardToken: r.cardToken } : {}),
    ...(r.deviceId ? { deviceId: r.deviceId } : {}),
    ...(r.ipAddress ? { ip: canonicalIp(r.ipAddress) } : {}),
  };
}

/**
 * Decides one payment inside the caller's transaction: the rules first (the single-payment rule as
 * code, then the anomaly rule set in force, read per assessment so a published version applies to
 * the next payment), then the limits of the user's verification level and the merchant and card
 * daily caps as one atomic reservation, and records the attempt the rules count next time. The user
 * is the payment's merchant's user throughout (its level, limits, history, velocity and devices):
 * merchants choose their users' ids, so one id at two merchants is two shoppers. A card, device or
 * IP is counted at every merchant.
 * Concurrent payments on one card, device or IP (and of one user, when a velocity-user rule is on)
 * serialise on advisory locks taken before counting, so counts over them are exact (the user's
 * velocity counts stored decisions: the caller stores the decision in the same transaction).
 */
export class PaymentAssessor {
  constructor(
    private readonly stores: AssessorStores,
    private readonly caps: DailyCaps,
  ) {}

  async assess(tx: EntityManager, r: RiskAssessmentRequested): Promise<Assessment> {
    const input = assessmentInputOf(r);
    const { ruleSet } = await this.stores.ruleSets.current(tx);
    await this.stores.attempts.lock(tx, attemptLockKeysOf(ruleSet, input));
    // the shopper is the merchant's user: user ids are each merchant's own, so history, velocity and devices are read at the merchant
    const { merchantId, userId } = r;
    const history = await this.stores.limits.history(tx, merchantId, userId, RISK_HISTORY_DAYS);
    const recentPaymentsByUser = await this.stores.decisions.countByUserWithin(tx, merchantId, userId, velocityWindowsOf(ruleSet));
    const attempts = new Map<string, AttemptCounts>();
    for (const q of attemptQueriesOf(ruleSet, input)) attempts.set(attemptQueryKey(q), await this.stores.attempts.counts(tx, q, merchantId, userId, r.paymentId));
    const userDevice = needsUserDeviceHistory(ruleSet, input) ? await this.stores.attempts.userDevice(tx, merchantId, userId, input.deviceId!, r.paymentId) : undefined;
    const ruled = evaluateRuleSet(ruleSet, input, { recentPaymentsByUser, history, attempts, ...(userDevice ? { userDevice } : {}) }, [singlePaymentLimitRule]);
    const decided = ruled.decision === 'reject' ? ruled : await this.holdLimits(tx, input, new Date(r.requestedAt), ruled);
    await this.stores.attempts.record(tx, {
      ...input,
      outcome: decided.decision === 'reject' ? 'declined' : 'approved',
    });
    return decided;
  }

  /** The single-payment limit of the merchant's user's level, then that user's day and year and the merchant's and card's day, reserved at once. */
  private async holdLimits(tx: EntityManager, input: AssessmentInput, requestedAt: Date, ruled: Assessment): Promise<Assessment> {
    const reject = (ruleId: string, code: ErrorCode, detail: string): Assessment => ({
      decision: 'reject',
      score: SCORE_REJECT,
      reasons: [...ruled.reasons, { ruleId, detail }],
      rejectReason: failureReason(code, detail),
    });
    const level = await this.stores.identities.levelOf(tx, input.merchantId, input.userId);
    const single = checkSingleLimit(level, input.amountMinor);
    if (!single.ok) return reject('limit-single', single.code, single.detail);
    const reserved = await this.stores.limits.reserve(tx, {
      paymentId: input.paymentId,
      userId: input.userId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      at: requestedAt,
      limits: periodLimitsOf(level),
      merchantId: input.merchantId,
      ...(input.cardToken ? { cardToken: input.cardToken } : {}),
      caps: this.caps,
    });
    if (reserved.ok) return ruled;
    const tail = `${reserved.usedMinor} of ${reserved.limitMinor} used; ${input.amountMinor} more does not fit`;
    if (reserved.cap === 'merchant') return reject('cap-merchant-daily', reserved.code, `merchant ${input.merchantId} daily cap: ${tail}`);
    if (reserved.cap === 'card') return reject('cap-card-daily', reserved.code, `card daily cap: ${tail}`);
    const period = reserved.code === 'RISK_DAILY_LIMIT_EXCEEDED' ? 'daily' : 'yearly';
    return reject(`limit-${period}`, reserved.code, `level ${level}: ${reserved.usedMinor} of the ${period} limit ${reserved.limitMinor} used; ${input.amountMinor} more does not fit`);
  }
}
