import type { ErrorCode } from '@paystream/contracts';
import { LIMITS_CURRENCY, limitPeriodsAt, type PeriodLimits } from './limits';

/**
 * A payment's hold on its user's daily and yearly limits (the user of the payment's merchant: user
 * ids are chosen by each merchant, so two merchants' same user id are two shoppers, each with limits
 * of its own): RESERVED when risk approves it, COMMITTED
 * once it succeeded (the usage stays), RELEASED when it failed or was given back (the usage goes).
 */
export const RESERVATION_STATUSES = ['RESERVED', 'COMMITTED', 'RELEASED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** The reservation state table: a status only moves forward, to the statuses listed for it. */
export const reservationTransitions = {
  RESERVED: ['COMMITTED', 'RELEASED'],
  COMMITTED: ['RELEASED'],
  RELEASED: [],
} as const satisfies Record<ReservationStatus, readonly ReservationStatus[]>;

/** The statuses from which a reservation may move to `to` (for guarded UPDATE ... WHERE status = ANY(...)). */
export function reservationStatusesLeadingTo(to: ReservationStatus): ReservationStatus[] {
  return RESERVATION_STATUSES.filter((s) => (reservationTransitions[s] as readonly ReservationStatus[]).includes(to));
}

/** Whether a reservation in this status counts against the limits. */
export function holdsLimit(status: ReservationStatus): boolean {
  return status === 'RESERVED' || status === 'COMMITTED';
}

export type LimitExceededCode = Extract<ErrorCode, 'RISK_DAILY_LIMIT_EXCEEDED' | 'RISK_YEARLY_LIMIT_EXCEEDED'>;

/**
 * Whose usage a counter holds: a merchant's user's (day and year), or a merchant's or a card's (day
 * only, the caps). A card's cap counts across merchants: a card token names one card at every merchant.
 */
export type CapScope = 'merchant' | 'card';

/**
 * What reserving gives: held, or the first counter it would overflow (user day, user year, merchant
 * day, card day) and how much of it is used; `cap` names a merchant or card cap (absent: the user's limit).
 */
export type ReserveResult = { ok: true } | { ok: false; code: LimitExceededCode; usedMinor: bigint; limitMinor: bigint; cap?: CapScope };

/** Daily caps beside the user's limits, in minor units of LIMITS_CURRENCY; an absent cap does not apply. */
export interface DailyCaps {
  merchantDailyMinor?: bigint;
  cardDailyMinor?: bigint;
}

export interface ReserveRequest {
  paymentId: string;
  /**
   * The payment's merchant: userId is its user (the user's day and year are this merchant's user's),
   * and the merchant's day counts the payment (checked against caps.merchantDailyMinor when set).
   */
  merchantId: string;
  userId: string;
  amountMinor: bigint;
  currency: string;
  at: Date;
  limits: PeriodLimits;
  /** Counted against the card's day when given (checked against caps.cardDailyMinor when set). */
  cardToken?: string;
  caps?: DailyCaps;
}

/** What a merchant's user has used of the day and year an instant falls in (Asia/Shanghai calendar). */
export interface LimitUsage {
  day: string;
  year: number;
  dailyUsedMinor: bigint;
  yearlyUsedMinor: bigint;
}

interface ModelReservation {
  merchantId: string;
  userId: string;
  cardToken?: string;
  amountMinor: bigint;
  day: string;
  year: number;
  status: ReservationStatus;
}

/** The counters a reservation adds to, in the order they are checked (and locked, in the database). */
function countersOf(r: Pick<ModelReservation, 'userId' | 'merchantId' | 'cardToken' | 'day' | 'year'>, limits: PeriodLimits = {}, caps: DailyCaps = {}) {
  return [
    { key: dayKey(r.merchantId, r.userId, r.day), limitMinor: limits.dailyMinor, code: 'RISK_DAILY_LIMIT_EXCEEDED' as const, cap: undefined },
    { key: yearKey(r.merchantId, r.userId, r.year), limitMinor: limits.yearlyMinor, code: 'RISK_YEARLY_LIMIT_EXCEEDED' as const, cap: undefined },
    { key: capKey('merchant', r.merchantId, r.day), limitMinor: caps.merchantDailyMinor, code: 'RISK_DAILY_LIMIT_EXCEEDED' as const, cap: 'merchant' as const },
    ...(r.cardToken !== undefined ? [{ key: capKey('card', r.cardToken, r.day), limitMinor: caps.cardDailyMinor, code: 'RISK_DAILY_LIMIT_EXCEEDED' as const, cap: 'card' as const }] : []),
  ];
}

/**
 * The reference model of limit reservations: what the Postgres repository must do, one operation at
 * a time, in memory. Randomized tests drive both with the same operations and compare.
 */
export class LimitReservationModel {
  private readonly reservations = new Map<string, ModelReservation>();
  private readonly used = new Map<string, bigint>();
  /** One row per refundId, as limit_refund keeps them. */
  private readonly refunds = new Map<string, { paymentId: string; amountMinor: bigint }>();

  reserve(r: ReserveRequest): ReserveResult {
    assertReservable(r);
    // a payment reserves once: asked again, it keeps the reservation it has and counts nothing more
    if (this.reservations.has(r.paymentId)) return { ok: true };
    const { day, year } = limitPeriodsAt(r.at);
    const held: ModelReservation = {
      merchantId: r.merchantId,
      userId: r.userId,
      ...(r.cardToken !== undefined ? { cardToken: r.cardToken } : {}),
      amountMinor: r.amountMinor,
      day,
      year,
      status: 'RESERVED',
    };
    const counters = countersOf(held, r.limits, r.caps);
    for (const c of counters) {
      const usedMinor = this.used.get(c.key) ?? 0n;
      if (c.limitMinor !== undefined && usedMinor + r.amountMinor > c.limitMinor) {
        return { ok: false, code: c.code, usedMinor, limitMinor: c.limitMinor, ...(c.cap ? { cap: c.cap } : {}) };
      }
    }
    for (const c of counters) this.used.set(c.key, (this.used.get(c.key) ?? 0n) + r.amountMinor);
    this.reservations.set(r.paymentId, held);
    return { ok: true };
  }

  /** RESERVED -> COMMITTED; whether this call moved it. */
  commit(paymentId: string): boolean {
    return this.move(paymentId, 'COMMITTED') !== undefined;
  }

  /** RESERVED or COMMITTED -> RELEASED, giving the amount back; whether this call moved it. */
  release(paymentId: string): boolean {
    const r = this.move(paymentId, 'RELEASED');
    if (!r) return false;
    for (const { key } of countersOf(r)) {
      const left = (this.used.get(key) ?? 0n) - r.amountMinor;
      if (left < 0n) throw new Error(`usage ${key} would go negative`);
      this.used.set(key, left);
    }
    return true;
  }

  /**
   * A failure of the payment: releases its hold, or when it has no reservation yet (the failure was told
   * before the decision), leaves a RELEASED placeholder counting nothing, so a later reserve holds nothing.
   */
  releaseOrForestall(p: Pick<ReserveRequest, 'paymentId' | 'merchantId' | 'userId' | 'amountMinor' | 'currency' | 'at'>): 'released' | 'forestalled' | 'none' {
    if (this.release(p.paymentId)) return 'released';
    if (this.reservations.has(p.paymentId)) return 'none';
    const { day, year } = limitPeriodsAt(p.at);
    this.reservations.set(p.paymentId, { merchantId: p.merchantId, userId: p.userId, amountMinor: p.amountMinor, day, year, status: 'RELEASED' });
    return 'forestalled';
  }

  /**
   * A refund of the payment, recorded once per refundId (the first telling wins, whichever payment it
   * named); once the refunds recorded for the payment add up to its reserved amount, the hold is
   * released. 'none' (and nothing recorded) when the payment has no reservation; 'held' when it still
   * holds, or was released before.
   */
  refund(paymentId: string, refundId: string, amountMinor: bigint): 'released' | 'held' | 'none' {
    if (amountMinor <= 0n) throw new Error('a refund is a positive amount');
    const r = this.reservations.get(paymentId);
    if (!r) return 'none';
    if (!this.refunds.has(refundId)) this.refunds.set(refundId, { paymentId, amountMinor });
    if (this.refundedMinor(paymentId) < r.amountMinor) return 'held';
    return this.release(paymentId) ? 'released' : 'held';
  }

  /** The sum of the refunds recorded for the payment. */
  refundedMinor(paymentId: string): bigint {
    let total = 0n;
    for (const f of this.refunds.values()) if (f.paymentId === paymentId) total += f.amountMinor;
    return total;
  }

  /** The amount the payment's reservation (or placeholder) is for. */
  reservedMinor(paymentId: string): bigint | undefined {
    return this.reservations.get(paymentId)?.amountMinor;
  }

  /** What the merchant's user has used of the Asia/Shanghai day and year an instant falls in. */
  usage(merchantId: string, userId: string, at: Date): LimitUsage {
    const { day, year } = limitPeriodsAt(at);
    return { day, year, dailyUsedMinor: this.used.get(dayKey(merchantId, userId, day)) ?? 0n, yearlyUsedMinor: this.used.get(yearKey(merchantId, userId, year)) ?? 0n };
  }

  /** What a merchant or a card has used of the Asia/Shanghai day an instant falls in. */
  capUsage(scope: CapScope, id: string, at: Date): bigint {
    return this.used.get(capKey(scope, id, limitPeriodsAt(at).day)) ?? 0n;
  }

  /** The sum of reservations holding a merchant's or card's day, counted from the reservations themselves. */
  capHeldMinor(scope: CapScope, id: string, at: Date): bigint {
    const { day } = limitPeriodsAt(at);
    let held = 0n;
    for (const r of this.reservations.values()) {
      if (!holdsLimit(r.status) || r.day !== day || (scope === 'merchant' ? r.merchantId : r.cardToken) !== id) continue;
      held += r.amountMinor;
    }
    return held;
  }

  status(paymentId: string): ReservationStatus | undefined {
    return this.reservations.get(paymentId)?.status;
  }

  /** The sum of reservations holding a limit in one merchant's user's day and year, counted from the reservations themselves. */
  heldMinor(merchantId: string, userId: string, at: Date): { daily: bigint; yearly: bigint } {
    const { day, year } = limitPeriodsAt(at);
    let daily = 0n;
    let yearly = 0n;
    for (const r of this.reservations.values()) {
      if (r.merchantId !== merchantId || r.userId !== userId || !holdsLimit(r.status)) continue;
      if (r.day === day) daily += r.amountMinor;
      if (r.year === year) yearly += r.amountMinor;
    }
    return { daily, yearly };
  }

  private move(paymentId: string, to: ReservationStatus): ModelReservation | undefined {
    const r = this.reservations.get(paymentId);
    if (!r || !reservationStatusesLeadingTo(to).includes(r.status)) return undefined;
    r.status = to;
    return r;
  }
}

/** A reservation that could never be valid is a caller's bug, not a limit decision. */
export function assertReservable(r: Pick<ReserveRequest, 'amountMinor' | 'currency'>): void {
  if (typeof r.amountMinor !== 'bigint' || r.amountMinor <= 0n) throw new Error('a limit reservation must be for a positive bigint amount');
  if (r.currency !== LIMITS_CURRENCY) throw new Error(`limits are counted in ${LIMITS_CURRENCY}, not ${r.currency}`);
}

// JSON keeps the merchant and user apart whatever characters either holds
const dayKey = (merchantId: string, userId: string, day: string) => `user:${JSON.stringify([merchantId, userId])}/day/${day}`;
const yearKey = (merchantId: string, userId: string, year: number) => `user:${JSON.stringify([merchantId, userId])}/year/${year}`;
const capKey = (scope: CapScope, id: string, day: string) => `${scope}:${id}/day/${day}`;
