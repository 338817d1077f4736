import { randomUUID } from 'node:crypto';
import { TOPICS, type Currency } from '@paystream/contracts';
import {
  LedgerRepository,
  MerchantProfileRepository,
  SettlementBatchRepository,
  SettlementItemRepository,
  type MerchantProfile,
  type SettlementBatch,
} from '@paystream/settlement/data-access';
import { merchantPayable, planSettlement, postingsForPayoutSent, postingsForReserveRelease, settlementPeriod, type SettlementPlan } from '@paystream/settlement/domain';
import { Money } from '@paystream/shared/money';
import { nextTraceparent } from '@paystream/shared/observability';
import { afterCommit, type EntityManager } from '@paystream/shared/persistence';
import type { Platform } from '@paystream/shared/platform';
import type { SettlementMetrics } from '../settlement-metrics';

export type SettleOutcome =
  | { kind: 'settled'; settlement: SettlementBatch }
  | { kind: 'carried_forward'; reason: Extract<SettlementPlan, { kind: 'carry_forward' }>['reason']; netMinor: bigint }
  /** Nothing is paid anywhere: the merchant has no payout account in settlement's copy (or no copy at all); its items wait. */
  | { kind: 'held'; reason: 'SETTLEMENT_PAYOUT_ACCOUNT_MISSING' };

/**
 * Settles one merchant in one currency as of a China date, inside the caller's transaction: the
 * unsettled items due by then are paid in one settlement order when they add up to a positive amount
 * at or above the merchant's minimum payout (the reserve due is released into it), and the payout is
 * booked in flight and announced with settlement.due.v1; otherwise everything waits for the next
 * run (a negative balance carries forward). A transaction-scoped advisory lock serializes runs for a
 * merchant; the items' row locks keep a settlement from claiming what another already paid.
 */
export class SettleMerchant {
  constructor(
    private readonly platform: Platform,
    private readonly ledger: LedgerRepository,
    private readonly profiles: MerchantProfileRepository,
    private readonly items: SettlementItemRepository,
    private readonly batches: SettlementBatchRepository,
    private readonly metrics: SettlementMetrics,
  ) {}

  /**
   * Holds the merchant until the transaction ends. Whoever books for a merchant takes it before
   * touching the merchant's accounts, so bookings and settlements of one merchant queue in one order.
   */
  static async lockMerchant(tx: EntityManager, merchantId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`settle:${merchantId}`]);
  }

  /** `known.profile`: the merchant's profile as the caller read it under the merchant's lock in this transaction (not read again). */
  async settle(tx: EntityManager, merchantId: string, currency: string, asOf: string, known: { parentTraceparent?: string; profile?: MerchantProfile } = {}): Promise<SettleOutcome> {
    await SettleMerchant.lockMerchant(tx, merchantId);
    const profile = known.profile ?? (await this.profiles.find(tx, merchantId));
    const payoutAccountNo = profile?.terms.payoutAccountNo;
    if (!profile || !payoutAccountNo) {
      this.platform.logger.warn({ merchantId, currency, asOf, code: 'SETTLEMENT_PAYOUT_ACCOUNT_MISSING' }, 'settlement held: the merchant has no payout account; nothing is paid');
      return { kind: 'held', reason: 'SETTLEMENT_PAYOUT_ACCOUNT_MISSING' };
    }
    const unsettled = await this.items.unsettled(tx, merchantId, currency);
    const releases = unsettled.filter((i) => i.kind === 'reserve_release' && i.dueOn <= asOf);
    const owed = -(await this.ledger.balance(tx, merchantPayable(merchantId))) + releases.reduce((a, i) => a + i.amountMinor, 0n);
    const plan = planSettlement(unsettled, asOf, profile.terms, owed);
    if (plan.kind !== 'pay') return { kind: 'carried_forward', reason: plan.reason, netMinor: plan.totals.netMinor };

    const id = randomUUID();
    for (const r of releases) {
      await this.ledger.post(tx, 'reserve_release', `reserve_release:${r.reference}`, postingsForReserveRelease(merchantId, Money.of(r.amountMinor, currency)));
    }
    const net = Money.of(plan.totals.netMinor, currency);
    await this.ledger.post(tx, 'payout_sent', `payout_sent:${id}`, postingsForPayoutSent(merchantId, net));
    const settlement = await this.batches.create(
      tx,
      { id, merchantId, currency, asOf, payoutAccountNo, ...settlementPeriod(plan.items.map((i) => i.occurredAt)) },
      plan.totals,
    );
    await this.items.claim(tx, id, plan.items);
    const traceparent = nextTraceparent(known.parentTraceparent);
    await this.platform.outbox.enqueue(
      tx,
      TOPICS.settlementDue,
      {
        settlementId: id,
        merchantId,
        currency: currency as Currency,
        grossMinor: settlement.grossMinor.toString(),
        feeMinor: settlement.feeMinor.toString(),
        refundMinor: settlement.refundMinor.toString(),
        reserveHeldMinor: settlement.reserveHeldMinor.toString(),
        reserveReleasedMinor: settlement.reserveReleasedMinor.toString(),
        carriedMinor: settlement.carriedMinor.toString(),
        netMinor: settlement.netMinor.toString(),
        paymentCount: settlement.paymentCount,
        asOf,
        periodStart: settlement.periodStart.toISOString(),
        periodEnd: settlement.periodEnd.toISOString(),
        dueAt: settlement.createdAt.toISOString(),
      },
      { traceparent },
    );
    afterCommit(tx, () => this.metrics.due.inc());
    this.platform.logger.info(
      { settlementId: id, merchantId, asOf, traceparent, items: plan.items.length, grossMinor: settlement.grossMinor.toString(), feeMinor: settlement.feeMinor.toString(), refundMinor: settlement.refundMinor.toString(), netMinor: net.toMinorString() },
      'settlement due',
    );
    return { kind: 'settled', settlement };
  }
}

