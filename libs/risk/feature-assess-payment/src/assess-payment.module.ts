import { Module } from '@nestjs/common';
import { IdentityRepository, LimitReservationRepository, RiskAttemptRepository, RiskDecisionRepository, RiskRuleSetRepository } from '@paystream/risk/data-access';
import { Platform } from '@paystream/shared/platform';
import { AssessPaymentConsumer } from './assess-payment.consumer';
import { AttemptRetentionWorker } from './attempt-retention/attempt-retention.worker';
import { PaymentAssessor } from './assess-payment/payment-assessor';
import { RISK_CAP_SETTINGS, type CapSettings } from './limits/cap-settings';
import { LimitOutcomeConsumer } from './limit-outcome.consumer';
import { ReviewExpiryWorker } from './review/review-expiry.worker';
import { ReviewQueue } from './review/review-queue.service';
import { ReviewController } from './review/review.controller';
import { HttpIdentityVerifier, IDENTITY_VERIFIER, IdentityController, RegisterIdentityHandler, RISK_IDENTITY_SETTINGS, type IdentitySettings } from './identity';
import { RiskMetrics } from './risk-metrics';
import { RiskQueryController } from './risk-query.controller';
import { RuleSetController } from './rules/rule-set.controller';

/** Assesses payments and answers questions about past decisions. */
@Module({
  controllers: [RiskQueryController, IdentityController, ReviewController, RuleSetController],
  providers: [
    { provide: RiskDecisionRepository, useValue: new RiskDecisionRepository() },
    { provide: RiskMetrics, inject: [Platform], useFactory: (platform: Platform) => new RiskMetrics(platform.registry) },
    { provide: LimitReservationRepository, useValue: new LimitReservationRepository() },
    { provide: RiskRuleSetRepository, useValue: new RiskRuleSetRepository() },
    { provide: RiskAttemptRepository, useValue: new RiskAttemptRepository() },
    {
      // RISK_CAP_SETTINGS comes from RiskCapSettingsModule, imported by the app
      provide: PaymentAssessor,
      inject: [RiskDecisionRepository, IdentityRepository, LimitReservationRepository, RiskRuleSetRepository, RiskAttemptRepository, RISK_CAP_SETTINGS],
      useFactory: (
        decisions: RiskDecisionRepository,
        identities: IdentityRepository,
        limits: LimitReservationRepository,
        ruleSets: RiskRuleSetRepository,
        attempts: RiskAttemptRepository,
        caps: CapSettings,
      ) => new PaymentAssessor({ decisions, identities, limits, ruleSets, attempts }, caps),
    },
    AssessPaymentConsumer,
    LimitOutcomeConsumer,
    ReviewQueue,
    ReviewExpiryWorker,
    // RISK_ATTEMPT_RETENTION_SETTINGS comes from RiskAttemptRetentionSettingsModule, imported by the app
    AttemptRetentionWorker,
    // identities: RISK_IDENTITY_SETTINGS comes from RiskIdentitySettingsModule, imported by the app
    { provide: IdentityRepository, inject: [RISK_IDENTITY_SETTINGS], useFactory: (s: IdentitySettings) => new IdentityRepository(s.keys) },
    { provide: IDENTITY_VERIFIER, inject: [RISK_IDENTITY_SETTINGS], useFactory: (s: IdentitySettings) => new HttpIdentityVerifier(s.providerUrl, s.providerTimeoutMs) },
    RegisterIdentityHandler,
  ],
  exports: [IdentityRepository],
})
export class AssessPaymentModule {}
