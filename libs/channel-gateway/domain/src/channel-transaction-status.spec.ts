import { CHANNEL_TRANSACTION_STATUSES, canTransitionChannelTransaction, type ChannelTransactionStatus } from './channel-transaction-status';

describe('channel transaction states', () => {
  const allowed: ReadonlyArray<[ChannelTransactionStatus, ChannelTransactionStatus]> = [
    ['UNKNOWN', 'SUCCEEDED'],
    ['UNKNOWN', 'FAILED'],
  ];
  const pairs = CHANNEL_TRANSACTION_STATUSES.flatMap((from) => CHANNEL_TRANSACTION_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s -> %s', (from, to) => {
    expect(canTransitionChannelTransaction(from, to)).toBe(allowed.some(([f, t]) => f === from && t === to));
  });
});
