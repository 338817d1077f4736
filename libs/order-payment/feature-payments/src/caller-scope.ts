import { principalOf, tenantScopeOf, type Principal, type TenantScope } from '@paystream/shared/auth';

/** How much of the shopper data on a payment (card token, device id, IP address) a caller sees. */
export type ShopperDataAccess = 'clear' | 'masked';

/**
 * What an HTTP caller of order-payment may see: whose payments (the platform's one `TenantScope`,
 * derived from the principal by `tenantScopeOf`), and the shopper data on them (order-payment's own).
 */
export interface CallerScope {
  tenant: TenantScope;
  shopperData: ShopperDataAccess;
}

/**
 * The scope of the principal the auth guard attached. A merchant sees its own payments only, with
 * the shopper data masked (it has no need for a shopper's card token, device or network). Operators
 * see every merchant's payments; only `risk` sees the shopper data in the clear, since it investigates
 * fraud against its own records of those values; `finance` (refunds, disputes: the token's last four
 * are enough to match one) and `sre` (read-only operations) see it masked like a merchant.
 */
export function callerScope(request: object): CallerScope {
  return { tenant: tenantScopeOf(request), shopperData: shopperDataAccessOf(principalOf(request)) };
}

function shopperDataAccessOf(principal: Principal | undefined): ShopperDataAccess {
  switch (principal?.kind) {
    case 'merchant':
      return 'masked';
    case 'operator':
      return principal.roles.includes('risk') ? 'clear' : 'masked';
    default:
      // order-payment's payment routes allow merchants and operators only; anything else is a programming error
      throw new Error(`callerScope: a payment route called as ${principal?.kind ?? 'nobody (no guard ran)'}`);
  }
}

/** The merchant a merchant-only route acts for: the principal's own. */
export function callingMerchant(request: object): string {
  const { tenant } = callerScope(request);
  if (tenant.kind !== 'merchant') throw new Error('callingMerchant: a merchant-only route called by an operator');
  return tenant.merchantId;
}
