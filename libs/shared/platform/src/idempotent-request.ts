import { createHash } from 'node:crypto';
import { Actors, type Actor } from '@paystream/shared/audit-log';
import type { EntityManager } from '@paystream/shared/persistence';
import { ApiError } from './api-error';

/** One keyed write: who asks (keys are per principal), under which Idempotency-Key, and what for. */
export interface KeyedRequest {
  principal: Actor;
  key: string;
  /** The route with its target, e.g. `PUT /risk/rules` or `POST /risk/reviews/<paymentId>/approve`. */
  route: string;
  /** The request as parsed (body with its defaults filled in): the same key must ask for the same again. */
  request: unknown;
}

/** A write's answer, and whether it is the first answer given again for a repeated key. */
export interface Answered<T> {
  result: T;
  replayed: boolean;
}

/** How an answer is kept and given back, when what is kept must differ from what is answered (a secret derived again, never stored). */
export interface AnswerCodec<T> {
  store(result: T): unknown;
  restore(stored: unknown): T;
}

// key order does not make another request
function stableJson(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/** The hex SHA-256 of a route and its request, key order aside. */
export function keyedRequestHash(route: string, request: unknown): string {
  return createHash('sha256').update(`${route}\n${stableJson(request)}`).digest('hex');
}

/**
 * Runs a write once per principal and Idempotency-Key, in the caller's transaction: the key is
 * claimed first (a concurrent request with the same key waits for this transaction, then replays
 * its answer), the work runs, and its answer is kept with the key. The same key again with the same
 * route and request answers the first result (`replayed`); with another, IDEMPOTENCY_KEY_REUSED.
 * A refusal (a throw) rolls the claim back with everything else: the key stays unused and a retry
 * is decided afresh. Work that commits in transactions of its own still runs inside this one's
 * claim (the claim is held until it answers).
 */
export async function answerOnce<T>(tx: EntityManager, req: KeyedRequest, work: () => Promise<T>, codec?: AnswerCodec<T>): Promise<Answered<T>> {
  const principal = Actors.format(req.principal);
  const hash = keyedRequestHash(req.route, req.request);
  const claimed: unknown[] = await tx.query(
    `INSERT INTO idempotent_request (principal, idempotency_key, route, request_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (principal, idempotency_key) DO NOTHING RETURNING idempotency_key`,
    [principal, req.key, req.route, hash],
  );
  if (claimed.length === 0) {
    const rows: { request_hash: string; response: unknown }[] = await tx.query(`SELECT request_hash, response FROM idempotent_request WHERE principal = $1 AND idempotency_key = $2`, [principal, req.key]);
    const seen = rows[0];
    if (!seen) throw new Error(`idempotency key ${req.key} of ${principal} vanished`);
    if (seen.request_hash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED', `the Idempotency-Key was used by ${principal} for another request`);
    return { result: codec ? codec.restore(seen.response) : (seen.response as T), replayed: true };
  }
  const result = await work();
  await tx.query(`UPDATE idempotent_request SET response = $3 WHERE principal = $1 AND idempotency_key = $2`, [principal, req.key, JSON.stringify(codec ? codec.store(result) : result) ?? 'null']);
  return { result, replayed: false };
}

/** The header a replayed answer carries (as POST /payments answers a repeated key). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
