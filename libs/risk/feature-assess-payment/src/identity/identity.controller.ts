import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Allow, StrictRateLimit, tenantScopeOf } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeIssues, externalIdSchema, storableText } from '@paystream/contracts';
import { maskCard, maskName, maskPhone, maskResidentId, type IdentityErrorCode } from '@paystream/risk/domain';
import { IdentityRepository, type StoredIdentity } from '@paystream/risk/data-access';
import { ApiError, Platform } from '@paystream/shared/platform';
import { RegisterIdentityHandler } from './register-identity.handler';

/** The body's shape; what each field may hold is the domain's check, answered with its own code. */
export const identityBodySchema = z.object({
  userId: externalIdSchema,
  name: storableText().transform((s) => s.trim()),
  residentId: storableText().transform((s) => s.trim().toUpperCase()),
  phone: storableText().transform((s) => s.trim()),
  bankCard: storableText().transform((s) => s.replace(/[\s-]/g, '')),
  address: z.object({
    province: storableText().transform((s) => s.trim()),
    city: storableText().transform((s) => s.trim()),
    district: storableText().transform((s) => s.trim()),
    street: storableText().transform((s) => s.trim()),
  }),
});

/** The body field each validation code is about, so a form can point at it. */
const FIELD_OF_CODE: Record<IdentityErrorCode, string> = {
  IDENTITY_NAME_INVALID: 'name',
  IDENTITY_ID_INVALID: 'residentId',
  IDENTITY_PHONE_INVALID: 'phone',
  IDENTITY_CARD_INVALID: 'bankCard',
  IDENTITY_ADDRESS_INVALID: 'address',
};

/**
 * An identity as it leaves the service to its merchant: level and masked values only, never a clear
 * ID, card, phone or street, and nothing of whether its binding is held (that would tell whether the
 * resident ID is another user's).
 */
export function identityView(i: StoredIdentity) {
  return {
    userId: i.userId,
    level: i.level,
    verification: i.verification,
    name: maskName(i.name),
    residentId: maskResidentId(i.residentId),
    phone: maskPhone(i.phone),
    bankCard: { bin: i.cardBin, last4: i.cardLast4, masked: maskCard(i.cardBin, i.cardLast4) },
    address: { province: i.address.province, city: i.address.city, district: i.address.district, street: '****' },
    verifiedAt: i.verifiedAt?.toISOString() ?? null,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

/** An identity as an operator (risk) sees it: the merchant's view, whose it is, and whether its binding is held (its effective level then `none`). */
export function operatorIdentityView(i: StoredIdentity) {
  return { merchantId: i.merchantId, ...identityView(i), bindingHeld: i.bindingHeld, effectiveLevel: i.bindingHeld ? 'none' : i.level };
}

/**
 * POST /identities (create or replace the calling merchant's real-name identity of its user,
 * verified anew: an identity is the merchant's that registered it) and GET /identities/:userId
 * (risk operators: the user's identity at `?merchantId=`, or at its only merchant).
 */
@Controller('identities')
export class IdentityController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(IdentityRepository) private readonly identities: IdentityRepository,
    @Inject(RegisterIdentityHandler) private readonly register: RegisterIdentityHandler,
  ) {}

  @Post()
  @Allow('merchant')
  // an identity-probing oracle (do this name and this ID number match?): stricter limits per key and per client address
  @StrictRateLimit('identity-register')
  async upsert(@Body() rawBody: unknown, @Req() request: object, @Res({ passthrough: true }) reply: FastifyReply) {
    const scope = tenantScopeOf(request);
    if (scope.kind !== 'merchant') throw new Error('POST /identities is a merchant route: an identity is always some merchant\'s');
    const body = identityBodySchema.safeParse(rawBody);
    if (!body.success) throw new ApiError('VALIDATION_FAILED', describeIssues(body.error.issues, '(body)'));
    const result = await this.register.execute(scope.merchantId, body.data);
    if (result.kind === 'invalid') throw new ApiError(result.code, result.detail, { field: FIELD_OF_CODE[result.code] });
    // created or replaced is about the merchant's own identity of its user only: no other merchant's, no other user's
    void reply.status(result.created ? 201 : 200);
    return identityView(result.identity);
  }

  @Get(':userId')
  @Allow('operator:risk')
  async find(@Param('userId') userId: string, @Query('merchantId') merchantId: string | undefined) {
    if (!externalIdSchema.safeParse(userId).success) throw new ApiError('VALIDATION_FAILED', 'userId is not a valid id');
    if (merchantId !== undefined && !externalIdSchema.safeParse(merchantId).success) throw new ApiError('VALIDATION_FAILED', 'merchantId is not a valid id');
    const db = this.platform.ds.manager;
    const found = merchantId === undefined ? await this.identities.findAllMerchants(db, userId) : [await this.identities.find(db, merchantId, userId)].filter((i) => i !== undefined);
    if (found.length === 0) throw new ApiError('RESOURCE_NOT_FOUND', `no identity for user ${userId}${merchantId === undefined ? '' : ` at ${merchantId}`} (its level is none)`);
    if (found.length > 1) {
      throw new ApiError('VALIDATION_FAILED', `user ${userId} has an identity at ${found.length} merchants (${found.map((i) => i.merchantId).join(', ')}): name one with ?merchantId=`);
    }
    return operatorIdentityView(found[0]!);
  }
}

