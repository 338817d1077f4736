import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { Allow, requireInScope, tenantScopeOf, type TenantScope } from '@paystream/shared/auth';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeIssues, externalIdSchema, uuidSchema, storableText } from '@paystream/contracts';
import {
  LedgerRepository,
  MerchantProfileRepository,
  SettlementBatchRepository,
  SettlementItemRepository,
  type SettlementBatch,
  type StoredSettlementItem,
} from '@paystream/settlement/data-access';
import { chinaDate, SETTLEMENT_BATCH_STATUSES } from '@paystream/settlement/domain';
import type { EntityManager } from '@paystream/shared/persistence';
import { ApiError, Platform } from '@paystream/shared/platform';
import { merchantIdParam } from '../merchant-id.param';
import { statementCsv } from './settlement-statement';

/** Most settlements one list page or statement carries. */
const SETTLEMENT_LIST_LIMIT_MAX = 200;
const SETTLEMENT_LIST_LIMIT_DEFAULT = 50;
const STATEMENT_SETTLEMENTS_MAX = 10_000;

/** The query of GET /settlements. */
export const listQuerySchema = z
  .object({
    merchantId: externalIdSchema.optional(),
    status: z.enum(SETTLEMENT_BATCH_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(SETTLEMENT_LIST_LIMIT_MAX).default(SETTLEMENT_LIST_LIMIT_DEFAULT),
    before: storableText()
      .regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z_[0-9a-f-]{36}$/, 'a nextBefore cursor')
      // the instant must exist and the id be a UUID, or the database refuses them with a 500
      .refine((c) => {
        const [at = '', id = ''] = c.split('_');
        return !Number.isNaN(Date.parse(at)) && uuidSchema.safeParse(id).success;
      }, 'a nextBefore cursor')
      .optional(),
  })
  .strict();

/**
 * A settlement as its reader sees it. Finance sees the account paid and the last attempt's error
 * (the bank's diagnostics); a merchant its account by the last four digits, and no internal error.
 */
function summary(b: SettlementBatch, scope: TenantScope) {
  const { payoutAccountNo, lastError, ...shared } = summaryFields(b);
  if (scope.kind === 'all-merchants') return { ...shared, payoutAccountNo, lastError };
  return { ...shared, payoutAccountLast4: payoutAccountNo === null ? null : payoutAccountNo.slice(-PAYOUT_ACCOUNT_SHOWN_DIGITS) };
}

/** How many trailing digits of a payout account a merchant's view shows. */
const PAYOUT_ACCOUNT_SHOWN_DIGITS = 4;

function summaryFields(b: SettlementBatch) {
  return {
    settlementId: b.id,
    merchantId: b.merchantId,
    currency: b.currency,
    status: b.status,
    asOf: b.asOf,
    grossMinor: b.grossMinor.toString(),
    feeMinor: b.feeMinor.toString(),
    refundMinor: b.refundMinor.toString(),
    reserveHeldMinor: b.reserveHeldMinor.toString(),
    reserveReleasedMinor: b.reserveReleasedMinor.toString(),
    carriedMinor: b.carriedMinor.toString(),
    netMinor: b.netMinor.toString(),
    paymentCount: b.paymentCount,
    payoutChannel: b.payoutChannel,
    payoutAccountNo: b.payoutAccountNo,
    payoutRef: b.payoutRef,
    attempts: b.attempts,
    lastError: b.lastError,
    periodStart: b.periodStart.toISOString(),
    periodEnd: b.periodEnd.toISOString(),
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}

function line(i: StoredSettlementItem) {
  return {
    kind: i.kind,
    reference: i.reference,
    channel: i.channel,
    occurredAt: i.occurredAt.toISOString(),
    dueOn: i.dueOn,
    grossMinor: i.grossMinor.toString(),
    feeMinor: i.feeMinor.toString(),
    refundMinor: i.refundMinor.toString(),
    reserveMinor: i.reserveMinor.toString(),
    amountMinor: i.amountMinor.toString(),
    currency: i.currency,
  };
}

/**
 * GET /settlements (list), GET /settlements/:id (detail with line items), GET
 * /merchants/:merchantId/balance, GET /merchants/:merchantId/statement.csv, GET /settlement/stats,
 * GET /ledger/check and GET /ledger/balances.
 */
// Every read is scoped by the caller (tenantScopeOf): a merchant reads its own settlements, another
// merchant's answer as missing ones; finance (and SRE) read every merchant's.
@Controller()
export class SettlementQueryController {
  constructor(
    @Inject(Platform) private readonly platform: Platform,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
    @Inject(SettlementBatchRepository) private readonly batches: SettlementBatchRepository,
    @Inject(SettlementItemRepository) private readonly items: SettlementItemRepository,
    @Inject(MerchantProfileRepository) private readonly profiles: MerchantProfileRepository,
  ) {}

  @Get('settlement/stats')
  @Allow('operator:finance')
  stats() {
    return this.batches.stats(this.platform.ds.manager);
  }

  @Get('ledger/check')
  @Allow('operator:finance')
  check() {
    return this.ledger.check(this.platform.ds.manager);
  }

  /** The platform's balances by account kind: channel clearing and cost, fee revenue, refunds and payouts in flight. */
  @Get('ledger/balances')
  @Allow('operator:finance')
  balances() {
    return this.ledger.balancesByKind(this.platform.ds.manager);
  }

  @Get('settlements')
  @Allow('merchant', 'operator:finance')
  async list(@Query() raw: Record<string, string>, @Req() request: object) {
    const scope = tenantScopeOf(request);
    const q = listQuerySchema.safeParse(raw);
    if (!q.success) throw new ApiError('VALIDATION_FAILED', describeIssues(q.error.issues, '(query)'));
    const [createdAt, id] = q.data.before?.split('_') ?? [];
    const page = await this.batches.list(this.platform.ds.manager, scope, { ...q.data, before: createdAt && id ? { createdAt: new Date(createdAt), id } : undefined });
    const last = page.length === q.data.limit ? page[page.length - 1] : undefined;
    return { settlements: page.map((b) => summary(b, scope)), nextBefore: last ? `${last.createdAt.toISOString()}_${last.id}` : null };
  }

  @Get('settlements/:id')
  @Allow('merchant', 'operator:finance')
  async settlement(@Param('id') id: string, @Req() request: object) {
    const scope = tenantScopeOf(request);
    if (!uuidSchema.safeParse(id).success) throw new ApiError('VALIDATION_FAILED', 'settlement id must be a UUID');
    const tx = this.platform.ds.manager;
    // another merchant's settlement is not read at all: it answers as one that does not exist
    const b = await this.batches.findById(tx, scope, id);
    if (!b) throw new ApiError('SETTLEMENT_NOT_FOUND', `no settlement ${id}`);
    const [withLines] = await this.withLines(tx, scope, [b]);
    return { ...summary(b, scope), lines: withLines!.lines.map(line) };
  }

  /** What a merchant is owed now, what is held in reserve, and what waits for a settlement. */
  @Get('merchants/:merchantId/balance')
  @Allow('merchant', 'operator:finance')
  async balance(@Param('merchantId') merchantId: string, @Req() request: object) {
    const scope = tenantScopeOf(request);
    merchantIdParam(merchantId);
    requireInScope(scope, merchantId);
    const tx = this.platform.ds.manager;
    const asOf = chinaDate(new Date());
    const accounts = await this.ledger.merchantAccounts(tx, scope, merchantId);
    const profile = await this.profiles.findInScope(tx, scope, merchantId);
    const currencies = [...new Set(accounts.map((a) => a.currency))];
    const pending = await this.items.pending(tx, scope, merchantId, asOf);
    return {
      merchantId,
      asOf,
      schedule: profile ? { schedule: profile.terms.schedule, nDays: profile.terms.nDays, cutoffTime: profile.terms.cutoffTime, payoutMinMinor: profile.terms.payoutMinMinor.toString() } : null,
      balances: currencies.map((currency) => {
        const of = (kind: string) => accounts.find((a) => a.kind === kind && a.currency === currency)?.balanceMinor ?? 0n;
        const p = pending.find((x) => x.currency === currency);
        // credits are negative in the ledger: what is owed to the merchant is minus the balance
        return {
          currency,
          owedMinor: (-of('merchant_payable')).toString(),
          reserveHeldMinor: (-of('merchant_reserve')).toString(),
          dueUnpaidMinor: p?.dueMinor ?? '0',
          notYetDueMinor: p?.notDueMinor ?? '0',
        };
      }),
    };
  }

  @Get('merchants/:merchantId/statement.csv')
  @Allow('merchant', 'operator:finance')
  async statement(@Param('merchantId') merchantId: string, @Req() request: object, @Res({ passthrough: true }) reply: FastifyReply) {
    const scope = tenantScopeOf(request);
    merchantIdParam(merchantId);
    requireInScope(scope, merchantId);
    const tx = this.platform.ds.manager;
    const settlements = (await this.batches.list(tx, scope, { merchantId, limit: STATEMENT_SETTLEMENTS_MAX })).reverse();
    const rows = await this.withLines(tx, scope, settlements);
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="settlements-${merchantId}.csv"`);
    return statementCsv(rows);
  }

  /** Settlements with their line items (one query for them all); one made before settlement items existed lists its payments. */
  private async withLines(tx: EntityManager, scope: TenantScope, settlements: readonly SettlementBatch[]): Promise<{ settlement: SettlementBatch; lines: StoredSettlementItem[] }[]> {
    const items = await this.items.forSettlements(tx, scope, settlements.map((b) => b.id));
    const rows = [];
    for (const settlement of settlements) {
      const lines = items.get(settlement.id) ?? [];
      rows.push({ settlement, lines: lines.length > 0 || settlement.inFlightBooked ? lines : await this.legacyLines(tx, scope, settlement) });
    }
    return rows;
  }

  private async legacyLines(tx: EntityManager, scope: TenantScope, b: SettlementBatch): Promise<StoredSettlementItem[]> {
    return (await this.batches.legacyPayments(tx, scope, b.id)).map((p) => ({
      kind: 'payment',
      reference: p.paymentId,
      merchantId: b.merchantId,
      currency: b.currency,
      channel: null,
      dueOn: b.periodEnd.toISOString().slice(0, 10),
      grossMinor: p.grossMinor,
      feeMinor: p.feeMinor,
      refundMinor: 0n,
      reserveMinor: 0n,
      amountMinor: p.grossMinor - p.feeMinor,
      occurredAt: b.periodStart,
      settlementId: b.id,
    }));
  }
}
