import { loadAttemptRetentionSettings, loadCapSettings, loadIdentitySettings, loadReviewSettings } from '@paystream/risk/feature-assess-payment';
import { loadPlatformConfig } from '@paystream/shared/platform';
import type { RiskConfig } from './app.module';

/** risk's environment: the platform's, the identity keys (CHANNEL_KEYS_DIR), reviews, caps and attempt retention; refuses to start when invalid. */
export function loadRiskConfig(env: Record<string, string | undefined> = process.env): RiskConfig {
  return { ...loadPlatformConfig('risk', env), identity: loadIdentitySettings(env), review: loadReviewSettings(env), caps: loadCapSettings(env), attemptRetention: loadAttemptRetentionSettings(env) };
}
