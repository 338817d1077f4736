import type { DataSource } from 'typeorm';
import type { Logger } from '@paystream/shared/observability';
import { RetentionJanitor, type RetentionJanitorConfig, type RetentionJanitorOptions } from '@paystream/shared/persistence';

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

export type InboxJanitorOptions = RetentionJanitorOptions;

/** inbox_message by processed_at; the DELETE skips (never waits on) ids a consumer is marking. */
const INBOX_JANITOR: RetentionJanitorConfig = {
  worker: 'inbox-janitor',
  table: { name: 'inbox_message', keyColumns: ['consumer_group', 'event_id'], ageColumn: 'processed_at' },
  defaults: {
    retentionDays: INBOX_RETENTION_DAYS,
    batchRowsMax: INBOX_PRUNE_BATCH_ROWS_MAX,
    batchesPerRunMax: INBOX_PRUNE_BATCHES_PER_RUN_MAX,
    intervalMs: INBOX_PRUNE_INTERVAL_MS,
  },
  deletedMessage: 'inbox rows past retention deleted',
};

/** Deletes inbox rows older than the retention, in bounded batches, on an interval. */
export class InboxJanitor extends RetentionJanitor {
  constructor(ds: DataSource, logger: Logger, options: InboxJanitorOptions = {}) {
    super(ds, logger, INBOX_JANITOR, options);
  }
}
