import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { assertEveryRouteAllowed } from '@paystream/shared/auth';
import { traceRequests } from '@paystream/shared/observability';
import { ApiErrorFilter } from './api-error';
import { Platform } from './platform';
import { StorableTextGuard } from './storable-text.guard';

/** Body size limit for every service's HTTP API. */
export const HTTP_BODY_LIMIT_BYTES = 256 * 1024;
/** How long a service whose consumer died may take to close before it exits anyway. */
export const FATAL_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Creates and starts a Nest service on Fastify; on any start-up failure (bad config, no database,
 * no broker) it prints why and exits with status 1 instead of half-starting.
 */
export async function bootstrapService(appModule: Parameters<typeof NestFactory.create>[0], opts: { service: string; host: string; port: number }): Promise<NestFastifyApplication> {
  try {
    const app = await NestFactory.create<NestFastifyApplication>(
      appModule,
      new FastifyAdapter({ bodyLimit: HTTP_BODY_LIMIT_BYTES, genReqId: (req: { headers: IncomingMessage['headers'] }) => String(req.headers['x-request-id'] ?? randomUUID()) }),
      // rawBody: channel notifications are verified over the exact bytes received
      { logger: ['error', 'warn'], abortOnError: false, rawBody: true },
    );
    traceRequests(app.getHttpAdapter().getInstance());
    const platform = app.get(Platform, { strict: false });
    app.useGlobalFilters(new ApiErrorFilter(platform.logger));
    // deny by default: a route without @Allow keeps the service from starting
    const routes = assertEveryRouteAllowed(app, opts.service);
    // the route table with who may call each route (the route matrix spec reads it from the log)
    platform.logger.info({ routes: routes.map((r) => ({ method: r.method, path: r.path, allow: r.policies })) }, 'routes');
    app.useGlobalGuards(platform.authGuard(), new StorableTextGuard());
    app.enableShutdownHooks();
    // a consumer that is dead for good is not half-run: close what is open and let the supervisor restart us
    platform.onConsumerFatal((error) => void exitAfterClose(app, platform, error));
    await app.listen(opts.port, opts.host);
    platform.logger.info({ host: opts.host, port: opts.port }, `${opts.service} listening`);
    return app;
  } catch (error) {
    process.stderr.write(`${opts.service} failed to start: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  }
}

/**
 * The whole main.ts of a service: validates configuration (refusing to start with the reasons on a
 * bad one), builds the app module from it and starts listening.
 */
export async function runService<C extends { host: string; port: number }>(
  service: string,
  loadConfig: () => C,
  buildModule: (config: C) => Parameters<typeof NestFactory.create>[0],
): Promise<NestFastifyApplication> {
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${service} refused to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  return bootstrapService(buildModule(config), { service, host: config.host, port: config.port });
}

/** Closes the app (stopping the platform) within FATAL_SHUTDOWN_TIMEOUT_MS, then exits with status 1. */
async function exitAfterClose(app: NestFastifyApplication, platform: Platform, error: Error): Promise<void> {
  platform.logger.fatal({ err: error }, 'consumer is dead; closing and exiting so the supervisor restarts the service');
  const deadline = setTimeout(() => process.exit(1), FATAL_SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  await app.close().catch((e: unknown) => platform.logger.error({ err: e }, 'close after consumer death failed'));
  process.exit(1);
}
