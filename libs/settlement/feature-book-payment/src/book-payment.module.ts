import { Global, Module } from '@nestjs/common';
import { LedgerRepository, MerchantProfileRepository, SettlementBatchRepository } from '@paystream/settlement/data-access';
import { Platform } from '@paystream/shared/platform';
import { PaymentRefundedConsumer } from './payment-refunded.consumer';
import { PaymentSucceededConsumer } from './payment-succeeded.consumer';
import { SettlementMetrics } from './settlement-metrics';
import { SettlementQueryController } from './settlement-query.controller';

const repositories = [
  { provide: LedgerRepository, useValue: new LedgerRepository() },
  { provide: MerchantProfileRepository, useValue: new MerchantProfileRepository() },
  { provide: SettlementBatchRepository, useValue: new SettlementBatchRepository() },
  {
    provide: SettlementMetrics,
    inject: [Platform, SettlementBatchRepository],
    useFactory: (platform: Platform, batches: SettlementBatchRepository) =>
      new SettlementMetrics(
        platform.registry,
        () => batches.pSettlement(platform.ds.manager),
        () => batches.amountsByCurrencyAndStatus(platform.ds.manager),
      ),
  },
];

/** Books payments in the ledger and makes settlements due; shares the repositories and metrics. */
@Global()
@Module({
  controllers: [SettlementQueryController],
  providers: [...repositories, PaymentSucceededConsumer, PaymentRefundedConsumer],
  exports: [LedgerRepository, MerchantProfileRepository, SettlementBatchRepository, SettlementMetrics],
})
export class BookPaymentModule {}
