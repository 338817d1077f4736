import type { DataSource } from 'typeorm';
import type { Logger } from '@paystream/shared/observability';
import { affectedRows } from '@paystream/shared/persistence';
import { PollingWorker } from './polling-worker';

/**
 * How long a keyed write's Idempotency-Key and first answer (`idempotent_request`, answerOnce) are
 * kept. A retry within it answers the first result again; a retry after it is a new request (decided
 * afresh: the write runs again, or is refused as the state then says, e.g. MERCHANT_ALREADY_REGISTERED).
 * The keyed writes are operator and key routes (rule sets, review verdicts, calendar overrides,
 * registry writes, credentials, reconciliation runs), retried within minutes or hours by a person or
 * a script; a month leaves room for a retry after a long outage and keeps the table small.
 */
export const IDEMPOTENT_REQUEST_RETENTION_DAYS = 30;
/** Rows one DELETE removes: short statements that never hold many row locks at once. */
export const IDEMPOTENT_REQUEST_PRUNE_BATCH_ROWS_MAX = 1_000;
/** Batches one run deletes at most; the rest waits for the next run. */
export const IDEMPOTENT_REQUEST_PRUNE_BATCHES_PER_RUN_MAX = 100;
/** How often the janitor runs. */
export const IDEMPOTENT_REQUEST_PRUNE_INTERVAL_MS = 60 * 60_000;

export interface IdempotentRequestJanitorOptions {
  retentionDays?: number;
  batchRowsMax?: number;
  batchesPerRunMax?: number;
  intervalMs?: number;
}

/** Deletes keyed requests older than the retention, in bounded batches, on an interval (as InboxJanitor prunes the inbox). */
export class IdempotentRequestJanitor {
  private readonly retentionDays: number;
  private readonly batchRowsMax: number;
  private readonly batchesPerRunMax: number;
  private readonly worker: PollingWorker;

  constructor(
    private readonly ds: DataSource,
    private readonly logger: Logger,
    options: IdempotentRequestJanitorOptions = {},
  ) {
    this.retentionDays = options.retentionDays ?? IDEMPOTENT_REQUEST_RETENTION_DAYS;
    this.batchRowsMax = options.batchRowsMax ?? IDEMPOTENT_REQUEST_PRUNE_BATCH_ROWS_MAX;
    this.batchesPerRunMax = options.batchesPerRunMax ?? IDEMPOTENT_REQUEST_PRUNE_BATCHES_PER_RUN_MAX;
    this.worker = new PollingWorker('idempotent-request-janitor', options.intervalMs ?? IDEMPOTENT_REQUEST_PRUNE_INTERVAL_MS, () => this.prune(), logger);
  }

  /** Runs prune every interval (a run still going is not overlapped; a failed one is retried next time). */
  start(): void {
    this.worker.start();
  }

  /** Stops the interval and waits for a run in progress. */
  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** Deletes rows past the retention, batch by batch, until none is left or the run's batches are used. */
  async prune(): Promise<{ deleted: number; batches: number }> {
    let deleted = 0;
    let batches = 0;
    while (batches < this.batchesPerRunMax) {
      // SKIP LOCKED: never wait on (or deadlock with) a request claiming or answering the same key
      const result: unknown = await this.ds.query(
        `DELETE FROM idempotent_request
          WHERE (principal, idempotency_key) IN (
            SELECT principal, idempotency_key FROM idempotent_request
             WHERE created_at < now() - make_interval(days => $1)
             LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [this.retentionDays, this.batchRowsMax],
      );
      const n = affectedRows(result);
      batches++;
      deleted += n;
      if (n < this.batchRowsMax) break;
    }
    if (deleted > 0) this.logger.info({ deleted, batches, retentionDays: this.retentionDays }, 'idempotent requests past retention deleted');
    return { deleted, batches };
  }
}
