import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { RISK_MIGRATIONS } from '@paystream/risk/data-access';
import {
  AssessPaymentModule,
  loadAttemptRetentionSettings,
  loadCapSettings,
  loadIdentitySettings,
  loadReviewSettings,
  RiskAttemptRetentionSettingsModule,
  RiskCapSettingsModule,
  RiskIdentitySettingsModule,
  RiskReviewSettingsModule,
  type AttemptRetentionSettings,
  type CapSettings,
  type IdentitySettings,
  type ReviewSettings,
} from '@paystream/risk/feature-assess-payment';
import { PlatformModule, type PlatformConfig } from '@paystream/shared/platform';

/** risk's configuration: the platform's and, for the identity API, its keys and provider. */
export type RiskConfig = PlatformConfig & { identity: IdentitySettings; review: ReviewSettings; caps: CapSettings; attemptRetention: AttemptRetentionSettings };

/** risk: decides approve / review / reject for every payment, and keeps users' real-name identities. */
@Module({})
export class AppModule {
  /** Without identity settings they are read from the process environment (refusing to start when they are invalid). */
  static forRoot(config: PlatformConfig & { identity?: IdentitySettings; review?: ReviewSettings; caps?: CapSettings; attemptRetention?: AttemptRetentionSettings }): DynamicModule {
    const identity = config.identity ?? loadIdentitySettings(process.env);
    const review = config.review ?? loadReviewSettings(process.env);
    const caps = config.caps ?? loadCapSettings(process.env);
    const attemptRetention = config.attemptRetention ?? loadAttemptRetentionSettings(process.env);
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ config, migrations: RISK_MIGRATIONS, producesTopics: [TOPICS.riskAssessmentDecided] }),
        RiskIdentitySettingsModule.forRoot(identity),
        RiskReviewSettingsModule.forRoot(review),
        RiskCapSettingsModule.forRoot(caps),
        RiskAttemptRetentionSettingsModule.forRoot(attemptRetention),
        AssessPaymentModule,
      ],
    };
  }
}
