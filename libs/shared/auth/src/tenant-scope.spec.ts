import { AuthRefusal } from './auth-refusal';
import { PRINCIPAL_PROPERTY, type Principal } from './principal';
import { ALL_MERCHANTS, inScope, merchantScope, requireInScope, scopedMerchantId, tenantScopeOf } from './tenant-scope';

const requestAs = (principal?: Principal) => (principal ? { [PRINCIPAL_PROPERTY]: principal } : {});

describe('tenant scope', () => {
  it('is the merchant\'s own for a merchant, every merchant\'s for an operator or a service', () => {
    expect(tenantScopeOf(requestAs({ kind: 'merchant', merchantId: 'm-a', keyId: 'pk_live_x', mode: 'live' }))).toEqual({ kind: 'merchant', merchantId: 'm-a' });
    expect(tenantScopeOf(requestAs({ kind: 'operator', operatorId: 'alice', roles: ['finance'], credentialId: 'op_x' }))).toBe(ALL_MERCHANTS);
    expect(tenantScopeOf(requestAs({ kind: 'service', name: 'settlement', credentialId: 'svc_x' }))).toBe(ALL_MERCHANTS);
  });

  it.each([
    ['no guard ran', undefined],
    ['a public route', { kind: 'public' } as const],
    ['a channel route', { kind: 'channel' } as const],
  ])('never widens to every merchant when %s: it throws', (_why, principal) => {
    expect(() => tenantScopeOf(requestAs(principal))).toThrow(/tenantScopeOf/);
  });

  it('binds the merchant (or null for every merchant) and says what is in scope', () => {
    expect(scopedMerchantId(merchantScope('m-a'))).toBe('m-a');
    expect(scopedMerchantId(ALL_MERCHANTS)).toBeNull();
    expect(inScope(merchantScope('m-a'), 'm-a')).toBe(true);
    expect(inScope(merchantScope('m-a'), 'm-b')).toBe(false);
    expect(inScope(ALL_MERCHANTS, 'm-b')).toBe(true);
  });

  it('refuses another merchant named in a path as the guard does: RESOURCE_NOT_FOUND', () => {
    expect(() => requireInScope(merchantScope('m-a'), 'm-a')).not.toThrow();
    expect(() => requireInScope(ALL_MERCHANTS, 'm-b')).not.toThrow();
    let refusal: unknown;
    try {
      requireInScope(merchantScope('m-a'), 'm-b');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(AuthRefusal);
    expect(refusal).toMatchObject({ reason: 'other_merchant_resource', code: 'RESOURCE_NOT_FOUND' });
  });
});
