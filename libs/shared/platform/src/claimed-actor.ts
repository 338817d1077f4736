import { ApiError } from './api-error';

/**
 * Body fields that would name who acts. None of them is read anywhere: the actor of every change is
 * the authenticated principal (actorOf). A body naming one is refused, so a caller who believes it
 * acts as someone else learns at once that it does not (docs/design/trust-boundary.md section 5).
 */
export const ACTOR_CLAIM_FIELDS = ['by', 'actor', 'operator', 'operatorName', 'createdBy', 'reviewer', 'proposedBy', 'approvedBy', 'rejectedBy', 'cancelledBy', 'requestedBy', 'replayedBy', 'changedBy'] as const;

/**
 * Refuses (400 VALIDATION_FAILED, naming the field) a JSON body that names an actor at its top level.
 * Routes call it before their own schema, so the refusal is the same on every route whatever the
 * route's own validation code is.
 */
export function refuseActorClaim(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const field = ACTOR_CLAIM_FIELDS.find((f) => Object.prototype.hasOwnProperty.call(body, f));
  if (field === undefined) return;
  throw new ApiError('VALIDATION_FAILED', `${field}: a request does not name its actor; the actor is the principal its credential authenticates`, { field });
}
