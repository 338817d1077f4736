import { addDays, type BusinessCalendar } from './business-calendar';

/** The earliest year the calendar API answers for or takes overrides in. */
export const CALENDAR_YEAR_MIN = 2000;
/** The latest year the calendar API answers for or takes overrides in. */
export const CALENDAR_YEAR_MAX = 2100;

/** The kinds of calendar override: a day off (a holiday, a bank closure) or a working day. */
export const CALENDAR_OVERRIDE_KINDS = ['holiday', 'workday'] as const;
export type CalendarOverrideKind = (typeof CALENDAR_OVERRIDE_KINDS)[number];

/** A year as a calendar has it: the weekdays off and the weekend days worked (everything else is Monday to Friday). */
export interface CalendarYearView {
  year: number;
  /** Weekdays that are not business days. */
  holidays: string[];
  /** Saturdays and Sundays that are business days. */
  makeUpWorkdays: string[];
  businessDays: number;
}

/** The exceptions to Monday-to-Friday in one year of a calendar, and its count of business days. */
export function calendarYear(calendar: BusinessCalendar, year: number): CalendarYearView {
  if (!Number.isInteger(year) || year < CALENDAR_YEAR_MIN || year > CALENDAR_YEAR_MAX) throw new RangeError(`year out of range: ${year}`);
  const view: CalendarYearView = { year, holidays: [], makeUpWorkdays: [], businessDays: 0 };
  for (let d = `${year}-01-01`; d.startsWith(String(year)); d = addDays(d, 1)) {
    const weekday = new Date(`${d}T00:00:00Z`).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const business = calendar.isBusinessDay(d);
    if (business) view.businessDays++;
    if (business && weekend) view.makeUpWorkdays.push(d);
    if (!business && !weekend) view.holidays.push(d);
  }
  return view;
}

