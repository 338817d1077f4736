import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { traceRequests } from '@paystream/shared/observability';
import { OpsController } from './ops.controller';
import { OpsRuntime, type OpsModuleOptions } from './ops-runtime';

/** Connects the admin client and takes the first reading before the app listens; stops both on shutdown. */
@Injectable()
export class OpsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(OpsRuntime) private readonly ops: OpsRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ops.admin.connect();
    await this.ops.monitor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ops.monitor.stop();
    await this.ops.admin.disconnect();
  }
}

/** ops: lag, stalls and dead letters from the Kafka admin API, service health, and the status page. */
@Module({})
export class OpsModule {
  static forRoot(options: OpsModuleOptions): DynamicModule {
    return {
      module: OpsModule,
      controllers: [OpsController],
      providers: [{ provide: OpsRuntime, useFactory: () => new OpsRuntime(options) }, OpsLifecycle],
      exports: [OpsRuntime],
    };
  }
}

/** Creates the ops app on Fastify (not listening yet: main listens, specs listen on a free port or inject). */
export async function createOpsApp(options: OpsModuleOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(OpsModule.forRoot(options), new FastifyAdapter(), { logger: ['error', 'warn'], abortOnError: false });
  traceRequests(app.getHttpAdapter().getInstance());
  app.enableShutdownHooks();
  return app;
}
