import { loadAttemptRetentionSettings, loadCapSettings, loadIdentitySettings, loadReviewSettings } from '@paystream/risk/feature-assess-payment';
import { loadPlatformConfig, runService } from '@paystream/shared/platform';
import { AppModule, type RiskConfig } from './app.module';

void runService('risk', (): RiskConfig => ({ ...loadPlatformConfig('risk'), identity: loadIdentitySettings(), review: loadReviewSettings(), caps: loadCapSettings(), attemptRetention: loadAttemptRetentionSettings() }), (config) => AppModule.forRoot(config));
