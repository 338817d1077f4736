import { Module, type DynamicModule } from '@nestjs/common';
import { Platform } from '@paystream/shared/platform';
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
      controllers: [RegistryController],
      providers: [
        { provide: REGISTRY_SETTINGS, useValue: settings },
        { provide: MerchantRegistry, inject: [Platform], useFactory: (platform: Platform) => new MerchantRegistry(platform.outbox, settings) },
        PayoutAccountChangeJob,
      ],
      exports: [MerchantRegistry, PayoutAccountChangeJob],
    };
  }
}
