import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { externalIdSchema } from '@paystream/contracts';
import { MerchantCopyRepository } from '@paystream/order-payment/data-access';
import { merchantRefusal } from '@paystream/order-payment/domain';
import { ApiError, Platform } from '@paystream/shared/platform';

/**
 * GET /merchants/:merchantId: what order-payment's copy knows of a merchant (read-only; the registry
 * is the merchant service). Lets operators and scripts see a new merchant has arrived before they
 * take its payments.
 */
@Controller('merchants')
export class MerchantCopyController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantCopyRepository) private readonly merchants: MerchantCopyRepository,
  ) {}

  @Allow('operator:finance')
  @Get(':merchantId')
  async get(@Param('merchantId') merchantId: string) {
    if (!externalIdSchema.safeParse(merchantId).success) throw new ApiError('VALIDATION_FAILED', 'merchantId is not a valid id', { field: 'merchantId' });
    const m = await this.merchants.find(this.platform.ds.manager, merchantId);
    if (!m) throw new ApiError('MERCHANT_NOT_FOUND');
    return { merchantId: m.merchantId, version: m.version, status: m.status, legalName: m.legalName, changedAt: m.changedAt.toISOString(), takesPayments: merchantRefusal(m) === undefined };
  }
}
