import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { MerchantProfileRepository, termsOfSnapshot } from '@paystream/settlement/data-access';
import { validateSettlementTerms } from '@paystream/settlement/domain';
import { PermanentEventError } from '@paystream/shared/kafka';
import { Platform } from '@paystream/shared/platform';
import { PaymentSucceededConsumer } from '../payment-succeeded.consumer';
import { SettleMerchant } from '../settle-merchant/settle-merchant';

/**
 * merchant.registered.v1 / merchant.updated.v1 -> settlement's copy of the merchant's terms
 * (schedule, fee plan, reserve, payout account in effect). The highest version wins; the change
 * waits for the merchant's bookings and settlements in progress (the merchant lock), and applies to
 * what is booked and settled afterwards; payments parked before the merchant arrived are booked then.
 */
@Injectable()
export class MerchantTermsConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
    @Inject(PaymentSucceededConsumer) private readonly payments: PaymentSucceededConsumer,
  ) {}

  onModuleInit(): void {
    for (const topic of [TOPICS.merchantRegistered, TOPICS.merchantUpdated] as const) {
      this.platform.consume(topic, {
        handle: async (event, tx) => {
          const s = event.payload;
          const terms = termsOfSnapshot(s);
          const invalid = validateSettlementTerms(terms);
          if (invalid) throw new PermanentEventError(`SETTLEMENT_TERMS_INVALID: merchant ${s.merchantId} v${s.version}: ${invalid.field}: ${invalid.message}`);
          await SettleMerchant.lockMerchant(tx, s.merchantId);
          const applied = await this.profiles.applySnapshot(tx, s, terms);
          // payments that arrived before the merchant did are booked now, under the terms just copied
          const profile = applied ? await this.profiles.find(tx, s.merchantId) : undefined;
          const parked = profile ? await this.payments.bookParked(tx, profile) : 0;
          this.platform.logger.info(
            { merchantId: s.merchantId, version: s.version, status: s.status, schedule: terms.schedule, payoutAccountLast4: s.terms.payoutAccount.accountNo.slice(-4), applied, parkedPaymentsBooked: parked },
            applied ? 'merchant terms copied' : 'merchant snapshot older than the copy; ignored',
          );
        },
      });
    }
  }
}
