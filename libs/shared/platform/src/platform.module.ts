import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Res,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Allow } from '@paystream/shared/auth';
import { Platform, type PlatformOptions } from './platform';

/** Starts the platform after every module registered its consumers, and stops it on shutdown. */
@Injectable()
export class PlatformLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(Platform) private readonly platform: Platform) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.platform.start();
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.platform.logger.info({ signal }, 'shutting down');
    await this.platform.stop();
  }
}

@Controller()
export class HealthController {
  constructor(@Inject(Platform) private readonly platform: Platform) {}

  /** Liveness: the process answers. */
  @Get('health/live')
  @Allow('public')
  live() {
    return { status: 'ok', service: this.platform.config.service };
  }

  /** Readiness: database, Kafka and consumer. */
  @Get('health')
  @Allow('public')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const { ready, checks } = await this.platform.readiness();
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', service: this.platform.config.service, checks, lag: this.platform.lag(), details: this.platform.healthDetails() };
  }

  @Get('metrics')
  @Allow('service:monitoring')
  async metrics(@Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('content-type', this.platform.registry.contentType);
    return this.platform.registry.metrics();
  }
}

/** Database, Kafka, outbox/inbox, health and metrics for a service, available to every module. */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController],
      providers: [{ provide: Platform, useFactory: () => Platform.open(options) }, PlatformLifecycle],
      exports: [Platform],
    };
  }
}
