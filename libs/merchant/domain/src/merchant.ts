import type { MerchantSnapshot, MerchantStatus, MerchantTerms, PayoutAccount } from '@paystream/contracts';

/** A registered merchant as the registry keeps it (the snapshot's fields without the event time). */
export interface Merchant {
  merchantId: string;
  version: number;
  status: MerchantStatus;
  legalName: string;
  contact: { name: string; email: string; phone?: string };
  terms: MerchantTerms;
}

/** The event snapshot of a merchant at a moment. */
export function snapshotOf(m: Merchant, occurredAt: Date): MerchantSnapshot {
  return { merchantId: m.merchantId, version: m.version, status: m.status, legalName: m.legalName, contact: m.contact, terms: m.terms, occurredAt: occurredAt.toISOString() };
}

/** The last four digits of an account number (what notifications, logs and audit rows show). */
export function accountLast4(accountNo: string): string {
  return accountNo.slice(-4);
}

/** A payout account as notifications show it: the bank code and the last four digits. */
export function maskedAccount(a: PayoutAccount): { bankCode: string; accountLast4: string } {
  return { bankCode: a.bankCode, accountLast4: accountLast4(a.accountNo) };
}

/** The fee plan limits settlement enforces too (fixed part and bounds, in minor units). */
export const MERCHANT_FEE_FIXED_MAX_MINOR = 1_000_000n;
/** The largest minimum payout, in minor units (CNY 1,000,000). */
export const MERCHANT_PAYOUT_MIN_MINOR_MAX = 100_000_000n;

export type TermsProblem = { code: 'VALIDATION_FAILED'; field: string; message: string };

/**
 * Cross-field rules of terms the schema alone cannot say (the schema checks each field's format):
 * the same limits settlement holds, so terms the registry accepts settlement can apply.
 */
export function checkTerms(t: MerchantTerms): TermsProblem | undefined {
  const bad = (field: string, message: string): TermsProblem => ({ code: 'VALIDATION_FAILED', field, message });
  const f = t.feePlan;
  for (const [field, v] of [['feePlan.fixedMinor', f.fixedMinor], ['feePlan.minMinor', f.minMinor], ['feePlan.maxMinor', f.maxMinor]] as const) {
    if (v !== null && BigInt(v) > MERCHANT_FEE_FIXED_MAX_MINOR) return bad(field, `at most ${MERCHANT_FEE_FIXED_MAX_MINOR}`);
  }
  if (f.maxMinor !== null && BigInt(f.maxMinor) < BigInt(f.minMinor)) return bad('feePlan.maxMinor', 'below the minimum');
  if (BigInt(t.payoutMinMinor) > MERCHANT_PAYOUT_MIN_MINOR_MAX) return bad('payoutMinMinor', `at most ${MERCHANT_PAYOUT_MIN_MINOR_MAX}`);
  if (t.reserveBps > 0 && t.reserveHoldDays === 0) return bad('reserveHoldDays', 'a reserve needs a hold of at least one day');
  return undefined;
}
