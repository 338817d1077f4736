import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS, type Channel, type ChannelChargeRequested } from '@paystream/contracts';
import { ChannelTransactionRepository, type ChannelTransaction } from '@paystream/channel-gateway/data-access';
import { chargeResultOf, DEFAULT_CHANNEL, routeCharge, settlesUnknown, type ChargeResult } from '@paystream/channel-gateway/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit, type EntityManager } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { ChannelBreakers } from './channel-breakers';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { chargeCompletedEvent } from './completed-event';

/** A final outcome already stored (no channel call), or what the channel answered now. */
type Prepared = { reuse: ChannelTransaction } | { result: ChargeResult; channel: Channel; routingReasons: string[] };

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
    @Inject(ChannelBreakers) private readonly breakers: ChannelBreakers,
  ) {}

  onModuleInit(): void {
    this.platform.consume<typeof TOPICS.channelChargeRequested, Prepared>(TOPICS.channelChargeRequested, {
      prepare: async (event) => {
        const c = event.payload;
        const stored = await this.transactions.find(this.platform.ds.manager, c.paymentId);
        if (stored && stored.status !== 'UNKNOWN') return { reuse: stored };
        const amountMinor = BigInt(c.amountMinor);
        // an unknown outcome is asked again of the same channel (it answers a repeated outTradeNo with its
        // first answer); anything new is routed by health, fee and the shopper's choice
        const route = stored
          ? { ok: true as const, channel: stored.channel, reasons: stored.routingReasons }
          : routeCharge({ requested: c.channel, amountMinor, currency: c.currency }, (ch) => this.breakers.health(ch));
        if (!route.ok) {
          const channel = c.channel ?? DEFAULT_CHANNEL;
          return { result: chargeResultOf({ kind: 'not-sent', detail: route.reasons.join('; ') }), channel, routingReasons: route.reasons };
        }
        if (!stored) this.metrics.routed.inc({ requested: c.channel ?? 'none', channel: route.channel });
        const timer = this.metrics.callSeconds.startTimer({ channel: route.channel, call: 'charge' });
        const answer = await this.channel.charge({ outTradeNo: c.paymentId, channel: route.channel, merchantId: c.merchantId, amountMinor, currency: c.currency, subject: c.subject });
        timer();
        return { result: chargeResultOf(answer), channel: route.channel, routingReasons: route.reasons };
      },
      handle: async (event, tx, prepared) => {
        const c = event.payload;
        const transaction = 'reuse' in prepared ? prepared.reuse : await this.record(tx, c, prepared);
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
  private async record(
    tx: EntityManager,
    c: ChannelChargeRequested,
    { result, channel, routingReasons }: { result: ChargeResult; channel: Channel; routingReasons: string[] },
  ): Promise<ChannelTransaction> {
    const recorded = await this.transactions.recordIfAbsent(
      tx,
      { paymentId: c.paymentId, orderId: c.orderId, merchantId: c.merchantId, channel, amountMinor: BigInt(c.amountMinor), currency: c.currency, routingReasons },
      result,
    );
    if (recorded.created) {
      afterCommit(tx, () => this.metrics.charges.inc({ channel, outcome: result.outcome }));
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
