import { merchantRefusal } from './merchant-acceptance';

describe('which merchants take payments', () => {
  it.each([
    ['an unknown merchant', undefined, 'MERCHANT_UNKNOWN'],
    ['a suspended merchant', { status: 'suspended' as const }, 'MERCHANT_SUSPENDED'],
    ['a closed merchant', { status: 'closed' as const }, 'MERCHANT_CLOSED'],
    ['an active merchant', { status: 'active' as const }, undefined],
  ])('%s: %s', (_name, merchant, code) => {
    expect(merchantRefusal(merchant)).toBe(code);
  });
});
