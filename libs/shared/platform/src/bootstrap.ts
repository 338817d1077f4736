import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { PlatformConfig } from './config';
import { serviceHttpAdapter } from './http-server';
import { Platform } from './platform';
import { configureServiceApp } from './service-app';
/** How long a service whose consumer died may take to close before it exits anyway. */
export const FATAL_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Creates and starts a Nest service on Fastify; on any start-up failure (bad config, no database,
 * no broker) it prints why and exits with status 1 instead of half-starting.
 */
export async function bootstrapService(
  appModule: Parameters<typeof NestFactory.create>[0],
  opts: { service: string; host: string; port: number; trustProxy: PlatformConfig['trustProxy'] },
): Promise<NestFastifyApplication> {
  try {
    const app = await NestFactory.create<NestFastifyApplication>(
      appModule,
      serviceHttpAdapter({ trustProxy: opts.trustProxy }),
      // rawBody: channel notifications are verified over the exact bytes received
      { logger: ['error', 'warn'], abortOnError: false, rawBody: true },
    );
    const platform = app.get(Platform, { strict: false });
    // deny by default: a route without @Allow keeps the service from starting
    const routes = configureServiceApp(app, platform, opts.service);
    // the route table with who may call each route (the route matrix spec reads it from the log)
    platform.logger.info({ routes: routes.map((r) => ({ method: r.method, path: r.path, allow: r.policies })) }, 'routes');
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
export async function runService<C extends Pick<PlatformConfig, 'host' | 'port' | 'trustProxy'>>(
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
  return bootstrapService(buildModule(config), { service, host: config.host, port: config.port, trustProxy: config.trustProxy });
}

/** Closes the app (stopping the platform) within FATAL_SHUTDOWN_TIMEOUT_MS, then exits with status 1. */
async function exitAfterClose(app: NestFastifyApplication, platform: Platform, error: Error): Promise<void> {
  platform.logger.fatal({ err: error }, 'consumer is dead; closing and exiting so the supervisor restarts the service');
  const deadline = setTimeout(() => process.exit(1), FATAL_SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  await app.close().catch((e: unknown) => platform.logger.error({ err: e }, 'close after consumer death failed'));
  process.exit(1);
}
