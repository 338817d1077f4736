/**
 * Where a refund at the channel stands. UNKNOWN: sent, and the channel has not said for sure how it
 * ended (no answer in time, the connection cut after sending, a 5xx, "processing"): the channel may
 * have refunded, so it counts against the capture until a query settles it.
 */
export const CHANNEL_REFUND_STATUSES = ['SUCCEEDED', 'FAILED', 'UNKNOWN'] as const;
export type ChannelRefundStatus = (typeof CHANNEL_REFUND_STATUSES)[number];

/** Only an unknown refund may still change, once, to what the channel says. */
export const channelRefundTransitions = {
  UNKNOWN: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: [],
  FAILED: [],
} as const satisfies Record<ChannelRefundStatus, readonly ChannelRefundStatus[]>;

/** Whether the state table lets a refund move from one status to another. */
export function canTransitionChannelRefund(from: ChannelRefundStatus, to: ChannelRefundStatus): boolean {
  return (channelRefundTransitions[from] as readonly ChannelRefundStatus[]).includes(to);
}

/** The statuses a refund may move to `to` from (for guarded updates). */
export function channelRefundStatusesLeadingTo(to: ChannelRefundStatus): ChannelRefundStatus[] {
  return CHANNEL_REFUND_STATUSES.filter((s) => canTransitionChannelRefund(s, to));
}

/**
 * The statuses whose amount the channel has given back or may have: they count against the
 * capture. Only a refund the channel said for sure failed gives its amount back.
 */
export const REFUND_STATUSES_HOLDING_CAPTURE = ['SUCCEEDED', 'UNKNOWN'] as const satisfies readonly ChannelRefundStatus[];
