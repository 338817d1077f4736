/** How settlement pays merchants out (validated in apps/settlement/src/config.ts). */
export interface PayoutSettings {
  /** Base URL of the bank's payout API (the channel emulator in the demo and tests). */
  bankUrl: string;
  intervalMs: number;
  attemptsMax: number;
  callTimeoutMs: number;
}

export const PAYOUT_SETTINGS = Symbol('PAYOUT_SETTINGS');
/** How often due settlements are looked for. */
export const SETTLEMENT_PAYOUT_INTERVAL_MS = 200;
/** How long a payout call may take. */
export const BANK_CALL_TIMEOUT_MS = 5_000;
/** Settlements claimed (and paid side by side) per worker tick. */
export const SETTLEMENT_PAYOUT_BATCH_SIZE = 50;
