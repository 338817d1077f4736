import { MERCHANT_STATUSES, type MerchantStatus } from '@paystream/contracts';
import { canMoveMerchant, isMerchantChangeable, MERCHANT_STATUS_ACTIONS } from './merchant-status';

describe('merchant status table', () => {
  const allowed: Array<[MerchantStatus, MerchantStatus]> = [
    ['active', 'suspended'],
    ['active', 'closed'],
    ['suspended', 'active'],
    ['suspended', 'closed'],
  ];
  const pairs = MERCHANT_STATUSES.flatMap((from) => MERCHANT_STATUSES.map((to) => [from, to] as [MerchantStatus, MerchantStatus]));

  it.each(pairs)('%s -> %s is allowed only if listed', (from, to) => {
    expect(canMoveMerchant(from, to)).toBe(allowed.some(([f, t]) => f === from && t === to));
  });

  it('closed is final: nothing leaves it and nothing changes it', () => {
    expect(MERCHANT_STATUSES.filter((to) => canMoveMerchant('closed', to))).toEqual([]);
    expect(isMerchantChangeable('closed')).toBe(false);
    expect(isMerchantChangeable('suspended')).toBe(true);
  });

  it('each operator action leads to its status', () => {
    expect(MERCHANT_STATUS_ACTIONS).toEqual({ suspend: 'suspended', reactivate: 'active', close: 'closed' });
  });
});
