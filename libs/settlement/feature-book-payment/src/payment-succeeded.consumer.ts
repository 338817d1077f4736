import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { checkEventPayload, TOPICS, type PaymentSucceeded } from '@paystream/contracts';
import { BusinessCalendarRepository, LedgerRepository, MerchantProfileRepository, SettlementItemRepository, type MerchantProfile } from '@paystream/settlement/data-access';
import { bookPayment, chinaDate } from '@paystream/settlement/domain';
import { Money } from '@paystream/shared/money';
import { nextTraceparent, type Logger } from '@paystream/shared/observability';
import { afterCommit, type EntityManager } from '@paystream/shared/persistence';
import { Platform } from '@paystream/shared/platform';
import { SettleMerchant } from './settle-merchant/settle-merchant';
import { SettlementMetrics } from './settlement-metrics';

const REALTIME_SETTLE_SAVEPOINT = 'realtime_settle';

/**
 * payment.succeeded.v1 -> the payment booked in the ledger under the merchant's terms (once per
 * paymentId, whatever the event id) with its settlement items -> for a real-time merchant, settled
 * at once (a settlement order and settlement.due.v1); T+N merchants wait for their run.
 */
@Injectable()
export class PaymentSucceededConsumer implements OnModuleInit {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
    @Inject(SettlementItemRepository) private readonly items: SettlementItemRepository,
    @Inject(BusinessCalendarRepository) private readonly calendars: BusinessCalendarRepository,
    @Inject(SettleMerchant) private readonly settleMerchant: SettleMerchant,
    @Inject(SettlementMetrics) private readonly metrics: SettlementMetrics,
  ) {}

  onModuleInit(): void {
    this.platform.consume(TOPICS.paymentSucceeded, {
      handle: async (event, tx) => {
        const p = event.payload;
        await SettleMerchant.lockMerchant(tx, p.merchantId);
        const profile = await this.profiles.find(tx, p.merchantId);
        if (!profile) {
          // order-payment took it, so the registry has the merchant: its snapshot is on its way here; the payment waits for it
          const parked = await this.profiles.park(tx, p.merchantId, p.paymentId, p, event.traceparent);
          this.platform.logger.warn({ paymentId: p.paymentId, orderId: p.orderId, merchantId: p.merchantId, parked }, 'payment of a merchant not in settlement\'s copy yet: parked until its registration arrives');
          return;
        }
        await this.book(tx, p, event.traceparent, profile);
      },
    });
  }

  /**
   * Books a captured payment under the merchant's terms (once per paymentId) and settles a real-time
   * merchant at once. The caller holds the merchant's lock.
   */
  async book(tx: EntityManager, p: PaymentSucceeded, eventTraceparent: string | undefined, profile: MerchantProfile): Promise<void> {
    const traceparent = nextTraceparent(eventTraceparent);
    const log = this.platform.logger.child({ paymentId: p.paymentId, orderId: p.orderId, merchantId: p.merchantId, traceparent });
    const succeededAt = new Date(p.succeededAt);
    const booked = bookPayment(
      { paymentId: p.paymentId, merchantId: p.merchantId, channel: p.channel, gross: Money.parse(p.amountMinor, p.currency), succeededAt },
      profile.terms,
      await this.calendars.load(tx),
    );
    if (!(await this.ledger.post(tx, 'payment', `payment:${p.paymentId}`, booked.postings))) {
      log.info('payment already booked: nothing to do');
      return;
    }
    for (const item of booked.items) await this.items.add(tx, item, { channel: p.channel, occurredAt: succeededAt });
    afterCommit(tx, () => this.metrics.booked.inc());
    const b = booked.booking;
    log.info(
      { schedule: profile.terms.schedule, dueOn: booked.items[0]!.dueOn, grossMinor: b.gross.toMinorString(), feeMinor: b.fee.toMinorString(), channelCostMinor: b.channelCost.toMinorString(), reserveMinor: b.reserve.toMinorString() },
      'payment booked',
    );
    if (profile.terms.schedule === 'realtime') await this.settleAtOnce(tx, profile, p.currency, eventTraceparent, log);
  }

  /** Books the payments parked for a merchant whose snapshot just arrived (the caller holds the merchant's lock). */
  async bookParked(tx: EntityManager, profile: MerchantProfile): Promise<number> {
    const parked = await this.profiles.takeParked(tx, profile.merchantId);
    for (const { payload, traceparent } of parked) {
      const check = checkEventPayload(TOPICS.paymentSucceeded, payload);
      if (!check.ok) throw new Error(`parked payment of ${profile.merchantId} no longer valid: ${check.reason}`);
      await this.book(tx, check.value, traceparent, profile);
    }
    return parked.length;
  }

  /**
   * Settles a real-time merchant in the booking's transaction, inside a savepoint: a settlement that
   * fails is rolled back alone and logged, and the payment stays booked (the next run settles it),
   * rather than taking the booking with it and dead-lettering a captured payment.
   */
  private async settleAtOnce(tx: EntityManager, profile: MerchantProfile, currency: string, traceparent: string | undefined, log: Logger): Promise<void> {
    await tx.query(`SAVEPOINT ${REALTIME_SETTLE_SAVEPOINT}`);
    try {
      await this.settleMerchant.settle(tx, profile.merchantId, currency, chinaDate(new Date()), { parentTraceparent: traceparent, profile });
    } catch (error) {
      await tx.query(`ROLLBACK TO SAVEPOINT ${REALTIME_SETTLE_SAVEPOINT}`);
      log.error({ err: error }, 'settling at once failed; the payment stays booked and the next settlement run settles it');
    }
    await tx.query(`RELEASE SAVEPOINT ${REALTIME_SETTLE_SAVEPOINT}`);
  }
}
