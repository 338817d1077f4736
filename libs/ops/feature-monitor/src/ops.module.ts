import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DlqReplayTable1764900000000 } from '@paystream/ops/feature-dlq';
import { Platform, PlatformLifecycle } from '@paystream/shared/platform';
import { OpsController } from './ops.controller';
import { OpsRuntime, type OpsModuleOptions } from './ops-runtime';

/** Connects the admin client and takes the first reading before the app listens; stops both on shutdown. */
@Injectable()
export class OpsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(OpsRuntime) private readonly ops: OpsRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ops.admin.connect();
    await this.ops.monitor.start();
    const { pollIntervalMs, stallAfterMs, targets } = this.ops.options.monitor;
    // whether a monitoring token is configured, never the token
    const watched = targets.map((t) => ({ service: t.service, url: t.url, metricsToken: t.metricsToken ? 'configured' : 'none' }));
    this.ops.logger.info({ pollIntervalMs, stallAfterMs, targets: watched }, 'ops monitor started');
    if (targets.some((t) => !t.metricsToken)) this.ops.logger.warn('no monitoring token (OPS_MONITORING_TOKEN_FILE): the services answer /metrics 401, so the ratios and breakers stay empty');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ops.monitor.stop();
    await this.ops.admin.disconnect();
  }
}

/**
 * ops: lag, stalls and dead letters from the Kafka admin API, service health, and the status page;
 * on the platform every service runs on (not its /health and /metrics, ops has its own), so its
 * routes are behind the same guard: its database keeps its copy of the credentials.
 */
@Module({})
export class OpsModule {
  static forRoot(options: OpsModuleOptions): DynamicModule {
    return {
      module: OpsModule,
      controllers: [OpsController],
      providers: [
        // the DLQ replay record (the DLQ CLI's) and, from the platform, the credential copy, the nonces, inbox and audit chain
        { provide: Platform, useFactory: () => Platform.open({ config: options.platform, migrations: [DlqReplayTable1764900000000], producesTopics: [] }) },
        PlatformLifecycle,
        { provide: OpsRuntime, useFactory: (platform: Platform) => new OpsRuntime(options, platform), inject: [Platform] },
        OpsLifecycle,
      ],
      exports: [OpsRuntime, Platform],
    };
  }
}
