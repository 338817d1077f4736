import { Actors, UNAUTHENTICATED_OPERATOR, type Actor } from '@paystream/shared/audit-log';

/** What actorOf reads of an HTTP request (a Fastify request has it). */
export interface ActorRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The operator an HTTP request acts as, recorded as the actor of its audit rows. Every operator
 * route of every service asks this one function, so authentication changes only this place.
 * TODO(issue 14): today no request carries an authenticated principal, so this is the operator the
 * body claims (`by`, `reviewer`, `createdBy`: unproven) or `operator:unauthenticated`; make it the
 * authenticated principal (operator token or merchant key) and stop reading the body.
 */
export function actorOf(_request: ActorRequest, claimedBy?: string): Actor {
  return Actors.operator(claimedBy ?? UNAUTHENTICATED_OPERATOR);
}
