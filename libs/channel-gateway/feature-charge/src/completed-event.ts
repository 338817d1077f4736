import type { EventPayload, TOPICS } from '@paystream/contracts';
import type { ChannelTransaction } from '@paystream/channel-gateway/data-access';

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
