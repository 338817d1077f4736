import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { assertEveryRouteAllowed, clientAddressKey, RateLimited, rateLimitClassOf, type RequestRateLimits, type RouteEntry } from '@paystream/shared/auth';
import { traceRequests } from '@paystream/shared/observability';
import { ApiErrorFilter, sendRateLimited } from './api-error';
import type { Platform } from './platform';
import { StorableTextGuard } from './storable-text.guard';

/**
 * What every service's app (and ops') gets before it starts: request tracing, the client-address rate
 * limit (before the body is read), the error filter, the route check (deny by default: a route without
 * @Allow throws) and the global guards (who may call, then storable text). Answers the route table.
 */
export function configureServiceApp(app: NestFastifyApplication, platform: Platform, service: string, now?: () => Date): RouteEntry[] {
  const fastify = app.getHttpAdapter().getInstance();
  traceRequests(fastify);
  limitClientAddresses(fastify, platform.rateLimits);
  app.useGlobalFilters(new ApiErrorFilter(platform.logger));
  const routes = assertEveryRouteAllowed(app, service);
  app.useGlobalGuards(platform.authGuard(now), new StorableTextGuard());
  return routes;
}

/**
 * Every request, on any route (also one that matches none), takes a token from its client address's
 * buckets as soon as its headers are in, before its body is read or its credential looked up: a flood
 * of bad signatures costs 429s, not database reads. Over the limit it is answered 429 RATE_LIMITED.
 */
export function limitClientAddresses(fastify: FastifyInstance, limits: Pick<RequestRateLimits, 'admitClientAddress'>): void {
  fastify.addHook('onRequest', async (request, reply) => {
    try {
      limits.admitClientAddress(clientAddressKey(request.ip), rateLimitClassOf(request));
    } catch (error) {
      if (error instanceof RateLimited) return sendRateLimited(reply, String(request.id), error);
      throw error;
    }
  });
}
