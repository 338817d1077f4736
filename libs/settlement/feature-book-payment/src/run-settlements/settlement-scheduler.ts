import { chinaDate } from '@paystream/settlement/domain';
import { type Platform, PollingWorker } from '@paystream/shared/platform';
import type { RunSettlements } from './run-settlements';

/** How often the scheduler settles what is due today (China time). */
export const SETTLEMENT_RUN_INTERVAL_MS = 60_000;

/** Settles, every interval, whatever is due as of today's China date (T+N days arriving, retries of reversed payouts). */
export class SettlementScheduler {
  private readonly worker: PollingWorker;

  constructor(platform: Platform, runs: RunSettlements, intervalMs: number, clock: () => Date = () => new Date()) {
    this.worker = new PollingWorker('settlement-run', intervalMs, () => runs.run(platform.ds, { asOf: chinaDate(clock()) }), platform.logger);
  }

  start(): void {
    this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }
}
