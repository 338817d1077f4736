import { PAYOUT_ACCOUNT_COOLING_OFF_MS_DEFAULT } from '@paystream/merchant/domain';

/** How often the job looks for approved payout account changes whose cooling-off has passed, by default. */
export const PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS = 5_000;

/** How the registry runs: the four-eyes cooling-off and how often approved changes are applied. */
export interface RegistrySettings {
  /** MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: an approved account takes effect this long after approval. */
  coolingOffMs: number;
  /** MERCHANT_PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS: how often the job applies changes that are due. */
  applyIntervalMs: number;
  /** The clock (tests inject one). */
  now: () => Date;
}

export const REGISTRY_SETTINGS = Symbol('REGISTRY_SETTINGS');

export const REGISTRY_SETTINGS_DEFAULT: RegistrySettings = {
  coolingOffMs: PAYOUT_ACCOUNT_COOLING_OFF_MS_DEFAULT,
  applyIntervalMs: PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS,
  now: () => new Date(),
};
