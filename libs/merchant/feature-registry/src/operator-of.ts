import { Actors } from '@paystream/shared/audit-log';
import { actorOf, type ActorRequest } from '@paystream/shared/platform';

/**
 * The operator a registry request acts as, written `<kind>:<id>` (audit rows, the four-eyes
 * check, the merchant's notification): the authenticated principal (actorOf). The body's `by`
 * is no longer read: a claim in the body proves nothing.
 */
export function operatorOf(request: ActorRequest, _claimedBy?: string): string {
  return Actors.format(actorOf(request));
}
