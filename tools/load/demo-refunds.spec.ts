import { refundLines, summariseRefunds, type DemoRefund } from './demo-refunds';

describe('demo refunds report', () => {
  const refund = (over: Partial<DemoRefund>): DemoRefund => ({ orderIndex: 0, kind: 'full', paymentId: 'p', merchantId: 'merchant-0', amountMinor: 100n, status: 'SUCCEEDED', ...over });
  const yuan = (minor: bigint) => (Number(minor) / 100).toFixed(2);

  it('counts refunds by outcome and kind, sums only the succeeded ones, and settles only those', () => {
    const refunds = [
      refund({ refundId: 'r1', paymentId: 'p1', amountMinor: 1_000n }),
      refund({ refundId: 'r2', paymentId: 'p2', kind: 'partial', amountMinor: 400n }),
      refund({ refundId: 'r3', paymentId: 'p3', amountMinor: 700n, status: 'FAILED', reason: 'CHANNEL_REFUND_FAILED' }),
      refund({ paymentId: 'p4', status: 'REFUSED', reason: 'HTTP 409 PAYMENT_NOT_REFUNDABLE' }),
      refund({ refundId: 'r5', paymentId: 'p5', status: 'REQUESTED' }),
      refund({ refundId: 'r6', paymentId: 'p6', amountMinor: 9_000n, late: true }),
    ];
    const settlements = [
      { settlementId: 's1', merchantId: 'merchant-0', createdAt: '2026-12-04T10:00:00Z', lines: [{ kind: 'payment', reference: 'p1' }] },
      { settlementId: 's2', merchantId: 'merchant-0', createdAt: '2026-12-04T10:00:03Z', lines: [{ kind: 'payment', reference: 'p9' }, { kind: 'refund', reference: 'r1' }] },
      { settlementId: 's3', merchantId: 'merchant-2', createdAt: '2026-12-04T10:01:00Z', lines: [{ kind: 'payment', reference: 'p2' }, { kind: 'refund', reference: 'r2' }, { kind: 'refund', reference: 'r3' }] },
    ];
    const s = summariseRefunds(refunds, settlements, [{ merchantId: 'merchant-0', currency: 'CNY', owedMinor: -8_500n }]);
    expect(s).toMatchObject({ requested: 6, full: 5, partial: 1, late: 1, succeeded: 3, failed: 1, refused: 1, noOutcome: 1, succeededMinor: 10_400n });
    expect(s.failedByReason).toEqual({ CHANNEL_REFUND_FAILED: 1, 'HTTP 409 PAYMENT_NOT_REFUNDABLE': 1 });
    expect(s.settlement).toEqual({
      netted: { count: 1, amountMinor: 400n },
      clawed_back: { count: 1, amountMinor: 1_000n },
      carried_forward: { count: 1, amountMinor: 9_000n },
    });
    expect(refundLines(s, yuan)).toEqual([
      '  refunds              6 requested (5 full, 1 partial; 1 after the last order): 3 succeeded (CNY 104.00), 1 failed, 1 refused, 1 no outcome  CHANNEL_REFUND_FAILED=1 HTTP 409 PAYMENT_NOT_REFUNDABLE=1',
      '  refunds settled      netted before payout 1 (CNY 4.00), clawed back from a later settlement 1 (CNY 10.00), carried forward 1 (CNY 90.00)',
      '  negative balances    merchant-0 CNY -85.00 (owed back, carried forward to later payments)',
    ]);
  });

  it('says none when no merchant is left owing', () => {
    expect(refundLines(summariseRefunds([], [], []), (m) => m.toString())[2]).toBe('  negative balances    none');
  });
});
