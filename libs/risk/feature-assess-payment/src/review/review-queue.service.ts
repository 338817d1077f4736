import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import type { ReviewStatus, StoredDecision } from '@paystream/risk/data-access';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit, type EntityManager } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { decidedEvent } from '../decided-event';
import { RiskMetrics } from '../risk-metrics';

/**
 * Settles a held payment: the review is recorded (who, why, when) and the outcome goes out as
 * risk.assessment-decided.v1 in the same transaction: approve lets the payment continue, reject and
 * expiry fail it with RISK_REVIEW_REJECTED.
 */
@Injectable()
export class ReviewQueue {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskMetrics) private readonly metrics: RiskMetrics,
  ) {}

  /** Emits the outcome of a review that just moved; returns it. */
  async announce(tx: EntityManager, settled: StoredDecision): Promise<StoredDecision> {
    const traceparent = nextTraceparent();
    await this.platform.outbox.enqueue(tx, TOPICS.riskAssessmentDecided, decidedEvent(settled), { traceparent });
    const status = settled.review?.status as Exclude<ReviewStatus, 'PENDING'>;
    afterCommit(tx, () => this.metrics.reviews.inc({ outcome: status.toLowerCase() }));
    this.platform.logger.info({ paymentId: settled.paymentId, orderId: settled.orderId, traceparent, review: status, by: settled.review?.by }, 'review settled');
    return settled;
  }
}
