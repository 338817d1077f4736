import { RouteConfig } from '@nestjs/platform-fastify';
import { RATE_LIMIT_CLASSES, type RateLimitClass, type StrictRateLimitClass } from './rate-limits';

/** The Fastify route config key @StrictRateLimit writes (read before the body is parsed, by the client-address hook). */
export const RATE_LIMIT_CLASS_CONFIG = 'paystreamRateLimitClass';

/** Puts a route in a stricter rate-limit class than `standard` (an oracle: card tokenisation, identity checks). */
export function StrictRateLimit(routeClass: StrictRateLimitClass) {
  return RouteConfig({ [RATE_LIMIT_CLASS_CONFIG]: routeClass });
}

/** The class of the route a Fastify request matched (`standard` when it declares none, or matched no route). */
export function rateLimitClassOf(request: { routeOptions?: { config?: unknown } }): RateLimitClass {
  const declared = (request.routeOptions?.config as Record<string, unknown> | undefined)?.[RATE_LIMIT_CLASS_CONFIG];
  return (RATE_LIMIT_CLASSES as readonly unknown[]).includes(declared) ? (declared as RateLimitClass) : 'standard';
}
