import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { RiskDecisionRepository } from '@paystream/risk/data-access';
import { assess } from '@paystream/risk/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { RiskMetrics } from './risk-metrics';

/** risk.assessment-requested.v1 -> one decision per payment -> risk.assessment-decided.v1. */
@Injectable()
export class AssessPaymentConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskDecisionRepository) private readonly decisions: RiskDecisionRepository,
    @Inject(RiskMetrics) private readonly metrics: RiskMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.riskAssessmentRequested, {
      handle: async (event, tx) => {
        const r = event.payload;
        const amountMinor = BigInt(r.amountMinor);
        const assessment = assess({ paymentId: r.paymentId, userId: r.userId, merchantId: r.merchantId, amountMinor, currency: r.currency });
        // a payment asked about twice (a new event id) gets the decision it got the first time
        const { decision, created } = await this.decisions.insertIfAbsent(tx, { ...r, amountMinor, ...assessment });
        const differs: string[] = (['orderId', 'merchantId', 'userId', 'currency'] as const).filter((f) => decision[f] !== r[f]);
        if (decision.amountMinor !== amountMinor) differs.push('amountMinor');
        if (!created && differs.length > 0) {
          // the first decision stands; a changed request for the same payment is an upstream bug worth seeing
          this.platform.logger.warn({ paymentId: r.paymentId, orderId: r.orderId, differs }, 'repeated assessment request differs from the decided one');
        }
        const traceparent = nextTraceparent(event.traceparent);
        await this.platform.outbox.enqueue(
          tx,
          TOPICS.riskAssessmentDecided,
          {
            paymentId: decision.paymentId,
            orderId: decision.orderId,
            decision: decision.decision,
            score: decision.score,
            reasons: decision.reasons,
            ...(decision.rejectReason ? { rejectReason: decision.rejectReason } : {}),
            decidedAt: decision.decidedAt.toISOString(),
          },
          { traceparent },
        );
        if (created) afterCommit(tx, () => this.metrics.assessments.inc({ decision: decision.decision }));
        this.platform.logger.info(
          { paymentId: r.paymentId, orderId: r.orderId, traceparent, decision: decision.decision, score: decision.score, repeated: !created },
          'payment assessed',
        );
      },
    });
  }
}
