import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { failureReason, TOPICS } from '@paystream/contracts';
import { ChannelRefundRepository, ChannelTransactionRepository, type ChannelRefund } from '@paystream/channel-gateway/data-access';
import { refundIdReused, refundRequestMismatch, refundResultOf, type RefundResult } from '@paystream/channel-gateway/domain';
import { PermanentEventError } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { Platform } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';

type Prepared = { stored: ChannelRefund } | { result: RefundResult };

/** channel.refund-requested.v1 -> a refund at the channel that charged -> channel.refund-completed.v1. */
@Injectable()
export class RefundRequestedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelRefundRepository) private readonly refunds: ChannelRefundRepository,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
  ) {}

  onModuleInit(): void {
    this.platform.consume<typeof TOPICS.channelRefundRequested, Prepared>(TOPICS.channelRefundRequested, {
      prepare: async (event) => {
        const r = event.payload;
        const stored = await this.refunds.find(this.platform.ds.manager, r.refundId);
        if (stored) {
          // a refundId answered for one payment is never answered for another (nor sent to the channel again)
          const reused = refundIdReused(stored, r);
          if (reused) throw new PermanentEventError(`refund request: ${reused}`);
          return { stored };
        }
        const charge = await this.transactions.find(this.platform.ds.manager, r.paymentId);
        if (!charge || charge.status !== 'SUCCEEDED') return { result: { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', `no successful charge ${r.paymentId} here`) } };
        // a refund naming another order, channel or currency than the charge is not sent to the channel
        const mismatch = refundRequestMismatch(charge, r);
        if (mismatch) throw new PermanentEventError(`refund request: ${mismatch}`);
        const answer = await this.channel.refund(charge.channel, {
          refundId: r.refundId,
          paymentId: r.paymentId,
          paymentCreatedAt: charge.createdAt,
          channelTradeNo: charge.channelTradeNo ?? r.channelTradeNo,
          amountMinor: BigInt(r.amountMinor),
          totalMinor: charge.amountMinor,
          currency: r.currency,
        });
        return { result: refundResultOf(answer) };
      },
      handle: async (event, tx, prepared) => {
        const r = event.payload;
        const refund =
          'stored' in prepared
            ? prepared.stored
            : await this.refunds.recordIfAbsent(tx, { refundId: r.refundId, paymentId: r.paymentId, channel: r.channel, amountMinor: BigInt(r.amountMinor), currency: r.currency }, prepared.result);
        const traceparent = nextTraceparent(event.traceparent);
        await this.platform.outbox.enqueue(
          tx,
          TOPICS.channelRefundCompleted,
          {
            refundId: refund.refundId,
            paymentId: refund.paymentId,
            orderId: r.orderId,
            outcome: refund.status === 'SUCCEEDED' ? 'succeeded' : 'failed',
            ...(refund.channelRefundNo ? { channelRefundNo: refund.channelRefundNo } : {}),
            ...(refund.failure ? { failure: refund.failure } : {}),
            completedAt: refund.createdAt.toISOString(),
          },
          { traceparent },
        );
        this.platform.logger.info({ paymentId: r.paymentId, orderId: r.orderId, refundId: r.refundId, traceparent, status: refund.status, failure: refund.failure?.code }, 'refund handled');
      },
    });
  }
}
