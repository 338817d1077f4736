import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { RiskDecisionRepository } from '@paystream/risk/data-access';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { PaymentAssessor } from './assess-payment/payment-assessor';
import { decidedEvent } from './decided-event';
import { RISK_REVIEW_SETTINGS, type ReviewSettings } from './review/review-settings';
import { RiskMetrics } from './risk-metrics';

/**
 * risk.assessment-requested.v1 -> one decision per payment -> risk.assessment-decided.v1. The
 * PaymentAssessor decides (rules, limits and caps as a reservation, the attempt recorded) in the
 * same transaction that stores the decision and enqueues the event; a payment asked about again
 * gets its first decision.
 */
@Injectable()
export class AssessPaymentConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskDecisionRepository) private readonly decisions: RiskDecisionRepository,
    @Inject(RiskMetrics) private readonly metrics: RiskMetrics,
    @Inject(PaymentAssessor) private readonly assessor: PaymentAssessor,
    @Inject(RISK_REVIEW_SETTINGS) private readonly review: ReviewSettings,
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
          : await this.decisions.insertIfAbsent(tx, { ...r, amountMinor, ...(await this.assessor.assess(tx, r)) }, this.review.expiryMs);
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
}
