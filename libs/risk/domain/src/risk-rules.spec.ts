import { assess, SINGLE_PAYMENT_MAX_MINOR, type RiskRule } from './risk-rules';

const input = (amountMinor: bigint) => ({ paymentId: 'p', userId: 'u', merchantId: 'm', amountMinor, currency: 'CNY' });

describe('risk assessment', () => {
  it.each([
    [1n, 'approve'],
    [SINGLE_PAYMENT_MAX_MINOR, 'approve'],
    [SINGLE_PAYMENT_MAX_MINOR + 1n, 'reject'],
    [900_000_000n, 'reject'],
  ] as const)('amount %s -> %s', (amount, decision) => {
    expect(assess(input(amount)).decision).toBe(decision);
  });

  it('rejects over the single limit with a stable code and the rule that fired', () => {
    const a = assess(input(SINGLE_PAYMENT_MAX_MINOR + 1n));
    expect(a).toMatchObject({ score: 1000, rejectReason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED', retryable: false }, reasons: [{ ruleId: 'single-limit' }] });
  });

  it('approves cleanly with score 0 and no reasons', () => {
    expect(assess(input(100n))).toEqual({ decision: 'approve', score: 0, reasons: [] });
  });

  it('holds for review when a rule asks and none rejects; a rejection wins over a review', () => {
    const review: RiskRule = { id: 'velocity', evaluate: () => ({ verdict: 'review', ruleId: 'velocity', detail: 'many payments', score: 600 }) };
    expect(assess(input(100n), [review])).toMatchObject({ decision: 'review', score: 600 });
    const reject: RiskRule = {
      id: 'blocklist',
      evaluate: () => ({ verdict: 'reject', ruleId: 'blocklist', detail: 'listed', reason: { code: 'RISK_BLOCKLISTED', message: 'x', retryable: false } }),
    };
    expect(assess(input(100n), [review, reject])).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_BLOCKLISTED' } });
  });
});
