import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ChannelTransactionRepository, type ChannelTransaction } from '@paystream/channel-gateway/data-access';
import { closedResult, closeResultOf, janitorNextStep, nextQueryDelayMs, queryResultOf, type ChargeResult } from '@paystream/channel-gateway/domain';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { CHANNEL_QUERY_BATCH_SIZE, CHANNEL_QUERY_LEASE_MS, CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { ChargeOutcomeRecorder } from './charge-outcome.recorder';

/**
 * The janitor of unknown outcomes (timeouts, in-process answers, lost notifications): it queries
 * each on a backoff schedule until the channel says how it ended, and once a charge is older than
 * the maximum age it closes the trade at the channel so it can no longer be paid. A close that
 * finds the trade paid meanwhile is followed by a query: the success stands. It never charges.
 */
@Injectable()
export class UnknownOutcomeWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
    @Inject(ChargeOutcomeRecorder) private readonly outcomes: ChargeOutcomeRecorder,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {
    // polls at the base interval (capped at a second): the schedule itself lives in next_query_at
    this.worker = new PollingWorker('unknown-outcome-janitor', Math.min(settings.queryIntervalMs, 1_000), () => this.tick(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  /** One pass over the unknown outcomes due for a query. */
  async tick(): Promise<void> {
    // the claim commits before the calls: no row lock is held across the network
    const claimed = await this.transactions.claimDueForQuery(this.platform.ds.manager, CHANNEL_QUERY_LEASE_MS, CHANNEL_QUERY_BATCH_SIZE);
    await Promise.all(
      claimed.map((t) =>
        this.settle(t).catch((error: unknown) => this.platform.logger.warn({ err: error, paymentId: t.paymentId, orderId: t.orderId }, 'janitor pass failed; retrying at the next due time')),
      ),
    );
    const outstanding = await this.transactions.unknownOutstanding(this.platform.ds.manager);
    this.metrics.unknownOutstanding.reset();
    for (const o of outstanding) this.metrics.unknownOutstanding.set({ channel: o.channel }, o.count);
  }

  private async settle(t: ChannelTransaction): Promise<void> {
    const timer = this.metrics.callSeconds.startTimer({ channel: t.channel, call: 'query' });
    const found = queryResultOf(await this.channel.query(t.channel, t));
    timer();
    this.metrics.queries.inc({ channel: t.channel, result: typeof found === 'string' ? found : found.outcome });
    if (typeof found !== 'string') return this.record(t, found, 'query');
    const ageMs = Date.now() - t.createdAt.getTime();
    if (janitorNextStep(ageMs, this.settings.unknownMaxAgeMs) === 'close') return this.close(t, found === 'not-found');
    await this.transactions.scheduleQuery(this.platform.ds.manager, t.paymentId, nextQueryDelayMs(t.queryAttempts, this.settings.queryIntervalMs));
  }

  /** Past the maximum age: close the trade at the channel, so the outcome can be final. */
  private async close(t: ChannelTransaction, neverReceived: boolean): Promise<void> {
    const closed = closeResultOf(await this.channel.close(t.channel, t));
    this.metrics.closes.inc({ channel: t.channel, result: closed });
    if (closed === 'closed') {
      await inTransaction(this.platform.ds, (tx) => this.transactions.markClosed(tx, t.paymentId));
      const detail = neverReceived ? 'the channel never received the charge' : `closed at the channel after ${Math.round(this.settings.unknownMaxAgeMs / 1000)} s without an outcome`;
      return this.record(t, closedResult(detail), 'close');
    }
    if (closed === 'already-paid') {
      // paid just before the close reached it: the query tells the trade number, and the success stands
      const found = queryResultOf(await this.channel.query(t.channel, t));
      if (typeof found !== 'string') return this.record(t, found, 'query');
    }
    if (closed === 'retry' && neverReceived) {
      // a channel that cannot close (UnionPay) but has never heard of the charge: nothing can be charged on it
      return this.record(t, closedResult('the channel never received the charge'), 'close');
    }
    this.platform.logger.warn({ alert: 'CHANNEL_UNKNOWN_PAST_MAX_AGE', paymentId: t.paymentId, orderId: t.orderId, channel: t.channel, close: closed }, 'an unknown outcome is past its maximum age and could not be closed; querying on');
    await this.transactions.scheduleQuery(this.platform.ds.manager, t.paymentId, nextQueryDelayMs(t.queryAttempts, this.settings.queryIntervalMs));
  }

  private async record(t: ChannelTransaction, result: ChargeResult, via: 'query' | 'close'): Promise<void> {
    await inTransaction(this.platform.ds, (tx) => this.outcomes.apply(tx, t.paymentId, result, via));
  }
}
