import type { RateLimitClass, RateLimitSubject } from './rate-limits';

/** A request over its limit: answered 429 RATE_LIMITED with `Retry-After` (whole seconds), before anything changed. */
export class RateLimited extends Error {
  readonly code = 'RATE_LIMITED' as const;

  constructor(
    readonly subject: RateLimitSubject,
    readonly routeClass: RateLimitClass,
    /** When the bucket that refused it holds a token again (at least 1). */
    readonly retryAfterS: number,
  ) {
    super(`over the ${routeClass} limit of its ${subject}; retry after ${retryAfterS} s`);
    this.name = 'RateLimited';
  }
}
