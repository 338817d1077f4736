import fc from 'fast-check';
import { Money } from '@paystream/shared/money';
import { feeFor, isBalanced, postingsForPayment, postingsForPayout, postingsForRefund } from './ledger-postings';

describe('settlement fees and ledger postings', () => {
  it.each([
    [9_999_00n, 60n, 59_99n],
    [12_345n, 60n, 74n], // 74.07 -> 74
    [12_425n, 60n, 75n], // 74.55 -> 75 (half-up)
    [1n, 60n, 0n],
    [84n, 60n, 1n], // 0.504 -> 1
    [83n, 60n, 0n], // 0.498 -> 0
    [1_000n, 0n, 0n],
    [1_000n, 10_000n, 1_000n],
  ])('the fee on %s at %s bps is %s', (gross, bps, fee) => {
    expect(feeFor(Money.of(gross, 'CNY'), bps).minor).toBe(fee);
  });

  it('refuses a fee outside 0..10000 bps', () => {
    expect(() => feeFor(Money.of(100n, 'CNY'), 10_001n)).toThrow(RangeError);
    expect(() => feeFor(Money.of(100n, 'CNY'), -1n)).toThrow(RangeError);
  });

  it('books a payment so that it balances, the fee never exceeds gross and net = gross - fee', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1_000_000_000_000n }), fc.bigInt({ min: 0n, max: 10_000n }), (grossMinor, bps) => {
        const gross = Money.of(grossMinor, 'CNY');
        const fee = feeFor(gross, bps);
        const postings = postingsForPayment('m-1', gross, fee);
        const net = -(postings.find((p) => p.accountId === 'merchant_payable:m-1')?.amountMinor ?? 0n);
        return isBalanced(postings) && fee.minor >= 0n && fee.minor <= grossMinor && net === grossMinor - fee.minor;
      }),
    );
  });

  it('pays out what the merchant is owed, balanced', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1_000_000_000_000n }), (netMinor) => {
        const lines = postingsForPayout('m-1', Money.of(netMinor, 'CNY'));
        return isBalanced(lines) && lines[0]!.amountMinor === netMinor;
      }),
    );
  });

  it('sees an unbalanced set of lines', () => {
    expect(isBalanced([{ accountId: 'a', amountMinor: 1n, currency: 'CNY' }])).toBe(false);
    expect(isBalanced([{ accountId: 'a', amountMinor: 1n, currency: 'CNY' }, { accountId: 'b', amountMinor: -1n, currency: 'USD' }])).toBe(false);
  });

  it('books refunds balanced, and a full refund after payment leaves the merchant owing exactly the fee back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1_000_000_000n }), (grossMinor) => {
        const gross = Money.of(grossMinor, 'CNY');
        const fee = feeFor(gross, 60n);
        const lines = [...postingsForPayment('m-1', gross, fee), ...postingsForRefund('m-1', gross)];
        const owed = lines.filter((l) => l.accountId === 'merchant_payable:m-1').reduce((a, l) => a + l.amountMinor, 0n);
        const inTransit = lines.filter((l) => l.accountId === 'shopper_funds_in_transit').reduce((a, l) => a + l.amountMinor, 0n);
        return isBalanced(postingsForRefund('m-1', gross)) && owed === fee.minor && inTransit === 0n;
      }),
    );
  });
});
