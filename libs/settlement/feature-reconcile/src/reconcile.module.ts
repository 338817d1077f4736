import { Module, type DynamicModule } from '@nestjs/common';
import { LedgerRepository } from '@paystream/settlement/data-access';
import { Platform } from '@paystream/shared/platform';
import { DailyReconciliationWorker } from './daily-reconciliation.worker';
import { RECONCILE_SETTINGS, type ReconcileSettings } from './reconcile-settings';
import { ReconciliationMetrics } from './reconciliation-metrics';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationSourcesClient } from './reconciliation-sources.client';
import { ReconciliationController } from './run-reconciliation/reconciliation.controller';
import { RunReconciliationHandler } from './run-reconciliation/run-reconciliation.handler';

/** Reconciles the channels' daily bills against our channel transactions and the ledger. */
@Module({})
export class ReconcileModule {
  static forRoot(settings: ReconcileSettings): DynamicModule {
    const repository = new ReconciliationRepository();
    return {
      module: ReconcileModule,
      controllers: [ReconciliationController],
      providers: [
        { provide: RECONCILE_SETTINGS, useValue: settings },
        { provide: ReconciliationRepository, useValue: repository },
        // stateless: its own instance, so reconciliation need not import the booking module
        { provide: LedgerRepository, useValue: new LedgerRepository() },
        {
          provide: ReconciliationMetrics,
          inject: [Platform],
          useFactory: (platform: Platform) =>
            new ReconciliationMetrics(
              platform.registry,
              () => repository.openBreakCounts(platform.ds.manager),
              () => repository.lastCompletedRuns(platform.ds.manager),
            ),
        },
        ReconciliationSourcesClient,
        RunReconciliationHandler,
        DailyReconciliationWorker,
      ],
    };
  }
}
