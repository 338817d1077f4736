import { Module, type DynamicModule } from '@nestjs/common';
import {
  BusinessCalendarRepository,
  LedgerRepository,
  MerchantProfileRepository,
  SettlementBatchRepository,
  SettlementItemRepository,
} from '@paystream/settlement/data-access';
import { Platform } from '@paystream/shared/platform';
import { BusinessCalendarController } from './override-calendar/business-calendar.controller';
import { PaymentRefundedConsumer } from './payment-refunded.consumer';
import { PaymentSucceededConsumer } from './payment-succeeded.consumer';
import { SettlementQueryController } from './query-settlements/settlement-query.controller';
import { RunSettlements } from './run-settlements/run-settlements';
import { SettlementRunController } from './run-settlements/settlement-run.controller';
import { SETTLEMENT_RUN_SETTINGS, type SettlementRunSettings } from './run-settlements/settlement-run-settings';
import { SettlementScheduler } from './run-settlements/settlement-scheduler';
import { MerchantTermsConsumer } from './merchant-terms/merchant-terms.consumer';
import { MerchantTermsController } from './merchant-terms/merchant-terms.controller';
import { SettleMerchant } from './settle-merchant/settle-merchant';
import { SettlementMetrics } from './settlement-metrics';

export { SETTLEMENT_RUN_SETTINGS, type SettlementRunSettings } from './run-settlements/settlement-run-settings';

const repositories = [
  { provide: LedgerRepository, useValue: new LedgerRepository() },
  { provide: MerchantProfileRepository, useValue: new MerchantProfileRepository() },
  { provide: SettlementBatchRepository, useValue: new SettlementBatchRepository() },
  { provide: SettlementItemRepository, useValue: new SettlementItemRepository() },
  { provide: BusinessCalendarRepository, useValue: new BusinessCalendarRepository() },
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
  {
    provide: SettleMerchant,
    inject: [Platform, LedgerRepository, MerchantProfileRepository, SettlementItemRepository, SettlementBatchRepository, SettlementMetrics],
    useFactory: (...deps: ConstructorParameters<typeof SettleMerchant>) => new SettleMerchant(...deps),
  },
  {
    provide: RunSettlements,
    inject: [SettlementItemRepository, SettleMerchant, Platform, SETTLEMENT_RUN_SETTINGS],
    useFactory: (items: SettlementItemRepository, settle: SettleMerchant, platform: Platform, settings: SettlementRunSettings) =>
      new RunSettlements(items, settle, platform.logger, settings.claimStaleMs),
  },
];

/**
 * Books payments and refunds in the ledger, settles merchants (at once or in scheduled runs), and
 * answers the settlement queries; shares the repositories and metrics with the payout worker.
 */
@Module({})
export class BookPaymentModule {
  static forRoot(settings: SettlementRunSettings): DynamicModule {
    return {
      module: BookPaymentModule,
      global: true,
      controllers: [SettlementQueryController, SettlementRunController, MerchantTermsController, BusinessCalendarController],
      providers: [...repositories, { provide: SETTLEMENT_RUN_SETTINGS, useValue: settings }, PaymentSucceededConsumer, PaymentRefundedConsumer, MerchantTermsConsumer, SettlementScheduler],
      exports: [LedgerRepository, MerchantProfileRepository, SettlementBatchRepository, SettlementItemRepository, BusinessCalendarRepository, SettlementMetrics, SettleMerchant, RunSettlements],
    };
  }
}
