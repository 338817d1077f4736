import { chinaDate, CHINA_UTC_OFFSET_MS } from '@paystream/settlement/domain';

const DAY_MS = 24 * 60 * 60 * 1000;
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * The day the daily job should have reconciled by `now`: yesterday (Beijing) once the day's reconciliation time
 * has passed, the day before until then. Throws on a time that is not HH:mm.
 */
export function dueReconciliationDay(now: Date, dailyAtBeijing: string): string {
  const m = TIME_OF_DAY.exec(dailyAtBeijing);
  if (!m) throw new RangeError(`a reconciliation time is HH:mm, got ${JSON.stringify(dailyAtBeijing)}`);
  const sinceMidnightMs = (now.getTime() + CHINA_UTC_OFFSET_MS) % DAY_MS;
  const dueFromMs = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  return chinaDate(new Date(now.getTime() - (sinceMidnightMs >= dueFromMs ? 1 : 2) * DAY_MS));
}
