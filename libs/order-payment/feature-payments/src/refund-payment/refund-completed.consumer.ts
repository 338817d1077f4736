import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { PaymentRepository, RefundRepository } from '@paystream/order-payment/data-access';
import { orderMismatch, statusAfterRefunds } from '@paystream/order-payment/domain';
import { ALL_MERCHANTS } from '@paystream/shared/auth';
import { PermanentEventError } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { Platform } from '@paystream/shared/platform';

/** channel.refund-completed.v1: a refund done moves the payment on and tells the world; a failed one keeps its reason. */
@Injectable()
export class RefundCompletedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(PaymentRepository) private readonly payments: PaymentRepository,
    @Inject(RefundRepository) private readonly refunds: RefundRepository,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.channelRefundCompleted, {
      handle: async (event, tx) => {
        const c = event.payload;
        const payment = await this.payments.findById(tx, ALL_MERCHANTS, c.paymentId, { forUpdate: true });
        if (!payment) throw new PermanentEventError(`refund result for unknown payment ${c.paymentId}`);
        const mismatch = orderMismatch(payment, c);
        if (mismatch) throw new PermanentEventError(`refund result ${mismatch}`);
        const traceparent = nextTraceparent(event.traceparent);
        const log = this.platform.logger.child({ paymentId: payment.id, orderId: payment.orderId, refundId: c.refundId, traceparent });
        const asked = await this.refunds.findById(tx, c.refundId);
        // a result naming another payment than its refund's (or no refund of ours) must move no payment
        if (!asked || asked.paymentId !== payment.id) throw new PermanentEventError(`refund result for refund ${c.refundId}, which is not a refund of payment ${payment.id}`);
        const refund =
          c.outcome === 'succeeded'
            ? await this.refunds.complete(tx, c.refundId, payment.id, { status: 'SUCCEEDED', channelRefundNo: c.channelRefundNo })
            : await this.refunds.complete(tx, c.refundId, payment.id, { status: 'FAILED', failure: c.failure! });
        if (!refund) {
          log.info({ outcome: c.outcome }, 'refund result for a refund already settled: ignored');
          return;
        }
        if (refund.status === 'FAILED') {
          log.warn({ failure: refund.failure }, 'refund failed at the channel; it may be asked for again');
          return;
        }
        const to = statusAfterRefunds(payment.amountMinor, await this.refunds.refundedMinor(tx, payment.id));
        const moved = await this.payments.applyMove(tx, payment, { kind: 'move', to, reason: `refund:${refund.id}` });
        if (!moved) throw new Error(`payment ${payment.id} changed under a row lock`);
        await this.platform.outbox.enqueue(
          tx,
          TOPICS.paymentRefunded,
          {
            refundId: refund.id,
            paymentId: payment.id,
            orderId: payment.orderId,
            merchantId: payment.merchantId,
            amountMinor: refund.amountMinor.toString(),
            currency: payment.currency,
            refundedAt: refund.updatedAt.toISOString(),
          },
          { traceparent },
        );
        log.info({ amountMinor: refund.amountMinor.toString(), status: moved.status }, 'refund done');
      },
    });
  }
}
