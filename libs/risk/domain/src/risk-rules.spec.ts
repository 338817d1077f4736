import fc from 'fast-check';
import { assess, SINGLE_PAYMENT_MAX_MINOR, type RiskRule } from './risk-rules';

const input = (amountMinor: bigint) => ({ paymentId: 'p', userId: 'u', merchantId: 'm', amountMinor, currency: 'CNY' });

describe('risk assessment', () => {
  it.each([
    { amount: 1n, decision: 'approve', score: 0, ruleIds: [], code: undefined },
    { amount: SINGLE_PAYMENT_MAX_MINOR - 1n, decision: 'approve', score: 0, ruleIds: [], code: undefined },
    { amount: SINGLE_PAYMENT_MAX_MINOR, decision: 'approve', score: 0, ruleIds: [], code: undefined },
    { amount: SINGLE_PAYMENT_MAX_MINOR + 1n, decision: 'reject', score: 1000, ruleIds: ['single-limit'], code: 'RISK_SINGLE_LIMIT_EXCEEDED' },
    { amount: 900_000_000n, decision: 'reject', score: 1000, ruleIds: ['single-limit'], code: 'RISK_SINGLE_LIMIT_EXCEEDED' },
  ] as const)('amount $amount -> $decision', ({ amount, decision, score, ruleIds, code }) => {
    const a = assess(input(amount));
    expect(a.decision).toBe(decision);
    expect(a.score).toBe(score);
    expect(a.reasons.map((r) => r.ruleId)).toEqual(ruleIds);
    expect(a.rejectReason?.code).toBe(code);
  });

  it('rejects over the single limit with a stable, non-retryable code and the rule that fired', () => {
    const a = assess(input(SINGLE_PAYMENT_MAX_MINOR + 1n));
    expect(a).toMatchObject({ score: 1000, rejectReason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED', retryable: false }, reasons: [{ ruleId: 'single-limit' }] });
    expect(a.reasons[0]?.detail).toContain('5000001');
  });

  it('approves cleanly with score 0 and no reasons', () => {
    expect(assess(input(100n))).toEqual({ decision: 'approve', score: 0, reasons: [] });
  });

  it('rejects exactly the amounts above the single limit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: SINGLE_PAYMENT_MAX_MINOR * 1000n }), (amount) => {
        expect(assess(input(amount)).decision).toBe(amount > SINGLE_PAYMENT_MAX_MINOR ? 'reject' : 'approve');
      }),
    );
  });

  it('holds for review when a rule asks and none rejects; a rejection wins over a review', () => {
    const review: RiskRule = { id: 'velocity', evaluate: () => ({ verdict: 'review', ruleId: 'velocity', detail: 'many payments', score: 600 }) };
    expect(assess(input(100n), [review])).toMatchObject({ decision: 'review', score: 600, reasons: [{ ruleId: 'velocity' }] });
    const reject: RiskRule = {
      id: 'blocklist',
      evaluate: () => ({ verdict: 'reject', ruleId: 'blocklist', detail: 'listed', reason: { code: 'RISK_BLOCKLISTED', message: 'x', retryable: false } }),
    };
    expect(assess(input(100n), [review, reject])).toMatchObject({
      decision: 'reject',
      score: 1000,
      rejectReason: { code: 'RISK_BLOCKLISTED' },
      reasons: [{ ruleId: 'velocity' }, { ruleId: 'blocklist' }],
    });
  });
});

describe('amount far above the user\'s history', () => {
  const input = (amountMinor: bigint, history?: { count: number; totalMinor: bigint }) => ({ paymentId: 'p', userId: 'u', merchantId: 'm', amountMinor, currency: 'CNY', ...(history ? { history } : {}) });
  it.each([
    ['no history', input(500_000n), 'approve'],
    ['too little history', input(500_000n, { count: 2, totalMinor: 2_000n }), 'approve'],
    ['within 10x the average', input(100_000n, { count: 3, totalMinor: 30_000n }), 'approve'],
    ['over 10x the average', input(100_001n, { count: 3, totalMinor: 30_000n }), 'review'],
    ['over 10x but a small amount', input(99_999n, { count: 3, totalMinor: 3n }), 'approve'],
  ] as const)('%s -> %s', (_label, i, decision) => {
    const a = assess(i);
    expect(a.decision).toBe(decision);
    if (decision === 'review') expect(a.reasons).toEqual([{ ruleId: 'amount-above-history', detail: expect.stringContaining('10x') }]);
  });
});
