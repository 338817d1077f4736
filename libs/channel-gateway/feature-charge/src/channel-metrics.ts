import { Counter, Gauge, Histogram, LATENCY_BUCKETS_SECONDS, type Registry } from '@paystream/shared/observability';

/** Charges by channel and outcome, channel call latency, and queries of unknown outcomes. */
export class ChannelMetrics {
  readonly charges: Counter<'channel' | 'outcome'>;
  readonly callSeconds: Histogram<'channel' | 'call'>;
  readonly queries: Counter<'channel' | 'result'>;
  readonly attempts: Counter<'channel'>;
  readonly resolved: Counter<'channel' | 'via'>;
  readonly janitorResolutionSeconds: Histogram<'channel' | 'via'>;
  readonly conflicts: Counter<'channel' | 'source'>;
  readonly closes: Counter<'channel' | 'result'>;
  readonly unknownOutstanding: Gauge<'channel'>;
  readonly refundQueries: Counter<'channel' | 'result'>;
  readonly refundsUnknownOutstanding: Gauge<'channel'>;
  readonly notifications: Counter<'channel' | 'result'>;
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
    this.queries = new Counter({ name: 'paystream_channel_queries_total', help: 'Janitor queries of unknown outcomes by channel and result (succeeded, failed, pending, not-found)', labelNames: ['channel', 'result'], registers });
    this.attempts = new Counter({ name: 'paystream_channel_attempts_total', help: 'Charges sent to each channel (success rate = charges{outcome="succeeded"} / attempts)', labelNames: ['channel'], registers });
    this.resolved = new Counter({ name: 'paystream_channel_outcomes_resolved_total', help: 'Final outcomes by channel and by who told first (response, notification, query, close)', labelNames: ['channel', 'via'], registers });
    this.janitorResolutionSeconds = new Histogram({
      name: 'paystream_channel_janitor_resolution_seconds',
      help: 'From the charge to its outcome, for outcomes the janitor settled (query or close)',
      labelNames: ['channel', 'via'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3_600],
      registers,
    });
    this.conflicts = new Counter({ name: 'paystream_channel_outcome_conflicts_total', help: 'Reports contradicting a stored final outcome (alert): by channel and source', labelNames: ['channel', 'source'], registers });
    this.closes = new Counter({ name: 'paystream_channel_closes_total', help: 'Trades closed at the channel after the maximum age, by result', labelNames: ['channel', 'result'], registers });
    this.unknownOutstanding = new Gauge({ name: 'paystream_channel_unknown_outstanding', help: 'Charges whose outcome is still unknown, per channel', labelNames: ['channel'], registers });
    this.refundQueries = new Counter({ name: 'paystream_channel_refund_queries_total', help: 'Janitor queries of unknown refunds by channel and result (succeeded, failed, pending, not-found)', labelNames: ['channel', 'result'], registers });
    this.refundsUnknownOutstanding = new Gauge({ name: 'paystream_channel_refunds_unknown_outstanding', help: 'Refunds whose outcome is still unknown (they hold their part of the capture), per channel', labelNames: ['channel'], registers });
    this.notifications = new Counter({
      name: 'paystream_channel_notifications_total',
      help: 'Channel notifications by channel and result: accepted verdicts (advance, duplicate, no-change, conflict) and rejections (bad-signature, stale, replayed, mismatched-*, unknown-trade, malformed)',
      labelNames: ['channel', 'result'],
      registers,
    });
  }
}
