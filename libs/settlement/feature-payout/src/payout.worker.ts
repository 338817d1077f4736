import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { failureReason, TOPICS, type Currency } from '@paystream/contracts';
import { LedgerRepository, SettlementBatchRepository, type SettlementBatch } from '@paystream/settlement/data-access';
import { SettlementMetrics } from '@paystream/settlement/feature-book-payment';
import { payoutBackoffMs, postingsForPayout } from '@paystream/settlement/domain';
import { Money } from '@paystream/shared/money';
import { nextTraceparent } from '@paystream/shared/observability';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { BankClient } from './bank.client';
import { PAYOUT_SETTINGS, SETTLEMENT_PAYOUT_BATCH_SIZE, type PayoutSettings } from './payout-settings';

/**
 * Pays due settlements out. The bank call happens outside any transaction and is idempotent by
 * settlementId, so a crash between the call and the commit pays once when retried; the guarded
 * status update makes sure only one completion is booked and announced.
 */
@Injectable()
export class PayoutWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(SettlementBatchRepository) private readonly batches: SettlementBatchRepository,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(BankClient) private readonly bank: BankClient,
    @Inject(SettlementMetrics) private readonly metrics: SettlementMetrics,
    @Inject(PAYOUT_SETTINGS) private readonly settings: PayoutSettings,
  ) {
    this.worker = new PollingWorker('settlement-payout', settings.intervalMs, () => this.tick(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  async tick(): Promise<void> {
    for (const batch of await this.batches.dueForPayout(this.platform.ds.manager, SETTLEMENT_PAYOUT_BATCH_SIZE)) await this.payOut(batch);
  }

  private async payOut(batch: SettlementBatch): Promise<void> {
    const net = Money.of(batch.netMinor, batch.currency);
    const answer = net.isNegative() || net.isZero() ? { ok: true as const, payoutRef: 'NOTHING-TO-PAY' } : await this.bank.payout({ payoutId: batch.id, merchantId: batch.merchantId, amountMinor: batch.netMinor, currency: batch.currency });
    const traceparent = nextTraceparent();
    const log = this.platform.logger.child({ settlementId: batch.id, merchantId: batch.merchantId, traceparent });
    await this.platform.ds.transaction(async (tx) => {
      if (answer.ok) {
        const done = await this.batches.markCompleted(tx, batch.id, answer.payoutRef);
        if (!done) return;
        await this.ledger.post(tx, 'payout', `payout:${batch.id}`, postingsForPayout(batch.merchantId, net.isNegative() ? Money.zero(batch.currency) : net));
        await this.platform.outbox.enqueue(
          tx,
          TOPICS.settlementCompleted,
          { settlementId: batch.id, merchantId: batch.merchantId, netMinor: batch.netMinor.toString(), currency: batch.currency as Currency, payoutRef: answer.payoutRef },
          { traceparent },
        );
        this.metrics.completed.inc();
        log.info({ netMinor: batch.netMinor.toString(), payoutRef: answer.payoutRef }, 'settlement paid out');
        return;
      }
      const final = batch.attempts + 1 >= this.settings.attemptsMax;
      const updated = await this.batches.recordFailedAttempt(tx, batch.id, answer.error, final ? { final: true } : { final: false, delayMs: payoutBackoffMs(batch.attempts + 1) });
      if (!updated) return;
      if (final) {
        await this.platform.outbox.enqueue(
          tx,
          TOPICS.settlementFailed,
          { settlementId: batch.id, merchantId: batch.merchantId, netMinor: batch.netMinor.toString(), currency: batch.currency as Currency, reason: failureReason('SETTLEMENT_PAYOUT_FAILED', answer.error) },
          { traceparent },
        );
        this.metrics.failed.inc();
        log.error({ attempts: updated.attempts, error: answer.error }, 'settlement payout failed for good');
      } else {
        log.warn({ attempts: updated.attempts, error: answer.error }, 'settlement payout failed; will retry');
      }
    });
  }
}
