import type { MerchantStatus } from '@paystream/contracts';

/** Why a payment for a merchant is refused before it is recorded. */
export type MerchantRefusalCode = 'MERCHANT_UNKNOWN' | 'MERCHANT_SUSPENDED' | 'MERCHANT_CLOSED';

/**
 * Whether a new payment may be taken for a merchant, by order-payment's copy of the registry: only
 * an active, registered merchant takes payments (a merchant is never assumed into existence).
 */
export function merchantRefusal(merchant: { status: MerchantStatus } | undefined): MerchantRefusalCode | undefined {
  if (!merchant) return 'MERCHANT_UNKNOWN';
  if (merchant.status === 'suspended') return 'MERCHANT_SUSPENDED';
  if (merchant.status === 'closed') return 'MERCHANT_CLOSED';
  return undefined;
}
