import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { EventProducer, OutgoingEvent } from '@paystream/shared/kafka';
import type { Logger, MessagingMetrics } from '@paystream/shared/observability';
import { afterCommit, inTransaction } from '@paystream/shared/persistence';

/** Rows published per relay transaction. */
export const OUTBOX_BATCH_SIZE_MAX = 200;
/**
 * Pause between polls when the outbox is empty. Enqueues NOTIFY the relay on commit, so this is
 * only the safety net for a lost notification or listener connection.
 */
export const OUTBOX_POLL_IDLE_MS = 500;
/** Pause before listening again after the listener connection failed. */
export const OUTBOX_LISTEN_RETRY_MS = 2_000;
/** Pause after a failed publish before the next try. */
export const OUTBOX_ERROR_BACKOFF_MS = 1_000;
/** How often backlog metrics are refreshed and old published rows are purged. */
export const OUTBOX_HOUSEKEEPING_INTERVAL_MS = 5_000;
/** Published rows are kept this long for audits and debugging. */
export const OUTBOX_RETENTION_HOURS = 24;

interface OutboxRow {
  seq: string;
  id: string;
  topic: string;
  key: string;
  source: string;
  traceparent: string | null;
  payload: unknown;
  occurred_at: Date;
}

/**
 * Publishes outbox rows in order. Rows are locked (SKIP LOCKED), published with the idempotent
 * producer and marked in the same transaction: a crash after publishing re-publishes the same
 * ce_id, which consumers deduplicate.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** A notification arrived while a batch was being published: poll again at once. */
  private notified = false;
  private listener: PoolClient | undefined;
  private listenRetry: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly producer: EventProducer,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
    /** The NOTIFY channel enqueues signal on (see Outbox); without one the relay only polls. */
    private readonly notifyChannel?: string,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    void this.listen();
    const tick = () => {
      void this.refreshBacklog().finally(() => {
        if (this.running) this.housekeeping = setTimeout(tick, OUTBOX_HOUSEKEEPING_INTERVAL_MS);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.housekeeping) clearTimeout(this.housekeeping);
    if (this.listenRetry) clearTimeout(this.listenRetry);
    this.wake?.();
    await this.loop;
    this.releaseListener();
  }

  /** Holds one connection that LISTENs for enqueues, so events leave within milliseconds without busy polling. */
  private async listen(): Promise<void> {
    if (!this.notifyChannel || !this.running) return;
    const pool = (this.ds.driver as unknown as { master: { connect(): Promise<PoolClient> } }).master;
    try {
      const client = await pool.connect();
      this.listener = client;
      client.on('notification', () => this.poke());
      client.on('error', (error: Error) => {
        this.logger.warn({ err: error }, 'outbox listener connection failed; polling until it is back');
        this.releaseListener(error);
        if (this.running) this.listenRetry = setTimeout(() => void this.listen(), OUTBOX_LISTEN_RETRY_MS);
      });
      await client.query(`LISTEN ${this.notifyChannel}`);
      this.poke(); // anything enqueued before we listened
    } catch (error) {
      this.logger.warn({ err: error }, 'could not LISTEN for outbox events; polling');
      this.releaseListener(error as Error);
      if (this.running) this.listenRetry = setTimeout(() => void this.listen(), OUTBOX_LISTEN_RETRY_MS);
    }
  }

  private releaseListener(error?: Error): void {
    const client = this.listener;
    this.listener = undefined;
    if (!client) return;
    client.removeAllListeners('notification');
    try {
      client.release(error ?? true);
    } catch {
      // already released
    }
  }

  private poke(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Publishes what is pending now; returns the number of rows published. */
  async publishBatch(): Promise<number> {
    return inTransaction(this.ds, async (tx) => {
      const rows: OutboxRow[] = await tx.query(
        `SELECT seq, id, topic, key, source, traceparent, payload, occurred_at
           FROM outbox_event WHERE published_at IS NULL
          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [OUTBOX_BATCH_SIZE_MAX],
      );
      if (rows.length === 0) return 0;
      const events: OutgoingEvent[] = rows.map((r) => ({
        id: r.id,
        topic: r.topic,
        key: r.key,
        source: r.source,
        time: new Date(r.occurred_at).toISOString(),
        payload: r.payload,
        traceparent: r.traceparent ?? undefined,
      }));
      await this.producer.publish(events);
      await tx.query(`UPDATE outbox_event SET published_at = now() WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
      afterCommit(tx, () => {
        for (const e of events) this.metrics.outboxPublished.inc({ topic: e.topic });
      });
      return rows.length;
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.publishBatch();
      } catch (error) {
        this.logger.error({ err: error }, 'outbox publish failed; will retry');
        await this.pause(OUTBOX_ERROR_BACKOFF_MS);
        continue;
      }
      if (published < OUTBOX_BATCH_SIZE_MAX) await this.pause(OUTBOX_POLL_IDLE_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        this.notified = false;
        resolve();
      };
    });
  }

  private async refreshBacklog(): Promise<void> {
    try {
      const [row] = await this.ds.query(
        `SELECT count(*)::bigint AS backlog,
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_age_s
           FROM outbox_event WHERE published_at IS NULL`,
      );
      this.metrics.outboxBacklog.set(Number(row.backlog));
      this.metrics.outboxOldestAgeSeconds.set(Number(row.oldest_age_s));
      await this.ds.query(
        `DELETE FROM outbox_event WHERE published_at < now() - make_interval(hours => $1)`,
        [OUTBOX_RETENTION_HOURS],
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox housekeeping failed');
    }
  }
}
