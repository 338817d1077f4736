import { Module } from '@nestjs/common';
import { IdempotencyKeyRepository, PaymentRepository } from '@paystream/order-payment/data-access';
import { Platform } from '@paystream/shared/platform';
import { CreatePaymentController } from './create-payment/create-payment.controller';
import { CreatePaymentHandler } from './create-payment/create-payment.handler';
import { PaymentRequestedConsumer } from './create-payment/payment-requested.consumer';
import { ChargeResultConsumer } from './handle-charge-result/charge-result.consumer';
import { RiskDecisionConsumer } from './handle-risk-decision/risk-decision.consumer';
import { PaymentMetrics } from './payment-metrics';
import { PaymentsQueryController } from './query-payments/payments-query.controller';

/** The payment use cases: create, risk decision, charge result, queries. */
@Module({
  controllers: [CreatePaymentController, PaymentsQueryController],
  providers: [
    { provide: PaymentRepository, useValue: new PaymentRepository() },
    { provide: IdempotencyKeyRepository, useValue: new IdempotencyKeyRepository() },
    { provide: PaymentMetrics, inject: [Platform], useFactory: (platform: Platform) => new PaymentMetrics(platform.registry) },
    CreatePaymentHandler,
    PaymentRequestedConsumer,
    RiskDecisionConsumer,
    ChargeResultConsumer,
  ],
})
export class PaymentsModule {}
