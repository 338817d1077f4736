import { parseIdempotencyKey } from '@paystream/contracts';
import { ApiError } from './api-error';

/** The Idempotency-Key header of a write request, or an ApiError (IDEMPOTENCY_KEY_MISSING / VALIDATION_FAILED). */
export function requireIdempotencyKey(raw: string | undefined): string {
  const parsed = parseIdempotencyKey(raw);
  if (parsed.ok) return parsed.key;
  throw parsed.problem.code === 'IDEMPOTENCY_KEY_MISSING' ? new ApiError('IDEMPOTENCY_KEY_MISSING') : new ApiError('VALIDATION_FAILED', parsed.problem.detail);
}
