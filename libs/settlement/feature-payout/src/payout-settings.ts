/** How settlement pays merchants out (validated in apps/settlement/src/config.ts). */
export interface PayoutSettings {
  bankUrl: string;
  intervalMs: number;
  attemptsMax: number;
}

export const PAYOUT_SETTINGS = Symbol('PAYOUT_SETTINGS');
/** How often due settlements are looked for. */
export const SETTLEMENT_PAYOUT_INTERVAL_MS = 200;
/** How long a payout call may take. */
export const BANK_CALL_TIMEOUT_MS = 5_000;
/** Settlements paid per worker tick. */
export const SETTLEMENT_PAYOUT_BATCH_SIZE = 50;
