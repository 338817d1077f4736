import { loadIdentitySettings, loadReviewSettings, loadCapSettings } from '@paystream/risk/feature-assess-payment';
import { loadPlatformConfig, runService } from '@paystream/shared/platform';
import { AppModule, type RiskConfig } from './app.module';

void runService('risk', (): RiskConfig => ({ ...loadPlatformConfig('risk'), identity: loadIdentitySettings(), review: loadReviewSettings(), caps: loadCapSettings() }), (config) => AppModule.forRoot(config));
