import { Inject, Injectable } from '@nestjs/common';
import { LedgerRepository } from '@paystream/settlement/data-access';
import { addDays, postingsForRefundCleared } from '@paystream/settlement/domain';
import { Actors, appendAudit, type Actor } from '@paystream/shared/audit-log';
import { Money } from '@paystream/shared/money';
import { afterCommit, inTransaction, type EntityManager } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { breaksByKind, reconcile, type RefundToClear } from '../match/reconciliation-matcher';
import { ReconciliationMetrics } from '../reconciliation-metrics';
import { ReconciliationRepository, type ReconciliationRun, type RunTrigger } from '../reconciliation.repository';
import { ReconciliationSourcesClient } from '../reconciliation-sources.client';

/**
 * Reconciles one channel's bill of one Beijing day: fetches the bill (and the day before's, for successes paid before
 * midnight and learned of after it) and our records from channel-gateway (outside
 * any transaction), then under the day's lock reads the ledger bookings, matches, and stores the run and its breaks.
 * Running a day again refreshes its one run: the same inputs give the same breaks. A refund the bill matched (with
 * ours and its ledger booking) is booked cleared in the same transaction, once: `refund_cleared:<refundId>`.
 */
@Injectable()
export class RunReconciliationHandler {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ReconciliationRepository) private readonly runs: ReconciliationRepository,
    @Inject(ReconciliationSourcesClient) private readonly sources: ReconciliationSourcesClient,
    @Inject(ReconciliationMetrics) private readonly metrics: ReconciliationMetrics,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
  ) {}

  /** Runs (or re-runs) the day; actor is who asked (the operator, or the daily job), recorded on the run and in the audit log with it. */
  async run(channel: string, date: string, trigger: RunTrigger, actor: Actor): Promise<ReconciliationRun> {
    const startedAt = new Date();
    const log = this.platform.logger.child({ channel, billDate: date, trigger });
    let bill, dayBefore, ours;
    try {
      [bill, dayBefore, ours] = await Promise.all([this.sources.bill(channel, date), this.sources.bill(channel, addDays(date, -1)), this.sources.ours(channel, date)]);
    } catch (error) {
      const message = (error as Error).message;
      log.warn({ err: message }, 'reconciliation run failed: a side could not be had');
      const failed = await inTransaction(this.platform.ds, async (tx) => {
        await this.runs.lockDay(tx, channel, date);
        const saved = await this.runs.saveFailed(tx, { channel, date, trigger, requestedBy: Actors.format(actor), startedAt }, message);
        await this.audit(tx, actor, saved);
        return saved;
      });
      this.metrics.runs.inc({ channel, outcome: 'failed' });
      return failed;
    }
    const run = await inTransaction(this.platform.ds, async (tx) => {
      await this.runs.lockDay(tx, channel, date);
      const ledger = await this.runs.ledgerBookings(
        tx,
        ours.filter((o) => o.kind === 'payment').map((o) => o.id),
        ours.filter((o) => o.kind === 'refund').map((o) => o.id),
      );
      const report = reconcile(bill, ours, ledger, dayBefore);
      const newlyCleared = await this.clearRefunds(tx, channel, report.refundsToClear);
      const refundsCleared = {
        count: report.refundsToClear.length,
        amountMinor: report.refundsToClear.reduce((sum, r) => sum + r.amountMinor, 0n),
        newCount: newlyCleared.length,
      };
      const saved = await this.runs.saveCompleted(tx, { channel, date, trigger, requestedBy: Actors.format(actor), startedAt, ourCount: ours.filter((o) => o.onDay && o.status === 'SUCCEEDED').length, refundsCleared }, report);
      afterCommit(tx, () => {
        this.metrics.matched.inc({ channel }, report.matchedCount);
        this.metrics.runs.inc({ channel, outcome: 'completed' });
        for (const r of newlyCleared) {
          this.metrics.refundsCleared.inc({ channel });
          this.metrics.refundsClearedAmount.inc({ channel, currency: r.currency }, Number(r.amountMinor));
        }
      });
      await this.audit(tx, actor, saved);
      const byKind = breaksByKind(report.breaks);
      if (report.breaks.length > 0) log.warn({ alert: 'RECONCILIATION_BREAKS', runId: saved.id, breaks: byKind }, 'reconciliation found breaks');
      log.info(
        { runId: saved.id, channelCount: report.channelCount, matchedCount: report.matchedCount, refundsCleared: refundsCleared.count, refundsClearedNow: refundsCleared.newCount, breaks: byKind },
        'reconciliation run completed',
      );
      return saved;
    });
    return run;
  }

  private audit(tx: EntityManager, actor: Actor, run: ReconciliationRun) {
    return appendAudit(tx, {
      actor,
      action: 'reconciliation.run',
      subject: `reconciliation_run:${run.id}`,
      details: {
        channel: run.channel,
        date: run.date,
        status: run.status,
        trigger: run.trigger,
        attempts: run.attempts,
        matchedCount: run.matchedCount,
        refundsClearedNow: run.refundsClearedNewCount,
        breakCount: run.breakCount,
        lastError: run.lastError,
      },
    });
  }

  /**
   * Books each matched refund cleared unless it was already (by an earlier run, or a concurrent run of another day,
   * whose insert the unique (kind, reference) makes this one wait for); returns those booked now. In refund id order,
   * so concurrent runs take the reference locks in one order.
   */
  private async clearRefunds(tx: EntityManager, channel: string, refunds: readonly RefundToClear[]): Promise<RefundToClear[]> {
    const booked: RefundToClear[] = [];
    for (const r of [...refunds].sort((a, b) => (a.refundId < b.refundId ? -1 : a.refundId > b.refundId ? 1 : 0))) {
      if (await this.ledger.post(tx, 'refund_cleared', `refund_cleared:${r.refundId}`, postingsForRefundCleared(channel, Money.of(r.amountMinor, r.currency)))) booked.push(r);
    }
    return booked;
  }
}
