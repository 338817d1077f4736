import { createKafka, type KafkaSettings } from '@paystream/shared/kafka';
import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@paystream/shared/observability';
import type { Admin } from 'kafkajs';
import { ClusterReader } from './cluster-reader';
import { OpsMetrics } from './ops-metrics';
import { OpsMonitor, type OpsMonitorSettings } from './ops-monitor';

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
