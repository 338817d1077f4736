/**
 * How the janitor asks about an unknown outcome: queries on a backoff schedule (multiples of the
 * base interval, so tests can run it fast), and, once the charge is older than the maximum age,
 * a close at the channel so the trade can no longer be paid, then a final query.
 */
export const UNKNOWN_OUTCOME_BACKOFF_MULTIPLES = [1, 2, 4, 8, 15, 30, 60] as const;

/** The delay before the next query, after `queriesSoFar` queries (the schedule's last step repeats). */
export function nextQueryDelayMs(queriesSoFar: number, baseIntervalMs: number): number {
  const steps = UNKNOWN_OUTCOME_BACKOFF_MULTIPLES;
  const step = steps[Math.min(Math.max(queriesSoFar, 0), steps.length - 1)]!;
  return step * baseIntervalMs;
}

/** After a query that did not settle it: keep asking, or close the trade at the channel. */
export function janitorNextStep(ageMs: number, maxAgeMs: number): 'query-again' | 'close' {
  return ageMs >= maxAgeMs ? 'close' : 'query-again';
}

/**
 * After a refund query that did not settle it: keep asking, and past the maximum age either send it
 * again or raise it for a person. A refund has no close: it stays unknown (and holds its part of the
 * capture) until the channel says how it ended. Past the maximum age, a refund the channel still has
 * no record of is sent again with the same refund number and send time where the channel takes that
 * number once (`resend`, SENDING_REFUND_RESUME: it answers the refund already made, or makes it now):
 * a 5xx that did nothing would otherwise leave it unknown for good. Elsewhere a person settles it.
 */
export function refundRetentionStep(ageMs: number, maxAgeMs: number, query: 'pending' | 'not-found' = 'pending', resume: 'resend' | 'query' = 'query'): 'query-again' | 'resend' | 'alert' {
  if (ageMs < maxAgeMs) return 'query-again';
  return query === 'not-found' && resume === 'resend' ? 'resend' : 'alert';
}
