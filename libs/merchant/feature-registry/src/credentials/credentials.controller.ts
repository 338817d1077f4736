import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { z } from 'zod';
import { KEY_MODES, OPERATOR_ROLES } from '@paystream/contracts';
import { Actors } from '@paystream/shared/audit-log';
import { Allow } from '@paystream/shared/auth';
import { inTransaction } from '@paystream/shared/persistence';
import { actorOf, ApiError, Platform, refuseActorClaim, type ActorRequest } from '@paystream/shared/platform';
import { CredentialIssuer, KEY_ROTATION_OVERLAP_MS_DEFAULT, KEY_ROTATION_OVERLAP_MS_MAX } from './credential-issuer';

const keyBody = z.object({ mode: z.enum(KEY_MODES) }).strict();
const rotateBody = z.object({ overlapMs: z.number().int().min(0).max(KEY_ROTATION_OVERLAP_MS_MAX).default(KEY_ROTATION_OVERLAP_MS_DEFAULT) }).strict();
const operatorBody = z.object({ operatorId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), roles: z.array(z.enum(OPERATOR_ROLES)).min(1).max(OPERATOR_ROLES.length), displayName: z.string().min(1).max(100).optional() }).strict();

function parsed<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  refuseActorClaim(raw);
  const result = schema.safeParse(raw ?? {});
  if (!result.success) throw new ApiError('VALIDATION_FAILED', result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  return result.data;
}

/**
 * Credentials over HTTP: an admin operator issues operators' tokens and any merchant's keys; a
 * merchant (signed with one of its keys) creates, rotates and revokes its own keys (the guard
 * refuses another merchant's path). A secret is in the answer once and never again.
 */
@Controller()
export class CredentialsController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(CredentialIssuer) private readonly issuer: CredentialIssuer,
  ) {}

  @Post('merchants/:merchantId/keys')
  @Allow('operator:admin', 'merchant')
  @HttpCode(201)
  createKey(@Param('merchantId') merchantId: string, @Body() raw: unknown, @Req() request: ActorRequest) {
    const { mode } = parsed(keyBody, raw);
    return inTransaction(this.platform.ds, (tx) => this.issuer.createKey(tx, merchantId, mode, Actors.format(actorOf(request))));
  }

  @Get('merchants/:merchantId/keys')
  @Allow('operator:admin', 'merchant')
  async keys(@Param('merchantId') merchantId: string) {
    return { keys: await this.issuer.keysOf(this.platform.ds.manager, merchantId) };
  }

  @Post('merchants/:merchantId/keys/:keyId/rotate')
  @Allow('operator:admin', 'merchant')
  @HttpCode(201)
  rotate(@Param('merchantId') merchantId: string, @Param('keyId') keyId: string, @Body() raw: unknown, @Req() request: ActorRequest) {
    const { overlapMs } = parsed(rotateBody, raw);
    return inTransaction(this.platform.ds, (tx) => this.issuer.rotateKey(tx, keyId, overlapMs, Actors.format(actorOf(request)), merchantId));
  }

  @Post('merchants/:merchantId/keys/:keyId/revoke')
  @Allow('operator:admin', 'merchant')
  @HttpCode(200)
  async revoke(@Param('merchantId') merchantId: string, @Param('keyId') keyId: string, @Req() request: ActorRequest) {
    await inTransaction(this.platform.ds, (tx) => this.issuer.revokeKey(tx, keyId, Actors.format(actorOf(request)), merchantId));
    return { credentialId: keyId, revoked: true };
  }

  @Post('operators')
  @Allow('operator:admin')
  @HttpCode(201)
  createOperator(@Body() raw: unknown, @Req() request: ActorRequest) {
    const body = parsed(operatorBody, raw);
    return inTransaction(this.platform.ds, (tx) => this.issuer.createOperator(tx, body.operatorId, body.roles, Actors.format(actorOf(request)), body.displayName));
  }

  @Post('operators/:operatorId/revoke')
  @Allow('operator:admin')
  @HttpCode(200)
  async revokeOperator(@Param('operatorId') operatorId: string, @Req() request: ActorRequest) {
    return { operatorId, revoked: await inTransaction(this.platform.ds, (tx) => this.issuer.revokeOperator(tx, operatorId, Actors.format(actorOf(request)))) };
  }
}
