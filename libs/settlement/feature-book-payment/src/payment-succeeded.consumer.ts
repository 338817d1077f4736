import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@paystream/contracts';
import { LedgerRepository, MerchantProfileRepository, SettlementBatchRepository } from '@paystream/settlement/data-access';
import { channelCostFor, feeFor, postingsForPayment } from '@paystream/settlement/domain';
import { Money } from '@paystream/shared/money';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { SettlementMetrics } from './settlement-metrics';

/**
 * payment.succeeded.v1 -> the payment booked in the ledger (once per paymentId, whatever the event
 * id) -> for a real-time merchant, a settlement batch and settlement.due.v1.
 */
@Injectable()
export class PaymentSucceededConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
    @Inject(SettlementBatchRepository) private readonly batches: SettlementBatchRepository,
    @Inject(SettlementMetrics) private readonly metrics: SettlementMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.paymentSucceeded, {
      handle: async (event, tx) => {
        const p = event.payload;
        const traceparent = nextTraceparent(event.traceparent);
        const log = this.platform.logger.child({ paymentId: p.paymentId, orderId: p.orderId, merchantId: p.merchantId, traceparent });
        const profile = await this.profiles.getOrCreate(tx, p.merchantId);
        const gross = Money.parse(p.amountMinor, p.currency);
        const fee = feeFor(gross, profile.feeBps);
        const net = gross.subtract(fee);
        if (!(await this.ledger.post(tx, 'payment', `payment:${p.paymentId}`, postingsForPayment({ merchantId: p.merchantId, channel: p.channel, gross, fee, channelCost: channelCostFor(p.channel, gross), reserve: Money.zero(gross.currency) })))) {
          log.info('payment already booked: nothing to do');
          return;
        }
        afterCommit(tx, () => this.metrics.booked.inc());
        if (profile.schedule !== 'realtime') {
          log.info({ schedule: profile.schedule, nDays: profile.nDays }, 'payment booked for a scheduled settlement');
          return;
        }
        const now = new Date();
        const batch = await this.batches.create(
          tx,
          { id: randomUUID(), merchantId: p.merchantId, currency: p.currency, grossMinor: gross.minor, feeMinor: fee.minor, netMinor: net.minor, periodStart: new Date(p.succeededAt), periodEnd: now },
          [{ paymentId: p.paymentId, grossMinor: gross.minor, feeMinor: fee.minor }],
        );
        await this.platform.outbox.enqueue(
          tx,
          TOPICS.settlementDue,
          {
            settlementId: batch.id,
            merchantId: batch.merchantId,
            currency: p.currency,
            grossMinor: batch.grossMinor.toString(),
            feeMinor: batch.feeMinor.toString(),
            refundMinor: batch.refundMinor.toString(),
            netMinor: batch.netMinor.toString(),
            paymentCount: batch.paymentCount,
            periodStart: batch.periodStart.toISOString(),
            periodEnd: batch.periodEnd.toISOString(),
            dueAt: now.toISOString(),
          },
          { traceparent },
        );
        afterCommit(tx, () => this.metrics.due.inc());
        log.info({ settlementId: batch.id, grossMinor: gross.toMinorString(), feeMinor: fee.toMinorString(), netMinor: net.toMinorString() }, 'payment booked, settlement due');
      },
    });
  }
}
