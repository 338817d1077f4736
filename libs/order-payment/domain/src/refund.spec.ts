import fc from 'fast-check';
import { checkRefund, refundStatusesLeadingTo, statusAfterRefunds } from './refund';
import type { PaymentStatus } from './payment-status';

const paid = (status: PaymentStatus = 'SUCCEEDED') => ({ status, amountMinor: 10_000n });

describe('refund rules', () => {
  it.each([
    ['a full refund of a captured payment', paid(), 0n, 10_000n, true],
    ['a partial refund', paid(), 0n, 1n, true],
    ['the rest after a partial one', paid('PARTIALLY_REFUNDED'), 4_000n, 6_000n, true],
    ['one fen more than is left', paid('PARTIALLY_REFUNDED'), 4_000n, 6_001n, false],
    ['a payment not captured', paid('AUTHORIZING'), 0n, 1n, false],
    ['a failed payment', paid('FAILED'), 0n, 1n, false],
    ['a fully refunded payment', paid('REFUNDED'), 10_000n, 1n, false],
    ['a zero amount', paid(), 0n, 0n, false],
  ] as const)('allows %s: %s', (_label, payment, committed, amount, ok) => {
    expect(checkRefund(payment, committed, amount).ok).toBe(ok);
  });

  it('never lets refunds add up to more than was captured, in any order of requests', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1_000_000n }), fc.array(fc.bigInt({ min: 1n, max: 1_000_000n }), { maxLength: 20 }), (captured, asks) => {
        let committed = 0n;
        for (const ask of asks) {
          if (checkRefund({ status: committed === 0n ? 'SUCCEEDED' : 'PARTIALLY_REFUNDED', amountMinor: captured }, committed, ask).ok) committed += ask;
        }
        expect(committed <= captured).toBe(true);
      }),
    );
  });

  it('moves to REFUNDED only when everything was refunded', () => {
    expect(statusAfterRefunds(10_000n, 9_999n)).toBe('PARTIALLY_REFUNDED');
    expect(statusAfterRefunds(10_000n, 10_000n)).toBe('REFUNDED');
  });

  it('completes only a refund in flight', () => {
    expect(refundStatusesLeadingTo('SUCCEEDED')).toEqual(['REQUESTED']);
    expect(refundStatusesLeadingTo('FAILED')).toEqual(['REQUESTED']);
    expect(refundStatusesLeadingTo('REQUESTED')).toEqual([]);
  });
});
