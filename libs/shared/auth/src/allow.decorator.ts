import { SetMetadata } from '@nestjs/common';
import type { Policy } from './principal';

/** The metadata key @Allow writes (read by the guard and the start-up route check). */
export const ALLOW_METADATA = 'paystream:allow';

/**
 * Declares who may call a route (on a handler, or on a controller for all its handlers; the
 * handler's wins). A route without it is refused at start-up.
 */
export function Allow(...policies: [Policy, ...Policy[]]) {
  return SetMetadata(ALLOW_METADATA, Object.freeze([...policies]));
}
