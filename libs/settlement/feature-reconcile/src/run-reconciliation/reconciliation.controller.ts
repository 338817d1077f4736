import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Allow } from '@paystream/shared/auth';
import { z } from 'zod';
import { describeIssues, uuidSchema, storableText } from '@paystream/contracts';
import { chinaDate } from '@paystream/settlement/domain';
import { inTransaction } from '@paystream/shared/persistence';
import { actorOf, answerOnce, ApiError, IDEMPOTENT_REPLAYED_HEADER, Platform, refuseActorClaim, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';
import { BREAK_KINDS, breaksByKind } from '../match/reconciliation-matcher';
import { RECONCILED_CHANNELS, RECONCILIATION_LIST_LIMIT_MAX } from '../reconcile-settings';
import { ReconciliationRepository, type ReconciliationRun, type StoredBreak } from '../reconciliation.repository';
import { RunReconciliationHandler } from './run-reconciliation.handler';

// a day that exists (2026-02-30 is refused here, not by the database as a 500)
const dateSchema = storableText()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a Beijing day, yyyy-MM-dd')
  .refine((d) => {
    const at = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(at) && new Date(at).toISOString().startsWith(d);
  }, 'not a calendar date');
export const runRequestSchema = z.object({ date: dateSchema, channel: z.enum(RECONCILED_CHANNELS).optional() }).strict();
const limitSchema = z.coerce.number().int().min(1).max(RECONCILIATION_LIST_LIMIT_MAX).default(100);
export const runFilterSchema = z.object({ channel: z.enum(RECONCILED_CHANNELS).optional(), date: dateSchema.optional(), limit: limitSchema });
export const breakFilterSchema = runFilterSchema.extend({ status: z.enum(['open', 'resolved']).optional(), kind: z.enum(BREAK_KINDS).optional() });

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new ApiError('VALIDATION_FAILED', describeIssues(r.error.issues));
  return r.data;
}

export function runJson(r: ReconciliationRun) {
  return {
    runId: r.id,
    channel: r.channel,
    date: r.date,
    status: r.status,
    trigger: r.trigger,
    requestedBy: r.requestedBy,
    attempts: r.attempts,
    currency: r.currency,
    billed: { count: r.channelCount, amountMinor: r.channelAmountMinor.toString() },
    ourSucceeded: r.ourCount,
    matched: { count: r.matchedCount, amountMinor: r.matchedAmountMinor.toString() },
    refundsCleared: { count: r.refundsClearedCount, amountMinor: r.refundsClearedAmountMinor.toString(), bookedByThisRun: r.refundsClearedNewCount },
    breakCount: r.breakCount,
    lastError: r.lastError,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    completedAt: r.completedAt?.toISOString() ?? null,
  };
}

export function breakJson(b: StoredBreak) {
  const amount = (v: bigint | undefined) => (v === undefined ? null : v.toString());
  return {
    breakId: b.id,
    runId: b.runId,
    channel: b.channel,
    date: b.date,
    kind: b.kind,
    side: b.side,
    entryKind: b.entryKind,
    reference: b.reference,
    paymentId: b.paymentId ?? null,
    channelTradeNo: b.channelTradeNo ?? null,
    currency: b.currency,
    channelAmountMinor: amount(b.channelAmountMinor),
    ourAmountMinor: amount(b.ourAmountMinor),
    ledgerAmountMinor: amount(b.ledgerAmountMinor),
    ourStatus: b.ourStatus ?? null,
    detail: b.detail,
    status: b.status,
    firstSeenAt: b.firstSeenAt.toISOString(),
    lastSeenAt: b.lastSeenAt.toISOString(),
    resolvedAt: b.resolvedAt?.toISOString() ?? null,
  };
}

/**
 * POST /reconciliation/runs {date, channel?} (Idempotency-Key) runs (or re-runs) a day; GET /reconciliation/runs lists runs;
 * GET /reconciliation/runs/:id is a run's report; GET /reconciliation/breaks?status=open lists breaks.
 */
@Controller('reconciliation')
export class ReconciliationController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ReconciliationRepository) private readonly runs: ReconciliationRepository,
    @Inject(RunReconciliationHandler) private readonly handler: RunReconciliationHandler,
  ) {}

  /**
   * A day has one run per channel, which running it again refreshes (so it never doubles a break). The
   * request itself is once per operator and Idempotency-Key: the same key and body answer the first
   * report again (header idempotent-replayed), not a refreshed one; another body under the key is
   * IDEMPOTENCY_KEY_REUSED. The key's claim is held while the day runs (its own transactions).
   */
  @Post('runs')
  @Allow('operator:finance')
  @HttpCode(200)
  async run(@Headers('idempotency-key') rawKey: string | undefined, @Body() body: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const key = requireIdempotencyKey(rawKey);
    refuseActorClaim(body);
    const req = parsed(runRequestSchema, body);
    if (req.date > chinaDate(new Date())) throw new ApiError('VALIDATION_FAILED', `${req.date} has not begun in Beijing`);
    const actor = actorOf(request);
    const answered = await inTransaction(this.platform.ds, (tx) =>
      answerOnce(tx, { principal: actor, key, route: 'POST /reconciliation/runs', request: req }, async () => {
        const channels = req.channel ? [req.channel] : RECONCILED_CHANNELS;
        const runs = [];
        for (const channel of channels) runs.push(await this.report(await this.handler.run(channel, req.date, 'api', actor)));
        return { date: req.date, runs };
      }),
    );
    if (answered.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return answered.result;
  }

  @Get('runs')
  @Allow('operator:finance')
  async list(@Query() query: unknown) {
    const f = parsed(runFilterSchema, query);
    return (await this.runs.listRuns(this.platform.ds.manager, f)).map(runJson);
  }

  @Get('runs/:id')
  @Allow('operator:finance')
  async get(@Param('id') id: string) {
    if (!uuidSchema.safeParse(id).success) throw new ApiError('VALIDATION_FAILED', 'a run id is a UUID');
    const run = await this.runs.findRun(this.platform.ds.manager, id);
    if (!run) throw new ApiError('RECONCILIATION_RUN_NOT_FOUND', `no reconciliation run ${id}`);
    return this.report(run);
  }

  @Get('breaks')
  @Allow('operator:finance')
  async breaks(@Query() query: unknown) {
    const f = parsed(breakFilterSchema, query);
    return (await this.runs.listBreaks(this.platform.ds.manager, f)).map(breakJson);
  }

  /** A run with its open breaks, counted by kind. */
  private async report(run: ReconciliationRun) {
    const breaks = await this.runs.breaksOfRun(this.platform.ds.manager, run.id);
    return { ...runJson(run), breaksByKind: breaksByKind(breaks), breaks: breaks.map(breakJson) };
  }
}
