/**
 * The client contract under faults: a call that got no answer, or a 5xx, is sent again with the SAME
 * Idempotency-Key (to the next replica) until it gets an answer, for a bounded time.
 */
import { demoFetch } from '../load/demo-auth';

/** How long one attempt may take before it counts as no answer. */
export const CLIENT_CALL_TIMEOUT_MS = 10_000;
/** Pause between attempts, growing to the max. */
export const CLIENT_RETRY_BACKOFF_MS_MIN = 250;
export const CLIENT_RETRY_BACKOFF_MS_MAX = 3_000;

export interface ClientAnswer {
  status: number;
  body: Record<string, unknown>;
  attempts: number;
}

/** Whether an answer is final for the client (anything but a 5xx: 2xx, and the 4xx refusals). */
export function isFinalAnswer(status: number): boolean {
  return status < 500;
}

/** The backoff before attempt n+1 (n from 1): doubling from the min, capped. */
export function retryBackoffMs(attempt: number): number {
  return Math.min(CLIENT_RETRY_BACKOFF_MS_MAX, CLIENT_RETRY_BACKOFF_MS_MIN * 2 ** Math.max(0, attempt - 1));
}

/**
 * POSTs JSON with an Idempotency-Key, to bases[attempt % n], until a final answer or the deadline;
 * answers the last answer seen (status 0 when nothing answered at all). Each attempt is signed
 * afresh (demoFetch: a new nonce and timestamp), as the merchant `as` names on merchant routes.
 */
export async function postWithRetry(bases: () => string[], path: string, idempotencyKey: string, json: unknown, deadlineMs: number, as?: string): Promise<ClientAnswer> {
  const giveUpAt = Date.now() + deadlineMs;
  let last: ClientAnswer = { status: 0, body: {}, attempts: 0 };
  for (let attempt = 1; ; attempt++) {
    const urls = bases();
    const base = urls[(attempt - 1) % urls.length]!;
    try {
      const res = await demoFetch(`${base}${path}`, {
        ...(as === undefined ? {} : { as }),
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(json),
        signal: AbortSignal.timeout(CLIENT_CALL_TIMEOUT_MS),
      });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      last = { status: res.status, body, attempts: attempt };
      if (isFinalAnswer(res.status)) return last;
    } catch (error) {
      last = { status: 0, body: { error: { code: 'NO_ANSWER', message: (error as Error).message } }, attempts: attempt };
    }
    if (Date.now() + retryBackoffMs(attempt) > giveUpAt) return last;
    await new Promise((r) => setTimeout(r, retryBackoffMs(attempt)));
  }
}
