import { BusinessCalendar } from './business-calendar';
import { calendarYear } from './calendar-year';
import { CN_BUSINESS_CALENDAR } from './cn-business-calendar.data';

describe('a year of the business calendar', () => {
  it('lists 2026 as the State Council notice has it: weekdays off and weekend days worked', () => {
    const y = calendarYear(new BusinessCalendar(), 2026);
    expect(y.makeUpWorkdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    expect(y.holidays).toEqual(expect.arrayContaining(['2026-01-01', '2026-02-16', '2026-02-20', '2026-02-23', '2026-10-01', '2026-10-07']));
    expect(y.holidays).not.toContain('2026-02-15'); // a Sunday inside the holiday is off anyway
    // 261 weekdays, less the weekdays off, plus the weekend days worked
    expect(y.businessDays).toBe(261 - y.holidays.length + y.makeUpWorkdays.length);
  });

  it('shows an override in force: a weekday closed becomes a holiday, a Saturday opened a workday', () => {
    const cal = new BusinessCalendar(CN_BUSINESS_CALENDAR, [
      { date: '2026-06-04', businessDay: false },
      { date: '2026-06-06', businessDay: true },
      { date: '2026-02-14', businessDay: false }, // a make-up day taken back
    ]);
    const before = calendarYear(new BusinessCalendar(), 2026);
    const y = calendarYear(cal, 2026);
    expect(y.holidays).toContain('2026-06-04');
    expect(y.makeUpWorkdays).toContain('2026-06-06');
    expect(y.makeUpWorkdays).not.toContain('2026-02-14');
    expect(y.businessDays).toBe(before.businessDays - 1);
  });

  it('counts weekdays only for a year the data does not cover', () => {
    expect(calendarYear(new BusinessCalendar(), 2030)).toEqual({ year: 2030, holidays: [], makeUpWorkdays: [], businessDays: 261 });
  });

  it.each([[1999], [2101], [2026.5]])('refuses year %s', (year) => {
    expect(() => calendarYear(new BusinessCalendar(), year)).toThrow(RangeError);
  });
});
