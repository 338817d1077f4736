import { addDays, BusinessCalendar, chinaDate, chinaTime } from './business-calendar';
import { CN_BUSINESS_CALENDAR } from './cn-business-calendar.data';

const cal = new BusinessCalendar();

describe('the mainland China business calendar', () => {
  // 2026, as the State Council notice of 2025-11-04 has it
  it.each([
    ['2026-02-13', true, 'Friday before the Spring Festival'],
    ['2026-02-14', true, 'Saturday worked to make up (调休上班)'],
    ['2026-02-15', false, 'Spring Festival starts (a Sunday)'],
    ['2026-02-16', false, 'Spring Festival Eve, a Monday off'],
    ['2026-02-17', false, 'New Year (正月初一)'],
    ['2026-02-20', false, 'Friday inside the holiday'],
    ['2026-02-23', false, 'last day off, a Monday'],
    ['2026-02-24', true, 'back to work'],
    ['2026-02-28', true, 'Saturday worked to make up'],
    ['2026-03-01', false, 'an ordinary Sunday'],
    ['2026-09-19', false, 'an ordinary Saturday'],
    ['2026-09-20', true, 'Sunday worked to make up for National Day'],
    ['2026-09-25', false, 'Mid-Autumn Festival'],
    ['2026-09-30', true, 'Wednesday before National Day'],
    ['2026-10-01', false, 'National Day'],
    ['2026-10-05', false, 'Monday inside the Golden Week'],
    ['2026-10-07', false, 'last day off'],
    ['2026-10-08', true, 'back to work'],
    ['2026-10-10', true, 'Saturday worked to make up'],
    ['2026-10-11', false, 'an ordinary Sunday'],
    ['2026-01-04', true, 'Sunday worked after New Year'],
    ['2026-05-09', true, 'Saturday worked after Labour Day'],
    ['2025-01-26', true, '2025: Sunday worked before the Spring Festival'],
    ['2025-02-04', false, '2025: last day of the Spring Festival'],
    ['2025-10-08', false, '2025: National Day and Mid-Autumn together'],
    ['2025-10-11', true, '2025: Saturday worked'],
    ['2027-02-08', false, '2027 (provisional): Spring Festival'],
    ['2027-10-04', true, '2027 (provisional): only the statutory three days are known'],
    ['2028-03-06', true, 'beyond the data: a Monday is a business day'],
  ])('%s is a business day: %s (%s)', (date, business) => {
    expect(cal.isBusinessDay(date)).toBe(business);
  });

  it.each([
    // T+1 across the Spring Festival: a payment on Friday 13 Feb settles on the make-up Saturday 14th
    ['2026-02-13', 1, '2026-02-14'],
    ['2026-02-14', 1, '2026-02-24'],
    ['2026-02-15', 0, '2026-02-24'],
    ['2026-02-14', 2, '2026-02-25'],
    ['2026-02-27', 1, '2026-02-28'],
    ['2026-02-28', 1, '2026-03-02'],
    // National Day: Wednesday 30 Sep + 1 skips the Golden Week
    ['2026-09-30', 1, '2026-10-08'],
    ['2026-09-18', 1, '2026-09-20'],
    ['2026-10-09', 1, '2026-10-10'],
    ['2026-10-09', 2, '2026-10-12'],
    ['2026-12-31', 1, '2027-01-04'],
  ])('%s + %s business days = %s', (from, n, to) => {
    expect(cal.addBusinessDays(from, n)).toBe(to);
  });

  it('takes overrides over the shipped data', () => {
    const extra = new BusinessCalendar(CN_BUSINESS_CALENDAR, [
      { date: '2026-10-08', businessDay: false },
      { date: '2026-10-11', businessDay: true },
    ]);
    expect(extra.isBusinessDay('2026-10-08')).toBe(false);
    expect(extra.isBusinessDay('2026-10-11')).toBe(true);
    expect(extra.isBusinessDay('2026-09-20')).toBe(true);
    expect(extra.addBusinessDays('2026-09-30', 1)).toBe('2026-10-09');
    expect(cal.isBusinessDay('2026-10-08')).toBe(true);
  });

  it('says which years it knows, and refuses malformed dates', () => {
    expect([2025, 2026, 2027, 2028].map((y) => cal.covers(y))).toEqual([true, true, true, false]);
    expect(() => cal.isBusinessDay('2026-2-1')).toThrow(RangeError);
    expect(() => cal.addBusinessDays('2026-02-01', -1)).toThrow(RangeError);
  });

  it('reads instants in China time', () => {
    expect(chinaDate(new Date('2026-02-13T15:59:59Z'))).toBe('2026-02-13');
    expect(chinaDate(new Date('2026-02-13T16:00:00Z'))).toBe('2026-02-14');
    expect(chinaTime(new Date('2026-02-13T14:30:00Z'))).toBe('22:30');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
  });
});
