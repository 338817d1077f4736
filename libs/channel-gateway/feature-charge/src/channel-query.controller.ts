import { Controller, Get, Inject, Param } from '@nestjs/common';
import { uuidSchema } from '@paystream/contracts';
import { ChannelTransactionRepository } from '@paystream/channel-gateway/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';

/** GET /channel-transactions/:paymentId and GET /channel/stats. */
@Controller()
export class ChannelQueryController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
  ) {}

  @Get('channel/stats')
  stats() {
    return this.transactions.stats(this.platform.ds.manager);
  }

  @Get('channel-transactions/:paymentId')
  async transaction(@Param('paymentId') paymentId: string) {
    if (!uuidSchema.safeParse(paymentId).success) throw new ApiError('VALIDATION_FAILED', 'paymentId must be a UUID');
    const t = await this.transactions.find(this.platform.ds.manager, paymentId);
    if (!t) throw new ApiError('RESOURCE_NOT_FOUND', `no channel transaction for payment ${paymentId}`);
    return { ...t, amountMinor: t.amountMinor.toString(), createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() };
  }
}
