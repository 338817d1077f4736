import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { uuidSchema } from '@paystream/contracts';
import { RiskDecisionRepository } from '@paystream/risk/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';

/** GET /risk/decisions/:paymentId and GET /risk/stats. */
@Controller('risk')
export class RiskQueryController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(RiskDecisionRepository) private readonly decisions: RiskDecisionRepository,
  ) {}

  @Get('stats')
  @Allow('operator:risk')
  stats() {
    return this.decisions.stats(this.platform.ds.manager);
  }

  @Get('decisions/:paymentId')
  @Allow('operator:risk')
  async decision(@Param('paymentId') paymentId: string) {
    if (!uuidSchema.safeParse(paymentId).success) throw new ApiError('VALIDATION_FAILED', 'paymentId must be a UUID');
    const d = await this.decisions.find(this.platform.ds.manager, paymentId);
    if (!d) throw new ApiError('RESOURCE_NOT_FOUND', `no risk decision for payment ${paymentId}`);
    return { ...d, amountMinor: d.amountMinor.toString(), decidedAt: d.decidedAt.toISOString() };
  }
}
