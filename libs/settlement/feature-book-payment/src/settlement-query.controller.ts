import { Controller, Get, Inject, Param } from '@nestjs/common';
import { uuidSchema } from '@paystream/contracts';
import { LedgerRepository, SettlementBatchRepository } from '@paystream/settlement/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';

/** GET /settlements/:id, GET /settlement/stats and GET /ledger/check. */
@Controller()
export class SettlementQueryController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(SettlementBatchRepository) private readonly batches: SettlementBatchRepository,
  ) {}

  @Get('settlement/stats')
  stats() {
    return this.batches.stats(this.platform.ds.manager);
  }

  @Get('ledger/check')
  check() {
    return this.ledger.check(this.platform.ds.manager);
  }

  @Get('settlements/:id')
  async settlement(@Param('id') id: string) {
    if (!uuidSchema.safeParse(id).success) throw new ApiError('VALIDATION_FAILED', 'settlement id must be a UUID');
    const b = await this.batches.findById(this.platform.ds.manager, id);
    if (!b) throw new ApiError('SETTLEMENT_NOT_FOUND', `no settlement ${id}`);
    return {
      settlementId: b.id,
      merchantId: b.merchantId,
      currency: b.currency,
      grossMinor: b.grossMinor.toString(),
      feeMinor: b.feeMinor.toString(),
      refundMinor: b.refundMinor.toString(),
      netMinor: b.netMinor.toString(),
      paymentCount: b.paymentCount,
      status: b.status,
      payoutRef: b.payoutRef,
      attempts: b.attempts,
      lastError: b.lastError,
      periodStart: b.periodStart.toISOString(),
      periodEnd: b.periodEnd.toISOString(),
      createdAt: b.createdAt.toISOString(),
      updatedAt: b.updatedAt.toISOString(),
    };
  }
}
