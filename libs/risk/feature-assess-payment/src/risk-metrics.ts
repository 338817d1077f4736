import { Counter, Gauge, Histogram, LATENCY_BUCKETS_SECONDS, type Registry } from '@paystream/shared/observability';

/** Assessments by decision, and P_risk = (review + reject) / assessed since the process started. */
export class RiskMetrics {
  readonly assessments: Counter<'decision'>;
  readonly ruleHits: Counter<'rule' | 'decision'>;
  readonly limitOutcomes: Counter<'action'>;
  readonly reviews: Counter<'outcome'>;
  readonly assessmentSeconds: Histogram<'decision'>;

  constructor(registry: Registry) {
    const assessments = new Counter({
      name: 'paystream_risk_assessments_total',
      help: 'Risk assessments by decision (approve, review, reject)',
      labelNames: ['decision'],
      registers: [registry],
    });
    this.assessments = assessments;
    this.ruleHits = new Counter({ name: 'paystream_risk_rule_hits_total', help: 'Decisions per rule that fired, by the decision they led to', labelNames: ['rule', 'decision'], registers: [registry] });
    this.assessmentSeconds = new Histogram({
      name: 'paystream_risk_assessment_seconds',
      help: 'Time to assess a payment (rules, identity level, limit reservation, decision stored), by decision',
      labelNames: ['decision'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    this.reviews = new Counter({ name: 'paystream_risk_reviews_total', help: 'Held payments settled, by outcome (approved, rejected, expired)', labelNames: ['outcome'], registers: [registry] });
    this.limitOutcomes = new Counter({ name: 'paystream_risk_limit_reservations_total', help: 'Limit reservations committed (payment succeeded) or released (failed or refunded)', labelNames: ['action'], registers: [registry] });
    new Gauge({
      name: 'paystream_p_risk',
      help: 'P_risk = risk interventions (review + reject) / assessed payments, since start',
      registers: [registry],
      async collect() {
        const values = (await assessments.get()).values;
        const of = (d: string) => values.filter((v) => v.labels.decision === d).reduce((a, v) => a + v.value, 0);
        const assessed = of('approve') + of('review') + of('reject');
        this.set(assessed === 0 ? 0 : (of('review') + of('reject')) / assessed);
      },
    });
  }
}
