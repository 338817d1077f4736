import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { uuidSchema } from '@paystream/contracts';
import { ChannelNotificationRepository, ChannelTransactionRepository } from '@paystream/channel-gateway/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';
import { ChannelBreakers } from './channel-breakers';

/** GET /channel-transactions/:paymentId and GET /channel/stats. */
@Controller()
export class ChannelQueryController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(ChannelTransactionRepository) private readonly transactions: ChannelTransactionRepository,
    @Inject(ChannelNotificationRepository) private readonly notices: ChannelNotificationRepository,
    @Inject(ChannelBreakers) private readonly breakers: ChannelBreakers,
  ) {}

  /** Per channel and status, how outcomes were resolved, janitor times, conflicts, and breaker transitions. */
  @Get('channel/stats')
  @Allow('operator:finance')
  async stats() {
    return { ...(await this.transactions.stats(this.platform.ds.manager)), breakerTransitions: this.breakers.transitions() };
  }

  @Get('channel-transactions/:paymentId')
  @Allow('operator:finance')
  async transaction(@Param('paymentId') paymentId: string) {
    if (!uuidSchema.safeParse(paymentId).success) throw new ApiError('VALIDATION_FAILED', 'paymentId must be a UUID');
    const t = await this.transactions.find(this.platform.ds.manager, paymentId);
    if (!t) throw new ApiError('RESOURCE_NOT_FOUND', `no channel transaction for payment ${paymentId}`);
    const db = this.platform.ds.manager;
    return {
      ...t,
      amountMinor: t.amountMinor.toString(),
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
      notifications: await this.notices.countFor(db, paymentId),
      conflicts: await this.transactions.conflicts(db, paymentId),
    };
  }
}
