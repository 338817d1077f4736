import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import type { z } from 'zod';
import { describeIssues, externalIdSchema, uuidSchema } from '@paystream/contracts';
import type { MerchantStatusAction } from '@paystream/merchant/domain';
import { inTransaction } from '@paystream/shared/persistence';
import { ApiError, Platform, refuseActorClaim, requireIdempotencyKey, type ActorRequest } from '@paystream/shared/platform';
import { changeJson, MerchantRegistry, merchantJson, type Written } from './merchant-registry';
import { operatorOf } from './operator-of';
import { decideBodySchema, listQuerySchema, proposeBodySchema, registerBodySchema, statusBodySchema, updateBodySchema } from './registry.request';

/** Longest list of payout account changes one GET returns. */
const CHANGES_LISTED_MAX = 100;

function parsed<S extends z.ZodType>(schema: S, raw: unknown, label: string): z.infer<S> {
  if (label === '(body)') refuseActorClaim(raw);
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    const field = result.error.issues[0]?.path.map(String).join('.');
    // a payout account in an update is a refusal of its own: it changes only by four eyes
    if (field === 'terms' && JSON.stringify(result.error.issues).includes('payoutAccount')) {
      throw new ApiError('VALIDATION_FAILED', 'terms.payoutAccount: the payout account changes only through POST /merchants/:merchantId/payout-account-changes (four eyes)', { field: 'terms.payoutAccount' });
    }
    const accountIssues = result.error.issues.filter((i) => i.path.includes('payoutAccount') || i.path[0] === 'account');
    if (accountIssues.length > 0) {
      throw new ApiError('MERCHANT_PAYOUT_ACCOUNT_INVALID', describeIssues(accountIssues, label), { field: accountIssues[0]!.path.map(String).join('.') });
    }
    throw new ApiError('VALIDATION_FAILED', describeIssues(result.error.issues, label), { field: field || label });
  }
  return result.data;
}

function merchantIdParam(raw: string): string {
  if (!externalIdSchema.safeParse(raw).success) throw new ApiError('VALIDATION_FAILED', 'merchantId is not a valid id', { field: 'merchantId' });
  return raw;
}

function changeIdParam(raw: string): string {
  if (!uuidSchema.safeParse(raw).success) throw new ApiError('PAYOUT_ACCOUNT_CHANGE_NOT_FOUND');
  return raw;
}

const answer = <T>(w: Written<T>) => ({ ...(w.result as object), replayed: w.replayed });

/**
 * The merchant registry over HTTP (every write takes an Idempotency-Key). Who may call each route is
 * noted on it (docs/design/trust-boundary.md section 5; the auth slice enforces it with @Allow).
 */
@Controller('merchants')
export class RegistryController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(MerchantRegistry) private readonly registry: MerchantRegistry,
  ) {}

  /** Onboarding. Intended role: operator:finance. */
  @Post()
  @Allow('operator:finance')
  @HttpCode(201)
  async register(@Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(registerBodySchema, raw, '(body)');
    const written = await inTransaction(this.platform.ds, (tx) => this.registry.register(tx, key, body, operatorOf(request)));
    if (!written.replayed) this.platform.logger.info({ merchantId: body.merchantId }, 'merchant registered');
    return answer(written);
  }

  /** Reading the registry. Intended roles: operator:finance, operator:sre. */
  @Get()
  @Allow('operator:finance')
  async list(@Query() raw: unknown) {
    const q = parsed(listQuerySchema, raw, '(query)');
    const merchants = await this.registry.list(this.platform.ds.manager, q);
    return { merchants: merchants.map(merchantJson), next: merchants.length === q.limit ? merchants[merchants.length - 1]!.merchantId : null };
  }

  /** Reading one merchant. Intended roles: operator:finance, operator:sre. */
  @Get(':merchantId')
  @Allow('operator:finance')
  async get(@Param('merchantId') merchantId: string) {
    return merchantJson(await this.registry.get(this.platform.ds.manager, merchantIdParam(merchantId)));
  }

  /** Changing name, contact or terms (not the payout account). Intended role: operator:finance. */
  @Patch(':merchantId')
  @Allow('operator:finance')
  async update(@Param('merchantId') merchantId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    merchantIdParam(merchantId);
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(updateBodySchema, raw, '(body)');
    return answer(await inTransaction(this.platform.ds, (tx) => this.registry.update(tx, key, merchantId, body, operatorOf(request))));
  }

  /** Suspension. Intended role: operator:finance. */
  @Post(':merchantId/suspend')
  @Allow('operator:finance')
  @HttpCode(200)
  suspend(@Param('merchantId') merchantId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    return this.status('suspend', merchantId, rawKey, raw, request);
  }

  /** Reactivation of a suspended merchant. Intended role: operator:finance. */
  @Post(':merchantId/reactivate')
  @Allow('operator:finance')
  @HttpCode(200)
  reactivate(@Param('merchantId') merchantId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    return this.status('reactivate', merchantId, rawKey, raw, request);
  }

  /** Closing (final). Intended role: operator:finance. */
  @Post(':merchantId/close')
  @Allow('operator:finance')
  @HttpCode(200)
  close(@Param('merchantId') merchantId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    return this.status('close', merchantId, rawKey, raw, request);
  }

  /** A merchant's payout account changes, newest first. Intended roles: operator:finance, operator:sre. */
  @Get(':merchantId/payout-account-changes')
  @Allow('operator:finance')
  async changes(@Param('merchantId') merchantId: string) {
    const changes = await this.registry.changesOf(this.platform.ds.manager, merchantIdParam(merchantId), CHANGES_LISTED_MAX);
    return { changes: changes.map(changeJson) };
  }

  /** Proposing a new payout account (first pair of eyes). Intended role: operator:finance. */
  @Post(':merchantId/payout-account-changes')
  @Allow('operator:finance')
  @HttpCode(201)
  async propose(@Param('merchantId') merchantId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    merchantIdParam(merchantId);
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(proposeBodySchema, raw, '(body)');
    return answer(await inTransaction(this.platform.ds, (tx) => this.registry.proposeAccountChange(tx, key, merchantId, body, operatorOf(request))));
  }

  /** Approving a proposal (second pair of eyes: another finance operator). Intended role: operator:finance. */
  @Post(':merchantId/payout-account-changes/:changeId/approve')
  @Allow('operator:finance')
  @HttpCode(200)
  async approve(@Param('merchantId') merchantId: string, @Param('changeId') changeId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    const [m, c, key, body] = this.decision(merchantId, changeId, rawKey, raw);
    return answer(await inTransaction(this.platform.ds, (tx) => this.registry.approveAccountChange(tx, key, m, c, body, operatorOf(request))));
  }

  /** Rejecting a proposal before approval. Intended role: operator:finance. */
  @Post(':merchantId/payout-account-changes/:changeId/reject')
  @Allow('operator:finance')
  @HttpCode(200)
  async reject(@Param('merchantId') merchantId: string, @Param('changeId') changeId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    const [m, c, key, body] = this.decision(merchantId, changeId, rawKey, raw);
    return answer(await inTransaction(this.platform.ds, (tx) => this.registry.closeAccountChange(tx, key, m, c, 'rejected', body, operatorOf(request))));
  }

  /** Cancelling a change before it is effective. Intended role: operator:finance. */
  @Post(':merchantId/payout-account-changes/:changeId/cancel')
  @Allow('operator:finance')
  @HttpCode(200)
  async cancel(@Param('merchantId') merchantId: string, @Param('changeId') changeId: string, @Headers('idempotency-key') rawKey: string | undefined, @Body() raw: unknown, @Req() request: ActorRequest) {
    const [m, c, key, body] = this.decision(merchantId, changeId, rawKey, raw);
    return answer(await inTransaction(this.platform.ds, (tx) => this.registry.closeAccountChange(tx, key, m, c, 'cancelled', body, operatorOf(request))));
  }

  private async status(action: MerchantStatusAction, merchantId: string, rawKey: string | undefined, raw: unknown, request: ActorRequest) {
    merchantIdParam(merchantId);
    const key = requireIdempotencyKey(rawKey);
    const body = parsed(statusBodySchema, raw, '(body)');
    const written = await inTransaction(this.platform.ds, (tx) => this.registry.setStatus(tx, key, merchantId, action, body, operatorOf(request)));
    if (!written.replayed) this.platform.logger.info({ merchantId, action }, 'merchant status changed');
    return answer(written);
  }

  private decision(merchantId: string, changeId: string, rawKey: string | undefined, raw: unknown) {
    merchantIdParam(merchantId);
    changeIdParam(changeId);
    const key = requireIdempotencyKey(rawKey);
    return [merchantId, changeId, key, parsed(decideBodySchema, raw, '(body)')] as const;
  }
}
