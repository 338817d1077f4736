import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { ChannelTransactionRepository, type ChannelTransaction } from '@paystream/channel-gateway/data-access';
import { chargeResultOf, routeChannel, type ChargeResult } from '@paystream/channel-gateway/domain';
import { nextTraceparent } from '@paystream/shared/observability';
import { Platform } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';
import { ChannelMetrics } from './channel-metrics';
import { chargeCompletedEvent } from './completed-event';

type Prepared = { stored: ChannelTransaction } | { result: ChargeResult };

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
        if (stored) return { stored };
        const channel = routeChannel(c.channel);
        const timer = this.metrics.callSeconds.startTimer({ channel, call: 'charge' });
        const answer = await this.channel.charge({ outTradeNo: c.paymentId, channel, merchantId: c.merchantId, amountMinor: BigInt(c.amountMinor), currency: c.currency, subject: c.subject });
        timer();
        return { result: chargeResultOf(answer) };
      },
      handle: async (event, tx, prepared) => {
        const c = event.payload;
        const channel = routeChannel(c.channel);
        let transaction: ChannelTransaction;
        if ('stored' in prepared) {
          transaction = prepared.stored;
        } else {
          const recorded = await this.transactions.recordIfAbsent(
            tx,
            { paymentId: c.paymentId, orderId: c.orderId, merchantId: c.merchantId, channel, amountMinor: BigInt(c.amountMinor), currency: c.currency },
            prepared.result,
          );
          transaction = recorded.transaction;
          if (recorded.created) this.metrics.charges.inc({ channel, outcome: prepared.result.outcome });
        }
        const traceparent = nextTraceparent(event.traceparent);
        await this.platform.outbox.enqueue(tx, TOPICS.channelChargeCompleted, chargeCompletedEvent(transaction), { traceparent });
        this.platform.logger.info(
          { paymentId: c.paymentId, orderId: c.orderId, traceparent, channel, status: transaction.status, failure: transaction.failure?.code, repeated: 'stored' in prepared },
          'charge handled',
        );
      },
    });
  }
}
