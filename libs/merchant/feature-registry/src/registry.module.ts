import { Module, type DynamicModule } from '@nestjs/common';
import { Platform } from '@paystream/shared/platform';
import { CredentialIssuer } from './credentials/credential-issuer';
import { CredentialsController } from './credentials/credentials.controller';
import { MerchantRegistry } from './merchant-registry';
import { PayoutAccountChangeJob } from './payout-account-change.job';
import { RegistryController } from './registry.controller';
import { REGISTRY_SETTINGS, type RegistrySettings } from './registry-settings';

/** The merchant registry: onboarding, changes, status, and four-eyes payout account changes. */
@Module({})
export class RegistryModule {
  static forRoot(settings: RegistrySettings): DynamicModule {
    return {
      module: RegistryModule,
      controllers: [RegistryController, CredentialsController],
      providers: [
        { provide: REGISTRY_SETTINGS, useValue: settings },
        { provide: MerchantRegistry, inject: [Platform], useFactory: (platform: Platform) => new MerchantRegistry(platform.outbox, settings) },
        { provide: CredentialIssuer, inject: [Platform], useFactory: (platform: Platform) => new CredentialIssuer(platform.outbox, platform.config.credentialPepper) },
        PayoutAccountChangeJob,
      ],
      exports: [MerchantRegistry, PayoutAccountChangeJob, CredentialIssuer],
    };
  }
}
