import type { SettlementTerms } from './settlement-terms';

/**
 * What a merchant's settlements are made of. Every booked event adds one item; a settlement order
 * claims the items due by its date. `amountMinor` is what the item adds to (or, negative, takes from)
 * what the merchant is paid:
 * - payment: gross - fee - reserve held
 * - refund: -amount (a refund after the payment was settled is clawed back by the next settlement)
 * - reserve_release: +reserve, due when the hold ends
 * - payout_reversal: +amount of a payout that failed for good, paid with the next settlement
 */
export const SETTLEMENT_ITEM_KINDS = ['payment', 'refund', 'reserve_release', 'payout_reversal'] as const;
export type SettlementItemKind = (typeof SETTLEMENT_ITEM_KINDS)[number];

export interface SettlementItem {
  kind: SettlementItemKind;
  /** The payment, refund or settlement id; (kind, reference) is unique. */
  reference: string;
  merchantId: string;
  currency: string;
  /** China date (yyyy-MM-dd) from which it may be paid out. */
  dueOn: string;
  grossMinor: bigint;
  feeMinor: bigint;
  refundMinor: bigint;
  reserveMinor: bigint;
  amountMinor: bigint;
}

/** The sums a settlement order carries (minor units); net = gross - fee - refund - reserveHeld + reserveReleased + carried. */
export interface SettlementTotals {
  grossMinor: bigint;
  feeMinor: bigint;
  refundMinor: bigint;
  reserveHeldMinor: bigint;
  reserveReleasedMinor: bigint;
  carriedMinor: bigint;
  netMinor: bigint;
  paymentCount: number;
}

export type SettlementPlan<T extends SettlementItem = SettlementItem> =
  | { kind: 'pay'; items: T[]; totals: SettlementTotals }
  | { kind: 'carry_forward'; reason: 'NOTHING_DUE' | 'NOT_POSITIVE' | 'BELOW_PAYOUT_MINIMUM'; items: T[]; totals: SettlementTotals };

/** Sums items into a settlement's totals. */
export function totalsOf(items: readonly SettlementItem[]): SettlementTotals {
  const t: SettlementTotals = { grossMinor: 0n, feeMinor: 0n, refundMinor: 0n, reserveHeldMinor: 0n, reserveReleasedMinor: 0n, carriedMinor: 0n, netMinor: 0n, paymentCount: 0 };
  for (const i of items) {
    t.netMinor += i.amountMinor;
    if (i.kind === 'payment') {
      t.grossMinor += i.grossMinor;
      t.feeMinor += i.feeMinor;
      t.reserveHeldMinor += i.reserveMinor;
      t.paymentCount++;
    } else if (i.kind === 'refund') t.refundMinor += i.refundMinor;
    else if (i.kind === 'reserve_release') t.reserveReleasedMinor += i.amountMinor;
    else t.carriedMinor += i.amountMinor;
  }
  return t;
}

/**
 * What one merchant's settlement run does with its unsettled items as of a date: pay the ones due
 * when they add up to a positive amount at or above the merchant's minimum payout; otherwise carry
 * them forward (a negative balance waits for later payments). `owedMinor` is what the ledger says the
 * merchant is owed once the due reserve is released: a payout never exceeds it.
 */
export function planSettlement<T extends SettlementItem>(unsettled: readonly T[], asOf: string, terms: Pick<SettlementTerms, 'payoutMinMinor'>, owedMinor: bigint): SettlementPlan<T> {
  const items = unsettled.filter((i) => i.dueOn <= asOf);
  const totals = totalsOf(items);
  if (items.length === 0) return { kind: 'carry_forward', reason: 'NOTHING_DUE', items, totals };
  if (totals.netMinor <= 0n) return { kind: 'carry_forward', reason: 'NOT_POSITIVE', items, totals };
  if (totals.netMinor < terms.payoutMinMinor) return { kind: 'carry_forward', reason: 'BELOW_PAYOUT_MINIMUM', items, totals };
  if (totals.netMinor > owedMinor) throw new Error(`invariant: a settlement of ${totals.netMinor} would exceed the ${owedMinor} the merchant is owed`);
  return { kind: 'pay', items, totals };
}

/**
 * The period a settlement covers: its earliest and latest item. A loop, not Math.min(...times): a
 * day of a large T+N merchant is hundreds of thousands of items, more arguments than a call takes.
 */
export function settlementPeriod(times: readonly Date[]): { periodStart: Date; periodEnd: Date } {
  if (times.length === 0) throw new RangeError('a settlement covers at least one item');
  let start = times[0]!.getTime();
  let end = start;
  for (const t of times) {
    const ms = t.getTime();
    if (ms < start) start = ms;
    if (ms > end) end = ms;
  }
  return { periodStart: new Date(start), periodEnd: new Date(end) };
}
