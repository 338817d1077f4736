import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RiskAttemptRepository } from '@paystream/risk/data-access';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { AttemptPruner } from './attempt-pruner';
import { RISK_ATTEMPT_RETENTION_SETTINGS, type AttemptRetentionSettings } from './attempt-retention-settings';

/** How often attempts past retention are looked for (the table grows by the day: once a minute is plenty). */
const RISK_ATTEMPT_PRUNE_INTERVAL_MS = 60_000;

/** Deletes risk_attempt rows older than RISK_ATTEMPT_RETENTION_DAYS, in bounded batches. */
@Injectable()
export class AttemptRetentionWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) platform: Platform,
    @Inject(RiskAttemptRepository) attempts: RiskAttemptRepository,
    @Inject(RISK_ATTEMPT_RETENTION_SETTINGS) settings: AttemptRetentionSettings,
  ) {
    const pruner = new AttemptPruner(platform.ds, attempts, settings, platform.logger);
    this.worker = new PollingWorker('risk-attempt-retention', RISK_ATTEMPT_PRUNE_INTERVAL_MS, () => pruner.prune(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }
}
