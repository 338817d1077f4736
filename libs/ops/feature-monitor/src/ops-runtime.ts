import type { Admin } from 'kafkajs';
import { createKafka, type KafkaSettings } from '@paystream/shared/kafka';
import type { Logger, Registry } from '@paystream/shared/observability';
import type { Platform, PlatformConfig } from '@paystream/shared/platform';
import { ClusterReader } from './cluster-reader';
import { OpsMetrics } from './ops-metrics';
import { OpsMonitor, type OpsMonitorSettings } from './ops-monitor';

export interface OpsModuleOptions {
  kafka: KafkaSettings;
  /** Consumer groups watched: those whose logical name (without the topic prefix) matches. */
  groupPattern: RegExp;
  monitor: OpsMonitorSettings;
  logLevel: string;
  /**
   * The platform ops runs on like every service: its database (DLQ replays, and its copy of the
   * credentials, fed by the credential.* events), the pepper its callers' tokens are verified with,
   * its rate limits.
   */
  platform: PlatformConfig;
}

/** The ops app's parts, built once and shared by the controller and the lifecycle. */
export class OpsRuntime {
  readonly logger: Logger;
  /** The platform's registry: the cluster gauges beside the auth refusals, rate limits and messaging metrics. */
  readonly registry: Registry;
  readonly admin: Admin;
  readonly monitor: OpsMonitor;

  constructor(
    readonly options: OpsModuleOptions,
    platform: Platform,
  ) {
    this.logger = platform.logger;
    this.registry = platform.registry;
    this.admin = createKafka(options.kafka, this.logger).admin();
    const metrics = new OpsMetrics(this.registry);
    this.monitor = new OpsMonitor(new ClusterReader(this.admin, options.kafka, options.groupPattern), metrics, options.monitor, this.logger.child({ component: 'monitor' }));
  }
}
