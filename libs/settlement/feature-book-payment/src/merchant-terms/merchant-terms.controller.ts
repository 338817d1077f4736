import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import { Allow, requireInScope, tenantScopeOf } from '@paystream/shared/auth';
import { MerchantProfileRepository } from '@paystream/settlement/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';
import { merchantIdParam } from '../merchant-id.param';
import { profileJson } from './merchant-terms.json';

/**
 * GET /merchants/:merchantId/settlement-terms: settlement's read-only copy of a merchant's terms
 * (the registry, the merchant service, changes them; the payout account shows its last four digits).
 * A merchant reads its own terms (another merchant's answer 404 RESOURCE_NOT_FOUND, as a missing
 * resource); finance (and SRE, as every operator read) any merchant's.
 */
@Controller('merchants/:merchantId/settlement-terms')
export class MerchantTermsController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
  ) {}

  @Allow('merchant', 'operator:finance')
  @Get()
  async get(@Param('merchantId') merchantId: string, @Req() request: object) {
    const scope = tenantScopeOf(request);
    merchantIdParam(merchantId);
    // another merchant's terms answer as a missing resource (as the guard answers it); the read is scoped too
    requireInScope(scope, merchantId);
    const found = await this.profiles.findInScope(this.platform.ds.manager, scope, merchantId);
    if (!found) throw new ApiError('MERCHANT_NOT_FOUND');
    return profileJson(found);
  }
}
