import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds for payment flows (10 ms .. 30 s). */
export const LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A Prometheus registry for one service, with default process metrics and a `service` label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'paystream_process_' });
  return registry;
}

/** Metrics every service exposes for its Kafka consumers and its outbox. */
export class MessagingMetrics {
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly consumed: Counter<'group' | 'topic' | 'result'>;
  readonly deadLettered: Counter<'group' | 'topic'>;
  readonly handlerSeconds: Histogram<'group' | 'topic'>;
  readonly outboxBacklog: Gauge;
  readonly outboxOldestAgeSeconds: Gauge;
  readonly outboxPublished: Counter<'topic'>;

  constructor(registry: Registry) {
    this.consumerLag = new Gauge({
      name: 'paystream_consumer_lag',
      help: 'Messages behind the high watermark per consumer group, topic and partition (committed offsets)',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    });
    this.consumed = new Counter({
      name: 'paystream_messages_consumed_total',
      help: 'Messages consumed, by result: processed, duplicate, dead_lettered',
      labelNames: ['group', 'topic', 'result'],
      registers: [registry],
    });
    this.deadLettered = new Counter({
      name: 'paystream_dlq_messages_total',
      help: 'Messages sent to a dead-letter topic',
      labelNames: ['group', 'topic'],
      registers: [registry],
    });
    this.handlerSeconds = new Histogram({
      name: 'paystream_consumer_handler_seconds',
      help: 'Time to process one message, including its database transaction',
      labelNames: ['group', 'topic'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    this.outboxBacklog = new Gauge({
      name: 'paystream_outbox_backlog',
      help: 'Outbox rows not yet published',
      registers: [registry],
    });
    this.outboxOldestAgeSeconds = new Gauge({
      name: 'paystream_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row, 0 when empty',
      registers: [registry],
    });
    this.outboxPublished = new Counter({
      name: 'paystream_outbox_published_total',
      help: 'Outbox rows published to Kafka',
      labelNames: ['topic'],
      registers: [registry],
    });
  }
}
