import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { KEY_MODES, OPERATOR_ROLES } from '@paystream/contracts';
import { Actors } from '@paystream/shared/audit-log';
import { Allow } from '@paystream/shared/auth';
import { inTransaction, type EntityManager } from '@paystream/shared/persistence';
import { actorOf, answerOnce, ApiError, IDEMPOTENT_REPLAYED_HEADER, Platform, refuseActorClaim, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';
import { CredentialIssuer, KEY_ROTATION_OVERLAP_MS_DEFAULT, KEY_ROTATION_OVERLAP_MS_MAX } from './credential-issuer';

const keyBody = z.object({ mode: z.enum(KEY_MODES) }).strict();
const rotateBody = z.object({ overlapMs: z.number().int().min(0).max(KEY_ROTATION_OVERLAP_MS_MAX).default(KEY_ROTATION_OVERLAP_MS_DEFAULT) }).strict();
// a revocation says nothing but what its path says
const emptyBody = z.object({}).strict();
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
 * refuses another merchant's path). Every write takes an Idempotency-Key, the caller's own: the same
 * key and body answer the first result again (header idempotent-replayed), with the secret derived
 * again from the pepper (the key's answer is kept without it); another body is IDEMPOTENCY_KEY_REUSED.
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
  createKey(@Param('merchantId') merchantId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(keyBody, raw);
    return this.once(request, reply, key, `POST /merchants/${merchantId}/keys`, body, (tx, actor) => this.issuer.createKey(tx, merchantId, body.mode, actor));
  }

  @Get('merchants/:merchantId/keys')
  @Allow('operator:admin', 'merchant')
  async keys(@Param('merchantId') merchantId: string) {
    return { keys: await this.issuer.keysOf(this.platform.ds.manager, merchantId) };
  }

  @Post('merchants/:merchantId/keys/:keyId/rotate')
  @Allow('operator:admin', 'merchant')
  @HttpCode(201)
  rotate(@Param('merchantId') merchantId: string, @Param('keyId') keyId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(rotateBody, raw);
    return this.once(request, reply, key, `POST /merchants/${merchantId}/keys/${keyId}/rotate`, body, (tx, actor) => this.issuer.rotateKey(tx, keyId, body.overlapMs, actor, merchantId));
  }

  @Post('merchants/:merchantId/keys/:keyId/revoke')
  @Allow('operator:admin', 'merchant')
  @HttpCode(200)
  revoke(@Param('merchantId') merchantId: string, @Param('keyId') keyId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(emptyBody, raw);
    return this.once(request, reply, key, `POST /merchants/${merchantId}/keys/${keyId}/revoke`, body, async (tx, actor) => {
      await this.issuer.revokeKey(tx, keyId, actor, merchantId);
      return { credentialId: keyId, revoked: true };
    });
  }

  @Post('operators')
  @Allow('operator:admin')
  @HttpCode(201)
  createOperator(@Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(operatorBody, raw);
    return this.once(request, reply, key, 'POST /operators', body, (tx, actor) => this.issuer.createOperator(tx, body.operatorId, body.roles, actor, body.displayName));
  }

  @Post('operators/:operatorId/revoke')
  @Allow('operator:admin')
  @HttpCode(200)
  revokeOperator(@Param('operatorId') operatorId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(emptyBody, raw);
    return this.once(request, reply, key, `POST /operators/${operatorId}/revoke`, body, async (tx, actor) => ({ operatorId, revoked: await this.issuer.revokeOperator(tx, operatorId, actor) }));
  }

  /** A credential change once per caller and Idempotency-Key, in one transaction; a secret in the answer is never kept with the key. */
  private async once<T>(request: ActorRequest, reply: FastifyReply, key: string, route: string, body: unknown, change: (tx: EntityManager, actor: string) => Promise<T>): Promise<T> {
    const principal = actorOf(request);
    const answered = await inTransaction(this.platform.ds, (tx) => answerOnce(tx, { principal, key, route, request: body }, () => change(tx, Actors.format(principal)), this.issuer.secretFreeAnswers<T>()));
    if (answered.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return answered.result;
  }
}
