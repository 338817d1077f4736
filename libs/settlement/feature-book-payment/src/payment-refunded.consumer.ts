import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { LedgerRepository } from '@paystream/settlement/data-access';
import { postingsForRefund } from '@paystream/settlement/domain';
import { Money } from '@paystream/shared/money';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { SettlementMetrics } from './settlement-metrics';

/** payment.refunded.v1 -> the refund booked in the ledger, once per refundId. */
@Injectable()
export class PaymentRefundedConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(SettlementMetrics) private readonly metrics: SettlementMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.paymentRefunded, {
      handle: async (event, tx) => {
        const r = event.payload;
        const booked = await this.ledger.post(tx, 'refund', `refund:${r.refundId}`, postingsForRefund(r.merchantId, Money.parse(r.amountMinor, r.currency)));
        if (booked) afterCommit(tx, () => this.metrics.refundsBooked.inc());
        this.platform.logger.info({ paymentId: r.paymentId, orderId: r.orderId, refundId: r.refundId, amountMinor: r.amountMinor, repeated: !booked }, 'refund booked');
      },
    });
  }
}
