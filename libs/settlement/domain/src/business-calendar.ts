import { CN_BUSINESS_CALENDAR, type CalendarYear } from './cn-business-calendar.data';

/** Mainland China's offset from UTC (no daylight saving). */
export const CHINA_UTC_OFFSET_MS = 8 * 3_600_000;
/** How far addBusinessDays looks before concluding the calendar is broken (no business day in a year). */
const BUSINESS_DAY_SEARCH_DAYS_MAX = 366;
const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** One day made a business day or a day off, over what the shipped data says. */
export interface CalendarOverride {
  date: string;
  businessDay: boolean;
}

/** The date (yyyy-MM-dd) an instant falls on in mainland China. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** The time of day (HH:mm) an instant falls on in mainland China. */
export function chinaTime(at: Date): string {
  return new Date(at.getTime() + CHINA_UTC_OFFSET_MS).toISOString().slice(11, 16);
}

/** A date plus n calendar days (yyyy-MM-dd). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${assertIsoDate(date)}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function assertIsoDate(date: string): string {
  if (!ISO_DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new RangeError(`not a yyyy-MM-dd date: ${date}`);
  return date;
}

/**
 * Which days are business days in mainland China: Monday to Friday, except public holidays, plus the
 * weekend days worked to make up for them. Years outside the data count weekdays only (`covers` says
 * which years are known).
 */
export class BusinessCalendar {
  private readonly dayOff = new Set<string>();
  private readonly dayOn = new Set<string>();

  constructor(
    private readonly years: Record<number, CalendarYear> = CN_BUSINESS_CALENDAR,
    overrides: readonly CalendarOverride[] = [],
  ) {
    for (const y of Object.values(years)) {
      for (const d of y.holidays) this.dayOff.add(assertIsoDate(d));
      for (const d of y.makeUpWorkdays) this.dayOn.add(assertIsoDate(d));
    }
    for (const o of overrides) {
      assertIsoDate(o.date);
      (o.businessDay ? this.dayOn : this.dayOff).add(o.date);
      (o.businessDay ? this.dayOff : this.dayOn).delete(o.date);
    }
  }

  /** Whether the shipped data covers a year. */
  covers(year: number): boolean {
    return year in this.years;
  }

  isBusinessDay(date: string): boolean {
    assertIsoDate(date);
    if (this.dayOn.has(date)) return true;
    if (this.dayOff.has(date)) return false;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }

  /** The first business day on or after a date. */
  onOrAfter(date: string): string {
    let d = date;
    for (let i = 0; i < BUSINESS_DAY_SEARCH_DAYS_MAX; i++, d = addDays(d, 1)) if (this.isBusinessDay(d)) return d;
    throw new RangeError(`no business day within ${BUSINESS_DAY_SEARCH_DAYS_MAX} days of ${date}`);
  }

  /** The business day n business days after a business day (n = 0: the day itself, rolled forward if needed). */
  addBusinessDays(date: string, n: number): string {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`business days must be a whole number >= 0, got ${n}`);
    let d = this.onOrAfter(date);
    for (let i = 0; i < n; i++) d = this.onOrAfter(addDays(d, 1));
    return d;
  }
}
