import { Body, Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import { Allow, StrictRateLimit } from '@paystream/shared/auth';
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

/** An identity as it leaves the service: level and masked values only, never a clear ID, card, phone or street. */
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

/** POST /identities (create or replace a user's real-name identity, verified anew) and GET /identities/:userId. */
// TODO(issue 14 tenant): merchant calls here are authenticated but not yet scoped by the principal's
// merchantId (the guard refuses only another merchant named in the path or body)
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
  async upsert(@Body() rawBody: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const body = identityBodySchema.safeParse(rawBody);
    if (!body.success) throw new ApiError('VALIDATION_FAILED', describeIssues(body.error.issues, '(body)'));
    const result = await this.register.execute(body.data);
    if (result.kind === 'invalid') throw new ApiError(result.code, result.detail, { field: FIELD_OF_CODE[result.code] });
    if (result.kind === 'resident-id-taken') throw new ApiError('IDENTITY_ID_TAKEN');
    void reply.status(result.created ? 201 : 200);
    return identityView(result.identity);
  }

  @Get(':userId')
  @Allow('operator:risk')
  async find(@Param('userId') userId: string) {
    if (!externalIdSchema.safeParse(userId).success) throw new ApiError('VALIDATION_FAILED', 'userId is not a valid id');
    const identity = await this.identities.find(this.platform.ds.manager, userId);
    if (!identity) throw new ApiError('RESOURCE_NOT_FOUND', `no identity for user ${userId} (its level is none)`);
    return identityView(identity);
  }
}

