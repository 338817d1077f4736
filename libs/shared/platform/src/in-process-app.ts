import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { assertEveryRouteAllowed } from '@paystream/shared/auth';
import { traceRequests } from '@paystream/shared/observability';
import { ApiErrorFilter } from './api-error';
import { Platform } from './platform';
import { StorableTextGuard } from './storable-text.guard';

/**
 * A service's app module started in this process without listening (integration specs use app.inject),
 * with the same route check and guards as a running service; `now` is the clock the auth guard reads.
 */
export async function startInProcessApp(appModule: Parameters<typeof NestFactory.create>[0], options: { now?: () => Date } = {}): Promise<NestFastifyApplication> {
  // abortOnError: false, so a failing start fails the spec with its error instead of killing the worker
  const app = await NestFactory.create<NestFastifyApplication>(appModule, new FastifyAdapter(), { logger: false, abortOnError: false, rawBody: true });
  traceRequests(app.getHttpAdapter().getInstance());
  const platform = app.get(Platform, { strict: false });
  app.useGlobalFilters(new ApiErrorFilter(platform.logger));
  assertEveryRouteAllowed(app, platform.config.service);
  app.useGlobalGuards(platform.authGuard(options.now), new StorableTextGuard());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
