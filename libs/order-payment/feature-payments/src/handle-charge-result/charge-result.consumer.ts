import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { PaymentRepository } from '@paystream/order-payment/data-access';
import { onChargeResult, orderMismatch } from '@paystream/order-payment/domain';
import { ALL_MERCHANTS } from '@paystream/shared/auth';
import { PermanentEventError } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { failedEvent, succeededEvent } from '../payment-events';
import { PaymentMetrics } from '../payment-metrics';

/** channel.charge-completed.v1: moves the payment to its outcome and tells the world. */
@Injectable()
export class ChargeResultConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(PaymentRepository) private readonly payments: PaymentRepository,
    @Inject(PaymentMetrics) private readonly metrics: PaymentMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.channelChargeCompleted, {
      handle: async (event, tx) => {
        const c = event.payload;
        const payment = await this.payments.findById(tx, ALL_MERCHANTS, c.paymentId, { forUpdate: true });
        if (!payment) throw new PermanentEventError(`charge result for unknown payment ${c.paymentId}`);
        const mismatch = orderMismatch(payment, c);
        if (mismatch) throw new PermanentEventError(`charge result ${mismatch}`);
        const traceparent = nextTraceparent(event.traceparent);
        const log = this.platform.logger.child({ paymentId: payment.id, orderId: payment.orderId, traceparent });
        const transition = onChargeResult(payment, c);
        if (transition.kind === 'conflict') {
          afterCommit(tx, () => this.metrics.conflicts.inc());
          log.error({ outcome: c.outcome, status: payment.status, channelTradeNo: c.channelTradeNo }, transition.reason);
          return;
        }
        if (transition.kind === 'ignore') {
          log.info({ outcome: c.outcome, status: payment.status }, transition.reason);
          return;
        }
        const moved = await this.payments.applyMove(tx, payment, transition);
        if (!moved) throw new Error(`payment ${payment.id} changed under a row lock`);
        if (moved.status === 'SUCCEEDED') {
          await this.platform.outbox.enqueue(tx, TOPICS.paymentSucceeded, succeededEvent(moved), { traceparent });
          afterCommit(tx, () => this.metrics.outcome('succeeded', moved.createdAt));
        } else if (moved.status === 'FAILED') {
          await this.platform.outbox.enqueue(tx, TOPICS.paymentFailed, failedEvent(moved), { traceparent });
          afterCommit(tx, () => this.metrics.outcome('failed', moved.createdAt, moved.failure?.code));
        }
        log.info({ outcome: c.outcome, status: moved.status, channel: c.channel }, 'charge result applied');
      },
    });
  }
}
