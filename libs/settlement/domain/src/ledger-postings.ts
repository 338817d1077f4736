import { Money } from '@paystream/shared/money';
import { BANK_SETTLEMENT_ACCOUNT, merchantPayable, PLATFORM_FEE_REVENUE, SHOPPER_FUNDS_IN_TRANSIT } from './ledger-accounts';

/** The fee settlement charges by default, in basis points (0.60 %). */
export const FEE_BPS_DEFAULT = 60n;
/** The largest fee a merchant profile may carry, in basis points (100 %). */
export const FEE_BPS_MAX = 10_000n;

/** One ledger line: positive amounts debit the account, negative ones credit it. */
export interface Posting {
  accountId: string;
  amountMinor: bigint;
  currency: string;
}

/** The fee on a gross amount: basis points, rounded half-up to the fen. */
export function feeFor(gross: Money, feeBps: bigint): Money {
  if (feeBps < 0n || feeBps > FEE_BPS_MAX) throw new RangeError(`fee of ${feeBps} bps is outside 0..${FEE_BPS_MAX}`);
  return gross.percent(feeBps, 'basis-points', 'half-up');
}

/**
 * Booking a captured payment: the shopper's funds in transit (debit, gross) become what the
 * merchant is owed (credit, net) and the platform's fee revenue (credit, fee).
 */
export function postingsForPayment(merchantId: string, gross: Money, fee: Money): Posting[] {
  const net = gross.subtract(fee);
  const lines: Posting[] = [
    { accountId: SHOPPER_FUNDS_IN_TRANSIT, amountMinor: gross.minor, currency: gross.currency },
    { accountId: merchantPayable(merchantId), amountMinor: -net.minor, currency: gross.currency },
    { accountId: PLATFORM_FEE_REVENUE, amountMinor: -fee.minor, currency: gross.currency },
  ];
  return lines.filter((l) => l.amountMinor !== 0n);
}

/** Paying a merchant out: what the merchant was owed (debit) leaves through the bank (credit). */
export function postingsForPayout(merchantId: string, net: Money): Posting[] {
  if (net.isNegative()) throw new RangeError(`a payout of ${net.toMinorString()} is negative`);
  if (net.isZero()) return [];
  return [
    { accountId: merchantPayable(merchantId), amountMinor: net.minor, currency: net.currency },
    { accountId: BANK_SETTLEMENT_ACCOUNT, amountMinor: -net.minor, currency: net.currency },
  ];
}

/**
 * Booking a refund: the merchant gives the amount back (debit what it is owed, which may go below
 * zero when it was paid out already: the next settlement nets it) and the funds due from the channel
 * shrink by it (credit). The fee stays with the platform, as channels keep theirs.
 */
export function postingsForRefund(merchantId: string, amount: Money): Posting[] {
  if (!amount.isNegative() && amount.isZero()) return [];
  if (amount.isNegative()) throw new RangeError(`a refund of ${amount.toMinorString()} is negative`);
  return [
    { accountId: merchantPayable(merchantId), amountMinor: amount.minor, currency: amount.currency },
    { accountId: SHOPPER_FUNDS_IN_TRANSIT, amountMinor: -amount.minor, currency: amount.currency },
  ];
}

/** Whether lines sum to zero in every currency (the database checks this again at commit). */
export function isBalanced(postings: readonly Posting[]): boolean {
  const sums = new Map<string, bigint>();
  for (const p of postings) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amountMinor);
  return [...sums.values()].every((s) => s === 0n);
}
