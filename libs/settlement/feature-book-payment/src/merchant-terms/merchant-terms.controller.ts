import { Controller, Get, Inject, Param } from '@nestjs/common';
import { MerchantProfileRepository } from '@paystream/settlement/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';
import { merchantIdParam } from '../merchant-id.param';
import { profileJson } from './merchant-terms.json';

/**
 * GET /merchants/:merchantId/settlement-terms: settlement's read-only copy of a merchant's terms
 * (the registry, the merchant service, changes them; the payout account shows its last four digits).
 * Intended roles: operator:finance, operator:sre.
 */
@Controller('merchants/:merchantId/settlement-terms')
export class MerchantTermsController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
  ) {}

  @Get()
  async get(@Param('merchantId') merchantId: string) {
    merchantIdParam(merchantId);
    const found = await this.profiles.find(this.platform.ds.manager, merchantId);
    if (!found) throw new ApiError('MERCHANT_NOT_FOUND');
    return profileJson(found);
  }
}
