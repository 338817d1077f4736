import type { DataSource } from 'typeorm';
import type { Logger } from '@paystream/shared/observability';
import { affectedRows } from '@paystream/shared/persistence';

/**
 * How long an inbox row (a processed event id) is kept. Safe because a message can only be
 * redelivered while it is still in its topic, and topics keep messages for 24 hours
 * (log.retention.hours=24 in infra/kafka/kafka.sh; Kafka's default of 7 days under
 * docker-compose.yml); a group whose committed offsets expired restarts from the earliest message
 * still kept, again within that retention. A DLQ replay is a redelivery from a topic with the same
 * retention. Raise this before ever raising a topic's retention past it.
 */
export const INBOX_RETENTION_DAYS = 14;
/** Rows one DELETE removes: short statements that never hold many row locks at once. */
export const INBOX_PRUNE_BATCH_ROWS_MAX = 1_000;
/** Batches one run deletes at most; the rest waits for the next run. */
export const INBOX_PRUNE_BATCHES_PER_RUN_MAX = 100;
/** How often the janitor runs. */
export const INBOX_PRUNE_INTERVAL_MS = 10 * 60_000;

export interface InboxJanitorOptions {
  retentionDays?: number;
  batchRowsMax?: number;
  batchesPerRunMax?: number;
  intervalMs?: number;
}

/** Deletes inbox rows older than the retention, in bounded batches, on an interval. */
export class InboxJanitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly retentionDays: number;
  private readonly batchRowsMax: number;
  private readonly batchesPerRunMax: number;
  private readonly intervalMs: number;

  constructor(
    private readonly ds: DataSource,
    private readonly logger: Logger,
    options: InboxJanitorOptions = {},
  ) {
    this.retentionDays = options.retentionDays ?? INBOX_RETENTION_DAYS;
    this.batchRowsMax = options.batchRowsMax ?? INBOX_PRUNE_BATCH_ROWS_MAX;
    this.batchesPerRunMax = options.batchesPerRunMax ?? INBOX_PRUNE_BATCHES_PER_RUN_MAX;
    this.intervalMs = options.intervalMs ?? INBOX_PRUNE_INTERVAL_MS;
  }

  /** Runs prune every intervalMs (a run still going is not overlapped). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.prune()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'inbox prune failed; next run retries'))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Deletes rows past the retention, batch by batch, until none is left or the run's batches are used. */
  async prune(): Promise<{ deleted: number; batches: number }> {
    let deleted = 0;
    let batches = 0;
    while (batches < this.batchesPerRunMax) {
      // SKIP LOCKED: never wait on (or deadlock with) a consumer touching the same keys
      const result: unknown = await this.ds.query(
        `DELETE FROM inbox_message
          WHERE (consumer_group, event_id) IN (
            SELECT consumer_group, event_id FROM inbox_message
             WHERE processed_at < now() - make_interval(days => $1)
             LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [this.retentionDays, this.batchRowsMax],
      );
      const n = affectedRows(result);
      batches++;
      deleted += n;
      if (n < this.batchRowsMax) break;
    }
    if (deleted > 0) this.logger.info({ deleted, batches, retentionDays: this.retentionDays }, 'inbox rows past retention deleted');
    return { deleted, batches };
  }
}
