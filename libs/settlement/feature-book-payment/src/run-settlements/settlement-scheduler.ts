import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { chinaDate } from '@paystream/settlement/domain';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { RunSettlements } from './run-settlements';
import { SETTLEMENT_RUN_SETTINGS, type SettlementRunSettings } from './settlement-run-settings';

/** How often the scheduler settles what is due today (China time). */
export const SETTLEMENT_RUN_INTERVAL_MS = 60_000;

/**
 * Settles, every interval, whatever is due as of today's China date (T+N days arriving, retries of
 * reversed payouts); started and stopped with the application.
 */
@Injectable()
export class SettlementScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(@Inject(Platform) platform: Platform, @Inject(RunSettlements) runs: RunSettlements, @Inject(SETTLEMENT_RUN_SETTINGS) settings: SettlementRunSettings) {
    this.worker = new PollingWorker('settlement-run', settings.runIntervalMs, () => runs.run(platform.ds, { asOf: chinaDate(new Date()) }), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.worker.stop();
  }
}
