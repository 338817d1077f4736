import fc from 'fast-check';
import { BillFormatError, fenToYuan, yuanToFen } from './yuan';

describe('fen and yuan', () => {
  it.each([
    [12345n, '123.45'],
    [5n, '0.05'],
    [-5n, '-0.05'],
    [0n, '0.00'],
    [100n, '1.00'],
    [-123456789012n, '-1234567890.12'],
    [10n ** 12n, '10000000000.00'],
  ])('%s fen is "%s"', (fen, yuan) => {
    expect(fenToYuan(fen)).toBe(yuan);
    expect(yuanToFen(yuan)).toBe(fen);
  });

  it('reads one decimal or none', () => {
    expect(yuanToFen('0.1')).toBe(10n);
    expect(yuanToFen('3')).toBe(300n);
    expect(yuanToFen('-3')).toBe(-300n);
  });

  it('refuses a yuan string with three decimals, and anything that is not an amount', () => {
    expect(() => yuanToFen('1.234')).toThrow(BillFormatError);
    for (const bad of ['', 'abc', '1e3', '1.', '.5', '+1.00', ' 1.00', '1.00 ', '01.00', '1,00', '--1', 'NaN', '0x10', '１.００']) {
      expect(() => yuanToFen(bad)).toThrow(BillFormatError);
    }
  });

  it('round-trips every amount exactly, both signs', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (fen) => {
        expect(yuanToFen(fenToYuan(fen))).toBe(fen);
      }),
    );
  });
});
