import { Counter, Histogram, LATENCY_BUCKETS_SECONDS, type Registry } from '@paystream/shared/observability';

/** Charges by channel and outcome, channel call latency, and queries of unknown outcomes. */
export class ChannelMetrics {
  readonly charges: Counter<'channel' | 'outcome'>;
  readonly callSeconds: Histogram<'channel' | 'call'>;
  readonly queries: Counter<'result'>;

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
    this.queries = new Counter({ name: 'paystream_channel_queries_total', help: 'Queries of unknown outcomes by result (succeeded, failed, pending)', labelNames: ['result'], registers });
  }
}
