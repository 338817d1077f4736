import { createHash } from 'node:crypto';
import { z } from 'zod';
import { calendarDateSchema, storableText } from '@paystream/contracts';
import { CALENDAR_OVERRIDE_KINDS, CALENDAR_YEAR_MAX, CALENDAR_YEAR_MIN } from '@paystream/settlement/domain';

/** Longest reason an override may carry, in characters. */
export const CALENDAR_OVERRIDE_REASON_LENGTH_MAX = 500;

// who made the change is the authenticated principal, never a field of the body
const reason = storableText().trim().min(1, 'say why').max(CALENDAR_OVERRIDE_REASON_LENGTH_MAX);

/** A date an override may be set on: a real date in the years the calendar API covers. */
export const overrideDateSchema = calendarDateSchema.refine((d) => {
  const year = Number(d.slice(0, 4));
  return year >= CALENDAR_YEAR_MIN && year <= CALENDAR_YEAR_MAX;
}, `the year must be ${CALENDAR_YEAR_MIN}-${CALENDAR_YEAR_MAX}`);

/** ?year= of GET /settlement/calendar (default: this year in China). */
export const calendarQuerySchema = z.object({ year: z.coerce.number().int().min(CALENDAR_YEAR_MIN).max(CALENDAR_YEAR_MAX).optional() });

/** The body of PUT /settlement/calendar/overrides/:date. */
export const setOverrideBodySchema = z.object({ kind: z.enum(CALENDAR_OVERRIDE_KINDS), reason }).strict();
export type SetOverrideBody = z.infer<typeof setOverrideBodySchema>;

/** The body of DELETE /settlement/calendar/overrides/:date: a removal is audited like a change. */
export const removeOverrideBodySchema = z.object({ reason }).strict();
export type RemoveOverrideBody = z.infer<typeof removeOverrideBodySchema>;

/** A stable hash of what a key was first used for: the action, the date and the body. */
export function overrideRequestHash(action: 'set' | 'remove', date: string, body: SetOverrideBody | RemoveOverrideBody): string {
  const kind = 'kind' in body ? body.kind : null;
  return createHash('sha256').update(JSON.stringify([action, date, kind, body.reason])).digest('hex');
}
