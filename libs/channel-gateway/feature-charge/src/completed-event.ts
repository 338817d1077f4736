import type { EventPayload, TOPICS } from '@paystream/contracts';
import type { ChannelRefund, ChannelTransaction } from '@paystream/channel-gateway/data-access';

const OUTCOME_OF = { SUCCEEDED: 'succeeded', FAILED: 'failed', UNKNOWN: 'unknown' } as const;

/** channel.charge-completed.v1 for what the transaction says now. */
export function chargeCompletedEvent(t: ChannelTransaction): EventPayload<typeof TOPICS.channelChargeCompleted> {
  return {
    paymentId: t.paymentId,
    orderId: t.orderId,
    channel: t.channel,
    outcome: OUTCOME_OF[t.status],
    ...(t.channelTradeNo ? { channelTradeNo: t.channelTradeNo } : {}),
    ...(t.failure && t.status !== 'SUCCEEDED' ? { failure: t.failure } : {}),
    completedAt: t.updatedAt.toISOString(),
  };
}

/**
 * channel.refund-completed.v1 for a refund the channel settled (never for an unknown one: "not
 * known yet" is not a result, and a failed one would release the capture).
 */
export function refundCompletedEvent(r: ChannelRefund & { status: 'SUCCEEDED' | 'FAILED' }, orderId: string): EventPayload<typeof TOPICS.channelRefundCompleted> {
  return {
    refundId: r.refundId,
    paymentId: r.paymentId,
    orderId,
    outcome: r.status === 'SUCCEEDED' ? 'succeeded' : 'failed',
    ...(r.channelRefundNo ? { channelRefundNo: r.channelRefundNo } : {}),
    ...(r.failure && r.status === 'FAILED' ? { failure: r.failure } : {}),
    completedAt: (r.resolvedAt ?? r.createdAt).toISOString(),
  };
}

/** Whether a refund has a result to tell (it is neither unknown nor still being sent). */
export function refundSettled(r: ChannelRefund): r is ChannelRefund & { status: 'SUCCEEDED' | 'FAILED' } {
  return r.status === 'SUCCEEDED' || r.status === 'FAILED';
}
