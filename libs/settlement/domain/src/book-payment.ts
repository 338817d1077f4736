import { Money } from '@paystream/shared/money';
import { addDays, chinaDate, type BusinessCalendar } from './business-calendar';
import { channelCostFor, planFee } from './fee-plan';
import { postingsForPayment, postingsForRefund, type PaymentBooking, type Posting } from './ledger-postings';
import { dueOn, reserveFor, reserveReleaseOn, type SettlementTerms } from './settlement-terms';
import type { SettlementItem } from './settlement-order';

/** A captured payment as settlement books it. */
export interface CapturedPayment {
  paymentId: string;
  merchantId: string;
  channel: string;
  gross: Money;
  succeededAt: Date;
}

/**
 * How a captured payment is booked under a merchant's terms: fee by its plan, channel cost by the
 * channel's, reserve on the net; the ledger lines, and the settlement items (the payment, due by the
 * schedule, and its reserve, due when the hold ends).
 */
export function bookPayment(p: CapturedPayment, terms: SettlementTerms, calendar: BusinessCalendar): { booking: PaymentBooking; postings: Posting[]; items: SettlementItem[] } {
  const fee = planFee(terms.feePlan, p.gross);
  const reserve = reserveFor(p.gross.subtract(fee), terms.reserveBps);
  const booking: PaymentBooking = { merchantId: p.merchantId, channel: p.channel, gross: p.gross, fee, channelCost: channelCostFor(p.channel, p.gross), reserve };
  const base = { merchantId: p.merchantId, currency: p.gross.currency, refundMinor: 0n };
  const paymentDueOn = dueOn(p.succeededAt, terms, calendar);
  // a reserve is held back from what is paid out, so it is never released before the payment itself
  // is due (a hold shorter than T+N would otherwise pay the reserve out first)
  const releaseOn = [reserveReleaseOn(p.succeededAt, terms.reserveHoldDays), paymentDueOn].sort().at(-1)!;
  const items: SettlementItem[] = [
    {
      ...base,
      kind: 'payment',
      reference: p.paymentId,
      dueOn: paymentDueOn,
      grossMinor: p.gross.minor,
      feeMinor: fee.minor,
      reserveMinor: reserve.minor,
      amountMinor: p.gross.minor - fee.minor - reserve.minor,
    },
  ];
  if (!reserve.isZero()) {
    items.push({ ...base, kind: 'reserve_release', reference: p.paymentId, dueOn: releaseOn, grossMinor: 0n, feeMinor: 0n, reserveMinor: reserve.minor, amountMinor: reserve.minor });
  }
  return { booking, postings: postingsForPayment(booking), items };
}

/** A refund as settlement books it: the ledger lines and the (negative) item the next settlement claws back. */
export function bookRefund(r: { refundId: string; merchantId: string; amount: Money; refundedAt: Date }): { postings: Posting[]; item: SettlementItem } {
  return {
    postings: postingsForRefund(r.merchantId, r.amount),
    item: {
      kind: 'refund',
      reference: r.refundId,
      merchantId: r.merchantId,
      currency: r.amount.currency,
      dueOn: chinaDate(r.refundedAt),
      grossMinor: 0n,
      feeMinor: 0n,
      refundMinor: r.amount.minor,
      reserveMinor: 0n,
      amountMinor: -r.amount.minor,
    },
  };
}

/**
 * How long a payout that failed for good waits before a settlement pays it again, in days: an
 * account that keeps refusing is tried once a day rather than on every run.
 */
export const PAYOUT_REVERSAL_RETRY_DAYS = 1;

/** A payout that failed for good, owed again: paid with the merchant's next settlement from the next day. */
export function payoutReversalItem(s: { settlementId: string; merchantId: string; amount: Money; reversedAt: Date }): SettlementItem {
  return {
    kind: 'payout_reversal',
    reference: s.settlementId,
    merchantId: s.merchantId,
    currency: s.amount.currency,
    dueOn: addDays(chinaDate(s.reversedAt), PAYOUT_REVERSAL_RETRY_DAYS),
    grossMinor: 0n,
    feeMinor: 0n,
    refundMinor: 0n,
    reserveMinor: 0n,
    amountMinor: s.amount.minor,
  };
}
