import { Global, Module, type DynamicModule } from '@nestjs/common';
import { z } from 'zod';
import {
  RISK_ATTEMPT_PRUNE_BATCH_SIZE_DEFAULT,
  RISK_ATTEMPT_PRUNE_BATCH_SIZE_MAX,
  RISK_ATTEMPT_RETENTION_DAYS_DEFAULT,
  RISK_ATTEMPT_RETENTION_DAYS_MAX,
  RISK_ATTEMPT_RETENTION_DAYS_MIN,
} from '@paystream/risk/domain';
import { parseConfig } from '@paystream/shared/platform';

/** How long risk_attempt rows are kept and how many one delete removes. */
export interface AttemptRetentionSettings {
  retentionDays: number;
  batchSize: number;
}

export const RISK_ATTEMPT_RETENTION_SETTINGS = Symbol('RISK_ATTEMPT_RETENTION_SETTINGS');

const wholeNumber = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]*$/, 'must be a whole number')
    .default(String(fallback))
    .transform(Number)
    .pipe(z.number().min(min).max(max));

/** RISK_ATTEMPT_RETENTION_DAYS and RISK_ATTEMPT_PRUNE_BATCH_SIZE, validated (the service refuses to start on a bad value). */
export function loadAttemptRetentionSettings(env: Record<string, string | undefined> = process.env): AttemptRetentionSettings {
  const c = parseConfig(
    'risk',
    z.object({
      RISK_ATTEMPT_RETENTION_DAYS: wholeNumber(RISK_ATTEMPT_RETENTION_DAYS_MIN, RISK_ATTEMPT_RETENTION_DAYS_MAX, RISK_ATTEMPT_RETENTION_DAYS_DEFAULT),
      RISK_ATTEMPT_PRUNE_BATCH_SIZE: wholeNumber(1, RISK_ATTEMPT_PRUNE_BATCH_SIZE_MAX, RISK_ATTEMPT_PRUNE_BATCH_SIZE_DEFAULT),
    }),
    env,
  );
  return { retentionDays: c.RISK_ATTEMPT_RETENTION_DAYS, batchSize: c.RISK_ATTEMPT_PRUNE_BATCH_SIZE };
}

/** Makes the attempt retention settings available to the risk feature (imported once, by the app module). */
@Global()
@Module({})
export class RiskAttemptRetentionSettingsModule {
  static forRoot(settings: AttemptRetentionSettings): DynamicModule {
    return { module: RiskAttemptRetentionSettingsModule, providers: [{ provide: RISK_ATTEMPT_RETENTION_SETTINGS, useValue: settings }], exports: [RISK_ATTEMPT_RETENTION_SETTINGS] };
  }
}
