import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { MerchantProfileRepository } from '@paystream/settlement/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';
import { merchantIdParam } from '../merchant-id.param';
import { profileJson } from './merchant-terms.json';

/**
 * GET /merchants/:merchantId/settlement-terms: settlement's read-only copy of a merchant's terms
 * (the registry, the merchant service, changes them; the payout account shows its last four digits).
 * A merchant reads its own terms; finance (and SRE, as every operator read) any merchant's.
 */
@Controller('merchants/:merchantId/settlement-terms')
export class MerchantTermsController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
  ) {}

  @Allow('merchant', 'operator:finance')
  @Get()
  async get(@Param('merchantId') merchantId: string) {
    merchantIdParam(merchantId);
    const found = await this.profiles.find(this.platform.ds.manager, merchantId);
    if (!found) throw new ApiError('MERCHANT_NOT_FOUND');
    return profileJson(found);
  }
}
