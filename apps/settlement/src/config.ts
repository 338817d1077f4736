import { z } from 'zod';
import { SETTLEMENT_PAYOUT_ATTEMPTS_MAX } from '@paystream/settlement/domain';
import { SETTLEMENT_PAYOUT_INTERVAL_MS, type PayoutSettings } from '@paystream/settlement/feature-payout';
import { loadPlatformConfig, parseConfig, type PlatformConfig } from '@paystream/shared/platform';

export type SettlementConfig = PlatformConfig & { payout: PayoutSettings };

/** settlement's environment: the platform's plus the bank it pays out through. */
export function loadSettlementConfig(env: Record<string, string | undefined> = process.env): SettlementConfig {
  const platform = loadPlatformConfig('settlement', env);
  const c = parseConfig(
    'settlement',
    z.object({
      CHANNEL_EMULATOR_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3100'),
      SETTLEMENT_PAYOUT_INTERVAL_MS: z.coerce.number().int().min(20).max(600_000).default(SETTLEMENT_PAYOUT_INTERVAL_MS),
      SETTLEMENT_PAYOUT_ATTEMPTS_MAX: z.coerce.number().int().min(1).max(100).default(SETTLEMENT_PAYOUT_ATTEMPTS_MAX),
    }),
    env,
  );
  return {
    ...platform,
    payout: { bankUrl: c.CHANNEL_EMULATOR_URL.replace(/\/+$/, ''), intervalMs: c.SETTLEMENT_PAYOUT_INTERVAL_MS, attemptsMax: c.SETTLEMENT_PAYOUT_ATTEMPTS_MAX },
  };
}
