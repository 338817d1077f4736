import { z } from 'zod';
import { SETTLEMENT_PAYOUT_ATTEMPTS_MAX } from '@paystream/settlement/domain';
import { SETTLEMENT_RUN_CLAIM_STALE_MS, SETTLEMENT_RUN_INTERVAL_MS, type SettlementRunSettings } from '@paystream/settlement/feature-book-payment';
import { RECONCILIATION_CHECK_INTERVAL_MS, RECONCILIATION_DAILY_AT_BEIJING, type ReconcileSettings } from '@paystream/settlement/feature-reconcile';
import { BANK_CALL_TIMEOUT_MS, SETTLEMENT_PAYOUT_INTERVAL_MS, type PayoutSettings } from '@paystream/settlement/feature-payout';
import { bearerToken, deriveSecret } from '@paystream/shared/auth';
import { envOrFile, loadPlatformConfig, parseConfig, type PlatformConfig } from '@paystream/shared/platform';

/** settlement's configuration: the platform's, the channel emulator (the bank) and how payouts run. */
export type SettlementConfig = PlatformConfig & { emulatorUrl: string; payout: PayoutSettings; runs: SettlementRunSettings; reconcile: ReconcileSettings };

const settlementEnvSchema = z.object({
  CHANNEL_EMULATOR_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3100'),
  SETTLEMENT_PAYOUT_INTERVAL_MS: z.coerce.number().int().min(20).max(600_000).default(SETTLEMENT_PAYOUT_INTERVAL_MS),
  SETTLEMENT_PAYOUT_ATTEMPTS_MAX: z.coerce.number().int().min(1).max(100).default(SETTLEMENT_PAYOUT_ATTEMPTS_MAX),
  SETTLEMENT_RUN_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(SETTLEMENT_RUN_INTERVAL_MS),
  // demo stacks only: a run as of a later day pays T+N payments and reserves out early
  SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED: z.enum(['true', 'false']).default('false'),
  SETTLEMENT_RUN_CLAIM_STALE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(SETTLEMENT_RUN_CLAIM_STALE_MS),
  SETTLEMENT_BANK_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(BANK_CALL_TIMEOUT_MS),
  CHANNEL_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  CHANNEL_GATEWAY_PORT: z.coerce.number().int().min(1).max(65_535).default(3002),
  RECONCILIATION_DAILY_AT: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm (Beijing time)').default(RECONCILIATION_DAILY_AT_BEIJING),
  RECONCILIATION_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(RECONCILIATION_CHECK_INTERVAL_MS),
  // settlement's service:settlement credential (issued by `npm run admin -- service-token create --service settlement`); its secret derives from the pepper
  SETTLEMENT_SERVICE_CREDENTIAL_ID: z.string().regex(/^svc_settlement_[0-9A-Za-z]{22}$/, 'svc_settlement_ and 22 base62 characters').optional(),
});

/**
 * settlement's environment: the platform's plus the bank it pays out through; refuses to start when invalid.
 * Its service credential id comes from SETTLEMENT_SERVICE_CREDENTIAL_ID or the file SETTLEMENT_SERVICE_CREDENTIAL_ID_FILE names (docker-compose).
 */
export function loadSettlementConfig(env: Record<string, string | undefined> = process.env): SettlementConfig {
  const platform = loadPlatformConfig('settlement', env);
  const credentialId = envOrFile('settlement', env, 'SETTLEMENT_SERVICE_CREDENTIAL_ID');
  const c = parseConfig('settlement', settlementEnvSchema, credentialId === undefined ? env : { ...env, SETTLEMENT_SERVICE_CREDENTIAL_ID: credentialId });
  const emulatorUrl = c.CHANNEL_EMULATOR_URL.replace(/\/+$/, '');
  return {
    ...platform,
    emulatorUrl,
    payout: {
      bankUrl: emulatorUrl,
      intervalMs: c.SETTLEMENT_PAYOUT_INTERVAL_MS,
      attemptsMax: c.SETTLEMENT_PAYOUT_ATTEMPTS_MAX,
      callTimeoutMs: c.SETTLEMENT_BANK_TIMEOUT_MS,
    },
    runs: { runIntervalMs: c.SETTLEMENT_RUN_INTERVAL_MS, futureAsOfAllowed: c.SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED === 'true', claimStaleMs: c.SETTLEMENT_RUN_CLAIM_STALE_MS },
    reconcile: {
      gatewayUrl: (c.CHANNEL_GATEWAY_URL ?? `http://127.0.0.1:${c.CHANNEL_GATEWAY_PORT}`).replace(/\/+$/, ''),
      dailyAtBeijing: c.RECONCILIATION_DAILY_AT,
      checkIntervalMs: c.RECONCILIATION_CHECK_INTERVAL_MS,
      ...(c.SETTLEMENT_SERVICE_CREDENTIAL_ID
        ? { serviceToken: bearerToken(c.SETTLEMENT_SERVICE_CREDENTIAL_ID, deriveSecret(platform.credentialPepper, c.SETTLEMENT_SERVICE_CREDENTIAL_ID)) }
        : {}),
    },
  };
}
