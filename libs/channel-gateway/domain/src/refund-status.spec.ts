import { canTransitionChannelRefund, CHANNEL_REFUND_STATUSES, channelRefundStatusesLeadingTo, REFUND_STATUSES_AWAITING_CHANNEL, REFUND_STATUSES_HOLDING_CAPTURE, SENDING_REFUND_RESUME, type ChannelRefundStatus } from './refund-status';

describe('channel refund state table', () => {
  const allowed: [ChannelRefundStatus, ChannelRefundStatus][] = [
    ['SENDING', 'SUCCEEDED'],
    ['SENDING', 'FAILED'],
    ['SENDING', 'UNKNOWN'],
    ['UNKNOWN', 'SUCCEEDED'],
    ['UNKNOWN', 'FAILED'],
  ];
  const pairs = CHANNEL_REFUND_STATUSES.flatMap((from) => CHANNEL_REFUND_STATUSES.map((to): [ChannelRefundStatus, ChannelRefundStatus] => [from, to]));

  it.each(pairs)('%s -> %s', (from, to) => {
    expect(canTransitionChannelRefund(from, to)).toBe(allowed.some(([f, t]) => f === from && t === to));
  });

  it('a settled refund never moves again; one being sent or unknown is settled, and only one being sent becomes unknown', () => {
    expect(channelRefundStatusesLeadingTo('SUCCEEDED')).toEqual(['SENDING', 'UNKNOWN']);
    expect(channelRefundStatusesLeadingTo('FAILED')).toEqual(['SENDING', 'UNKNOWN']);
    expect(channelRefundStatusesLeadingTo('UNKNOWN')).toEqual(['SENDING']);
    expect(channelRefundStatusesLeadingTo('SENDING')).toEqual([]);
  });

  it('a refund being sent or unknown holds its part of the capture like a succeeded one, and is queried; a failed one gives it back', () => {
    expect([...REFUND_STATUSES_HOLDING_CAPTURE].sort()).toEqual(['SENDING', 'SUCCEEDED', 'UNKNOWN']);
    expect([...REFUND_STATUSES_AWAITING_CHANNEL].sort()).toEqual(['SENDING', 'UNKNOWN']);
  });

  it('a refund found still being sent is sent again only where the refund number alone makes it once (never UnionPay, whose refund is its orderId and txnTime)', () => {
    expect(SENDING_REFUND_RESUME).toEqual({ alipay: 'resend', wechatpay: 'resend', unionpay: 'query' });
  });
});
