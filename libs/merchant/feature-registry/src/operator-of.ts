import { Actors } from '@paystream/shared/audit-log';
import { actorOf, type ActorRequest } from '@paystream/shared/platform';

/**
 * The finance operator a registry request acts as, written `<kind>:<id>` (audit rows, the four-eyes
 * check, the merchant's notification). The one place the registry asks who is calling.
 * TODO(issue 14): actorOf returns the authenticated principal once the auth slice lands; the `by`
 * field of the body is then ignored (actorOf stops reading it).
 */
export function operatorOf(request: ActorRequest, claimedBy: string | undefined): string {
  return Actors.format(actorOf(request, claimedBy));
}
