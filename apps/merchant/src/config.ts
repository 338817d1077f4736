import { z } from 'zod';
import { PAYOUT_ACCOUNT_COOLING_OFF_MS_DEFAULT, PAYOUT_ACCOUNT_COOLING_OFF_MS_MAX, PAYOUT_ACCOUNT_COOLING_OFF_MS_MIN } from '@paystream/merchant/domain';
import { PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS, type RegistrySettings } from '@paystream/merchant/feature-registry';
import { loadPlatformConfig, parseConfig, type PlatformConfig } from '@paystream/shared/platform';

/** merchant's configuration: the platform's and how the registry runs. */
export type MerchantConfig = PlatformConfig & { registry: RegistrySettings };

const merchantEnvSchema = z.object({
  MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS: z.coerce
    .number()
    .int()
    .min(PAYOUT_ACCOUNT_COOLING_OFF_MS_MIN)
    .max(PAYOUT_ACCOUNT_COOLING_OFF_MS_MAX)
    .default(PAYOUT_ACCOUNT_COOLING_OFF_MS_DEFAULT),
  MERCHANT_PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS: z.coerce.number().int().min(20).max(3_600_000).default(PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS),
});

/** merchant's environment: the platform's plus the payout account cooling-off; refuses to start when invalid. */
export function loadMerchantConfig(env: Record<string, string | undefined> = process.env): MerchantConfig {
  const platform = loadPlatformConfig('merchant', env);
  const c = parseConfig('merchant', merchantEnvSchema, env);
  return {
    ...platform,
    registry: { coolingOffMs: c.MERCHANT_PAYOUT_ACCOUNT_COOLING_OFF_MS, applyIntervalMs: c.MERCHANT_PAYOUT_ACCOUNT_CHANGE_INTERVAL_MS, now: () => new Date() },
  };
}
