import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { ChannelTransactionRepository, type AppliedReport } from '@paystream/channel-gateway/data-access';
import type { ChargeResult, ReportSource } from '@paystream/channel-gateway/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit, type EntityManager } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { ChannelMetrics } from './channel-metrics';
import { chargeCompletedEvent } from './completed-event';

/**
 * The one place a report about a charge (synchronous response, notification, query, close) is
 * applied, by the race rule: the first final word moves the transaction and emits
 * channel.charge-completed.v1 in the same transaction; a duplicate changes nothing; a conflict
 * changes nothing, is recorded, and raises an alert (an error log with `alert`) and a metric.
 */
@Injectable()
export class ChargeOutcomeRecorder {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
  ) {}

  async apply(tx: EntityManager, paymentId: string, result: ChargeResult, source: ReportSource, traceparentIn?: string): Promise<AppliedReport> {
    const applied = await this.transactions.applyReport(tx, paymentId, result, source);
    const { verdict, transaction: t } = applied;
    if (verdict.kind === 'advance') {
      const traceparent = nextTraceparent(traceparentIn);
      await this.platform.outbox.enqueue(tx, TOPICS.channelChargeCompleted, chargeCompletedEvent(t), { traceparent });
      const ageSeconds = (Date.now() - t.createdAt.getTime()) / 1000;
      afterCommit(tx, () => {
        this.metrics.charges.inc({ channel: t.channel, outcome: result.outcome });
        this.metrics.resolved.inc({ channel: t.channel, via: source });
        if (source === 'query' || source === 'close') this.metrics.janitorResolutionSeconds.observe({ channel: t.channel, via: source }, ageSeconds);
      });
      this.platform.logger.info({ paymentId, orderId: t.orderId, traceparent, channel: t.channel, status: t.status, via: source, failure: t.failure?.code }, 'charge outcome settled');
    } else if (verdict.kind === 'conflict') {
      afterCommit(tx, () => this.metrics.conflicts.inc({ channel: t.channel, source }));
      this.platform.logger.error(
        { alert: 'CHANNEL_OUTCOME_CONFLICT', paymentId, orderId: t.orderId, channel: t.channel, stored: verdict.stored, reported: verdict.reported, source },
        'a channel reported an outcome that contradicts the stored one: the stored outcome stands; settle by hand (refund or write-off)',
      );
    }
    return applied;
  }
}
