import type { DataSource } from 'typeorm';
import type { RiskAttemptRepository } from '@paystream/risk/data-access';
import { RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX } from '@paystream/risk/domain';
import type { Logger } from '@paystream/shared/observability';
import type { AttemptRetentionSettings } from './attempt-retention-settings';

/** What one pass deleted, and in how many batches. */
export interface PrunePass {
  deleted: number;
  batches: number;
}

/**
 * Deletes risk_attempt rows older than the retention, one bounded batch per statement (each its own
 * short transaction, never waiting on a row an assessment holds), until a batch comes back short or
 * the pass has done RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX batches; the next pass goes on from there.
 */
export class AttemptPruner {
  constructor(
    private readonly ds: DataSource,
    private readonly attempts: RiskAttemptRepository,
    private readonly settings: AttemptRetentionSettings,
    private readonly logger: Logger,
  ) {}

  async prune(): Promise<PrunePass> {
    const pass: PrunePass = { deleted: 0, batches: 0 };
    while (pass.batches < RISK_ATTEMPT_PRUNE_BATCHES_PER_PASS_MAX) {
      const deleted = await this.attempts.pruneOlderThan(this.ds.manager, this.settings.retentionDays, this.settings.batchSize);
      pass.batches++;
      pass.deleted += deleted;
      if (deleted < this.settings.batchSize) break;
    }
    if (pass.deleted > 0) this.logger.info({ ...pass, retentionDays: this.settings.retentionDays }, 'risk attempts past retention deleted');
    return pass;
  }
}
