import { Actors } from '@paystream/shared/audit-log';
import { actorOf, type ActorRequest } from '@paystream/shared/platform';

/**
 * The operator a registry request acts as, written `<kind>:<id>` (audit rows, the four-eyes
 * check, the merchant's notification): the authenticated principal (actorOf). No body names it.
 */
export function operatorOf(request: ActorRequest): string {
  return Actors.format(actorOf(request));
}
