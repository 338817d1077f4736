import { msToFill, msUntilToken, refilled, type BucketLimit, type BucketState } from './token-bucket';

/**
 * Buckets one process keeps at most (about 100 bytes each). Past it the least recently used bucket is
 * forgotten (it starts full again); idle buckets, full again anyway, are forgotten long before.
 */
export const RATE_LIMIT_BUCKETS_MAX = 100_000;
/** The least recently used buckets looked at (and forgotten when idle) each time a bucket is added: no timer needed. */
const IDLE_BUCKETS_SWEPT_PER_INSERT = 2;

/** One bucket a request takes a token from: its key (who, in which class) and its limit. */
export interface RateCheck {
  key: string;
  limit: BucketLimit;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number; refused: RateCheck };

interface Bucket extends BucketState {
  fillMs: number;
}

/**
 * Token buckets in this process's memory, by key. A request is admitted only when every bucket it
 * names holds a token, and then takes one from each; a refused request takes nothing. The map is kept
 * in least-recently-used order, so idle buckets are found first and memory stays bounded.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly bucketsMax: number = RATE_LIMIT_BUCKETS_MAX,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Admits the request (a token from each bucket), or says which bucket refused it and when to try again. */
  admit(checks: readonly RateCheck[]): Admission {
    const now = this.nowMs();
    const states = checks.map((c) => refilled(this.buckets.get(c.key), c.limit, now));
    let refused: { check: RateCheck; waitMs: number } | undefined;
    checks.forEach((check, i) => {
      const waitMs = msUntilToken(states[i]!, check.limit);
      if (waitMs > 0 && (!refused || waitMs > refused.waitMs)) refused = { check, waitMs };
    });
    if (refused) return { admitted: false, retryAfterMs: refused.waitMs, refused: refused.check };
    checks.forEach((check, i) => this.store(check, { tokens: states[i]!.tokens - 1, atMs: now }));
    return { admitted: true };
  }

  /** Gives back the tokens an admitted request took (it was then refused for a reason that must not cost them). */
  refund(checks: readonly RateCheck[]): void {
    const now = this.nowMs();
    for (const check of checks) {
      const bucket = this.buckets.get(check.key);
      if (!bucket) continue;
      this.store(check, { tokens: Math.min(check.limit.burst, refilled(bucket, check.limit, now).tokens + 1), atMs: now });
    }
  }

  /** Buckets held now. */
  get size(): number {
    return this.buckets.size;
  }

  private store(check: RateCheck, state: BucketState): void {
    const added = !this.buckets.delete(check.key);
    this.buckets.set(check.key, { ...state, fillMs: msToFill(check.limit) });
    if (added) this.sweep(state.atMs);
  }

  /** Forgets the oldest buckets that are full again, and the least recently used ones past the maximum. */
  private sweep(nowMs: number): void {
    let looked = 0;
    for (const [key, bucket] of this.buckets) {
      const over = this.buckets.size > this.bucketsMax;
      if (!over && looked >= IDLE_BUCKETS_SWEPT_PER_INSERT) return;
      looked++;
      if (over || nowMs - bucket.atMs >= bucket.fillMs) this.buckets.delete(key);
    }
  }
}
