import { Module } from '@nestjs/common';
import { RiskDecisionRepository } from '@paystream/risk/data-access';
import { Platform } from '@paystream/shared/platform';
import { AssessPaymentConsumer } from './assess-payment.consumer';
import { RiskMetrics } from './risk-metrics';
import { RiskQueryController } from './risk-query.controller';

/** Assesses payments and answers questions about past decisions. */
@Module({
  controllers: [RiskQueryController],
  providers: [
    { provide: RiskDecisionRepository, useValue: new RiskDecisionRepository() },
    { provide: RiskMetrics, inject: [Platform], useFactory: (platform: Platform) => new RiskMetrics(platform.registry) },
    AssessPaymentConsumer,
  ],
})
export class AssessPaymentModule {}
