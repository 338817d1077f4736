import fc from 'fast-check';
import { janitorNextStep, nextQueryDelayMs, refundRetentionStep, UNKNOWN_OUTCOME_BACKOFF_MULTIPLES } from './unknown-outcome-schedule';

describe('the unknown-outcome janitor schedule', () => {
  it('backs off from the base interval and stays at the last step', () => {
    expect([0, 1, 2, 3].map((n) => nextQueryDelayMs(n, 1_000))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(nextQueryDelayMs(100, 1_000)).toBe(60_000);
  });

  it('never shortens the delay as queries go by', () => {
    fc.assert(fc.property(fc.nat(50), fc.integer({ min: 1, max: 60_000 }), (n, base) => nextQueryDelayMs(n + 1, base) >= nextQueryDelayMs(n, base)));
    expect([...UNKNOWN_OUTCOME_BACKOFF_MULTIPLES]).toEqual([...UNKNOWN_OUTCOME_BACKOFF_MULTIPLES].sort((a, b) => a - b));
  });

  it('closes the trade once it is older than the maximum age', () => {
    expect(janitorNextStep(59_999, 60_000)).toBe('query-again');
    expect(janitorNextStep(60_000, 60_000)).toBe('close');
  });

  it('never gives an unknown refund up: past the maximum age it is queried on and raised for a person', () => {
    expect(refundRetentionStep(59_999, 60_000)).toBe('query-again');
    expect(refundRetentionStep(60_000, 60_000)).toBe('alert');
    expect(refundRetentionStep(86_400_000, 60_000)).toBe('alert');
  });

  it.each([
    // [age, query, the channel's resume rule, step]
    [59_999, 'not-found', 'resend', 'query-again'],
    [60_000, 'not-found', 'resend', 'resend'],
    [60_000, 'pending', 'resend', 'alert'],
    [60_000, 'not-found', 'query', 'alert'],
    [60_000, 'pending', 'query', 'alert'],
  ] as const)('a refund %i ms old, query %s, channel rule %s: %s', (age, query, resume, step) => {
    expect(refundRetentionStep(age, 60_000, query, resume)).toBe(step);
  });
});
