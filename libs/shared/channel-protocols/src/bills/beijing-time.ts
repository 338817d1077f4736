import { BEIJING_UTC_OFFSET_MS, beijingDateTime, parseBeijingDateTime } from '../channel-time';
import { BillFormatError } from './yuan';

/**
 * Both channels print times as Beijing wall-clock time without a zone (`yyyy-MM-dd HH:mm:ss`),
 * and a daily bill covers one Beijing calendar day. China has no daylight saving, so a fixed offset is exact.
 */
export const DAY_MS = 24 * 60 * 60 * 1000;
const BILL_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A Beijing wall-clock time split into fields (month 1..12). */
export interface BeijingWallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The Beijing wall clock at an instant. */
export function beijingWallClock(at: Date): BeijingWallClock {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new BillFormatError('invalid Date');
  const shifted = new Date(ms + BEIJING_UTC_OFFSET_MS);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time, as the bills print it. */
export function formatBeijingTime(at: Date): string {
  if (Number.isNaN(at.getTime())) throw new BillFormatError('invalid Date');
  return beijingDateTime(at);
}

/** The instant of a `yyyy-MM-dd HH:mm:ss` Beijing time; throws on anything else or an impossible date. */
export function parseBeijingTime(text: string): Date {
  const at = parseBeijingDateTime(text);
  if (!at) throw new BillFormatError(`not a yyyy-MM-dd HH:mm:ss time that exists: ${JSON.stringify(text)}`);
  return at;
}

/** The first instant of a Beijing calendar day given as `yyyy-MM-dd`; throws on anything else or an impossible date. */
export function beijingDayStart(billDate: string): Date {
  const m = BILL_DATE_PATTERN.exec(billDate);
  if (!m) throw new BillFormatError(`a bill date is yyyy-MM-dd, got ${JSON.stringify(billDate)}`);
  return parseBeijingTime(`${billDate} 00:00:00`);
}

/** Whether an instant falls in the Beijing calendar day `yyyy-MM-dd`. */
export function isOnBeijingDay(at: Date, billDate: string): boolean {
  const start = beijingDayStart(billDate).getTime();
  return at.getTime() >= start && at.getTime() < start + DAY_MS;
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
