import { PAYOUT_ACCOUNT_CHANGE_STATES, type PayoutAccountChangeState } from '@paystream/contracts';
import { canMovePayoutAccountChange, checkFourEyes, effectiveAtOf, PAYOUT_ACCOUNT_COOLING_OFF_MS_DEFAULT } from './payout-account-change';

describe('payout account change table', () => {
  const allowed: Array<[PayoutAccountChangeState, PayoutAccountChangeState]> = [
    ['proposed', 'approved'],
    ['proposed', 'rejected'],
    ['proposed', 'cancelled'],
    ['approved', 'effective'],
    ['approved', 'cancelled'],
  ];
  const pairs = PAYOUT_ACCOUNT_CHANGE_STATES.flatMap((from) => PAYOUT_ACCOUNT_CHANGE_STATES.map((to) => [from, to] as [PayoutAccountChangeState, PayoutAccountChangeState]));

  it.each(pairs)('%s -> %s is allowed only if listed', (from, to) => {
    expect(canMovePayoutAccountChange(from, to)).toBe(allowed.some(([f, t]) => f === from && t === to));
  });

  it('a proposal cannot skip the approval to become effective', () => {
    expect(canMovePayoutAccountChange('proposed', 'effective')).toBe(false);
  });
});

describe('four eyes', () => {
  it('refuses the proposer as approver', () => {
    expect(checkFourEyes('operator:alice', 'operator:alice')).toEqual({ code: 'PAYOUT_ACCOUNT_CHANGE_SAME_OPERATOR' });
  });

  it('refuses an unauthenticated approver, who cannot prove to be another operator', () => {
    expect(checkFourEyes('operator:alice', 'operator:unauthenticated')).toEqual({ code: 'PAYOUT_ACCOUNT_CHANGE_SAME_OPERATOR' });
  });

  it('accepts a second operator', () => {
    expect(checkFourEyes('operator:alice', 'operator:bob')).toBeUndefined();
  });
});

describe('cooling-off', () => {
  const approvedAt = new Date('2026-11-25T08:00:00Z');

  it('takes effect 24 h after approval by default', () => {
    expect(effectiveAtOf(approvedAt, PAYOUT_ACCOUNT_COOLING_OFF_MS_DEFAULT).toISOString()).toBe('2026-11-26T08:00:00.000Z');
  });

  it.each([-1, 1.5, 31 * 24 * 3_600_000])('refuses a cooling-off of %s ms', (ms) => {
    expect(() => effectiveAtOf(approvedAt, ms)).toThrow(RangeError);
  });
});
