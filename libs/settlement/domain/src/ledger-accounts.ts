/** Ledger accounts. Debits are positive, credits negative; every transaction sums to zero. */
export const SHOPPER_FUNDS_IN_TRANSIT = 'shopper_funds_in_transit';
export const PLATFORM_FEE_REVENUE = 'platform_fee_revenue';
export const BANK_SETTLEMENT_ACCOUNT = 'bank_settlement_account';

/** What the platform owes one merchant. */
export function merchantPayable(merchantId: string): string {
  return `merchant_payable:${merchantId}`;
}

/** The kind of an account, from its id. */
export function accountKind(accountId: string): string {
  return accountId.split(':', 1)[0]!;
}
