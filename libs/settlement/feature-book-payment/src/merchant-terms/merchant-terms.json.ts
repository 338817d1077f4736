import type { MerchantProfile } from '@paystream/settlement/data-access';
import type { SettlementTerms } from '@paystream/settlement/domain';

/** Terms as JSON: amounts and basis points as decimal strings, the payout account by its last four digits. */
export function termsJson(t: SettlementTerms) {
  return {
    schedule: t.schedule,
    nDays: t.nDays,
    cutoffTime: t.cutoffTime,
    payoutMinMinor: t.payoutMinMinor.toString(),
    reserveBps: Number(t.reserveBps),
    reserveHoldDays: t.reserveHoldDays,
    payoutChannel: t.payoutChannel,
    feePlan: {
      rateBps: Number(t.feePlan.rateBps),
      fixedMinor: t.feePlan.fixedMinor.toString(),
      minMinor: t.feePlan.minMinor.toString(),
      maxMinor: t.feePlan.maxMinor === null ? null : t.feePlan.maxMinor.toString(),
      rounding: t.feePlan.rounding,
    },
  };
}

/** A merchant's copy as GET /merchants/:id/settlement-terms shows it. */
export function profileJson(p: MerchantProfile) {
  const account = p.terms.payoutAccountNo;
  return {
    merchantId: p.merchantId,
    version: p.version,
    status: p.status,
    terms: {
      ...termsJson(p.terms),
      payoutAccount: account === null ? null : { bankCode: p.payoutBankCode, accountLast4: account.slice(-4), accountName: p.payoutAccountName },
    },
  };
}
