import { canTransitionChannelRefund, CHANNEL_REFUND_STATUSES, channelRefundStatusesLeadingTo, REFUND_STATUSES_HOLDING_CAPTURE, type ChannelRefundStatus } from './refund-status';

describe('channel refund state table', () => {
  const allowed: [ChannelRefundStatus, ChannelRefundStatus][] = [
    ['UNKNOWN', 'SUCCEEDED'],
    ['UNKNOWN', 'FAILED'],
  ];
  const pairs = CHANNEL_REFUND_STATUSES.flatMap((from) => CHANNEL_REFUND_STATUSES.map((to): [ChannelRefundStatus, ChannelRefundStatus] => [from, to]));

  it.each(pairs)('%s -> %s', (from, to) => {
    expect(canTransitionChannelRefund(from, to)).toBe(allowed.some(([f, t]) => f === from && t === to));
  });

  it('a settled refund never moves again; only an unknown one is settled', () => {
    expect(channelRefundStatusesLeadingTo('SUCCEEDED')).toEqual(['UNKNOWN']);
    expect(channelRefundStatusesLeadingTo('FAILED')).toEqual(['UNKNOWN']);
  });

  it('an unknown refund holds its part of the capture like a succeeded one; a failed one gives it back', () => {
    expect([...REFUND_STATUSES_HOLDING_CAPTURE].sort()).toEqual(['SUCCEEDED', 'UNKNOWN']);
  });
});
