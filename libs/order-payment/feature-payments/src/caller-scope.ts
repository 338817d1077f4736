import { principalOf, type Principal } from '@paystream/shared/auth';
import { ALL_MERCHANTS, ownMerchant, type MerchantScope } from '@paystream/order-payment/domain';

/** How much of the shopper data on a payment (card token, device id, IP address) a caller sees. */
export type ShopperDataAccess = 'clear' | 'masked';

/** What an HTTP caller of order-payment may see: whose payments, and the shopper data on them. */
export interface CallerScope {
  merchants: MerchantScope;
  shopperData: ShopperDataAccess;
  /** The merchant calling, when it is one (its requests act only on its own payments). */
  merchantId?: string;
}

/**
 * The scope of the principal the auth guard attached. A merchant sees its own payments only, with
 * the shopper data masked (it has no need for a shopper's card token, device or network). Operators
 * see every merchant's payments; only `risk` sees the shopper data in the clear, since it investigates
 * fraud against its own records of those values; `finance` (refunds, disputes: the token's last four
 * are enough to match one) and `sre` (read-only operations) see it masked like a merchant.
 */
export function callerScope(request: object): CallerScope {
  const principal: Principal | undefined = principalOf(request);
  switch (principal?.kind) {
    case 'merchant':
      return { merchants: ownMerchant(principal.merchantId), shopperData: 'masked', merchantId: principal.merchantId };
    case 'operator':
      return { merchants: ALL_MERCHANTS, shopperData: principal.roles.includes('risk') ? 'clear' : 'masked' };
    default:
      // order-payment's payment routes allow merchants and operators only; anything else is a programming error
      throw new Error(`callerScope: a payment route called as ${principal?.kind ?? 'nobody (no guard ran)'}`);
  }
}

/** The merchant a merchant-only route acts for: the principal's own. */
export function callingMerchant(request: object): string {
  const scope = callerScope(request);
  if (!scope.merchantId) throw new Error('callingMerchant: a merchant-only route called by an operator');
  return scope.merchantId;
}
