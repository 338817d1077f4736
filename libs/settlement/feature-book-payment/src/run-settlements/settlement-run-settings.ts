/** How the settlement runs are scheduled (validated in apps/settlement/src/config.ts). */
export interface SettlementRunSettings {
  /** How often what is due today is settled, in ms. */
  runIntervalMs: number;
  /** Whether POST /settlement/runs may settle as of a day after today (demo stacks only; production leaves it off). */
  futureAsOfAllowed: boolean;
  /** How long a run's Idempotency-Key claim may stay in progress before a request with that key takes it over, in ms. */
  claimStaleMs: number;
}

/** The run settings, for the scheduler and the run controller. */
export const SETTLEMENT_RUN_SETTINGS = Symbol('SETTLEMENT_RUN_SETTINGS');
