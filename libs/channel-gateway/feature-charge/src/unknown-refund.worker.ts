import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { ChannelRefundRepository, ChannelTransactionRepository, type ChannelRefund } from '@paystream/channel-gateway/data-access';
import { nextQueryDelayMs, refundQueryResultOf, refundRetentionStep, resentRefundResultOf, SENDING_REFUND_RESUME, type FinalRefundResult } from '@paystream/channel-gateway/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { CHANNEL_QUERY_BATCH_SIZE, CHANNEL_QUERY_LEASE_MS, CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { refundCompletedEvent, refundSettled } from './completed-event';
import { sendRecordedRefund } from './refund-send';

/**
 * The janitor of unknown refunds: it queries each at its channel on the unknown-outcome backoff
 * schedule until the channel says how it ended, then tells the result once (channel.refund-completed.v1).
 * A refund left SENDING by a process that died mid-call (due once the call's timeout is past) is
 * queried the same way, with the refund number and send time it was recorded with.
 * A refund still processing at the channel past the maximum age stays UNKNOWN, holding its part of
 * the capture, is queried on and raised as an alert for a person: no channel says "this refund will
 * never happen", so it is never marked failed for want of news (a new refund in its place could pay
 * out twice). One the channel has no record of past the maximum age (a 5xx that did nothing) is sent
 * again under its own refund number and send time where the channel takes a number once (Alipay,
 * WeChat Pay: SENDING_REFUND_RESUME); on UnionPay it stays UNKNOWN and raised for a person.
 */
@Injectable()
export class UnknownRefundWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelRefundRepository) private readonly refunds: ChannelRefundRepository,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {
    this.worker = new PollingWorker('unknown-refund-janitor', Math.min(settings.queryIntervalMs, 1_000), () => this.tick(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  /** One pass over the unknown refunds due for a query. */
  async tick(): Promise<void> {
    // the claim commits before the calls: no row lock is held across the network
    const claimed = await this.refunds.claimDueForQuery(this.platform.ds.manager, CHANNEL_QUERY_LEASE_MS, CHANNEL_QUERY_BATCH_SIZE);
    await Promise.all(
      claimed.map((r) =>
        this.settle(r).catch((error: unknown) =>
          this.platform.logger.warn({ err: error, paymentId: r.paymentId, refundId: r.refundId }, 'refund janitor pass failed; retrying at the next due time'),
        ),
      ),
    );
    const outstanding = await this.refunds.unknownOutstanding(this.platform.ds.manager);
    this.metrics.refundsUnknownOutstanding.reset();
    for (const o of outstanding) this.metrics.refundsUnknownOutstanding.set({ channel: o.channel }, o.count);
  }

  private async settle(r: ChannelRefund): Promise<void> {
    const timer = this.metrics.callSeconds.startTimer({ channel: r.channel, call: 'refund-query' });
    const found = refundQueryResultOf(await this.channel.refundQuery(r.channel, { refundId: r.refundId, paymentId: r.paymentId, sentAt: r.sentAt ?? r.createdAt }));
    timer();
    this.metrics.refundQueries.inc({ channel: r.channel, result: typeof found === 'string' ? found : found.outcome });
    if (typeof found !== 'string') return this.record(r, found);
    const step = refundRetentionStep(Date.now() - r.createdAt.getTime(), this.settings.unknownMaxAgeMs, found, SENDING_REFUND_RESUME[r.channel]);
    if (step === 'resend') {
      const result = await this.resend(r);
      if (result) return this.record(r, result);
    }
    if (step === 'alert') {
      this.platform.logger.warn(
        { alert: 'CHANNEL_REFUND_UNKNOWN_PAST_MAX_AGE', paymentId: r.paymentId, refundId: r.refundId, orderId: r.orderId, channel: r.channel, amountMinor: r.amountMinor.toString(), query: found },
        'a refund is still unknown past the maximum age: it stays unknown and holds its part of the capture; querying on, a person should check it with the channel',
      );
    }
    await this.refunds.scheduleQuery(this.platform.ds.manager, r.refundId, nextQueryDelayMs(r.queryAttempts, this.settings.queryIntervalMs));
  }

  /** Sends the refund again under its own number and send time; its final result, or undefined while still unknown. */
  private async resend(r: ChannelRefund): Promise<FinalRefundResult | undefined> {
    const charge = await this.transactions.find(this.platform.ds.manager, r.paymentId);
    if (!charge?.channelTradeNo) throw new Error(`refund ${r.refundId}: no captured charge ${r.paymentId} here`);
    this.platform.logger.warn({ paymentId: r.paymentId, refundId: r.refundId, orderId: r.orderId, channel: r.channel }, 'an unknown refund the channel has no record of past the maximum age: sent again with the same refund number and send time');
    const answer = await sendRecordedRefund(this.channel, this.metrics, r, charge, charge.channelTradeNo, r.sentAt ?? r.createdAt);
    const result = resentRefundResultOf(answer);
    return result.outcome === 'unknown' ? undefined : (result as FinalRefundResult);
  }

  private async record(r: ChannelRefund, result: FinalRefundResult): Promise<void> {
    await inTransaction(this.platform.ds, async (tx) => {
      const settled = await this.refunds.settle(tx, r.refundId, result);
      if (!settled || !refundSettled(settled)) return; // settled meanwhile: its result went out then
      const orderId = settled.orderId ?? (await this.transactions.find(tx, r.paymentId))?.orderId;
      if (!orderId) throw new Error(`refund ${r.refundId}: no order for payment ${r.paymentId}`);
      const traceparent = nextTraceparent();
      await this.platform.outbox.enqueue(tx, TOPICS.channelRefundCompleted, refundCompletedEvent(settled, orderId), { traceparent });
      this.platform.logger.info({ paymentId: r.paymentId, orderId, refundId: r.refundId, traceparent, status: settled.status, failure: settled.failure?.code }, 'unknown refund settled by query');
    });
  }
}
