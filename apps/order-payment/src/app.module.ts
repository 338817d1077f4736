import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { ORDER_PAYMENT_MIGRATIONS } from '@paystream/order-payment/data-access';
import { PaymentsModule } from '@paystream/order-payment/feature-payments';
import { PlatformModule, type PlatformConfig } from '@paystream/shared/platform';

/** order-payment: payments, attempts and idempotency keys; drives each payment from request to outcome. */
@Module({})
export class AppModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({
          config,
          migrations: ORDER_PAYMENT_MIGRATIONS,
          producesTopics: [TOPICS.riskAssessmentRequested, TOPICS.channelChargeRequested, TOPICS.channelRefundRequested, TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.paymentRefunded],
        }),
        PaymentsModule,
      ],
    };
  }
}
