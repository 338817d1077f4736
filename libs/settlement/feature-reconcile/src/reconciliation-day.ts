import { BEIJING_UTC_OFFSET_MS, beijingDateTime } from '@paystream/shared/channel-protocols';

const DAY_MS = 24 * 60 * 60 * 1000;
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The Beijing calendar day (yyyy-MM-dd) of an instant. */
export function beijingDate(at: Date): string {
  return beijingDateTime(at).slice(0, 10);
}

/**
 * The day the daily job should have reconciled by `now`: yesterday (Beijing) once the day's reconciliation time
 * has passed, the day before until then. Throws on a time that is not HH:mm.
 */
export function dueReconciliationDay(now: Date, dailyAtBeijing: string): string {
  const m = TIME_OF_DAY.exec(dailyAtBeijing);
  if (!m) throw new RangeError(`a reconciliation time is HH:mm, got ${JSON.stringify(dailyAtBeijing)}`);
  const sinceMidnightMs = (now.getTime() + BEIJING_UTC_OFFSET_MS) % DAY_MS;
  const dueFromMs = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  return beijingDate(new Date(now.getTime() - (sinceMidnightMs >= dueFromMs ? 1 : 2) * DAY_MS));
}

/** The Beijing day before `date` (yyyy-MM-dd). */
export function previousDay(date: string): string {
  const noonUtc = Date.parse(`${date}T12:00:00Z`);
  if (Number.isNaN(noonUtc)) throw new RangeError(`not a day: ${JSON.stringify(date)}`);
  return new Date(noonUtc - DAY_MS).toISOString().slice(0, 10);
}
