import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { failureReason, TOPICS, type RiskAssessmentRequested } from '@paystream/contracts';
import { IdentityRepository, LimitReservationRepository, RiskDecisionRepository, RiskRuleSetRepository } from '@paystream/risk/data-access';
import { checkSingleLimit, evaluateRuleSet, periodLimitsOf, SCORE_REJECT, singlePaymentLimitRule, velocityWindowsOf, type Assessment } from '@paystream/risk/domain';
import type { EntityManager } from '@paystream/shared/persistence';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { decidedEvent } from './decided-event';
import { RISK_HISTORY_DAYS, RISK_REVIEW_SETTINGS, type ReviewSettings } from './review/review-settings';
import { RiskMetrics } from './risk-metrics';

/**
 * risk.assessment-requested.v1 -> one decision per payment -> risk.assessment-decided.v1. The rules
 * run first (the single-payment rule as code, then the anomaly rule set in force, read per assessment
 * so a published version applies to the next payment); a payment they let through is held against its user's limits for their verification
 * level: the single-payment limit, then the daily and yearly limits as an atomic reservation in the
 * same transaction as the decision (committed when the payment succeeds, released when it fails).
 */
@Injectable()
export class AssessPaymentConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskDecisionRepository) private readonly decisions: RiskDecisionRepository,
    @Inject(RiskMetrics) private readonly metrics: RiskMetrics,
    @Inject(IdentityRepository) private readonly identities: IdentityRepository,
    @Inject(LimitReservationRepository) private readonly limits: LimitReservationRepository,
    @Inject(RISK_REVIEW_SETTINGS) private readonly review: ReviewSettings,
    @Inject(RiskRuleSetRepository) private readonly ruleSets: RiskRuleSetRepository,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.riskAssessmentRequested, {
      handle: async (event, tx) => {
        const r = event.payload;
        const startedAt = performance.now();
        const amountMinor = BigInt(r.amountMinor);
        // a payment asked about twice (a new event id) gets the decision it got the first time
        const stored = await this.decisions.find(tx, r.paymentId);
        const { decision, created } = stored
          ? { decision: stored, created: false }
          : await this.decisions.insertIfAbsent(tx, { ...r, amountMinor, ...(await this.assessWithLimits(tx, r, amountMinor)) }, this.review.expiryMs);
        const differs: string[] = (['orderId', 'merchantId', 'userId', 'currency'] as const).filter((f) => decision[f] !== r[f]);
        if (decision.amountMinor !== amountMinor) differs.push('amountMinor');
        if (!created && differs.length > 0) {
          // the first decision stands; a changed request for the same payment is an upstream bug worth seeing
          this.platform.logger.warn({ paymentId: r.paymentId, orderId: r.orderId, differs }, 'repeated assessment request differs from the decided one');
        }
        const traceparent = nextTraceparent(event.traceparent);
        await this.platform.outbox.enqueue(tx, TOPICS.riskAssessmentDecided, decidedEvent(decision), { traceparent });
        if (created) {
          afterCommit(tx, () => {
            this.metrics.assessments.inc({ decision: decision.decision });
            this.metrics.assessmentSeconds.observe({ decision: decision.decision }, (performance.now() - startedAt) / 1000);
            for (const reason of decision.reasons) this.metrics.ruleHits.inc({ rule: reason.ruleId, decision: decision.decision });
          });
        }
        this.platform.logger.info(
          { paymentId: r.paymentId, orderId: r.orderId, traceparent, decision: decision.decision, score: decision.score, repeated: !created },
          'payment assessed',
        );
      },
    });
  }

  /** The rules, then the limits of the user's verification level (a reservation the same transaction commits). */
  private async assessWithLimits(tx: EntityManager, r: RiskAssessmentRequested, amountMinor: bigint): Promise<Assessment> {
    const { ruleSet } = await this.ruleSets.current(tx);
    const history = await this.limits.history(tx, r.userId, RISK_HISTORY_DAYS);
    // concurrent payments of one user may not see each other's decisions yet: velocity is a signal, not a lock
    const recentPaymentsByUser = await this.decisions.countByUserWithin(tx, r.userId, velocityWindowsOf(ruleSet));
    const input = { paymentId: r.paymentId, userId: r.userId, merchantId: r.merchantId, amountMinor, currency: r.currency };
    const ruled = evaluateRuleSet(ruleSet, input, { recentPaymentsByUser, history }, [singlePaymentLimitRule]);
    if (ruled.decision === 'reject') return ruled;
    const level = await this.identities.levelOf(tx, r.userId);
    const reject = (ruleId: string, code: Parameters<typeof failureReason>[0], detail: string): Assessment => ({
      decision: 'reject',
      score: SCORE_REJECT,
      reasons: [...ruled.reasons, { ruleId, detail }],
      rejectReason: failureReason(code, detail),
    });
    const single = checkSingleLimit(level, amountMinor);
    if (!single.ok) return reject('limit-single', single.code, single.detail);
    const reserved = await this.limits.reserve(tx, { paymentId: r.paymentId, userId: r.userId, amountMinor, currency: r.currency, at: new Date(r.requestedAt), limits: periodLimitsOf(level) });
    if (!reserved.ok) {
      const period = reserved.code === 'RISK_DAILY_LIMIT_EXCEEDED' ? 'daily' : 'yearly';
      return reject(`limit-${period}`, reserved.code, `level ${level}: ${reserved.usedMinor} of the ${period} limit ${reserved.limitMinor} used; ${amountMinor} more does not fit`);
    }
    return ruled;
  }
}
