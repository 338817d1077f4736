import type { Money } from '@paystream/shared/money';
import {
  BANK_SETTLEMENT_ACCOUNT,
  channelClearing,
  channelCost,
  merchantPayable,
  merchantReserve,
  PAYOUTS_IN_FLIGHT,
  PLATFORM_FEE_REVENUE,
  REFUNDS_IN_FLIGHT,
} from './ledger-accounts';

/** One ledger line: positive amounts debit the account, negative ones credit it. */
export interface Posting {
  accountId: string;
  amountMinor: bigint;
  currency: string;
}

function lines(currency: string, parts: [string, bigint][]): Posting[] {
  return parts.filter(([, a]) => a !== 0n).map(([accountId, amountMinor]) => ({ accountId, amountMinor, currency }));
}

function assertNonNegative(what: string, ...amounts: Money[]): void {
  for (const a of amounts) if (a.isNegative()) throw new RangeError(`${what}: ${a.toMinorString()} is negative`);
}

/** What booking one captured payment splits its gross into. */
export interface PaymentBooking {
  merchantId: string;
  channel: string;
  gross: Money;
  fee: Money;
  channelCost: Money;
  reserve: Money;
}

/**
 * Booking a captured payment: the channel owes the gross less its cost (debit channel clearing), its
 * cost is an expense (debit channel cost); the merchant is owed the net less the reserve (credit
 * payable), the reserve is held (credit reserve) and the fee is revenue (credit).
 */
export function postingsForPayment(b: PaymentBooking): Posting[] {
  assertNonNegative('payment booking', b.gross, b.fee, b.channelCost, b.reserve);
  const toPayable = b.gross.subtract(b.fee).subtract(b.reserve);
  if (toPayable.isNegative() || b.channelCost.compare(b.gross) > 0) throw new RangeError('fee + reserve or channel cost exceed the gross');
  return lines(b.gross.currency, [
    [channelClearing(b.channel), b.gross.minor - b.channelCost.minor],
    [channelCost(b.channel), b.channelCost.minor],
    [merchantPayable(b.merchantId), -toPayable.minor],
    [merchantReserve(b.merchantId), -b.reserve.minor],
    [PLATFORM_FEE_REVENUE, -b.fee.minor],
  ]);
}

/**
 * Booking a refund: the merchant gives the amount back (debit what it is owed, which may go below
 * zero when it was paid out already: the next settlement claws it back) and it is on its way back to
 * the shopper through the channel (credit refunds in flight). The fee stays with the platform, as
 * channels keep theirs.
 */
export function postingsForRefund(merchantId: string, amount: Money): Posting[] {
  assertNonNegative('refund', amount);
  return lines(amount.currency, [
    [merchantPayable(merchantId), amount.minor],
    [REFUNDS_IN_FLIGHT, -amount.minor],
  ]);
}

/** A refund the channel netted from what it cleared (reconciliation books it from the channel's bill). */
export function postingsForRefundCleared(channel: string, amount: Money): Posting[] {
  assertNonNegative('refund cleared', amount);
  return lines(amount.currency, [
    [REFUNDS_IN_FLIGHT, amount.minor],
    [channelClearing(channel), -amount.minor],
  ]);
}

/** The reserve held from a payment becomes owed to the merchant. */
export function postingsForReserveRelease(merchantId: string, amount: Money): Posting[] {
  assertNonNegative('reserve release', amount);
  return lines(amount.currency, [
    [merchantReserve(merchantId), amount.minor],
    [merchantPayable(merchantId), -amount.minor],
  ]);
}

/** A settlement order created: what it pays leaves the merchant's payable for payouts in flight. */
export function postingsForPayoutSent(merchantId: string, amount: Money): Posting[] {
  assertNonNegative('payout', amount);
  return lines(amount.currency, [
    [merchantPayable(merchantId), amount.minor],
    [PAYOUTS_IN_FLIGHT, -amount.minor],
  ]);
}

/** The bank confirmed a payout: it left the platform's bank account. */
export function postingsForPayoutPaid(amount: Money): Posting[] {
  assertNonNegative('payout paid', amount);
  return lines(amount.currency, [
    [PAYOUTS_IN_FLIGHT, amount.minor],
    [BANK_SETTLEMENT_ACCOUNT, -amount.minor],
  ]);
}

/** A payout failed for good: the payout sent is reversed, and the merchant is owed it again. */
export function postingsForPayoutReversed(merchantId: string, amount: Money): Posting[] {
  assertNonNegative('payout reversal', amount);
  return lines(amount.currency, [
    [PAYOUTS_IN_FLIGHT, amount.minor],
    [merchantPayable(merchantId), -amount.minor],
  ]);
}

/**
 * A payout of a settlement made before payouts in flight were booked (its order booked nothing):
 * straight from the merchant's payable to the bank.
 */
export function postingsForLegacyPayout(merchantId: string, amount: Money): Posting[] {
  assertNonNegative('payout', amount);
  return lines(amount.currency, [
    [merchantPayable(merchantId), amount.minor],
    [BANK_SETTLEMENT_ACCOUNT, -amount.minor],
  ]);
}

/** Whether lines sum to zero in every currency (the database checks this again at commit). */
export function isBalanced(postings: readonly Posting[]): boolean {
  const sums = new Map<string, bigint>();
  for (const p of postings) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amountMinor);
  return [...sums.values()].every((s) => s === 0n);
}
