/**
 * Whose payments a read or write may touch: one merchant's (a merchant calling the API acts only on
 * its own payments) or every merchant's (operators, and order-payment's own event handlers, which act
 * for the platform). Repositories put it in the SQL, so another merchant's payment is never read.
 */
export type MerchantScope = { kind: 'merchant'; merchantId: string } | { kind: 'all-merchants' };

/** Every merchant's payments: operators and the service's own event handlers. */
export const ALL_MERCHANTS: MerchantScope = Object.freeze({ kind: 'all-merchants' });

/** One merchant's payments only. */
export function ownMerchant(merchantId: string): MerchantScope {
  return { kind: 'merchant', merchantId };
}
