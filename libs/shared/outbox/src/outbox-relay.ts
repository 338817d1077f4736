import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { PRODUCER_SEND_TIMEOUT_MS, type EventProducer, type OutgoingEvent } from '@paystream/shared/kafka';
import type { Logger, MessagingMetrics } from '@paystream/shared/observability';

/** Rows published per batch. */
export const OUTBOX_BATCH_SIZE_MAX = 200;
/**
 * Pause between polls when the outbox is empty. Enqueues NOTIFY the relay on commit, so this is
 * only the safety net for a lost notification or listener connection.
 */
export const OUTBOX_POLL_IDLE_MS = 500;
/** Pause before listening again after the listener connection failed. */
export const OUTBOX_LISTEN_RETRY_MS = 2_000;
/** Pause after a failed batch; doubles per failure in a row up to OUTBOX_RETRY_BACKOFF_MAX_MS. */
export const OUTBOX_RETRY_BACKOFF_INITIAL_MS = 500;
export const OUTBOX_RETRY_BACKOFF_MAX_MS = 10_000;
/**
 * How long the publishing relay's lease lasts unrenewed: after a relay died, another replica takes
 * over its unpublished rows at most this much later.
 */
export const OUTBOX_LEASE_TTL_MS = 12_000;
/**
 * The lease is renewed before a batch when less than this is left: more than one publish can take,
 * so a live relay's lease never runs out in the middle of a publish.
 */
export const OUTBOX_LEASE_RENEW_MARGIN_MS = PRODUCER_SEND_TIMEOUT_MS + 1_000;
/** How often a relay without the lease checks whether it is free. */
export const OUTBOX_LEASE_STANDBY_POLL_MS = 1_000;
/**
 * The longest stop() takes. A batch in flight gets most of it to finish and be marked; one still
 * stuck on the broker then is abandoned and its rows stay unpublished for the next relay.
 */
export const OUTBOX_SHUTDOWN_GRACE_MS = 5_000;
/** Of OUTBOX_SHUTDOWN_GRACE_MS, what is kept for each clean-up step after the batch (abort, lease release). */
export const OUTBOX_SHUTDOWN_STEP_MS = 1_000;
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
 * Publishes outbox rows in seq order, outside any database transaction: read a batch, publish it,
 * then mark it published. No lock, pool connection or snapshot is held while the broker is slow or
 * down, and a failed publish leaves the rows unpublished for a later try (with backoff).
 *
 * Order within a key holds because a batch is always the oldest unpublished rows (a prefix in seq
 * order) and rows are marked only after the broker acknowledged them: when a batch is read, every
 * earlier event of each of its keys is already on the broker. A batch sent twice (a crash before
 * the mark, a publish given up that still landed) only duplicates events; consumers deduplicate by
 * ce_id. Skipping rows another relay locked (the old FOR UPDATE SKIP LOCKED) would break this: the
 * second replica published later events of a key while the first still held the earlier ones.
 *
 * Replicas share the database, so one relay at a time publishes: the holder of a one-row lease
 * (outbox_relay_lease: holder, expires_at), taken and renewed by one autocommit statement. This
 * keeps replicas from publishing every event twice; it is not what keeps the order (see above), so
 * a lease that runs out under a stalled relay costs duplicates, not reordering. A relay that died
 * loses the lease after OUTBOX_LEASE_TTL_MS and another replica carries on from the oldest
 * unpublished row; a relay that stops releases it at once.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private wake: ((reason: 'notify' | 'stop') => void) | undefined;
  /** A notification arrived while a batch was being published: poll again at once. */
  private notified = false;
  private listener: PoolClient | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  /** Aborted at shutdown to give up a publish stuck on the broker. */
  private abort = new AbortController();
  /** Who this relay is in outbox_relay_lease. */
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  /** Until when (local clock, counted from before the lease statement) this relay surely holds the lease; 0 when it does not. */
  private leaseUntil = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly producer: EventProducer,
    private readonly metrics: MessagingMetrics,
    private readonly logger: Logger,
    /** The NOTIFY channel enqueues signal on (see Outbox); without one the relay only polls. */
    private readonly notifyChannel?: string,
  ) {}

  /** Starts publishing (when this relay holds the lease), listening and housekeeping. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
    void this.listen();
    const tick = () => {
      void this.refreshBacklog().finally(() => {
        if (this.running) this.housekeeping = setTimeout(tick, OUTBOX_HOUSEKEEPING_INTERVAL_MS);
      });
    };
    tick();
  }

  /**
   * Stops within OUTBOX_SHUTDOWN_GRACE_MS, also while the broker is down: a batch in flight may
   * finish first; one that does not is given up and stays unpublished. Releases the lease.
   */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.running = false;
    if (this.housekeeping) clearTimeout(this.housekeeping);
    if (this.listenRetry) clearTimeout(this.listenRetry);
    this.wake?.('stop');
    const loop = this.loop;
    this.loop = undefined;
    if (!(await settlesWithin(loop, OUTBOX_SHUTDOWN_GRACE_MS - 2 * OUTBOX_SHUTDOWN_STEP_MS))) {
      this.logger.warn('outbox batch still in flight at shutdown; giving it up, its rows stay unpublished');
      this.abort.abort();
      await settlesWithin(loop, OUTBOX_SHUTDOWN_STEP_MS);
    }
    this.releaseListener();
    await settlesWithin(this.releaseLease(), OUTBOX_SHUTDOWN_STEP_MS);
  }

  /** Holds one connection that LISTENs for enqueues, so events leave within milliseconds without busy polling. */
  private async listen(): Promise<void> {
    if (!this.notifyChannel || !this.running) return;
    const pool = (this.ds.driver as unknown as { master: { connect(): Promise<PoolClient> } }).master;
    try {
      const client = await pool.connect();
      if (!this.running) {
        client.release();
        return;
      }
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
    this.wake?.('notify');
  }

  /**
   * Publishes the oldest unpublished rows if this relay holds (or can take) the lease; returns the
   * number of rows published, 0 also when another relay holds the lease. Throws when the publish or
   * the database failed; the rows then stay unpublished.
   */
  async publishBatch(): Promise<number> {
    if (!(await this.holdLease())) return 0;
    const rows: OutboxRow[] = await this.ds.query(
      `SELECT seq, id, topic, key, source, traceparent, payload, occurred_at
         FROM outbox_event WHERE published_at IS NULL
        ORDER BY seq LIMIT $1`,
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
    await this.producer.publish(events, { signal: this.abort.signal });
    // another relay may have published and marked them meanwhile (after a lease ran out): keep its time
    await this.ds.query(`UPDATE outbox_event SET published_at = now() WHERE seq = ANY($1::bigint[]) AND published_at IS NULL`, [rows.map((r) => r.seq)]);
    for (const e of events) this.metrics.outboxPublished.inc({ topic: e.topic });
    return rows.length;
  }

  /** Whether this relay holds the lease (renewing it when little is left); a standby only reads it. */
  private async holdLease(): Promise<boolean> {
    const askedAt = Date.now();
    if (askedAt < this.leaseUntil - OUTBOX_LEASE_RENEW_MARGIN_MS) return true;
    if (askedAt >= this.leaseUntil) {
      // waiting replicas read first, so they do not lock the lease row on every poll
      const [lease]: { holder: string; expired: boolean }[] = await this.ds.query(
        `SELECT holder, expires_at < now() AS expired FROM outbox_relay_lease WHERE id = 1`,
      );
      if (lease && !lease.expired && lease.holder !== this.holder) {
        this.leaseUntil = 0;
        return false;
      }
    }
    // one statement: takes a free or expired lease, renews our own, leaves another's alone
    const taken: unknown[] = await this.ds.query(
      `INSERT INTO outbox_relay_lease AS l (id, holder, expires_at)
       VALUES (1, $1, now() + $2::int * interval '1 millisecond')
       ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
       RETURNING holder`,
      [this.holder, OUTBOX_LEASE_TTL_MS],
    );
    const held = taken.length === 1;
    if (held && askedAt >= this.leaseUntil) this.logger.info({ holder: this.holder }, 'outbox relay took the lease; publishing');
    this.leaseUntil = held ? askedAt + OUTBOX_LEASE_TTL_MS : 0;
    return held;
  }

  private async releaseLease(): Promise<void> {
    if (this.leaseUntil === 0) return;
    this.leaseUntil = 0;
    try {
      await this.ds.query(`UPDATE outbox_relay_lease SET expires_at = '-infinity' WHERE id = 1 AND holder = $1`, [this.holder]);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release the outbox lease; another relay takes it when it runs out');
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let published = 0;
      try {
        published = await this.publishBatch();
        failures = 0;
      } catch (error) {
        if (!this.running) return; // given up at shutdown: the rows stay for the next relay
        failures += 1;
        const delayMs = retryBackoffMs(failures);
        this.logger.error({ err: error, failures, delayMs }, 'outbox publish failed; the rows stay unpublished, retrying after a pause');
        // enqueues must not cut the backoff short, or a busy service would hammer a broker that is down
        await this.pause(delayMs, false);
        continue;
      }
      if (this.leaseUntil === 0) await this.pause(OUTBOX_LEASE_STANDBY_POLL_MS, false);
      else if (published < OUTBOX_BATCH_SIZE_MAX) await this.pause(OUTBOX_POLL_IDLE_MS, true);
    }
  }

  /** Waits ms; stop() ends the wait, and so does a notification when wakeOnNotify. */
  private pause(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (!this.running) return Promise.resolve();
    if (wakeOnNotify && this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = (reason) => {
        if (reason === 'notify') {
          if (!wakeOnNotify) return;
          this.notified = false;
        }
        done();
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

/** The pause after the given number of failed batches in a row: doubling, capped. */
export function retryBackoffMs(failures: number): number {
  return Math.min(OUTBOX_RETRY_BACKOFF_INITIAL_MS * 2 ** Math.min(failures - 1, 30), OUTBOX_RETRY_BACKOFF_MAX_MS);
}

/** Whether work settled (either way) within ms. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}
