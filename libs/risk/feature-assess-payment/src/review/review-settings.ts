import { Global, Module, type DynamicModule } from '@nestjs/common';
import { z } from 'zod';
import { parseConfig } from '@paystream/shared/platform';

/** A held payment nobody reviews in a day is rejected (RISK_REVIEW_REJECTED). */
export const RISK_REVIEW_EXPIRY_MS_DEFAULT = 24 * 3_600_000;
/** How far back a user's completed payments count as their history (days). */
export const RISK_HISTORY_DAYS = 90;

export interface ReviewSettings {
  expiryMs: number;
}

export const RISK_REVIEW_SETTINGS = Symbol('RISK_REVIEW_SETTINGS');

/** RISK_REVIEW_EXPIRY_MS, validated (the service refuses to start on a bad value). */
export function loadReviewSettings(env: Record<string, string | undefined> = process.env): ReviewSettings {
  const c = parseConfig('risk', z.object({ RISK_REVIEW_EXPIRY_MS: z.coerce.number().int().min(1_000).max(30 * 86_400_000).default(RISK_REVIEW_EXPIRY_MS_DEFAULT) }), env);
  return { expiryMs: c.RISK_REVIEW_EXPIRY_MS };
}

/** Makes the review settings available to the risk feature (imported once, by the app module). */
@Global()
@Module({})
export class RiskReviewSettingsModule {
  static forRoot(settings: ReviewSettings): DynamicModule {
    return { module: RiskReviewSettingsModule, providers: [{ provide: RISK_REVIEW_SETTINGS, useValue: settings }], exports: [RISK_REVIEW_SETTINGS] };
  }
}
