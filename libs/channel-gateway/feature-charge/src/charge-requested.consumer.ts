import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS, type ChannelChargeRequested } from '@paystream/contracts';
import { ChannelTransactionRepository, type ChannelTransaction } from '@paystream/channel-gateway/data-access';
import { chargeResultOf, routeChannel, settlesUnknown, type ChargeResult } from '@paystream/channel-gateway/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import type { EntityManager } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { chargeCompletedEvent } from './completed-event';

/** A final outcome already stored (no channel call), or what the channel answered now. */
type Prepared = { reuse: ChannelTransaction } | { result: ChargeResult };

/**
 * channel.charge-requested.v1 -> a charge at the channel -> channel.charge-completed.v1.
 * The channel call happens before the transaction (never hold a database transaction across the
 * network); it is safe to repeat after a crash because the channel is idempotent by outTradeNo.
 */
@Injectable()
export class ChargeRequestedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(ChannelMetrics) private readonly metrics: ChannelMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume<typeof TOPICS.channelChargeRequested, Prepared>(TOPICS.channelChargeRequested, {
      prepare: async (event) => {
        const c = event.payload;
        const stored = await this.transactions.find(this.platform.ds.manager, c.paymentId);
        if (stored && stored.status !== 'UNKNOWN') return { reuse: stored };
        // nothing stored, or an unknown outcome: the channel answers a repeated outTradeNo with its first answer
        const channel = stored?.channel ?? routeChannel(c.channel);
        const timer = this.metrics.callSeconds.startTimer({ channel, call: 'charge' });
        const answer = await this.channel.charge({ outTradeNo: c.paymentId, channel, merchantId: c.merchantId, amountMinor: BigInt(c.amountMinor), currency: c.currency, subject: c.subject });
        timer();
        return { result: chargeResultOf(answer) };
      },
      handle: async (event, tx, prepared) => {
        const c = event.payload;
        const transaction = 'reuse' in prepared ? prepared.reuse : await this.record(tx, c, prepared.result);
        const traceparent = nextTraceparent(event.traceparent);
        await this.platform.outbox.enqueue(tx, TOPICS.channelChargeCompleted, chargeCompletedEvent(transaction), { traceparent });
        this.platform.logger.info(
          { paymentId: c.paymentId, orderId: c.orderId, traceparent, channel: transaction.channel, status: transaction.status, failure: transaction.failure?.code, reused: 'reuse' in prepared },
          'charge handled',
        );
      },
    });
  }

  /** Stores the channel's answer: a new transaction, or the settlement of a stored unknown outcome. */
  private async record(tx: EntityManager, c: ChannelChargeRequested, result: ChargeResult): Promise<ChannelTransaction> {
    const channel = routeChannel(c.channel);
    const recorded = await this.transactions.recordIfAbsent(
      tx,
      { paymentId: c.paymentId, orderId: c.orderId, merchantId: c.merchantId, channel, amountMinor: BigInt(c.amountMinor), currency: c.currency },
      result,
    );
    if (recorded.created) {
      this.metrics.charges.inc({ channel, outcome: result.outcome });
      return recorded.transaction;
    }
    if (recorded.transaction.status !== 'UNKNOWN' || !settlesUnknown(result)) return recorded.transaction;
    // guarded: when the query worker settled it first, its outcome stands
    const resolved = await this.transactions.resolveUnknown(tx, c.paymentId, result);
    if (resolved) {
      this.platform.logger.info({ paymentId: c.paymentId, orderId: c.orderId, status: resolved.status }, 'unknown outcome settled by a repeated charge');
      return resolved;
    }
    return (await this.transactions.find(tx, c.paymentId)) ?? recorded.transaction;
  }
}
