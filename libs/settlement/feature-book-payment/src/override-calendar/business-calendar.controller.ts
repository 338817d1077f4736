import { Body, Controller, Delete, Get, Headers, Inject, Param, Put, Query, Req } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { z } from 'zod';
import { describeIssues } from '@paystream/contracts';
import { BusinessCalendarRepository, type StoredCalendarOverride } from '@paystream/settlement/data-access';
import { calendarYear, chinaDate, CN_BUSINESS_CALENDAR } from '@paystream/settlement/domain';
import { appendAudit } from '@paystream/shared/audit-log';
import { inTransaction } from '@paystream/shared/persistence';
import { actorOf, answerOnce, ApiError, Platform, refuseActorClaim, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';
import { calendarQuerySchema, overrideDateSchema, overrideRequestHash, removeOverrideBodySchema, setOverrideBodySchema } from './calendar-override.request';

const overrideJson = (o: StoredCalendarOverride) => ({ date: o.date, kind: o.businessDay ? 'workday' : 'holiday', reason: o.reason, by: o.by, at: o.at });

/** The override date of a path, or SETTLEMENT_CALENDAR_OVERRIDE_INVALID naming it. */
function overrideDate(raw: string): string {
  const date = overrideDateSchema.safeParse(raw);
  if (!date.success) throw new ApiError('SETTLEMENT_CALENDAR_OVERRIDE_INVALID', `date: ${date.error.issues[0]?.message}`, { field: 'date' });
  return date.data;
}

/** A body by its schema, or SETTLEMENT_CALENDAR_OVERRIDE_INVALID naming the first bad field (one naming an actor: VALIDATION_FAILED). */
function overrideBody<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  refuseActorClaim(raw);
  const body = schema.safeParse(raw ?? {});
  if (!body.success) throw new ApiError('SETTLEMENT_CALENDAR_OVERRIDE_INVALID', describeIssues(body.error.issues, '(body)'), { field: body.error.issues[0]?.path.map(String).join('.') || '(body)' });
  return body.data;
}

/**
 * The business calendar settlement schedules by: GET /settlement/calendar?year= (the shipped China
 * calendar with the overrides laid over it), and PUT / DELETE /settlement/calendar/overrides/:date
 * (Idempotency-Key, per operator: the same key and body answer the first result again, `replayed`;
 * who and why recorded, removals too). A change applies to what is booked
 * afterwards: items already booked keep their due date.
 */
@Controller('settlement/calendar')
export class BusinessCalendarController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(BusinessCalendarRepository) private readonly calendars: BusinessCalendarRepository,
  ) {}

  @Get()
  @Allow('operator:finance')
  async get(@Query() rawQuery: unknown) {
    const query = calendarQuerySchema.safeParse(rawQuery ?? {});
    if (!query.success) throw new ApiError('VALIDATION_FAILED', describeIssues(query.error.issues, '(query)'));
    const year = query.data.year ?? Number(chinaDate(new Date()).slice(0, 4));
    const tx = this.platform.ds.manager;
    const view = calendarYear(await this.calendars.load(tx), year);
    return {
      ...view,
      shipped: CN_BUSINESS_CALENDAR[year]?.source ?? null,
      overrides: (await this.calendars.overridesIn(tx, year)).map(overrideJson),
      changes: (await this.calendars.changesIn(tx, year)).map((c) => ({
        date: c.date,
        action: c.action,
        kind: c.businessDay === null ? null : c.businessDay ? 'workday' : 'holiday',
        reason: c.reason,
        by: c.by,
        at: c.at,
      })),
    };
  }

  @Put('overrides/:date')
  @Allow('operator:finance')
  async set(@Param('date') rawDate: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() rawBody: unknown, @Req() request: ActorRequest) {
    const key = requireIdempotencyKey(rawKey);
    const date = overrideDate(rawDate);
    const body = overrideBody(setOverrideBodySchema, rawBody);
    const businessDay = body.kind === 'workday';
    const actor = actorOf(request);
    const by = actor.id;
    const answered = await inTransaction(this.platform.ds, (tx) =>
      answerOnce(tx, { principal: actor, key, route: `PUT /settlement/calendar/overrides/${date}`, request: body }, async () => {
        await this.calendars.recordChange(tx, { idempotencyKey: key, date, action: 'set', businessDay, reason: body.reason, by, requestHash: overrideRequestHash('set', date, body) });
        const saved = await this.calendars.override(tx, date, businessDay, body.reason, by);
        await appendAudit(tx, { actor, action: 'calendar.override.set', subject: `calendar:${date}`, details: { kind: body.kind, reason: body.reason, idempotencyKey: key } });
        this.platform.logger.info({ date, kind: body.kind, by, reason: body.reason }, 'calendar override set');
        return { override: overrideJson(saved) };
      }),
    );
    return { ...answered.result, replayed: answered.replayed };
  }

  @Delete('overrides/:date')
  @Allow('operator:finance')
  async remove(@Param('date') rawDate: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() rawBody: unknown, @Req() request: ActorRequest) {
    const key = requireIdempotencyKey(rawKey);
    const date = overrideDate(rawDate);
    const body = overrideBody(removeOverrideBodySchema, rawBody);
    const actor = actorOf(request);
    const by = actor.id;
    const answered = await inTransaction(this.platform.ds, (tx) =>
      answerOnce(tx, { principal: actor, key, route: `DELETE /settlement/calendar/overrides/${date}`, request: body }, async () => {
        await this.calendars.recordChange(tx, { idempotencyKey: key, date, action: 'remove', businessDay: null, reason: body.reason, by, requestHash: overrideRequestHash('remove', date, body) });
        // nothing to remove: the throw rolls the change record (and the key's claim) back with it
        const removed = await this.calendars.removeOverride(tx, date);
        if (!removed) throw new ApiError('SETTLEMENT_CALENDAR_OVERRIDE_NOT_FOUND', `no override on ${date}`);
        await appendAudit(tx, {
          actor,
          action: 'calendar.override.removed',
          subject: `calendar:${date}`,
          details: { reason: body.reason, was: removed.businessDay ? 'workday' : 'holiday', idempotencyKey: key },
        });
        this.platform.logger.info({ date, by, reason: body.reason, was: overrideJson(removed) }, 'calendar override removed');
        return { date, removed: true, was: overrideJson(removed) };
      }),
    );
    return { ...answered.result, replayed: answered.replayed };
  }
}
