import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import type { ReviewStatus, StoredDecision } from '@paystream/risk/data-access';
import { appendAudit, type Actor } from '@paystream/shared/audit-log';
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

  /** Emits the outcome of a review that just moved and records it in the audit log (actor: who decided); returns it. */
  async announce(tx: EntityManager, settled: StoredDecision, actor: Actor): Promise<StoredDecision> {
    const traceparent = nextTraceparent();
    await this.platform.outbox.enqueue(tx, TOPICS.riskAssessmentDecided, decidedEvent(settled), { traceparent });
    const status = settled.review?.status as Exclude<ReviewStatus, 'PENDING'>;
    await appendAudit(tx, {
      actor,
      action: 'review.decided',
      subject: `payment:${settled.paymentId}`,
      details: { decision: status, note: settled.review?.note ?? null, orderId: settled.orderId, merchantId: settled.merchantId, amountMinor: settled.amountMinor, currency: settled.currency },
    });
    afterCommit(tx, () => this.metrics.reviews.inc({ outcome: status.toLowerCase() }));
    this.platform.logger.info({ paymentId: settled.paymentId, orderId: settled.orderId, traceparent, review: status, by: settled.review?.by }, 'review settled');
    return settled;
  }
}
