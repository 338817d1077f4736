import fc from 'fast-check';
import { alipayAmount, fenFromAlipayAmount } from './alipay-amount';

describe('Alipay amounts in yuan', () => {
  it.each([
    [1n, '0.01'],
    [8888n, '88.88'],
    [100n, '1.00'],
    [123456789n, '1234567.89'],
  ])('%s fen is "%s"', (fen, yuan) => {
    expect(alipayAmount(fen)).toBe(yuan);
    expect(fenFromAlipayAmount(yuan)).toBe(fen);
  });

  it('round-trips every amount exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), (fen) => {
        expect(fenFromAlipayAmount(alipayAmount(fen))).toBe(fen);
      }),
    );
  });

  it('refuses what is not a yuan amount', () => {
    for (const bad of ['1.234', 'abc', '', '1e3']) expect(() => fenFromAlipayAmount(bad)).toThrow();
  });
});
