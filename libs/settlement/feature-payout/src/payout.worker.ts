import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { failureReason, TOPICS, type Currency } from '@paystream/contracts';
import { LedgerRepository, SettlementBatchRepository, SettlementItemRepository, type SettlementBatch } from '@paystream/settlement/data-access';
import { SettlementMetrics } from '@paystream/settlement/feature-book-payment';
import {
  afterPayoutAttempt,
  payoutReversalItem,
  postingsForLegacyPayout,
  postingsForPayoutPaid,
  postingsForPayoutReversed,
  SETTLEMENT_PAYOUT_BANK_CALLS_MAX,
  SETTLEMENT_PAYOUT_LEASE_MARGIN_MS,
} from '@paystream/settlement/domain';
import { Actors, appendAudit, last4 } from '@paystream/shared/audit-log';
import { Money } from '@paystream/shared/money';
import { nextTraceparent, runInTrace } from '@paystream/shared/observability';
import { afterCommit, inTransaction } from '@paystream/shared/persistence';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { BankClient, type PayoutAnswer } from './bank.client';
import { PAYOUT_SETTINGS, SETTLEMENT_PAYOUT_BATCH_SIZE, type PayoutSettings } from './payout-settings';

/** The payout worker as the actor of its audit rows. */
export const PAYOUT_ACTOR = Actors.system('settlement-payout');

/**
 * Pays due settlements out: paid -> completed (payout in flight leaves the bank account); failed ->
 * retried with backoff, then, once the bank confirms it refused the payout or never got it, failed
 * for good and reversed; unknown (timeout, processing) -> the next
 * attempt asks the bank first, and is never given up (the money may have left). A batch is claimed (DUE -> PAYING under a lease, FOR UPDATE SKIP LOCKED)
 * in a short transaction, the bank is called outside any transaction, and the outcome is committed
 * in one transaction (status, payout ledger transaction, event). The bank pays a settlementId once,
 * so a crash between the call and the commit pays once: the lease runs out, the batch is claimed
 * again and the bank answers with the first payoutRef. The claim's attempt number fences a worker
 * that outlived its lease, so one completion is booked and announced.
 */
@Injectable()
export class PayoutWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;
  private readonly leaseMs: number;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(SettlementBatchRepository) private readonly batches: SettlementBatchRepository,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(SettlementItemRepository) private readonly items: SettlementItemRepository,
    @Inject(BankClient) private readonly bank: BankClient,
    @Inject(SettlementMetrics) private readonly metrics: SettlementMetrics,
    @Inject(PAYOUT_SETTINGS) private readonly settings: PayoutSettings,
  ) {
    this.leaseMs = settings.callTimeoutMs * SETTLEMENT_PAYOUT_BANK_CALLS_MAX + SETTLEMENT_PAYOUT_LEASE_MARGIN_MS;
    this.worker = new PollingWorker('settlement-payout', settings.intervalMs, () => this.tick(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  /** Claims what is due and pays it side by side (a slow bank call does not hold the others back). */
  async tick(): Promise<void> {
    const claimed = await this.batches.claimForPayout(this.platform.ds.manager, SETTLEMENT_PAYOUT_BATCH_SIZE, this.leaseMs);
    await Promise.all(
      claimed.map((batch) =>
        // each payout attempt is a trace of its own: the bank call, the logs and the settlement event share it
        runInTrace(undefined, () => this.payOut(batch)).catch((error: unknown) =>
          // the batch stays PAYING; when its lease runs out it is claimed and paid again
          this.platform.logger.warn({ err: error, settlementId: batch.id, merchantId: batch.merchantId }, 'settlement payout not recorded; retried after the lease'),
        ),
      ),
    );
  }

  /** Asks the bank first when the last attempt's outcome was unknown, and sends only when it never got the payout. */
  private async attempt(batch: SettlementBatch): Promise<PayoutAnswer> {
    if (batch.netMinor <= 0n) return { outcome: 'PAID', payoutRef: 'NOTHING-TO-PAY' };
    if (batch.needsQuery) {
      const known = await this.bank.query(batch.id);
      if (known.outcome !== 'NOT_FOUND') return known;
    }
    // a settlement without an account (made before the registry) is never sent to a default one
    if (!batch.payoutAccountNo) return { outcome: 'FAILED', error: 'SETTLEMENT_PAYOUT_ACCOUNT_MISSING: the settlement has no payout account' };
    return this.bank.payout({ payoutId: batch.id, merchantId: batch.merchantId, accountNo: batch.payoutAccountNo, amountMinor: batch.netMinor, currency: batch.currency });
  }

  /**
   * Before a payout is given up for good, the bank is asked what it did: an error answer (a 5xx, a
   * connection cut after the request was sent, an answer we could not read) does not prove that
   * nothing was paid, and a reversal of a payout the bank made pays the merchant twice. Only the
   * bank's own refusal (FAILED) or its never having got the payout (NOT_FOUND) is reversed; PAID
   * completes; no answer keeps the payout unknown (asked again, never given up).
   */
  private async confirmFailure(batch: SettlementBatch, answer: PayoutAnswer): Promise<PayoutAnswer> {
    if (answer.outcome !== 'FAILED' || batch.netMinor <= 0n) return answer;
    const known = await this.bank.query(batch.id);
    if (known.outcome === 'NOT_FOUND') return answer;
    if (known.outcome === 'PAID') return known;
    if (known.outcome === 'FAILED') return { outcome: 'FAILED', error: `${answer.error}; the bank confirms: ${known.error}` };
    return { outcome: 'UNKNOWN', error: `${answer.error}; the bank could not confirm it: ${known.error}` };
  }

  private auditDetails(batch: SettlementBatch) {
    return {
      merchantId: batch.merchantId,
      netMinor: batch.netMinor,
      currency: batch.currency,
      attempt: batch.attempts,
      payoutAccountLast4: batch.payoutAccountNo && last4(batch.payoutAccountNo),
    };
  }

  private async payOut(batch: SettlementBatch): Promise<void> {
    const net = Money.of(batch.netMinor, batch.currency);
    let answer = await this.attempt(batch);
    if (afterPayoutAttempt(answer.outcome, batch.attempts, this.settings.attemptsMax).status === 'FAILED') answer = await this.confirmFailure(batch, answer);
    const traceparent = nextTraceparent();
    const log = this.platform.logger.child({ settlementId: batch.id, merchantId: batch.merchantId, attempt: batch.attempts, traceparent });
    const next = afterPayoutAttempt(answer.outcome, batch.attempts, this.settings.attemptsMax);
    await inTransaction(this.platform.ds, async (tx) => {
      if (answer.outcome === 'PAID') {
        if (!(await this.batches.markCompleted(tx, batch.id, batch.attempts, answer.payoutRef))) {
          log.warn({ payoutRef: answer.payoutRef }, 'settlement claimed again meanwhile; leaving the completion to the current claim');
          return;
        }
        const lines = batch.inFlightBooked ? postingsForPayoutPaid(net) : postingsForLegacyPayout(batch.merchantId, net);
        await this.ledger.post(tx, 'payout', `payout:${batch.id}`, lines);
        await this.platform.outbox.enqueue(
          tx,
          TOPICS.settlementCompleted,
          { settlementId: batch.id, merchantId: batch.merchantId, netMinor: batch.netMinor.toString(), currency: batch.currency as Currency, payoutRef: answer.payoutRef },
          { traceparent },
        );
        await appendAudit(tx, { actor: PAYOUT_ACTOR, action: 'payout.sent', subject: `settlement:${batch.id}`, details: { ...this.auditDetails(batch), payoutRef: answer.payoutRef } });
        afterCommit(tx, () => this.metrics.completed.inc());
        log.info({ netMinor: batch.netMinor.toString(), payoutRef: answer.payoutRef }, 'settlement paid out');
        return;
      }
      if (next.status === 'COMPLETED') throw new Error('invariant: only a paid answer completes a settlement');
      const unknown = answer.outcome === 'UNKNOWN';
      if (!(await this.batches.recordFailedAttempt(tx, batch.id, batch.attempts, answer.error, next, { needsQuery: unknown }))) return;
      if (next.status === 'DUE') {
        log.warn({ error: answer.error, outcome: answer.outcome, retryInMs: next.retryInMs }, unknown ? 'settlement payout outcome unknown; will ask the bank' : 'settlement payout failed; will retry');
        return;
      }
      // failed for good: the payout in flight is reversed and the merchant is owed it again, paid by its next settlement
      if (batch.inFlightBooked) await this.ledger.post(tx, 'payout_reversed', `payout_reversed:${batch.id}`, postingsForPayoutReversed(batch.merchantId, net));
      await this.items.add(tx, payoutReversalItem({ settlementId: batch.id, merchantId: batch.merchantId, amount: net, reversedAt: new Date() }), { occurredAt: new Date() });
      await this.platform.outbox.enqueue(
        tx,
        TOPICS.settlementFailed,
        {
          settlementId: batch.id,
          merchantId: batch.merchantId,
          netMinor: batch.netMinor.toString(),
          currency: batch.currency as Currency,
          reason: failureReason('SETTLEMENT_PAYOUT_FAILED', `payout failed after ${batch.attempts} attempts: ${answer.error}; reversed, owed again`),
        },
        { traceparent },
      );
      await appendAudit(tx, { actor: PAYOUT_ACTOR, action: 'payout.failed', subject: `settlement:${batch.id}`, details: { ...this.auditDetails(batch), error: answer.error, reversed: batch.inFlightBooked } });
      afterCommit(tx, () => this.metrics.failed.inc());
      log.error({ error: answer.error }, 'settlement payout failed for good; reversed in the ledger');
    });
  }
}
