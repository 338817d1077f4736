import { Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { z } from 'zod';
import { calendarDateSchema, describeIssues, externalIdSchema } from '@paystream/contracts';
import { chinaDate } from '@paystream/settlement/domain';
import { ApiError, Platform, requireIdempotencyKey } from '@paystream/shared/platform';
import { RunSettlements } from './run-settlements';

const runBodySchema = z.object({ asOf: calendarDateSchema.optional(), merchantId: externalIdSchema.optional() }).strict();

/**
 * POST /settlement/runs (Idempotency-Key): settles now as of a China date (default today), e.g. a
 * T+1 merchant's day in a short demo. The scheduler does the same every SETTLEMENT_RUN_INTERVAL_MS.
 */
@Controller('settlement/runs')
export class SettlementRunController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RunSettlements) private readonly runs: RunSettlements,
  ) {}

  @Post()
  @HttpCode(200)
  async run(@Headers('idempotency-key') rawKey: string | undefined, @Body() rawBody: unknown) {
    const key = requireIdempotencyKey(rawKey);
    const body = runBodySchema.safeParse(rawBody ?? {});
    if (!body.success) throw new ApiError('VALIDATION_FAILED', describeIssues(body.error.issues, '(body)'));
    const asOf = body.data.asOf ?? chinaDate(new Date());
    const result = await this.runs.run(this.platform.ds, { asOf, merchantId: body.data.merchantId, idempotencyKey: key });
    if (result.replayed && (result.asOf !== asOf || result.merchantId !== (body.data.merchantId ?? null))) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
    this.platform.logger.info({ runId: result.runId, asOf, merchantId: body.data.merchantId, settlements: result.settlementIds.length, carriedForward: result.carriedForward, replayed: result.replayed }, 'settlement run');
    return result;
  }
}
