import { randomUUID } from 'node:crypto';
import { TOPICS, type MerchantPayoutAccountChange, type MerchantStatus, type PayoutAccount, type PayoutAccountChangeState } from '@paystream/contracts';
import { MerchantRepository, PayoutAccountChangeRepository, type PayoutAccountChange } from '@paystream/merchant/data-access';
import {
  canMoveMerchant,
  checkFourEyes,
  checkTerms,
  effectiveAtOf,
  isMerchantChangeable,
  maskedAccount,
  MERCHANT_STATUS_ACTIONS,
  PAYOUT_ACCOUNT_CHANGE_OPEN_STATES,
  snapshotOf,
  type Merchant,
  type MerchantStatusAction,
} from '@paystream/merchant/domain';
import { Actors, appendAudit, type AuditEntry } from '@paystream/shared/audit-log';
import type { Outbox } from '@paystream/shared/outbox';
import type { EntityManager } from '@paystream/shared/persistence';
import { answerOnce, ApiError } from '@paystream/shared/platform';
import type { RegistrySettings } from './registry-settings';
import { type DecideBody, type ProposeBody, type RegisterBody, type StatusBody, type UpdateBody } from './registry.request';

/** The actor of the job that makes approved payout account changes effective. */
export const PAYOUT_ACCOUNT_CHANGE_JOB_ACTOR = 'system:merchant-payout-account-change';
/** How many due payout account changes one run of the job applies in its transaction. */
export const PAYOUT_ACCOUNT_CHANGES_PER_RUN_MAX = 50;

/** A merchant as the API shows it to operators. */
export function merchantJson(m: Merchant) {
  return { merchantId: m.merchantId, version: m.version, status: m.status, legalName: m.legalName, contact: m.contact, terms: m.terms };
}

/** A payout account change as the API shows it: the proposed account masked (operators confirm it by its last four digits). */
export function changeJson(c: PayoutAccountChange) {
  return {
    changeId: c.id,
    merchantId: c.merchantId,
    state: c.state,
    account: { ...maskedAccount(c.account), accountName: c.account.accountName },
    proposedBy: c.proposedBy,
    proposedAt: c.proposedAt.toISOString(),
    approvedBy: c.approvedBy,
    approvedAt: c.approvedAt?.toISOString() ?? null,
    effectiveAt: c.effectiveAt?.toISOString() ?? null,
    closedBy: c.closedBy,
    closedAt: c.closedAt?.toISOString() ?? null,
    note: c.note,
  };
}

/** What a write answered: the result, and whether it is the first answer given again for a repeated key. */
export interface Written<T> {
  result: T;
  replayed: boolean;
}

type Work<T> = () => Promise<{ result: T; audit: AuditEntry }>;

const masked = (a: PayoutAccount) => ({ bankCode: a.bankCode, accountLast4: a.accountNo.slice(-4), accountName: a.accountName });

/**
 * The merchant registry's use cases. Each runs in the caller's transaction: the change, its events
 * (outbox), its Idempotency-Key and its audit row commit together. The HTTP routes and the admin
 * CLI both go through here.
 */
export class MerchantRegistry {
  constructor(
    private readonly outbox: Outbox,
    private readonly settings: Pick<RegistrySettings, 'coolingOffMs' | 'now'>,
    private readonly merchants = new MerchantRepository(),
    private readonly changes = new PayoutAccountChangeRepository(),
  ) {}

  /** Onboards a merchant (active, version 1) and emits merchant.registered.v1. */
  async register(tx: EntityManager, key: string, input: RegisterBody, actor: string): Promise<Written<ReturnType<typeof merchantJson>>> {
    return this.idempotent(tx, key, 'register', input.merchantId, input, actor, async () => {
      const merchant: Merchant = { merchantId: input.merchantId, version: 1, status: 'active', legalName: input.legalName, contact: input.contact, terms: input.terms };
      const bad = checkTerms(merchant.terms);
      if (bad) throw new ApiError('VALIDATION_FAILED', `terms.${bad.field}: ${bad.message}`, { field: `terms.${bad.field}` });
      if (!(await this.merchants.insert(tx, merchant))) throw new ApiError('MERCHANT_ALREADY_REGISTERED');
      await this.outbox.enqueue(tx, TOPICS.merchantRegistered, snapshotOf(merchant, this.settings.now()));
      return {
        result: merchantJson(merchant),
        audit: { actor: actorFrom(actor), action: 'merchant.registered', subject: `merchant:${merchant.merchantId}`, details: { legalName: merchant.legalName, terms: auditTerms(merchant), idempotencyKey: key } },
      };
    });
  }

  /** Changes a merchant's name, contact or terms (never its payout account) and emits merchant.updated.v1. */
  async update(tx: EntityManager, key: string, merchantId: string, input: UpdateBody, actor: string): Promise<Written<ReturnType<typeof merchantJson>>> {
    return this.idempotent(tx, key, 'update', merchantId, input, actor, async () => {
      const current = await this.lockedMerchant(tx, merchantId);
      if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) throw new ApiError('MERCHANT_VERSION_CONFLICT', undefined, { version: current.version });
      if (!isMerchantChangeable(current.status)) throw new ApiError('MERCHANT_CLOSED');
      const t = input.terms ?? {};
      const next: Merchant = {
        ...current,
        version: current.version + 1,
        legalName: input.legalName ?? current.legalName,
        contact: input.contact ?? current.contact,
        terms: {
          schedule: t.schedule ?? current.terms.schedule,
          nDays: t.nDays ?? current.terms.nDays,
          cutoffTime: t.cutoffTime ?? current.terms.cutoffTime,
          payoutMinMinor: t.payoutMinMinor ?? current.terms.payoutMinMinor,
          reserveBps: t.reserveBps ?? current.terms.reserveBps,
          reserveHoldDays: t.reserveHoldDays ?? current.terms.reserveHoldDays,
          feePlan: {
            rateBps: t.feePlan?.rateBps ?? current.terms.feePlan.rateBps,
            fixedMinor: t.feePlan?.fixedMinor ?? current.terms.feePlan.fixedMinor,
            minMinor: t.feePlan?.minMinor ?? current.terms.feePlan.minMinor,
            maxMinor: t.feePlan?.maxMinor === undefined ? current.terms.feePlan.maxMinor : t.feePlan.maxMinor,
            rounding: 'half-up',
          },
          payoutAccount: current.terms.payoutAccount,
        },
      };
      const bad = checkTerms(next.terms);
      if (bad) throw new ApiError('VALIDATION_FAILED', `terms.${bad.field}: ${bad.message}`, { field: `terms.${bad.field}` });
      await this.save(tx, next);
      return {
        result: merchantJson(next),
        audit: {
          actor: actorFrom(actor),
          action: 'merchant.updated',
          subject: `merchant:${merchantId}`,
          details: { version: next.version, legalName: next.legalName, terms: auditTerms(next), previous: { version: current.version, legalName: current.legalName, terms: auditTerms(current) }, idempotencyKey: key },
        },
      };
    });
  }

  /** Suspends, reactivates or closes a merchant along the status table; closed is final. */
  async setStatus(tx: EntityManager, key: string, merchantId: string, action: MerchantStatusAction, input: StatusBody, actor: string): Promise<Written<ReturnType<typeof merchantJson>>> {
    return this.idempotent(tx, key, action, merchantId, input, actor, async () => {
      const current = await this.lockedMerchant(tx, merchantId);
      const to: MerchantStatus = MERCHANT_STATUS_ACTIONS[action];
      if (!canMoveMerchant(current.status, to)) throw new ApiError('MERCHANT_STATUS_TRANSITION_INVALID', `${current.status} -> ${to} is not allowed`, { status: current.status });
      const next: Merchant = { ...current, version: current.version + 1, status: to };
      await this.save(tx, next);
      const auditAction = ({ suspend: 'merchant.suspended', reactivate: 'merchant.reactivated', close: 'merchant.closed' } as const)[action];
      return {
        result: merchantJson(next),
        audit: { actor: actorFrom(actor), action: auditAction, subject: `merchant:${merchantId}`, details: { from: current.status, to, version: next.version, reason: input.reason ?? null, idempotencyKey: key } },
      };
    });
  }

  /** Proposes a new payout account (the first pair of eyes); the merchant keeps its account until the change is effective. */
  async proposeAccountChange(tx: EntityManager, key: string, merchantId: string, input: ProposeBody, actor: string): Promise<Written<ReturnType<typeof changeJson>>> {
    return this.idempotent(tx, key, 'propose-payout-account', merchantId, input, actor, async () => {
      const merchant = await this.merchants.find(tx, merchantId);
      if (!merchant) throw new ApiError('MERCHANT_NOT_FOUND');
      if (!isMerchantChangeable(merchant.status)) throw new ApiError('MERCHANT_CLOSED');
      const now = this.settings.now();
      const id = randomUUID();
      if (!(await this.changes.insert(tx, { id, merchantId, account: input.account, proposedBy: actor, proposedAt: now, note: input.note }))) throw new ApiError('PAYOUT_ACCOUNT_CHANGE_PENDING');
      const change = (await this.changes.find(tx, merchantId, id))!;
      await this.notify(tx, change, now);
      return {
        result: changeJson(change),
        audit: { actor: actorFrom(actor), action: 'payout_account_change.proposed', subject: `merchant:${merchantId}`, details: { changeId: id, account: masked(input.account), current: masked(merchant.terms.payoutAccount), note: input.note ?? null, idempotencyKey: key } },
      };
    });
  }

  /** Approves a proposal (the second pair of eyes: another operator); it takes effect after the cooling-off. */
  async approveAccountChange(tx: EntityManager, key: string, merchantId: string, changeId: string, input: DecideBody, actor: string): Promise<Written<ReturnType<typeof changeJson>>> {
    return this.idempotent(tx, key, 'approve-payout-account', `${merchantId}/${changeId}`, input, actor, async () => {
      const change = await this.lockedChange(tx, merchantId, changeId);
      if (change.state !== 'proposed') throw new ApiError('PAYOUT_ACCOUNT_CHANGE_NOT_PENDING', `the change is ${change.state}`, { state: change.state });
      if (checkFourEyes(change.proposedBy, actor)) throw new ApiError('PAYOUT_ACCOUNT_CHANGE_SAME_OPERATOR');
      const now = this.settings.now();
      const effectiveAt = effectiveAtOf(now, this.settings.coolingOffMs);
      if (!(await this.changes.approve(tx, changeId, actor, now, effectiveAt))) throw new ApiError('PAYOUT_ACCOUNT_CHANGE_NOT_PENDING');
      const approved = (await this.changes.find(tx, merchantId, changeId))!;
      await this.notify(tx, approved, now);
      return {
        result: changeJson(approved),
        audit: { actor: actorFrom(actor), action: 'payout_account_change.approved', subject: `merchant:${merchantId}`, details: { changeId, proposedBy: change.proposedBy, effectiveAt: effectiveAt.toISOString(), note: input.note ?? null, idempotencyKey: key } },
      };
    });
  }

  /** Rejects a proposal (before approval) or cancels a change not yet effective. */
  async closeAccountChange(tx: EntityManager, key: string, merchantId: string, changeId: string, to: 'rejected' | 'cancelled', input: DecideBody, actor: string): Promise<Written<ReturnType<typeof changeJson>>> {
    return this.idempotent(tx, key, to === 'rejected' ? 'reject-payout-account' : 'cancel-payout-account', `${merchantId}/${changeId}`, input, actor, async () => {
      const change = await this.lockedChange(tx, merchantId, changeId);
      const from: readonly PayoutAccountChangeState[] = to === 'rejected' ? ['proposed'] : PAYOUT_ACCOUNT_CHANGE_OPEN_STATES;
      if (!from.includes(change.state)) throw new ApiError('PAYOUT_ACCOUNT_CHANGE_NOT_PENDING', `the change is ${change.state}`, { state: change.state });
      const now = this.settings.now();
      if (!(await this.changes.close(tx, changeId, to, from, actor, now, input.note))) throw new ApiError('PAYOUT_ACCOUNT_CHANGE_NOT_PENDING');
      const closed = (await this.changes.find(tx, merchantId, changeId))!;
      await this.notify(tx, closed, now);
      return {
        result: changeJson(closed),
        audit: { actor: actorFrom(actor), action: `payout_account_change.${to}`, subject: `merchant:${merchantId}`, details: { changeId, from: change.state, note: input.note ?? null, idempotencyKey: key } },
      };
    });
  }

  /**
   * Makes approved changes whose cooling-off has passed effective: the merchant's account switches
   * (merchant.updated.v1 at the next version) and the merchant is notified. Rows are claimed with
   * SKIP LOCKED, so replicas running this at once apply each change once. A change of a merchant
   * closed since is cancelled instead. Returns how many changes it settled.
   */
  async applyDueChanges(tx: EntityManager): Promise<number> {
    const now = this.settings.now();
    const due = await this.changes.claimDue(tx, now, PAYOUT_ACCOUNT_CHANGES_PER_RUN_MAX);
    const audits: AuditEntry[] = [];
    for (const change of due) {
      const merchant = await this.lockedMerchant(tx, change.merchantId);
      if (!isMerchantChangeable(merchant.status)) {
        await this.changes.close(tx, change.id, 'cancelled', ['approved'], PAYOUT_ACCOUNT_CHANGE_JOB_ACTOR, now, 'merchant closed');
        await this.notify(tx, (await this.changes.find(tx, change.merchantId, change.id))!, now);
        audits.push({ actor: actorFrom(PAYOUT_ACCOUNT_CHANGE_JOB_ACTOR), action: 'payout_account_change.cancelled', subject: `merchant:${merchant.merchantId}`, details: { changeId: change.id, from: 'approved', note: 'merchant closed' } });
        continue;
      }
      if (!(await this.changes.markEffective(tx, change.id))) continue;
      const next: Merchant = { ...merchant, version: merchant.version + 1, terms: { ...merchant.terms, payoutAccount: change.account } };
      await this.save(tx, next);
      await this.notify(tx, { ...change, state: 'effective' }, now);
      audits.push({
        actor: actorFrom(PAYOUT_ACCOUNT_CHANGE_JOB_ACTOR),
        action: 'payout_account_change.effective',
        subject: `merchant:${merchant.merchantId}`,
        details: { changeId: change.id, version: next.version, account: masked(change.account), previous: masked(merchant.terms.payoutAccount), proposedBy: change.proposedBy, approvedBy: change.approvedBy },
      });
    }
    for (const entry of audits) await appendAudit(tx, entry);
    return due.length;
  }

  /** A merchant by id (MERCHANT_NOT_FOUND when there is none). */
  async get(tx: EntityManager, merchantId: string): Promise<Merchant> {
    const m = await this.merchants.find(tx, merchantId);
    if (!m) throw new ApiError('MERCHANT_NOT_FOUND');
    return m;
  }

  async list(tx: EntityManager, options: { status?: MerchantStatus; after?: string; limit: number }): Promise<Merchant[]> {
    return this.merchants.list(tx, options);
  }

  async changesOf(tx: EntityManager, merchantId: string, limit: number): Promise<PayoutAccountChange[]> {
    await this.get(tx, merchantId);
    return this.changes.listFor(tx, merchantId, limit);
  }

  private async save(tx: EntityManager, next: Merchant): Promise<void> {
    await this.merchants.update(tx, next);
    await this.outbox.enqueue(tx, TOPICS.merchantUpdated, snapshotOf(next, this.settings.now()));
  }

  private async notify(tx: EntityManager, c: PayoutAccountChange, at: Date): Promise<void> {
    const payload: MerchantPayoutAccountChange = {
      merchantId: c.merchantId,
      changeId: c.id,
      state: c.state,
      account: maskedAccount(c.account),
      proposedBy: c.proposedBy,
      ...(c.approvedBy ? { approvedBy: c.approvedBy } : {}),
      ...(c.effectiveAt ? { effectiveAt: c.effectiveAt.toISOString() } : {}),
      occurredAt: at.toISOString(),
    };
    await this.outbox.enqueue(tx, TOPICS.merchantPayoutAccountChange, payload);
  }

  private async lockedMerchant(tx: EntityManager, merchantId: string): Promise<Merchant> {
    const m = await this.merchants.find(tx, merchantId, { forUpdate: true });
    if (!m) throw new ApiError('MERCHANT_NOT_FOUND');
    return m;
  }

  private async lockedChange(tx: EntityManager, merchantId: string, changeId: string): Promise<PayoutAccountChange> {
    const c = await this.changes.find(tx, merchantId, changeId, { forUpdate: true });
    if (!c) throw new ApiError('PAYOUT_ACCOUNT_CHANGE_NOT_FOUND');
    return c;
  }

  /**
   * Runs a write once per principal and Idempotency-Key (answerOnce: a key is its principal's own):
   * the same key with the same request answers the first result again (replayed), with another
   * request IDEMPOTENCY_KEY_REUSED. The audit row is appended last, after the change and its events.
   */
  private async idempotent<T>(tx: EntityManager, key: string, action: string, target: string, input: unknown, actor: string, work: Work<T>): Promise<Written<T>> {
    return answerOnce(tx, { principal: actorFrom(actor), key, route: `${action} ${target}`, request: input }, async () => {
      const { result, audit } = await work();
      await appendAudit(tx, audit);
      return result;
    });
  }
}

function actorFrom(text: string) {
  const actor = Actors.parse(text);
  if (!actor) throw new Error(`not an actor: ${text}`);
  return actor;
}

function auditTerms(m: Merchant) {
  const { payoutAccount, ...rest } = m.terms;
  return { ...rest, payoutAccount: masked(payoutAccount) };
}

export type { MerchantStatusAction };
