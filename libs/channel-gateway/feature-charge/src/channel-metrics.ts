import { Counter, Gauge, Histogram, LATENCY_BUCKETS_SECONDS, type Registry } from '@paystream/shared/observability';

/** Charges by channel and outcome, channel call latency, and queries of unknown outcomes. */
export class ChannelMetrics {
  readonly charges: Counter<'channel' | 'outcome'>;
  readonly callSeconds: Histogram<'channel' | 'call'>;
  readonly queries: Counter<'result'>;
  readonly breakerState: Gauge<'channel' | 'operation'>;
  readonly breakerTransitions: Counter<'channel' | 'operation' | 'to'>;
  readonly routed: Counter<'requested' | 'channel'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.charges = new Counter({ name: 'paystream_channel_charges_total', help: 'Charges by channel and outcome', labelNames: ['channel', 'outcome'], registers });
    this.callSeconds = new Histogram({
      name: 'paystream_channel_call_seconds',
      help: 'Channel call latency by channel and call (charge, query)',
      labelNames: ['channel', 'call'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.breakerState = new Gauge({
      name: 'paystream_channel_breaker_state',
      help: 'Circuit breaker state per channel and operation: 0 closed, 1 half-open, 2 open',
      labelNames: ['channel', 'operation'],
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'paystream_channel_breaker_transitions_total',
      help: 'Circuit breaker transitions per channel and operation, by the state moved to',
      labelNames: ['channel', 'operation', 'to'],
      registers,
    });
    this.routed = new Counter({
      name: 'paystream_channel_routed_total',
      help: 'Charges by the channel asked for ("none" when the shopper did not choose) and the channel used',
      labelNames: ['requested', 'channel'],
      registers,
    });
    this.queries = new Counter({ name: 'paystream_channel_queries_total', help: 'Queries of unknown outcomes by result (succeeded, failed, pending)', labelNames: ['result'], registers });
  }
}
