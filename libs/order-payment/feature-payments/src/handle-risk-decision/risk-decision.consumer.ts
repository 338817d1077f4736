import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { PaymentRepository } from '@paystream/order-payment/data-access';
import { onRiskDecision, orderMismatch } from '@paystream/order-payment/domain';
import { ALL_MERCHANTS } from '@paystream/shared/auth';
import { PermanentEventError } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { chargeRequest, failedEvent } from '../payment-events';
import { PaymentMetrics } from '../payment-metrics';

/** risk.assessment-decided.v1: approve -> charge, reject -> payment.failed, review -> held. */
@Injectable()
export class RiskDecisionConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(PaymentRepository) private readonly payments: PaymentRepository,
    @Inject(PaymentMetrics) private readonly metrics: PaymentMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.riskAssessmentDecided, {
      handle: async (event, tx) => {
        const d = event.payload;
        const payment = await this.payments.findById(tx, ALL_MERCHANTS, d.paymentId, { forUpdate: true });
        if (!payment) throw new PermanentEventError(`risk decision for unknown payment ${d.paymentId}`);
        const mismatch = orderMismatch(payment, d);
        if (mismatch) throw new PermanentEventError(`risk decision ${mismatch}`);
        const traceparent = nextTraceparent(event.traceparent);
        const log = this.platform.logger.child({ paymentId: payment.id, orderId: payment.orderId, traceparent });
        const transition = onRiskDecision(payment, d.decision, d.rejectReason);
        if (transition.kind !== 'move') {
          log.info({ decision: d.decision, status: payment.status }, transition.reason);
          return;
        }
        const moved = await this.payments.applyMove(tx, payment, transition);
        if (!moved) throw new Error(`payment ${payment.id} changed under a row lock`);
        if (moved.status === 'AUTHORIZING') {
          await this.platform.outbox.enqueue(tx, TOPICS.channelChargeRequested, chargeRequest(moved), { traceparent });
        } else if (moved.status === 'REJECTED') {
          await this.platform.outbox.enqueue(tx, TOPICS.paymentFailed, failedEvent(moved), { traceparent });
          afterCommit(tx, () => this.metrics.outcome('failed', moved.createdAt, moved.failure?.code));
        }
        log.info({ decision: d.decision, score: d.score, status: moved.status }, 'risk decided');
      },
    });
  }
}
