import { Counter, Gauge, Histogram, LATENCY_BUCKETS_SECONDS, type Registry } from '@paystream/shared/observability';

/**
 * Payment flow metrics. P_success = succeeded / attempted, where attempted counts payments that
 * reached an outcome (succeeded, failed at the channel, or rejected by risk) since the process started.
 */
export class PaymentMetrics {
  readonly requested: Counter<'source' | 'result'>;
  readonly succeeded: Counter;
  readonly failed: Counter<'code'>;
  readonly conflicts: Counter;
  readonly outcomeSeconds: Histogram<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requested = new Counter({
      name: 'paystream_payments_requested_total',
      help: 'Payment requests by source (kafka, api) and result (created, duplicate, conflict)',
      labelNames: ['source', 'result'],
      registers,
    });
    this.succeeded = new Counter({ name: 'paystream_payments_succeeded_total', help: 'Payments that succeeded', registers });
    this.failed = new Counter({
      name: 'paystream_payments_failed_total',
      help: 'Payments that failed or were rejected, by reason code',
      labelNames: ['code'],
      registers,
    });
    this.conflicts = new Counter({
      name: 'paystream_payment_outcome_conflicts_total',
      help: 'Channel outcomes contradicting a final payment status (never applied; investigate)',
      registers,
    });
    this.outcomeSeconds = new Histogram({
      name: 'paystream_payment_outcome_seconds',
      help: 'Time from recording a payment to its outcome',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    const succeeded = this.succeeded;
    const failed = this.failed;
    // read at scrape time from the counters, so it never drifts from them
    new Gauge({
      name: 'paystream_p_success',
      help: 'P_success = succeeded / attempted payments (attempted = succeeded + failed + rejected), since start',
      registers,
      async collect() {
        const s = sum(await succeeded.get());
        const f = sum(await failed.get());
        this.set(s + f === 0 ? 0 : s / (s + f));
      },
    });
  }

  /** Records an outcome and how long the payment took to reach it. */
  outcome(kind: 'succeeded' | 'failed', createdAt: Date, code?: string): void {
    if (kind === 'succeeded') this.succeeded.inc();
    else this.failed.inc({ code: code ?? 'UNKNOWN' });
    this.outcomeSeconds.observe({ outcome: kind }, Math.max(0, (Date.now() - createdAt.getTime()) / 1000));
  }
}

function sum(metric: { values: { value: number }[] }): number {
  return metric.values.reduce((acc, v) => acc + v.value, 0);
}
