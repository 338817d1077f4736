import type { DataSource } from 'typeorm';
import type { Logger } from '@paystream/shared/observability';
import { RetentionJanitor, type RetentionJanitorConfig, type RetentionJanitorOptions } from '@paystream/shared/persistence';

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

export type IdempotentRequestJanitorOptions = RetentionJanitorOptions;

/** idempotent_request by created_at; the DELETE skips (never waits on) a key a request is claiming or answering. */
const IDEMPOTENT_REQUEST_JANITOR: RetentionJanitorConfig = {
  worker: 'idempotent-request-janitor',
  table: { name: 'idempotent_request', keyColumns: ['principal', 'idempotency_key'], ageColumn: 'created_at' },
  defaults: {
    retentionDays: IDEMPOTENT_REQUEST_RETENTION_DAYS,
    batchRowsMax: IDEMPOTENT_REQUEST_PRUNE_BATCH_ROWS_MAX,
    batchesPerRunMax: IDEMPOTENT_REQUEST_PRUNE_BATCHES_PER_RUN_MAX,
    intervalMs: IDEMPOTENT_REQUEST_PRUNE_INTERVAL_MS,
  },
  deletedMessage: 'idempotent requests past retention deleted',
};

/** Deletes keyed requests older than the retention, in bounded batches, on an interval (as InboxJanitor prunes the inbox). */
export class IdempotentRequestJanitor extends RetentionJanitor {
  constructor(ds: DataSource, logger: Logger, options: IdempotentRequestJanitorOptions = {}) {
    super(ds, logger, IDEMPOTENT_REQUEST_JANITOR, options);
  }
}
