import { channelOf, scenarioOf } from './order-mix';
import { classifyRefundSettlements, lateRefundPick, refundAmount, refundOf, REFUND_FULL_PER_MILLE, REFUND_PARTIAL_PER_MILLE, type SettlementWithLines } from './refund-plan';

describe('demo refunds', () => {
  it('refunds the named shares of orders, full and partial', () => {
    const counts = { full: 0, partial: 0, none: 0 };
    for (let i = 0; i < 20_000; i++) counts[refundOf(i) ?? 'none']++;
    expect(Math.abs(counts.full - REFUND_FULL_PER_MILLE * 20)).toBeLessThan(REFUND_FULL_PER_MILLE * 20 * 0.2);
    expect(Math.abs(counts.partial - REFUND_PARTIAL_PER_MILLE * 20)).toBeLessThan(REFUND_PARTIAL_PER_MILLE * 20 * 0.2);
  });

  it('refunds nothing when the shares are zero', () => {
    for (let i = 0; i < 2_000; i++) expect(refundOf(i, 0, 0)).toBeUndefined();
  });

  it('picks, in a 300-order demo over five merchants, ordinary orders of real-time (0, 1) and T+N (2-4) merchants on every channel', () => {
    const picked = Array.from({ length: 300 }, (_, i) => i).filter((i) => refundOf(i) !== undefined);
    const ordinary = picked.filter((i) => scenarioOf(i) === 'ok');
    expect(picked.length).toBeGreaterThanOrEqual(10);
    expect(new Set(picked.map((i) => refundOf(i)))).toEqual(new Set(['full', 'partial']));
    expect(ordinary.filter((i) => i % 5 <= 1).length).toBeGreaterThanOrEqual(3);
    expect(ordinary.filter((i) => i % 5 >= 2).length).toBeGreaterThanOrEqual(3);
    expect(new Set(ordinary.map(channelOf))).toEqual(new Set(['alipay', 'wechatpay', 'unionpay']));
  });

  it('refunds a full payment whole and a partial one in part, never more than the payment nor nothing', () => {
    expect(refundAmount('full', 123_45n)).toBe(123_45n);
    expect(refundAmount('partial', 123_45n)).toBe(49_38n);
    expect(refundAmount('partial', 2n)).toBe(1n);
    expect(refundAmount('partial', 1n)).toBe(1n);
    for (const amount of [3n, 100n, 101n, 99_999n, 5_000_000n]) {
      const part = refundAmount('partial', amount);
      expect(part >= 1n && part < amount).toBe(true);
    }
    expect(() => refundAmount('full', 0n)).toThrow(RangeError);
  });

  it('tells a refund netted with its payment from one clawed back from a later settlement and one still carried forward', () => {
    const s = (id: string, merchantId: string, at: string, lines: [string, string][]): SettlementWithLines => ({
      settlementId: id,
      merchantId,
      createdAt: at,
      lines: lines.map(([kind, reference]) => ({ kind, reference })),
    });
    const settlements = [
      // a real-time merchant: p1 paid alone, then p2's settlement takes r1 back
      s('s1', 'm0', '2026-12-04T10:00:00.000Z', [['payment', 'p1']]),
      s('s2', 'm0', '2026-12-04T10:00:05.000Z', [['payment', 'p2'], ['refund', 'r1']]),
      // a T+N merchant: p3 and its refund in one settlement
      s('s3', 'm2', '2026-12-04T10:01:00.000Z', [['payment', 'p3'], ['reserve_release', 'p3'], ['refund', 'r3']]),
    ];
    const { byRefund, totals } = classifyRefundSettlements(
      [
        { refundId: 'r1', paymentId: 'p1', merchantId: 'm0', amountMinor: 500n },
        { refundId: 'r3', paymentId: 'p3', merchantId: 'm2', amountMinor: 700n },
        { refundId: 'r4', paymentId: 'p2', merchantId: 'm0', amountMinor: 900n },
      ],
      settlements,
    );
    expect(Object.fromEntries(byRefund)).toEqual({ r1: 'clawed_back', r3: 'netted', r4: 'carried_forward' });
    expect(totals).toEqual({
      netted: { count: 1, amountMinor: 700n },
      clawed_back: { count: 1, amountMinor: 500n },
      carried_forward: { count: 1, amountMinor: 900n },
    });
  });

  it('refunds late the merchant\'s largest payment not refunded yet, and none when it has none left', () => {
    const payments = [
      { paymentId: 'p1', merchantId: 'm0', amountMinor: 900n },
      { paymentId: 'p2', merchantId: 'm0', amountMinor: 5_000n },
      { paymentId: 'p3', merchantId: 'm1', amountMinor: 9_000n },
      { paymentId: 'p4', merchantId: 'm0', amountMinor: 1_200n },
    ];
    expect(lateRefundPick(payments, 'm0', new Set())?.paymentId).toBe('p2');
    expect(lateRefundPick(payments, 'm0', new Set(['p2']))?.paymentId).toBe('p4');
    expect(lateRefundPick(payments, 'm0', new Set(['p1', 'p2', 'p4']))).toBeUndefined();
    expect(lateRefundPick(payments, 'm9', new Set())).toBeUndefined();
  });
});
