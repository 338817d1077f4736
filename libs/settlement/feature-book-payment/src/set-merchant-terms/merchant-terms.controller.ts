import { Body, Controller, Get, Headers, Inject, Param, Put, Req } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { describeIssues } from '@paystream/contracts';
import { MerchantProfileRepository } from '@paystream/settlement/data-access';
import { validateSettlementTerms } from '@paystream/settlement/domain';
import { appendAudit } from '@paystream/shared/audit-log';
import { inTransaction } from '@paystream/shared/persistence';
import { actorOf, ApiError, Platform, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';
import { merchantIdParam } from '../merchant-id.param';
import { SettleMerchant } from '../settle-merchant/settle-merchant';
import { merchantTermsBodySchema, termsAuditJson, termsJson, termsOf, termsRequestHash } from './merchant-terms.request';

/**
 * GET and PUT /merchants/:merchantId/settlement-terms (Idempotency-Key): a merchant's agreement. New
 * terms apply to what is booked afterwards; items already booked keep their fee and due date.
 */
@Controller('merchants/:merchantId/settlement-terms')
export class MerchantTermsController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
  ) {}

  @Get()
  @Allow('merchant', 'operator:finance')
  async get(@Param('merchantId') merchantId: string) {
    merchantIdParam(merchantId);
    const found = await this.profiles.find(this.platform.ds.manager, merchantId);
    return { merchantId, explicit: found !== undefined, terms: termsJson(found?.terms ?? termsOf({})) };
  }

  @Put()
  @Allow('operator:finance')
  async put(@Param('merchantId') merchantId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() rawBody: unknown, @Req() request: ActorRequest) {
    merchantIdParam(merchantId);
    const key = requireIdempotencyKey(rawKey);
    const body = merchantTermsBodySchema.safeParse(rawBody ?? {});
    if (!body.success) throw new ApiError('VALIDATION_FAILED', describeIssues(body.error.issues, '(body)'));
    const terms = termsOf(body.data);
    const invalid = validateSettlementTerms(terms);
    if (invalid) throw new ApiError('SETTLEMENT_TERMS_INVALID', `${invalid.field}: ${invalid.message}`, { field: invalid.field });
    const hash = termsRequestHash(merchantId, terms);
    return inTransaction(this.platform.ds, async (tx) => {
      // the merchant's bookings and runs wait while its terms change
      await SettleMerchant.lockMerchant(tx, merchantId);
      if (!(await this.profiles.recordChange(tx, key, merchantId, hash, termsJson(terms)))) {
        const seen = await this.profiles.findChange(tx, key);
        if (!seen || seen.requestHash !== hash) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
        const current = await this.profiles.find(tx, merchantId);
        return { merchantId, explicit: true, terms: termsJson(current?.terms ?? terms), replayed: true };
      }
      const previous = await this.profiles.find(tx, merchantId);
      const saved = await this.profiles.upsert(tx, merchantId, terms);
      await appendAudit(tx, {
        actor: actorOf(request),
        action: 'terms.changed',
        subject: `merchant:${merchantId}`,
        details: { terms: termsAuditJson(saved.terms), previous: previous ? termsAuditJson(previous.terms) : null, idempotencyKey: key },
      });
      this.platform.logger.info({ merchantId, terms: termsJson(saved.terms) }, 'settlement terms changed');
      return { merchantId, explicit: true, terms: termsJson(saved.terms), replayed: false };
    });
  }
}
