/**
 * How long a 429 asks the client to wait (its Retry-After, in seconds, as ms), or undefined when the
 * answer is anything else: a rate-limited call is sent again after that long, not given up on.
 */
export function retryAfterMs(status: number, retryAfter: string | null | undefined): number | undefined {
  if (status !== 429 || retryAfter === null || retryAfter === undefined || !/^\d+$/.test(retryAfter.trim())) return undefined;
  return Number(retryAfter.trim()) * 1000;
}
