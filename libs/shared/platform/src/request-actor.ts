import { Actors, type Actor } from '@paystream/shared/audit-log';
import { principalOf } from '@paystream/shared/auth';

/** What actorOf reads of an HTTP request (a Fastify request has it; the auth guard attached its principal). */
export interface ActorRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Who an HTTP request acts as, recorded as the actor of its audit rows and changes: the principal
 * the auth guard authenticated (operator token, merchant key, service token), never a field of the
 * request body. Every route of every service asks this one function.
 */
export function actorOf(request: ActorRequest): Actor {
  const principal = principalOf(request);
  switch (principal?.kind) {
    case 'operator':
      return Actors.operator(principal.operatorId);
    case 'merchant':
      return Actors.merchant(principal.merchantId);
    case 'service':
      return Actors.service(principal.name);
    default:
      // a public or channel route names no actor: asking is a programming error, not a request to record
      throw new Error(`actorOf: the request carries no authenticated principal (${principal?.kind ?? 'no guard ran'})`);
  }
}
