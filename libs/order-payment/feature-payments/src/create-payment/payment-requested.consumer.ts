import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { PermanentEventError } from '@paystream/shared/kafka';
import { Platform } from '@paystream/shared/platform';
import { CreatePaymentHandler } from './create-payment.handler';

/** payment.requested.v1 from upstream order services. */
@Injectable()
export class PaymentRequestedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(CreatePaymentHandler) private readonly createPayment: CreatePaymentHandler,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.paymentRequested, {
      handle: async (event, tx) => {
        const p = event.payload;
        const result = await this.createPayment.execute(
          tx,
          { ...p, amountMinor: BigInt(p.amountMinor) },
          { source: 'kafka', traceparent: event.traceparent },
        );
        if (result.kind === 'conflict') {
          // Rolled back and parked in the DLQ: an operator has to look at an order paid on two sets of terms.
          throw new PermanentEventError(
            `ORDER_ALREADY_PAID_DIFFERENTLY: order ${p.orderId} has payment ${result.payment.id} on different terms`,
          );
        }
      },
    });
  }
}
