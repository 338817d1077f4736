import { storableText } from './storable-text';

/** Longest Idempotency-Key accepted, in characters. */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;

/** The format of an Idempotency-Key: 1-255 printable ASCII characters, no spaces. */
export const idempotencyKeySchema = storableText()
  .min(1)
  .max(IDEMPOTENCY_KEY_LENGTH_MAX)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Why an Idempotency-Key header was refused: absent (or empty), or not in the format. */
export type IdempotencyKeyProblem = { code: 'IDEMPOTENCY_KEY_MISSING' } | { code: 'VALIDATION_FAILED'; detail: string };

/** Checks an Idempotency-Key header value: the key, or the problem with its stable error code. */
export function parseIdempotencyKey(raw: string | undefined): { ok: true; key: string } | { ok: false; problem: IdempotencyKeyProblem } {
  if (raw === undefined || raw === '') return { ok: false, problem: { code: 'IDEMPOTENCY_KEY_MISSING' } };
  const parsed = idempotencyKeySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problem: { code: 'VALIDATION_FAILED', detail: `Idempotency-Key: ${parsed.error.issues[0]?.message}` } };
  return { ok: true, key: parsed.data };
}
