import fc from 'fast-check';
import { divideRounded, Money, MoneyError, parseMajor } from './money';

describe('Money', () => {
  it('computes a 0.60 % fee half up to the fen', () => {
    expect(Money.of(9999_00n, 'CNY').percent(60n, 'basis-points', 'half-up').minor).toBe(59_99n);
    expect(Money.of(1_25n, 'CNY').percent(60n, 'basis-points', 'half-up').minor).toBe(1n); // 0.75 fen -> 1
    expect(Money.of(83n, 'CNY').percent(60n, 'basis-points', 'half-up').minor).toBe(0n); // 0.498 fen -> 0
  });

  it.each([
    [5n, 10n, 'half-up', 1n],
    [4n, 10n, 'half-up', 0n],
    [-5n, 10n, 'half-up', -1n],
    [1n, 10n, 'up', 1n],
    [9n, 10n, 'down', 0n],
    [20n, 10n, 'down', 2n],
  ] as const)('divideRounded(%s, %s, %s) = %s', (a, b, r, expected) => {
    expect(divideRounded(a, b, r)).toBe(expected);
  });

  it('refuses to mix currencies, floats and malformed strings', () => {
    expect(() => Money.of(1n, 'CNY').add(Money.of(1n, 'XXX' as 'CNY'))).toThrow(MoneyError);
    expect(() => Money.of(1.5 as unknown as bigint, 'CNY')).toThrow(MoneyError);
    expect(() => Money.parse('12.5', 'CNY')).toThrow(MoneyError);
    expect(() => Money.parse('007', 'CNY')).toThrow(MoneyError);
  });

  it('formats and parses major units exactly', () => {
    expect(Money.of(12345n, 'CNY').toMajorString()).toBe('123.45');
    expect(Money.of(-5n, 'CNY').toMajorString()).toBe('-0.05');
    expect(parseMajor('0.1', 'CNY').minor).toBe(10n);
    expect(() => parseMajor('1.234', 'CNY')).toThrow(MoneyError);
  });

  it('round-trips minor strings and major strings for any amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (minor) => {
        const m = Money.of(minor, 'CNY');
        expect(Money.parse(m.toMinorString(), 'CNY').equals(m)).toBe(true);
        expect(parseMajor(m.toMajorString(), 'CNY').equals(m)).toBe(true);
      }),
    );
  });

  it('half-up fee plus remainder always adds back to the gross, and the fee is within half a fen', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10_000n }), (gross, bps) => {
        const g = Money.of(gross, 'CNY');
        const fee = g.percent(bps, 'basis-points', 'half-up');
        expect(fee.add(g.subtract(fee)).equals(g)).toBe(true);
        const exactTimes10000 = gross * bps;
        const diff = fee.minor * 10_000n - exactTimes10000;
        expect(diff * 2n <= 10_000n && diff * 2n > -10_000n).toBe(true);
      }),
    );
  });
});
