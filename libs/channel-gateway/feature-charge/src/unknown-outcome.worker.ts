import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { ChannelTransactionRepository, type ChannelTransaction } from '@paystream/channel-gateway/data-access';
import { queryResultOf } from '@paystream/channel-gateway/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit, inTransaction } from '@paystream/shared/persistence';
import { Platform, PollingWorker } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { CHANNEL_QUERY_BATCH_SIZE, CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { chargeCompletedEvent } from './completed-event';

/** Actively queries charges whose outcome is unknown until the channel says how they ended. */
@Injectable()
export class UnknownOutcomeWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly worker: PollingWorker;

  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {
    this.worker = new PollingWorker('unknown-outcome-query', settings.queryIntervalMs, () => this.tick(), platform.logger);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  /** One pass over the unknown outcomes due for a query. */
  async tick(): Promise<void> {
    // the claim commits before the queries: no row lock is held across the network
    const claimed = await this.transactions.claimDueForQuery(this.platform.ds.manager, this.settings.queryIntervalMs, CHANNEL_QUERY_BATCH_SIZE);
    await Promise.all(
      claimed.map((t) =>
        this.settle(t).catch((error: unknown) => this.platform.logger.warn({ err: error, paymentId: t.paymentId, orderId: t.orderId }, 'query of an unknown outcome failed; retrying next interval')),
      ),
    );
  }

  private async settle(t: ChannelTransaction): Promise<void> {
    const timer = this.metrics.callSeconds.startTimer({ channel: t.channel, call: 'query' });
    const answer = await this.channel.query(t.channel, t.paymentId);
    timer();
    const result = queryResultOf(answer, Date.now() - t.createdAt.getTime(), this.settings.queryGiveUpMs);
    if (result === 'pending') {
      this.metrics.queries.inc({ result: 'pending' });
      return;
    }
    await inTransaction(this.platform.ds, async (tx) => {
      // guarded: whoever settled it first (another worker, a repeated charge request) wins, and nothing is emitted twice
      const resolved = await this.transactions.resolveUnknown(tx, t.paymentId, result);
      if (!resolved) return;
      const traceparent = nextTraceparent();
      await this.platform.outbox.enqueue(tx, TOPICS.channelChargeCompleted, chargeCompletedEvent(resolved), { traceparent });
      afterCommit(tx, () => this.metrics.queries.inc({ result: result.outcome }));
      this.platform.logger.info(
        { paymentId: t.paymentId, orderId: t.orderId, traceparent, status: resolved.status, failure: resolved.failure?.code, queryAttempts: t.queryAttempts },
        'unknown outcome settled by query',
      );
    });
  }
}
