import type { MerchantSnapshot, MerchantTerms } from '@paystream/contracts';

/** A payout account for tests: a valid CNAPS code and an account number ending in `last`. */
export function testPayoutAccount(last = '0001'): MerchantTerms['payoutAccount'] {
  return { bankCode: '102100099996', accountNo: `622202000000000${last}`.slice(-19), accountName: 'Test Merchant Ltd' };
}

/**
 * A merchant snapshot as the merchant service emits it (merchant.registered.v1 / merchant.updated.v1):
 * active, real time, 0.60 %, at version 1 unless told otherwise.
 */
export function testMerchantSnapshot(merchantId: string, overrides: Partial<Omit<MerchantSnapshot, 'terms'>> & { terms?: Partial<MerchantTerms> } = {}): MerchantSnapshot {
  const { terms, ...rest } = overrides;
  return {
    merchantId,
    version: 1,
    status: 'active',
    legalName: `${merchantId} Ltd`,
    contact: { name: 'Test Contact', email: 'finance@merchant.example' },
    occurredAt: new Date().toISOString(),
    ...rest,
    terms: {
      schedule: 'realtime',
      nDays: 0,
      cutoffTime: '23:00',
      payoutMinMinor: '0',
      reserveBps: 0,
      reserveHoldDays: 0,
      feePlan: { rateBps: 60, fixedMinor: '0', minMinor: '0', maxMinor: null, rounding: 'half-up' },
      payoutAccount: testPayoutAccount(),
      ...terms,
    },
  };
}
