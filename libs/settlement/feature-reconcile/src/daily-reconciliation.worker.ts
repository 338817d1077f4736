import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Actors } from '@paystream/shared/audit-log';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { RECONCILE_SETTINGS, RECONCILED_CHANNELS, type ReconcileSettings } from './reconcile-settings';
import { dueReconciliationDay } from './reconciliation-day';
import { ReconciliationRepository } from './reconciliation.repository';
import { RunReconciliationHandler } from './run-reconciliation/run-reconciliation.handler';

/** The daily job as the actor of its runs in the audit log. */
export const DAILY_RECONCILIATION_ACTOR = Actors.system('daily-reconciliation');

/**
 * The daily job: every check interval it looks at the day due (yesterday in Beijing once the daily time has passed)
 * and reconciles each channel whose run of that day has not completed. So it runs once a day, catches up after a
 * stop, and retries a failed run at the next check.
 */
@Injectable()
export class DailyReconciliationWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ReconciliationRepository) private readonly runs: ReconciliationRepository,
    @Inject(RunReconciliationHandler) private readonly handler: RunReconciliationHandler,
    @Inject(RECONCILE_SETTINGS) private readonly settings: ReconcileSettings,
  ) {
    this.worker = new PollingWorker('daily-reconciliation', settings.checkIntervalMs, () => this.tick(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  /** Reconciles the due day for every channel not yet done; returns the channels it ran. */
  async tick(now = new Date()): Promise<string[]> {
    const date = dueReconciliationDay(now, this.settings.dailyAtBeijing);
    const ran: string[] = [];
    for (const channel of RECONCILED_CHANNELS) {
      const existing = await this.runs.findRunOf(this.platform.ds.manager, channel, date);
      if (existing?.completedAt) continue;
      await this.handler.run(channel, date, 'schedule', DAILY_RECONCILIATION_ACTOR);
      ran.push(channel);
    }
    return ran;
  }
}
