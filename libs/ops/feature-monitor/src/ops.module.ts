import { Controller, Get, Header, Inject, Injectable, Module, Res, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { Admin } from 'kafkajs';
import { createKafka, type KafkaSettings } from '@paystream/shared/kafka';
import { createLogger, createMetricsRegistry, traceRequests, type Logger, type Registry } from '@paystream/shared/observability';
import { ClusterReader } from './cluster-reader';
import { OpsMetrics } from './ops-metrics';
import { OpsMonitor, type OpsMonitorSettings } from './ops-monitor';
import { STATUS_PAGE_HTML } from './status-page';

export interface OpsModuleOptions {
  kafka: KafkaSettings;
  /** Consumer groups watched: those whose logical name (without the topic prefix) matches. */
  groupPattern: RegExp;
  monitor: OpsMonitorSettings;
  logLevel: string;
}

/** The ops app's parts, built once and shared by the controller and the lifecycle. */
export class OpsRuntime {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly admin: Admin;
  readonly monitor: OpsMonitor;

  constructor(options: OpsModuleOptions) {
    this.logger = createLogger('ops', options.logLevel);
    this.registry = createMetricsRegistry('ops');
    this.admin = createKafka(options.kafka, this.logger).admin();
    const metrics = new OpsMetrics(this.registry);
    this.monitor = new OpsMonitor(new ClusterReader(this.admin, options.kafka, options.groupPattern), metrics, options.monitor, this.logger.child({ component: 'monitor' }));
  }
}

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

@Controller()
export class OpsController {
  constructor(@Inject(OpsRuntime) private readonly ops: OpsRuntime) {}

  /** The status page: read-only, refreshed from /status.json by its own script. */
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  page() {
    return STATUS_PAGE_HTML;
  }

  @Get('status.json')
  @Header('cache-control', 'no-store')
  status() {
    return this.ops.monitor.status();
  }

  @Get('health/live')
  live() {
    return { status: 'ok', service: 'ops' };
  }

  /** Ready once the cluster has been read, and as long as the last read succeeded. */
  @Get('health')
  health(@Res({ passthrough: true }) reply: FastifyReply) {
    const s = this.ops.monitor.status();
    const ready = s.generatedAt !== null && !s.clusterError;
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', service: 'ops', lastReadAt: s.generatedAt, ...(s.clusterError ? { clusterError: s.clusterError } : {}) };
  }

  @Get('metrics')
  async metrics(@Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('content-type', this.ops.registry.contentType);
    return this.ops.registry.metrics();
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
