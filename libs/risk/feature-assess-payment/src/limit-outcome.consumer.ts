import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { LimitReservationRepository, RiskAttemptRepository, RiskDecisionRepository } from '@paystream/risk/data-access';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { RiskMetrics } from './risk-metrics';

/**
 * What happened to a payment settles its hold on the user's limits and the merchant's and card's
 * caps: a success commits it, a failure releases it (and marks the attempt failed, which the
 * card-testing rule counts; a failure told before the decision leaves a released placeholder, so
 * the reserve that comes later holds nothing), and refunds that add up to the whole amount release it (while they
 * add up to less, the hold stays: the rest of the money was still spent). Each is idempotent; a payment with no reservation (rejected,
 * or decided before limits existed) is nothing to do.
 */
@Injectable()
export class LimitOutcomeConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(LimitReservationRepository) private readonly limits: LimitReservationRepository,
    @Inject(RiskMetrics) private readonly metrics: RiskMetrics,
    @Inject(RiskAttemptRepository) private readonly attempts: RiskAttemptRepository,
    @Inject(RiskDecisionRepository) private readonly decisions: RiskDecisionRepository,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.paymentSucceeded, {
      handle: async (event, tx) => {
        if (await this.limits.commit(tx, event.payload.paymentId)) afterCommit(tx, () => this.metrics.limitOutcomes.inc({ action: 'commit' }));
      },
    });
    this.platform.consume(TOPICS.paymentFailed, {
      handle: async (event, tx) => {
        const f = event.payload;
        await this.attempts.markFailed(tx, f.paymentId);
        // told before the decision was stored (a replay, reordering): a placeholder keeps the later reserve from holding anything
        const decided = (await this.decisions.find(tx, f.paymentId)) !== undefined;
        const released = decided
          ? await this.limits.release(tx, f.paymentId)
          : (await this.limits.releaseOrForestall(tx, { paymentId: f.paymentId, merchantId: f.merchantId, userId: f.userId, amountMinor: BigInt(f.amountMinor), currency: f.currency, at: new Date(f.failedAt) })) === 'released';
        if (released) afterCommit(tx, () => this.metrics.limitOutcomes.inc({ action: 'release' }));
      },
    });
    this.platform.consume(TOPICS.paymentRefunded, {
      handle: async (event, tx) => {
        const r = event.payload;
        // partial refunds add up: the one that completes the amount releases the hold
        if ((await this.limits.refund(tx, r.paymentId, r.refundId, BigInt(r.amountMinor))) === 'released') afterCommit(tx, () => this.metrics.limitOutcomes.inc({ action: 'release' }));
      },
    });
  }
}
