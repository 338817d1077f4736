import { Counter, Gauge, type Registry } from '@paystream/shared/observability';
import type { Principal } from './principal';
import { RateLimited } from './rate-limited';
import { RateLimiter, type RateCheck } from './rate-limiter';
import type { RateLimitClass, RateLimits, RateLimitSubject } from './rate-limits';

/** paystream_rate_limited_total{route_class,reason}: requests refused 429, by route class and whose bucket was empty. */
export class RateLimitMetrics {
  readonly limited: Counter<'route_class' | 'reason'>;

  constructor(registry: Registry, buckets: () => number) {
    const existing = registry.getSingleMetric('paystream_rate_limited_total') as Counter<'route_class' | 'reason'> | undefined;
    this.limited =
      existing ??
      new Counter({
        name: 'paystream_rate_limited_total',
        help: 'HTTP requests refused 429 RATE_LIMITED, by route class and by whose bucket was empty (client-address, merchant-key, operator-token, service-token)',
        labelNames: ['route_class', 'reason'],
        registers: [registry],
      });
    if (!registry.getSingleMetric('paystream_rate_limit_buckets')) {
      new Gauge({
        name: 'paystream_rate_limit_buckets',
        help: 'Rate-limit buckets this process holds in memory (bounded; idle ones are forgotten)',
        registers: [registry],
        collect() {
          this.set(buckets());
        },
      });
    }
  }
}

interface SubjectCheck extends RateCheck {
  subject: RateLimitSubject;
}

/**
 * A service's rate limits (docs/design/trust-boundary.md section 8): every request against its client
 * address before anything else is done for it, every authenticated one against its credential as
 * soon as that is verified; a strict route class adds its own bucket to both. In this process's
 * memory: each replica limits on its own.
 */
export class RequestRateLimits {
  private readonly limiter: RateLimiter;
  private readonly metrics: RateLimitMetrics;

  constructor(
    readonly limits: RateLimits,
    registry: Registry,
    limiter?: RateLimiter,
  ) {
    this.limiter = limiter ?? new RateLimiter();
    this.metrics = new RateLimitMetrics(registry, () => this.limiter.size);
  }

  /** Takes the request's token from its client address's buckets, or throws RateLimited. */
  admitClientAddress(addressKey: string, routeClass: RateLimitClass): void {
    this.admit(this.checks('client-address', addressKey, routeClass), routeClass);
  }

  /**
   * Takes the request's token from its credential's buckets (none for public and channel requests), or
   * throws RateLimited; answers how to give the token back.
   */
  admitPrincipal(principal: Principal, routeClass: RateLimitClass): () => void {
    const subject = subjectOf(principal);
    if (!subject) return () => undefined;
    const checks = this.checks(subject.subject, subject.id, routeClass);
    this.admit(checks, routeClass);
    return () => this.limiter.refund(checks);
  }

  private checks(subject: RateLimitSubject, id: string, routeClass: RateLimitClass): SubjectCheck[] {
    const checks: SubjectCheck[] = [{ key: `${subject}|standard|${id}`, limit: this.limits.standard[subject], subject }];
    if (routeClass !== 'standard') checks.push({ key: `${subject}|${routeClass}|${id}`, limit: this.limits.strict[routeClass], subject });
    return checks;
  }

  private admit(checks: SubjectCheck[], routeClass: RateLimitClass): void {
    const admission = this.limiter.admit(checks);
    if (admission.admitted) return;
    const subject = (admission.refused as SubjectCheck).subject;
    this.metrics.limited.inc({ route_class: routeClass, reason: subject });
    throw new RateLimited(subject, routeClass, Math.max(1, Math.ceil(admission.retryAfterMs / 1000)));
  }
}

function subjectOf(p: Principal): { subject: RateLimitSubject; id: string } | undefined {
  switch (p.kind) {
    case 'merchant':
      return { subject: 'merchant-key', id: p.keyId };
    case 'operator':
      return { subject: 'operator-token', id: p.credentialId };
    case 'service':
      return { subject: 'service-token', id: p.credentialId };
    default:
      return undefined;
  }
}
