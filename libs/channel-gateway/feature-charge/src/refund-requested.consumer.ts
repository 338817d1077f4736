import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { failureReason, TOPICS } from '@paystream/contracts';
import { ChannelRefundRepository, ChannelTransactionRepository, type ChannelRefund } from '@paystream/channel-gateway/data-access';
import { refundBeyondCapture, refundIdReused, refundRequestMismatch, refundResultOf, type RefundResult } from '@paystream/channel-gateway/domain';
import { PermanentEventError } from '@paystream/shared/kafka';
import { nextTraceparent } from '@paystream/shared/observability';
import { inTransaction } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { ChannelClient } from './channel.client';
import { CHANNEL_SETTINGS, type ChannelSettings } from './channel-settings';
import { refundCompletedEvent, refundSettled } from './completed-event';

type Prepared = { stored: ChannelRefund } | { result: RefundResult };

/**
 * channel.refund-requested.v1 -> a refund at the channel that charged -> channel.refund-completed.v1.
 * A refund whose outcome the channel left unknown tells nothing yet: it holds its part of the
 * capture, is never sent again, and the refund janitor queries it until the channel says.
 */
@Injectable()
export class RefundRequestedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelRefundRepository) private readonly refunds: ChannelRefundRepository,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelClient) private readonly channel: ChannelClient,
    @Inject(CHANNEL_SETTINGS) private readonly settings: ChannelSettings,
  ) {}

  onModuleInit(): void {
    this.platform.consume<typeof TOPICS.channelRefundRequested, Prepared>(TOPICS.channelRefundRequested, {
      prepare: async (event) => {
        const r = event.payload;
        const stored = await this.refunds.find(this.platform.ds.manager, r.refundId);
        if (stored) return answeredBefore(stored, r);
        // Under the lock on the charge: its refunds are checked, sent and recorded one at a time, so
        // one in flight or unknown counts against the next and the refunds never give back more than was captured.
        return inTransaction(this.platform.ds, async (tx): Promise<Prepared> => {
          const charge = await this.transactions.lockForRefund(tx, r.paymentId);
          if (!charge || charge.status !== 'SUCCEEDED') return { result: { outcome: 'failed', failure: failureReason('CHANNEL_REFUND_FAILED', `no successful charge ${r.paymentId} here`) } };
          // a refund naming another order, channel or currency than the charge is not sent to the channel
          const mismatch = refundRequestMismatch(charge, r);
          if (mismatch) throw new PermanentEventError(`refund request: ${mismatch}`);
          const answered = await this.refunds.find(tx, r.refundId); // answered while this one waited for the lock
          if (answered) return answeredBefore(answered, r);
          const amountMinor = BigInt(r.amountMinor);
          const asked = { refundId: r.refundId, paymentId: r.paymentId, orderId: r.orderId, channel: r.channel, amountMinor, currency: r.currency };
          const beyond = refundBeyondCapture({ capturedMinor: charge.amountMinor, refundedMinor: await this.refunds.refundedMinor(tx, r.paymentId, r.refundId) }, amountMinor);
          if (beyond) {
            this.platform.logger.warn({ paymentId: r.paymentId, refundId: r.refundId, amountMinor: r.amountMinor, failure: beyond.message }, 'refund beyond the capture: not sent to the channel');
            return { stored: await this.refunds.recordIfAbsent(tx, asked, { outcome: 'failed', failure: beyond }) };
          }
          const sentAt = new Date();
          const answer = await this.channel.refund(charge.channel, {
            refundId: r.refundId,
            paymentId: r.paymentId,
            paymentCreatedAt: charge.createdAt,
            channelTradeNo: charge.channelTradeNo ?? r.channelTradeNo,
            amountMinor,
            totalMinor: charge.amountMinor,
            currency: r.currency,
            sentAt,
          });
          return { stored: await this.refunds.recordIfAbsent(tx, { ...asked, sentAt }, refundResultOf(answer), this.settings.queryIntervalMs) };
        });
      },
      handle: async (event, tx, prepared) => {
        const r = event.payload;
        const refund =
          'stored' in prepared
            ? prepared.stored
            : await this.refunds.recordIfAbsent(tx, { refundId: r.refundId, paymentId: r.paymentId, orderId: r.orderId, channel: r.channel, amountMinor: BigInt(r.amountMinor), currency: r.currency }, prepared.result);
        const traceparent = nextTraceparent(event.traceparent);
        const log = { paymentId: r.paymentId, orderId: r.orderId, refundId: r.refundId, traceparent, status: refund.status, failure: refund.failure?.code };
        if (!refundSettled(refund)) {
          this.platform.logger.warn({ ...log, detail: refund.failure?.message }, 'refund outcome unknown: it holds its part of the capture and the channel is queried; nothing is told until it says');
          return;
        }
        await this.platform.outbox.enqueue(tx, TOPICS.channelRefundCompleted, refundCompletedEvent(refund, r.orderId), { traceparent });
        this.platform.logger.info(log, 'refund handled');
      },
    });
  }
}

/** A refund already answered: told again as it was, but a refundId answered for one payment is never answered for another (nor sent to the channel again). */
function answeredBefore(stored: ChannelRefund, asked: { paymentId: string }): Prepared {
  const reused = refundIdReused(stored, asked);
  if (reused) throw new PermanentEventError(`refund request: ${reused}`);
  return { stored };
}
