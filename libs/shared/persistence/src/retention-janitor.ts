import type { DataSource } from 'typeorm';
import type { Logger } from '@paystream/shared/observability';
import { affectedRows } from './data-source';
import { PollingWorker } from './polling-worker';

/**
 * A table whose rows are deleted once older than a retention. The names are put into the SQL as
 * they are: constants from code, never input.
 */
export interface RetentionTable {
  name: string;
  /** The primary key's columns: the DELETE picks its rows by them. */
  keyColumns: readonly string[];
  /** The timestamp a row's age is counted from (indexed, or every run scans the table). */
  ageColumn: string;
}

/** What a janitor's user may tune; each field left out takes the table's default. */
export interface RetentionJanitorOptions {
  retentionDays?: number;
  /** Rows one DELETE removes at most. */
  batchRowsMax?: number;
  /** Batches one run deletes at most; the rest waits for the next run. */
  batchesPerRunMax?: number;
  intervalMs?: number;
}

/** One table's janitor: which table, its defaults, and the names it logs under. */
export interface RetentionJanitorConfig {
  /** The worker's name in a failed run's log line. */
  worker: string;
  table: RetentionTable;
  defaults: Required<RetentionJanitorOptions>;
  /** The log line of a run that deleted rows. */
  deletedMessage: string;
}

/** Deletes a table's rows older than the retention, in bounded batches, on an interval. */
export class RetentionJanitor {
  private readonly retentionDays: number;
  private readonly batchRowsMax: number;
  private readonly batchesPerRunMax: number;
  private readonly deleteBatch: string;
  private readonly worker: PollingWorker;

  constructor(
    private readonly ds: DataSource,
    private readonly logger: Logger,
    private readonly config: RetentionJanitorConfig,
    options: RetentionJanitorOptions = {},
  ) {
    const { defaults, table } = config;
    this.retentionDays = options.retentionDays ?? defaults.retentionDays;
    this.batchRowsMax = options.batchRowsMax ?? defaults.batchRowsMax;
    this.batchesPerRunMax = options.batchesPerRunMax ?? defaults.batchesPerRunMax;
    const key = table.keyColumns.join(', ');
    // SKIP LOCKED: never wait on (or deadlock with) a transaction writing the same rows
    this.deleteBatch = `DELETE FROM ${table.name}
      WHERE (${key}) IN (
        SELECT ${key} FROM ${table.name}
         WHERE ${table.ageColumn} < now() - make_interval(days => $1)
         LIMIT $2 FOR UPDATE SKIP LOCKED)`;
    this.worker = new PollingWorker(config.worker, options.intervalMs ?? defaults.intervalMs, () => this.prune(), logger);
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
      const n = affectedRows(await this.ds.query(this.deleteBatch, [this.retentionDays, this.batchRowsMax]));
      batches++;
      deleted += n;
      if (n < this.batchRowsMax) break;
    }
    if (deleted > 0) this.logger.info({ deleted, batches, retentionDays: this.retentionDays }, this.config.deletedMessage);
    return { deleted, batches };
  }
}
