import { AuthRefusal } from './auth-refusal';
import { principalOf } from './principal';

/**
 * Whose resources a request may see (docs/design/trust-boundary.md section 6): a merchant its own
 * only, an operator or a service (as far as the route allows them at all) every merchant's. Data
 * access takes it and scopes its SQL by it, so another merchant's row is never read.
 */
export type TenantScope = { readonly kind: 'merchant'; readonly merchantId: string } | { readonly kind: 'all-merchants' };

/** The scope of operators, services and the platform's own processes: every merchant. */
export const ALL_MERCHANTS: TenantScope = Object.freeze({ kind: 'all-merchants' });

/** One merchant's resources only. */
export function merchantScope(merchantId: string): TenantScope {
  return Object.freeze({ kind: 'merchant', merchantId });
}

/**
 * The scope of an authenticated request: its merchant's for a merchant principal, every merchant's
 * for an operator or a service. A public or channel route has no tenant: asking is a programming
 * error (it throws, it never widens to every merchant).
 */
export function tenantScopeOf(request: object): TenantScope {
  const principal = principalOf(request);
  switch (principal?.kind) {
    case 'merchant':
      return merchantScope(principal.merchantId);
    case 'operator':
    case 'service':
      return ALL_MERCHANTS;
    default:
      throw new Error(`tenantScopeOf: the request carries no merchant, operator or service principal (${principal?.kind ?? 'no guard ran'})`);
  }
}

/**
 * The parameter a scoped query binds, as `($n::text IS NULL OR merchant_id = $n)`: the scope's
 * merchant, or null for every merchant.
 */
export function scopedMerchantId(scope: TenantScope): string | null {
  return scope.kind === 'merchant' ? scope.merchantId : null;
}

/** Whether the scope may see this merchant's resources. */
export function inScope(scope: TenantScope, merchantId: string): boolean {
  return scope.kind === 'all-merchants' || scope.merchantId === merchantId;
}

/**
 * Refuses a merchant (named in a path) outside the scope exactly as the guard refuses another
 * merchant in the path: 404 RESOURCE_NOT_FOUND, the answer of a missing resource.
 */
export function requireInScope(scope: TenantScope, merchantId: string): void {
  if (!inScope(scope, merchantId)) throw new AuthRefusal('other_merchant_resource');
}
