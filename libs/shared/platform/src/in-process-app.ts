import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { traceRequests } from '@paystream/shared/observability';
import { ApiErrorFilter } from './api-error';
import { Platform } from './platform';
import { StorableTextGuard } from './storable-text.guard';

/** A service's app module started in this process without listening (integration specs use app.inject). */
export async function startInProcessApp(appModule: Parameters<typeof NestFactory.create>[0]): Promise<NestFastifyApplication> {
  // abortOnError: false, so a failing start fails the spec with its error instead of killing the worker
  const app = await NestFactory.create<NestFastifyApplication>(appModule, new FastifyAdapter(), { logger: false, abortOnError: false, rawBody: true });
  traceRequests(app.getHttpAdapter().getInstance());
  const platform = app.get(Platform, { strict: false });
  app.useGlobalFilters(new ApiErrorFilter(platform.logger));
  app.useGlobalGuards(new StorableTextGuard());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
