import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { MERCHANT_MIGRATIONS } from '@paystream/merchant/data-access';
import { RegistryModule } from '@paystream/merchant/feature-registry';
import { PlatformModule } from '@paystream/shared/platform';
import type { MerchantConfig } from './config';

/** merchant: who exists (the registry), on what terms, where they are paid, and their credentials. */
@Module({})
export class AppModule {
  static forRoot(config: MerchantConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({
          config,
          migrations: MERCHANT_MIGRATIONS,
          producesTopics: [TOPICS.merchantRegistered, TOPICS.merchantUpdated, TOPICS.merchantPayoutAccountChange, TOPICS.credentialIssued, TOPICS.credentialRevoked],
        }),
        RegistryModule.forRoot(config.registry),
      ],
    };
  }
}
