import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { serviceHttpAdapter } from './http-server';
import { Platform } from './platform';
import { configureServiceApp } from './service-app';

/**
 * A service's app module started in this process without listening (integration specs use app.inject),
 * with the same HTTP limits, route check, rate limits and guards as a running service; `now` is the
 * clock the auth guard reads.
 */
export async function startInProcessApp(appModule: Parameters<typeof NestFactory.create>[0], options: { now?: () => Date } = {}): Promise<NestFastifyApplication> {
  // abortOnError: false, so a failing start fails the spec with its error instead of killing the worker
  const app = await NestFactory.create<NestFastifyApplication>(appModule, serviceHttpAdapter({ trustProxy: false }), { logger: false, abortOnError: false, rawBody: true });
  const platform = app.get(Platform, { strict: false });
  configureServiceApp(app, platform, platform.config.service, options.now);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
