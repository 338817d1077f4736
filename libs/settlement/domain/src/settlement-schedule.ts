/** When a merchant is settled: as each payment is booked, or in batches N business days later. */
export const SETTLEMENT_SCHEDULES = ['realtime', 't_plus_n'] as const;
export type SettlementSchedule = (typeof SETTLEMENT_SCHEDULES)[number];

/**
 * A settlement batch is DUE until a payout worker claims it (PAYING, under a lease), then paid out
 * (COMPLETED), back to DUE for a retry, or FAILED after its last attempt. A PAYING batch whose lease
 * ran out (its worker died mid-call) is claimed again: PAYING -> PAYING.
 */
export const SETTLEMENT_BATCH_STATUSES = ['DUE', 'PAYING', 'COMPLETED', 'FAILED'] as const;
export type SettlementBatchStatus = (typeof SETTLEMENT_BATCH_STATUSES)[number];

export const settlementBatchTransitions = {
  DUE: ['PAYING'],
  PAYING: ['COMPLETED', 'DUE', 'FAILED', 'PAYING'],
  COMPLETED: [],
  FAILED: [],
} as const satisfies Record<SettlementBatchStatus, readonly SettlementBatchStatus[]>;

/** Whether the state table allows a batch to move from one status to another. */
export function canTransition(from: SettlementBatchStatus, to: SettlementBatchStatus): boolean {
  return (settlementBatchTransitions[from] as readonly SettlementBatchStatus[]).includes(to);
}

/** How many payout attempts a settlement gets before it is reported failed. */
export const SETTLEMENT_PAYOUT_ATTEMPTS_MAX = 5;
/** The longest wait between two payout attempts. */
export const SETTLEMENT_PAYOUT_BACKOFF_MAX_MS = 60_000;
/**
 * The most bank calls one payout attempt makes (ask about an unknown outcome, send, confirm a failure
 * before giving up): the lease covers that many call timeouts.
 */
export const SETTLEMENT_PAYOUT_BANK_CALLS_MAX = 3;
/**
 * How long a claimed (PAYING) batch stays with its worker beyond its bank calls' own timeouts; after
 * that another worker may claim it. Safe because the bank pays a payoutId once.
 */
export const SETTLEMENT_PAYOUT_LEASE_MARGIN_MS = 10_000;

/** Backoff before payout attempt n+1: 1 s, 2 s, 4 s, ... capped at SETTLEMENT_PAYOUT_BACKOFF_MAX_MS. */
export function payoutBackoffMs(attempts: number): number {
  return Math.min(SETTLEMENT_PAYOUT_BACKOFF_MAX_MS, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/** After a failed payout attempt (attempts counts it): try again later, or give up for good. */
export function afterFailedPayout(attempts: number, attemptsMax: number): { status: 'DUE'; retryInMs: number } | { status: 'FAILED' } {
  return attempts >= attemptsMax ? { status: 'FAILED' } : { status: 'DUE', retryInMs: payoutBackoffMs(attempts) };
}

/**
 * What the bank said about a payout: paid; failed (it refused or errored, nothing was paid); or
 * unknown (no answer, or still processing), which the next attempt settles by asking the bank first.
 */
export type PayoutOutcome = 'PAID' | 'FAILED' | 'UNKNOWN';

export type PayoutNext =
  | { status: 'COMPLETED' }
  | { status: 'DUE'; retryInMs: number }
  | { status: 'FAILED' };

/**
 * After a payout attempt (attempts counts it). An unknown outcome is never given up on: the money
 * may have left, so reversing it could pay the merchant twice; it is asked about again, with backoff.
 */
export const payoutOutcomeTable = {
  PAID: () => ({ status: 'COMPLETED' }),
  FAILED: (attempts, attemptsMax) => afterFailedPayout(attempts, attemptsMax),
  UNKNOWN: (attempts) => ({ status: 'DUE', retryInMs: payoutBackoffMs(attempts) }),
} as const satisfies Record<PayoutOutcome, (attempts: number, attemptsMax: number) => PayoutNext>;

/** The next step after an attempt with this outcome. */
export function afterPayoutAttempt(outcome: PayoutOutcome, attempts: number, attemptsMax: number): PayoutNext {
  return payoutOutcomeTable[outcome](attempts, attemptsMax);
}
