import { asOfRefusal } from './as-of-gate';

describe('the as-of date a settlement run may take', () => {
  it('refuses a date after today unless future runs are allowed', () => {
    expect(asOfRefusal('2026-12-05', '2026-12-04', false)).toBe('SETTLEMENT_RUN_AS_OF_IN_FUTURE');
    expect(asOfRefusal('2027-01-01', '2026-12-31', false)).toBe('SETTLEMENT_RUN_AS_OF_IN_FUTURE');
    expect(asOfRefusal('2026-12-05', '2026-12-04', true)).toBeUndefined();
  });

  it('takes today and any earlier day', () => {
    expect(asOfRefusal('2026-12-04', '2026-12-04', false)).toBeUndefined();
    expect(asOfRefusal('2025-12-31', '2026-12-04', false)).toBeUndefined();
  });
});
