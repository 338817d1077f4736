import fc from 'fast-check';
import { Money } from '@paystream/shared/money';
import { channelCostFor, FEE_PLAN_DEFAULT, feeFor, planFee, validateFeePlan, type FeePlan } from './fee-plan';

const cny = (minor: bigint) => Money.of(minor, 'CNY');
const plan = (p: Partial<FeePlan>): FeePlan => ({ ...FEE_PLAN_DEFAULT, ...p });

describe('fee plans', () => {
  it.each([
    [9_999_00n, 60n, 59_99n],
    [12_345n, 60n, 74n], // 74.07 -> 74
    [12_425n, 60n, 75n], // 74.55 -> 75 (half-up)
    [1n, 60n, 0n],
    [84n, 60n, 1n], // 0.504 -> 1
    [83n, 60n, 0n], // 0.498 -> 0
    [1_000n, 0n, 0n],
    [1_000n, 10_000n, 1_000n],
  ])('the rate part on %s at %s bps is %s', (gross, bps, fee) => {
    expect(feeFor(cny(gross), bps).minor).toBe(fee);
  });

  it.each([
    ['rate + fixed', plan({ rateBps: 60n, fixedMinor: 30n }), 10_000n, 90n],
    ['the minimum lifts a small fee', plan({ rateBps: 60n, minMinor: 50n }), 1_000n, 50n],
    ['the maximum caps a large fee', plan({ rateBps: 60n, maxMinor: 2_000n }), 10_000_000n, 2_000n],
    ['never more than the gross', plan({ rateBps: 60n, fixedMinor: 100n }), 40n, 40n],
    ['the minimum never exceeds the gross either', plan({ minMinor: 500n }), 100n, 100n],
    ['half up on the rate, then fixed', plan({ rateBps: 60n, fixedMinor: 1n }), 12_425n, 76n],
    ['zero plan', plan({ rateBps: 0n }), 5_000n, 0n],
  ])('%s', (_name, p, gross, fee) => {
    expect(planFee(p, cny(gross)).minor).toBe(fee);
  });

  it.each([
    [plan({ rateBps: 10_001n }), 'rateBps'],
    [plan({ rateBps: -1n }), 'rateBps'],
    [plan({ fixedMinor: -1n }), 'fixedMinor'],
    [plan({ minMinor: 100n, maxMinor: 99n }), 'maxMinor'],
  ])('refuses an invalid plan with a stable code', (p, field) => {
    expect(validateFeePlan(p)).toMatchObject({ code: 'FEE_PLAN_INVALID', field });
    expect(() => planFee(p, cny(100n))).toThrow(RangeError);
  });

  it('keeps any plan within min..max and 0..gross', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10_000_000_000n }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.option(fc.bigInt({ min: 0n, max: 100_000n })),
        (gross, rateBps, fixedMinor, minMinor, maxExtra) => {
          const p = plan({ rateBps, fixedMinor, minMinor, maxMinor: maxExtra === null ? null : minMinor + maxExtra });
          const fee = planFee(p, cny(gross)).minor;
          const raw = feeFor(cny(gross), rateBps).minor + fixedMinor;
          const bounded = raw < minMinor ? minMinor : p.maxMinor !== null && raw > p.maxMinor ? p.maxMinor : raw;
          expect(fee).toBe(bounded > gross ? gross : bounded);
          expect(fee >= 0n && fee <= gross).toBe(true);
        },
      ),
    );
  });

  it('books channel cost by the channel plan (0.60 % half up), nothing for an unknown channel', () => {
    expect(channelCostFor('alipay', cny(12_425n)).minor).toBe(75n);
    expect(channelCostFor('nowhere', cny(12_425n)).minor).toBe(0n);
  });
});
