import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { LedgerRepository, SettlementItemRepository } from '@paystream/settlement/data-access';
import { bookRefund } from '@paystream/settlement/domain';
import { Money } from '@paystream/shared/money';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { SettleMerchant } from './settle-merchant/settle-merchant';
import { SettlementMetrics } from './settlement-metrics';

/**
 * payment.refunded.v1 -> the refund booked in the ledger, once per refundId, and a negative
 * settlement item: netted by the merchant's next settlement (clawed back when the payment was
 * settled already; a balance that goes negative carries forward).
 */
@Injectable()
export class PaymentRefundedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(SettlementItemRepository) private readonly items: SettlementItemRepository,
    @Inject(SettlementMetrics) private readonly metrics: SettlementMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.paymentRefunded, {
      handle: async (event, tx) => {
        const r = event.payload;
        await SettleMerchant.lockMerchant(tx, r.merchantId);
        const refundedAt = new Date(r.refundedAt);
        const booked = bookRefund({ refundId: r.refundId, merchantId: r.merchantId, amount: Money.parse(r.amountMinor, r.currency), refundedAt });
        const posted = await this.ledger.post(tx, 'refund', `refund:${r.refundId}`, booked.postings);
        if (posted) {
          await this.items.add(tx, booked.item, { channel: await this.items.channelOfPayment(tx, r.paymentId), occurredAt: refundedAt });
          afterCommit(tx, () => this.metrics.refundsBooked.inc());
        }
        this.platform.logger.info({ paymentId: r.paymentId, orderId: r.orderId, refundId: r.refundId, amountMinor: r.amountMinor, repeated: !posted }, 'refund booked');
      },
    });
  }
}
