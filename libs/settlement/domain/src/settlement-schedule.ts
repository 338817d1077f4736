/** When a merchant is settled: as each payment is booked, or in batches N business days later. */
export const SETTLEMENT_SCHEDULES = ['realtime', 't_plus_n'] as const;
export type SettlementSchedule = (typeof SETTLEMENT_SCHEDULES)[number];

/** A settlement batch moves from DUE to paid out or, after its attempts, failed; retries stay DUE. */
export const SETTLEMENT_BATCH_STATUSES = ['DUE', 'COMPLETED', 'FAILED'] as const;
export type SettlementBatchStatus = (typeof SETTLEMENT_BATCH_STATUSES)[number];

export const settlementBatchTransitions = {
  DUE: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
} as const satisfies Record<SettlementBatchStatus, readonly SettlementBatchStatus[]>;

/** How many payout attempts a settlement gets before it is reported failed. */
export const SETTLEMENT_PAYOUT_ATTEMPTS_MAX = 5;
/** Backoff before payout attempt n+1: 1 s, 2 s, 4 s, ... capped at 60 s. */
export function payoutBackoffMs(attempts: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}
