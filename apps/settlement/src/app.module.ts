import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { SETTLEMENT_MIGRATIONS } from '@paystream/settlement/data-access';
import { BookPaymentModule } from '@paystream/settlement/feature-book-payment';
import { PayoutModule } from '@paystream/settlement/feature-payout';
import { RECONCILIATION_MIGRATIONS, ReconcileModule } from '@paystream/settlement/feature-reconcile';
import { PlatformModule } from '@paystream/shared/platform';
import type { SettlementConfig } from './config';

/** settlement: the ledger, what merchants are owed, and paying them. */
@Module({})
export class AppModule {
  static forRoot(config: SettlementConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({
          config,
          migrations: [...SETTLEMENT_MIGRATIONS, ...RECONCILIATION_MIGRATIONS],
          producesTopics: [TOPICS.settlementDue, TOPICS.settlementCompleted, TOPICS.settlementFailed],
        }),
        BookPaymentModule.forRoot(config.runs),
        PayoutModule.forRoot(config.payout),
        ReconcileModule.forRoot(config.reconcile),
      ],
    };
  }
}
