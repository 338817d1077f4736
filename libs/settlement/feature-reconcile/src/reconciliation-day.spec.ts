import { addDays, chinaDate } from '@paystream/settlement/domain';
import { dueReconciliationDay } from './reconciliation-day';

describe('the day the daily reconciliation is due for (Asia/Shanghai)', () => {
  it.each([
    // UTC instant, the reconciliation time, the day due
    ['2026-12-04T02:29:59Z', '10:30', '2026-12-02'], // 10:29:59 Beijing: yesterday's bills are not due yet
    ['2026-12-04T02:30:00Z', '10:30', '2026-12-03'], // 10:30 Beijing
    ['2026-12-03T16:00:00Z', '10:30', '2026-12-02'], // 00:00 Beijing on the 4th, though still the 3rd in UTC
    ['2026-12-03T15:59:59Z', '00:00', '2026-12-02'], // 23:59:59 Beijing on the 3rd
    ['2027-01-01T03:00:00Z', '10:30', '2026-12-31'], // across the year
  ])('at %s with the job at %s: %s', (now, at, due) => {
    expect(dueReconciliationDay(new Date(now), at)).toBe(due);
  });

  it.each([
    ['2026-03-01', '2026-02-28'],
    ['2024-03-01', '2024-02-29'],
    ['2027-01-01', '2026-12-31'],
  ])('the day before %s is %s', (day, before) => {
    expect(addDays(day, -1)).toBe(before);
  });

  it('names the Beijing day of an instant and refuses a time that is not HH:mm', () => {
    expect(chinaDate(new Date('2026-12-03T16:00:00Z'))).toBe('2026-12-04');
    expect(() => dueReconciliationDay(new Date(), '25:00')).toThrow(RangeError);
  });
});
