import { Body, Controller, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { z } from 'zod';
import { calendarDateSchema, describeIssues, externalIdSchema } from '@paystream/contracts';
import { chinaDate } from '@paystream/settlement/domain';
import { actorOf, ApiError, Platform, refuseActorClaim, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';
import { SETTLEMENT_RUN_SETTINGS, type SettlementRunSettings } from './settlement-run-settings';
import { asOfRefusal } from './as-of-gate';
import { RunSettlements } from './run-settlements';

/** The body of POST /settlement/runs (who runs it is the authenticated principal). */
export const runBodySchema = z.object({ asOf: calendarDateSchema.optional(), merchantId: externalIdSchema.optional() }).strict();

/**
 * POST /settlement/runs (Idempotency-Key): settles now as of a China date (default today; a later
 * day only where SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED, e.g. a T+1 merchant's day in a short demo).
 * The scheduler does the same every SETTLEMENT_RUN_INTERVAL_MS. A key whose run is still in
 * progress is answered 409 SETTLEMENT_RUN_IN_PROGRESS; a completed one replays its result.
 */
@Controller('settlement/runs')
export class SettlementRunController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RunSettlements) private readonly runs: RunSettlements,
    @Inject(SETTLEMENT_RUN_SETTINGS) private readonly settings: SettlementRunSettings,
  ) {}

  @Post()
  @Allow('operator:finance')
  @HttpCode(200)
  async run(@Headers('idempotency-key') rawKey: string | undefined, @Body() rawBody: unknown, @Req() request: ActorRequest) {
    const key = requireIdempotencyKey(rawKey);
    refuseActorClaim(rawBody);
    const body = runBodySchema.safeParse(rawBody ?? {});
    if (!body.success) throw new ApiError('VALIDATION_FAILED', describeIssues(body.error.issues, '(body)'));
    const today = chinaDate(new Date());
    const asOf = body.data.asOf ?? today;
    const refusal = asOfRefusal(asOf, today, this.settings.futureAsOfAllowed);
    if (refusal) throw new ApiError(refusal, `asOf ${asOf} is after today (${today}, China time)`);
    const outcome = await this.runs.runWithKey(this.platform.ds, { asOf, merchantId: body.data.merchantId }, key, actorOf(request));
    if (outcome.kind === 'key_reused') throw new ApiError('IDEMPOTENCY_KEY_REUSED');
    if (outcome.kind === 'in_progress') throw new ApiError('SETTLEMENT_RUN_IN_PROGRESS');
    const result = outcome.result;
    this.platform.logger.info({ runId: result.runId, asOf, merchantId: body.data.merchantId, settlements: result.settlementIds.length, carriedForward: result.carriedForward, replayed: result.replayed }, 'settlement run');
    return result;
  }
}
