import { settlementPeriod } from './settlement-order';

describe('the period a settlement covers', () => {
  it('is its earliest and latest item, in any order', () => {
    const at = (iso: string) => new Date(iso);
    expect(settlementPeriod([at('2026-03-02T05:00:00Z'), at('2026-03-01T23:00:00Z'), at('2026-03-02T01:00:00Z')])).toEqual({
      periodStart: at('2026-03-01T23:00:00Z'),
      periodEnd: at('2026-03-02T05:00:00Z'),
    });
  });

  it('covers a day of 500,000 items (more than a spread call takes as arguments)', () => {
    const base = Date.parse('2026-03-02T00:00:00Z');
    const times = Array.from({ length: 500_000 }, (_, i) => new Date(base + ((i * 7_919) % 500_000) * 100));
    expect(settlementPeriod(times)).toEqual({ periodStart: new Date(base), periodEnd: new Date(base + 499_999 * 100) });
  });
});
