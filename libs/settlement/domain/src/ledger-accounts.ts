/**
 * Ledger accounts. Debits are positive, credits negative; every transaction sums to zero per currency.
 *
 * - channel_clearing:<channel>  what a channel (Alipay, WeChat Pay, UnionPay) owes the platform for
 *                               captured payments, net of its cost
 * - channel_cost:<channel>      what the channels charged (an expense, so the platform margin is
 *                               fee revenue minus channel cost)
 * - merchant_payable:<m>        what the platform owes a merchant now (credit); a debit balance is a
 *                               refund after settlement that the next settlement claws back
 * - merchant_reserve:<m>        the rolling reserve held back from a merchant until it is released
 * - platform_fee_revenue        the merchant fees
 * - refunds_in_flight           refunds given back to shoppers that the channels have yet to net
 *                               from what they clear (reconciliation books the clearing)
 * - payouts_in_flight           settlements sent to the bank and not yet confirmed paid
 * - bank_settlement_account     the platform's bank account the payouts leave from
 */
export const PLATFORM_FEE_REVENUE = 'platform_fee_revenue';
export const BANK_SETTLEMENT_ACCOUNT = 'bank_settlement_account';
export const REFUNDS_IN_FLIGHT = 'refunds_in_flight';
export const PAYOUTS_IN_FLIGHT = 'payouts_in_flight';
/** Used by payments booked before the channel clearing accounts existed; kept so their entries stay valid. */
export const SHOPPER_FUNDS_IN_TRANSIT = 'shopper_funds_in_transit';

/** What the platform owes one merchant. */
export function merchantPayable(merchantId: string): string {
  return `merchant_payable:${merchantId}`;
}

/** What is held back from one merchant as its rolling reserve. */
export function merchantReserve(merchantId: string): string {
  return `merchant_reserve:${merchantId}`;
}

/** What one channel owes the platform for captured payments. */
export function channelClearing(channel: string): string {
  return `channel_clearing:${channel}`;
}

/** What one channel charged the platform. */
export function channelCost(channel: string): string {
  return `channel_cost:${channel}`;
}

/** The kind of an account, from its id. */
export function accountKind(accountId: string): string {
  return accountId.split(':', 1)[0]!;
}
