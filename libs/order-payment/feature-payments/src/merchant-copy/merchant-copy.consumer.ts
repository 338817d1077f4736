import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { MerchantCopyRepository } from '@paystream/order-payment/data-access';
import { Platform } from '@paystream/shared/platform';

/**
 * merchant.registered.v1 / merchant.updated.v1 -> order-payment's copy of the merchant (status and
 * version). The highest version wins, so a late or repeated snapshot changes nothing.
 */
@Injectable()
export class MerchantCopyConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantCopyRepository) private readonly merchants: MerchantCopyRepository,
  ) {}

  onModuleInit(): void {
    for (const topic of [TOPICS.merchantRegistered, TOPICS.merchantUpdated] as const) {
      this.platform.consume(topic, {
        handle: async (event, tx) => {
          const s = event.payload;
          const applied = await this.merchants.apply(tx, s);
          this.platform.logger.info({ merchantId: s.merchantId, version: s.version, status: s.status, applied }, applied ? 'merchant copy updated' : 'merchant snapshot older than the copy; ignored');
        },
      });
    }
  }
}
