import { Module } from '@nestjs/common';
import { IdempotencyKeyRepository, MerchantCopyRepository, PaymentRepository, RefundRepository } from '@paystream/order-payment/data-access';
import { Platform } from '@paystream/shared/platform';
import { CreatePaymentController } from './create-payment/create-payment.controller';
import { CreatePaymentHandler } from './create-payment/create-payment.handler';
import { PaymentRequestedConsumer } from './create-payment/payment-requested.consumer';
import { ChargeResultConsumer } from './handle-charge-result/charge-result.consumer';
import { RiskDecisionConsumer } from './handle-risk-decision/risk-decision.consumer';
import { MerchantCopyConsumer } from './merchant-copy/merchant-copy.consumer';
import { MerchantCopyController } from './merchant-copy/merchant-copy.controller';
import { PaymentMetrics } from './payment-metrics';
import { PaymentsQueryController } from './query-payments/payments-query.controller';
import { RefundCompletedConsumer } from './refund-payment/refund-completed.consumer';
import { RefundPaymentController } from './refund-payment/refund-payment.controller';

/** The payment use cases: create, risk decision, charge result, refunds, queries. */
@Module({
  controllers: [CreatePaymentController, PaymentsQueryController, RefundPaymentController, MerchantCopyController],
  providers: [
    { provide: PaymentRepository, useValue: new PaymentRepository() },
    { provide: IdempotencyKeyRepository, useValue: new IdempotencyKeyRepository() },
    { provide: RefundRepository, useValue: new RefundRepository() },
    { provide: MerchantCopyRepository, useValue: new MerchantCopyRepository() },
    { provide: PaymentMetrics, inject: [Platform], useFactory: (platform: Platform) => new PaymentMetrics(platform.registry) },
    CreatePaymentHandler,
    PaymentRequestedConsumer,
    RiskDecisionConsumer,
    ChargeResultConsumer,
    RefundCompletedConsumer,
    MerchantCopyConsumer,
  ],
})
export class PaymentsModule {}
