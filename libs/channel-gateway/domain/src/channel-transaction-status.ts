/** Where a charge at the channel stands. */
export const CHANNEL_TRANSACTION_STATUSES = ['SUCCEEDED', 'FAILED', 'UNKNOWN'] as const;
export type ChannelTransactionStatus = (typeof CHANNEL_TRANSACTION_STATUSES)[number];

/** Only an unknown outcome may still change, once, to what the channel says. */
export const channelTransactionTransitions = {
  UNKNOWN: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: [],
  FAILED: [],
} as const satisfies Record<ChannelTransactionStatus, readonly ChannelTransactionStatus[]>;

/** Whether the state table lets a channel transaction move from one status to another. */
export function canTransitionChannelTransaction(from: ChannelTransactionStatus, to: ChannelTransactionStatus): boolean {
  return (channelTransactionTransitions[from] as readonly ChannelTransactionStatus[]).includes(to);
}
