/** The channels keep Beijing time (UTC+8, no daylight saving). */
export const BEIJING_UTC_OFFSET_MS = 8 * 3_600_000;

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (Alipay's timestamp, notify_time, gmt_payment). */
export function beijingDateTime(at: Date = new Date()): string {
  return new Date(at.getTime() + BEIJING_UTC_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** `yyyyMMddHHmmss` in Beijing time (UnionPay's txnTime). */
export function beijingCompactTime(at: Date = new Date()): string {
  return beijingDateTime(at).replace(/[-: ]/g, '');
}

/** Parses `yyyy-MM-dd HH:mm:ss` (Beijing); undefined when it is not one or names no such time (Feb 30). */
export function parseBeijingDateTime(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - BEIJING_UTC_OFFSET_MS);
  // Date.UTC rolls impossible fields over (Feb 30 -> Mar 2): only a time that reads back the same exists
  return !Number.isNaN(at.getTime()) && beijingDateTime(at) === text ? at : undefined;
}

/** RFC 3339 with the +08:00 offset, as WeChat Pay writes success_time and create_time. */
export function beijingRfc3339(at: Date = new Date()): string {
  return `${beijingDateTime(at).replace(' ', 'T')}+08:00`;
}
