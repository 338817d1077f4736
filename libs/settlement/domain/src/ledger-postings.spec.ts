import fc from 'fast-check';
import { Money } from '@paystream/shared/money';
import { bookPayment } from './book-payment';
import { BusinessCalendar } from './business-calendar';
import {
  isBalanced,
  postingsForLegacyPayout,
  postingsForPayoutPaid,
  postingsForPayoutReversed,
  postingsForPayoutSent,
  postingsForRefund,
  postingsForRefundCleared,
  postingsForReserveRelease,
  type Posting,
} from './ledger-postings';
import { SETTLEMENT_TERMS_DEFAULT } from './settlement-terms';

const cny = (minor: bigint) => Money.of(minor, 'CNY');
const sumOf = (lines: Posting[], account: string) => lines.filter((l) => l.accountId === account).reduce((a, l) => a + l.amountMinor, 0n);

describe('ledger postings for every account', () => {
  it('books a 9,999.00 alipay payment at 60 bps with a 10 % reserve: margin visible, balanced', () => {
    const terms = { ...SETTLEMENT_TERMS_DEFAULT, reserveBps: 1_000n, reserveHoldDays: 30, feePlan: { ...SETTLEMENT_TERMS_DEFAULT.feePlan, rateBps: 80n } };
    const { postings, items } = bookPayment({ paymentId: 'p1', merchantId: 'm-1', channel: 'alipay', gross: cny(9_999_00n), succeededAt: new Date('2026-03-02T02:00:00Z') }, terms, new BusinessCalendar());
    expect(Object.fromEntries(postings.map((p) => [p.accountId, p.amountMinor]))).toEqual({
      'channel_clearing:alipay': 9_999_00n - 59_99n,
      'channel_cost:alipay': 59_99n,
      'merchant_payable:m-1': -(9_999_00n - 79_99n - 99_190n),
      'merchant_reserve:m-1': -99_190n, // 10 % of 9,919.01 = 991.901, half up
      platform_fee_revenue: -79_99n,
    });
    expect(isBalanced(postings)).toBe(true);
    expect(items.map((i) => [i.kind, i.dueOn, i.amountMinor])).toEqual([
      ['payment', '2026-03-02', 9_999_00n - 79_99n - 99_190n],
      ['reserve_release', '2026-04-01', 99_190n],
    ]);
  });

  it('never releases a reserve before the payment it was held from is due (a 1-day hold under T+3)', () => {
    const terms = { ...SETTLEMENT_TERMS_DEFAULT, schedule: 't_plus_n' as const, nDays: 3, reserveBps: 1_000n, reserveHoldDays: 1 };
    // Friday 2026-03-06, 10:00 in China: T+3 business days is Wednesday 2026-03-11; the hold alone would end on Saturday
    const { items } = bookPayment({ paymentId: 'p2', merchantId: 'm-1', channel: 'alipay', gross: cny(100_00n), succeededAt: new Date('2026-03-06T02:00:00Z') }, terms, new BusinessCalendar());
    expect(items.map((i) => [i.kind, i.dueOn])).toEqual([
      ['payment', '2026-03-11'],
      ['reserve_release', '2026-03-11'],
    ]);
  });

  it('balances every kind of transaction for any amount, and leaves zero-amount lines out', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1_000_000_000_000n }), (minor) => {
        const a = cny(minor);
        const all = [
          postingsForRefund('m', a),
          postingsForRefundCleared('alipay', a),
          postingsForReserveRelease('m', a),
          postingsForPayoutSent('m', a),
          postingsForPayoutPaid(a),
          postingsForPayoutReversed('m', a),
          postingsForLegacyPayout('m', a),
        ];
        for (const lines of all) {
          expect(isBalanced(lines)).toBe(true);
          expect(lines).toHaveLength(minor === 0n ? 0 : 2);
          expect(lines.filter((l) => l.amountMinor === 0n)).toEqual([]);
        }
      }),
    );
  });

  it('pays out through payouts in flight: sent then paid leaves the merchant owed nothing and the bank credited', () => {
    const lines = [...postingsForPayoutSent('m', cny(500n)), ...postingsForPayoutPaid(cny(500n))];
    expect(sumOf(lines, 'payouts_in_flight')).toBe(0n);
    expect(sumOf(lines, 'merchant_payable:m')).toBe(500n);
    expect(sumOf(lines, 'bank_settlement_account')).toBe(-500n);
    const reversed = [...postingsForPayoutSent('m', cny(500n)), ...postingsForPayoutReversed('m', cny(500n))];
    expect(sumOf(reversed, 'payouts_in_flight')).toBe(0n);
    expect(sumOf(reversed, 'merchant_payable:m')).toBe(0n);
  });

  it('refuses negative amounts', () => {
    expect(() => postingsForRefund('m', cny(-1n))).toThrow(RangeError);
    expect(() => postingsForPayoutSent('m', cny(-1n))).toThrow(RangeError);
  });

  it('sees an unbalanced set of lines', () => {
    expect(isBalanced([{ accountId: 'a', amountMinor: 1n, currency: 'CNY' }])).toBe(false);
    expect(isBalanced([{ accountId: 'a', amountMinor: 1n, currency: 'CNY' }, { accountId: 'b', amountMinor: -1n, currency: 'USD' }])).toBe(false);
  });
});
