import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RiskDecisionRepository } from '@paystream/risk/data-access';
import { Actors } from '@paystream/shared/audit-log';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { ReviewQueue } from './review-queue.service';

/** How often held payments are checked for expiry, and how many one pass expires. */
const REVIEW_EXPIRY_INTERVAL_MS = 1_000;
const REVIEW_EXPIRY_BATCH_SIZE = 50;
/** The expiry job as the actor of the reviews it rejects. */
export const REVIEW_EXPIRY_ACTOR = Actors.system('review-expiry');

/** Rejects held payments nobody reviewed within RISK_REVIEW_EXPIRY_MS (RISK_REVIEW_REJECTED, reviewer "system"). */
@Injectable()
export class ReviewExpiryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskDecisionRepository) private readonly decisions: RiskDecisionRepository,
    @Inject(ReviewQueue) private readonly queue: ReviewQueue,
  ) {
    this.worker = new PollingWorker('review-expiry', REVIEW_EXPIRY_INTERVAL_MS, () => this.tick(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  async tick(): Promise<void> {
    await inTransaction(this.platform.ds, async (tx) => {
      for (const expired of await this.decisions.expireDueReviews(tx, REVIEW_EXPIRY_BATCH_SIZE)) await this.queue.announce(tx, expired, REVIEW_EXPIRY_ACTOR);
    });
  }
}
