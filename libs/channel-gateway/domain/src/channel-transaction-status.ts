/** Where a charge at the channel stands. UNKNOWN: sent (or about to be), the channel has not said how it ended. */
export const CHANNEL_TRANSACTION_STATUSES = ['SUCCEEDED', 'FAILED', 'UNKNOWN'] as const;
export type ChannelTransactionStatus = (typeof CHANNEL_TRANSACTION_STATUSES)[number];
export type TerminalStatus = Exclude<ChannelTransactionStatus, 'UNKNOWN'>;

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

/** Who told us how a charge ended. */
export const REPORT_SOURCES = ['response', 'notification', 'query', 'close'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

/** What a source reports: a final outcome, or "not final yet" (in process, waiting for the buyer, no answer). */
export type ReportedOutcome = 'succeeded' | 'failed' | 'pending';

export type RaceVerdict =
  /** The first final word: the transaction moves to it. */
  | { kind: 'advance'; to: TerminalStatus }
  /** Nothing final: the stored state stands (a report never moves a transaction backwards). */
  | { kind: 'no-change' }
  /** The same final word again (a second notification, a query after the response): nothing to do. */
  | { kind: 'duplicate' }
  /** A final word that contradicts the stored one: the stored one stands, and people are told. */
  | { kind: 'conflict'; stored: TerminalStatus; reported: TerminalStatus };

const TERMINAL_OF = { succeeded: 'SUCCEEDED', failed: 'FAILED' } as const;

/**
 * The race rule between the synchronous response, the asynchronous notification and the query
 * (docs/channel-race-rule.md): states only move forward along the table above; the first terminal
 * state to be stored wins, whichever source it came from; a later report of the same state is a
 * duplicate; a later report of the other terminal state is a conflict: the stored state stands,
 * an alert is raised and a metric counted, and the case is kept for a person to settle (refund or
 * write-off), never settled by flipping the state.
 */
export function raceVerdict(stored: ChannelTransactionStatus, reported: ReportedOutcome): RaceVerdict {
  if (reported === 'pending') return { kind: 'no-change' };
  const to = TERMINAL_OF[reported];
  if (stored === 'UNKNOWN') return { kind: 'advance', to };
  return stored === to ? { kind: 'duplicate' } : { kind: 'conflict', stored, reported: to };
}
