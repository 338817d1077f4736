import type { Channel } from '@paystream/contracts';

/**
 * Where a refund at the channel stands. SENDING: recorded (with its refund number and send time)
 * before the channel is called, and no answer recorded yet; if the process dies mid-call it stays
 * SENDING and the channel may have refunded. UNKNOWN: sent, and the channel has not said for sure
 * how it ended (no answer in time, the connection cut after sending, a 5xx, "processing"). Both
 * count against the capture until the channel's answer or a query settles them.
 */
export const CHANNEL_REFUND_STATUSES = ['SENDING', 'SUCCEEDED', 'FAILED', 'UNKNOWN'] as const;
export type ChannelRefundStatus = (typeof CHANNEL_REFUND_STATUSES)[number];

/** A refund being sent takes the channel's answer; an unknown one may still change, once, to what the channel says. */
export const channelRefundTransitions = {
  SENDING: ['SUCCEEDED', 'FAILED', 'UNKNOWN'],
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
export const REFUND_STATUSES_HOLDING_CAPTURE = ['SENDING', 'SUCCEEDED', 'UNKNOWN'] as const satisfies readonly ChannelRefundStatus[];

/** The statuses the refund janitor queries: the channel may have refunded and has not said so to us. */
export const REFUND_STATUSES_AWAITING_CHANNEL = ['SENDING', 'UNKNOWN'] as const satisfies readonly ChannelRefundStatus[];

/**
 * What a redelivered request does with a refund it finds SENDING (its handler died before the
 * answer was recorded): send it again only where the channel takes the same refund number once
 * whatever the send time (Alipay out_request_no, WeChat Pay out_refund_no answer the refund already
 * made), else only ask (UnionPay: a refund is its orderId and txnTime, and a send with another
 * time is another transaction; with the same time it would depend on the channel's duplicate
 * check, so it is queried with the recorded txnTime and never sent again).
 */
export const SENDING_REFUND_RESUME = {
  alipay: 'resend',
  wechatpay: 'resend',
  unionpay: 'query',
} as const satisfies Record<Channel, 'resend' | 'query'>;
