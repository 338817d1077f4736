import { Module, type DynamicModule } from '@nestjs/common';
import { BankClient } from './bank.client';
import { PAYOUT_SETTINGS, type PayoutSettings } from './payout-settings';
import { PayoutWorker } from './payout.worker';

/** Pays due settlements out through the bank. */
@Module({})
export class PayoutModule {
  static forRoot(settings: PayoutSettings): DynamicModule {
    return { module: PayoutModule, providers: [{ provide: PAYOUT_SETTINGS, useValue: settings }, BankClient, PayoutWorker] };
  }
}
