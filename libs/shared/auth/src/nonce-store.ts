import type { Logger } from '@paystream/shared/observability';
import { NONCE_RETENTION_S } from './request-signature';

type Queryable = { query: (sql: string, params?: unknown[]) => Promise<unknown> };

/** How often the nonce janitor prunes nonces older than NONCE_RETENTION_S. */
export const NONCE_PRUNE_INTERVAL_MS = 60_000;
/** Most nonces one prune statement deletes (the janitor repeats while it deletes that many). */
export const NONCE_PRUNE_BATCH_ROWS_MAX = 5_000;

/** Where the guard records a signed request's nonce. */
export interface NonceRecorder {
  /** True when the nonce is new for the key (now recorded), false when seen before (a replay). */
  record(keyId: string, nonce: string): Promise<boolean>;
}

/** The nonces of signed requests in the service's database (auth_nonce), so every replica sees every nonce. */
export class NonceStore implements NonceRecorder {
  constructor(private readonly db: Queryable) {}

  async record(keyId: string, nonce: string): Promise<boolean> {
    const rows = (await this.db.query(`INSERT INTO auth_nonce (key_id, nonce) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1 AS fresh`, [keyId, nonce])) as unknown[];
    return rows.length === 1;
  }

  /** Deletes nonces older than the retention; the number deleted. */
  async prune(retentionS = NONCE_RETENTION_S): Promise<number> {
    let total = 0;
    for (;;) {
      const result = (await this.db.query(
        `DELETE FROM auth_nonce WHERE ctid IN (SELECT ctid FROM auth_nonce WHERE seen_at < now() - make_interval(secs => $1) LIMIT $2)`,
        [retentionS, NONCE_PRUNE_BATCH_ROWS_MAX],
      )) as [unknown, number] | unknown[];
      const deleted = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
      total += deleted;
      if (deleted < NONCE_PRUNE_BATCH_ROWS_MAX) return total;
    }
  }
}

/** Prunes old nonces every NONCE_PRUNE_INTERVAL_MS (any replica may; the deletes do not conflict). */
export class NonceJanitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: NonceStore,
    private readonly logger: Logger,
    private readonly intervalMs = NONCE_PRUNE_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.store.prune().catch((error: unknown) => this.logger.warn({ err: error }, 'nonce prune failed; retrying next interval'));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
