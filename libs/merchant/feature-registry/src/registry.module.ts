import { Module, type DynamicModule } from '@nestjs/common';
import { REGISTRY_SETTINGS, type RegistrySettings } from './registry-settings';

/** The merchant registry: onboarding, changes, status, and four-eyes payout account changes. */
@Module({})
export class RegistryModule {
  static forRoot(settings: RegistrySettings): DynamicModule {
    return {
      module: RegistryModule,
      controllers: [],
      providers: [{ provide: REGISTRY_SETTINGS, useValue: settings }],
    };
  }
}
