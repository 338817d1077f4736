import type { ChannelRefund, ChannelTransaction } from '@paystream/channel-gateway/data-access';
import type { ChannelClient } from './channel.client';
import type { ChannelMetrics } from './channel-metrics';

/**
 * Sends a recorded refund to its channel, timed as the `refund` call, under the refund number and
 * send time it was recorded with: the consumer's first send and the janitor's resend are the same
 * call, so a channel that takes a refund number once sees the same request both times.
 */
export async function sendRecordedRefund(channel: ChannelClient, metrics: ChannelMetrics, refund: ChannelRefund, charge: ChannelTransaction, channelTradeNo: string, sentAt: Date) {
  const timer = metrics.callSeconds.startTimer({ channel: refund.channel, call: 'refund' });
  const answer = await channel.refund(refund.channel, {
    refundId: refund.refundId,
    paymentId: refund.paymentId,
    paymentCreatedAt: charge.createdAt,
    channelTradeNo,
    amountMinor: refund.amountMinor,
    totalMinor: charge.amountMinor,
    currency: refund.currency,
    sentAt,
  });
  timer();
  return answer;
}
