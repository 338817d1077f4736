/** A token bucket's limit: refilled at `ratePerS` tokens a second, holding at most `burst` (a request takes one). */
export interface BucketLimit {
  ratePerS: number;
  burst: number;
}

/** A bucket's tokens as of `atMs` (epoch ms). */
export interface BucketState {
  tokens: number;
  atMs: number;
}

/** The bucket at `nowMs`: refilled since it was last seen, never above its burst; a bucket never seen is full. */
export function refilled(state: BucketState | undefined, limit: BucketLimit, nowMs: number): BucketState {
  if (!state) return { tokens: limit.burst, atMs: nowMs };
  const elapsedMs = Math.max(0, nowMs - state.atMs);
  return { tokens: Math.min(limit.burst, state.tokens + (elapsedMs * limit.ratePerS) / 1000), atMs: Math.max(nowMs, state.atMs) };
}

/** How long until a (refilled) bucket holds one whole token: 0 when it holds one now. */
export function msUntilToken(state: BucketState, limit: BucketLimit): number {
  return state.tokens >= 1 ? 0 : Math.ceil(((1 - state.tokens) * 1000) / limit.ratePerS);
}

/** How long an untouched bucket takes to fill from empty: after that it equals a bucket never seen, and can be forgotten. */
export function msToFill(limit: BucketLimit): number {
  return Math.ceil((limit.burst * 1000) / limit.ratePerS);
}
