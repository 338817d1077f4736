import type { ErrorCode } from '@paystream/contracts';
import { LIMITS_CURRENCY, limitPeriodsAt, type PeriodLimits } from './limits';

/**
 * A payment's hold on its user's daily and yearly limits: RESERVED when risk approves it, COMMITTED
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

/** What reserving gives: held, or the first period (day before year) it would overflow and by how much it is used. */
export type ReserveResult = { ok: true } | { ok: false; code: LimitExceededCode; usedMinor: bigint; limitMinor: bigint };

export interface ReserveRequest {
  paymentId: string;
  userId: string;
  amountMinor: bigint;
  currency: string;
  at: Date;
  limits: PeriodLimits;
}

/** What a user has used of the day and year an instant falls in (Asia/Shanghai calendar). */
export interface LimitUsage {
  day: string;
  year: number;
  dailyUsedMinor: bigint;
  yearlyUsedMinor: bigint;
}

interface ModelReservation {
  userId: string;
  amountMinor: bigint;
  day: string;
  year: number;
  status: ReservationStatus;
}

/**
 * The reference model of limit reservations: what the Postgres repository must do, one operation at
 * a time, in memory. Randomized tests drive both with the same operations and compare.
 */
export class LimitReservationModel {
  private readonly reservations = new Map<string, ModelReservation>();
  private readonly used = new Map<string, bigint>();

  reserve(r: ReserveRequest): ReserveResult {
    assertReservable(r);
    // a payment reserves once: asked again, it keeps the reservation it has and counts nothing more
    if (this.reservations.has(r.paymentId)) return { ok: true };
    const { day, year } = limitPeriodsAt(r.at);
    const periods = [
      { key: dayKey(r.userId, day), limitMinor: r.limits.dailyMinor, code: 'RISK_DAILY_LIMIT_EXCEEDED' as const },
      { key: yearKey(r.userId, year), limitMinor: r.limits.yearlyMinor, code: 'RISK_YEARLY_LIMIT_EXCEEDED' as const },
    ];
    for (const p of periods) {
      const usedMinor = this.used.get(p.key) ?? 0n;
      if (p.limitMinor !== undefined && usedMinor + r.amountMinor > p.limitMinor) return { ok: false, code: p.code, usedMinor, limitMinor: p.limitMinor };
    }
    for (const p of periods) this.used.set(p.key, (this.used.get(p.key) ?? 0n) + r.amountMinor);
    this.reservations.set(r.paymentId, { userId: r.userId, amountMinor: r.amountMinor, day, year, status: 'RESERVED' });
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
    for (const key of [dayKey(r.userId, r.day), yearKey(r.userId, r.year)]) {
      const left = (this.used.get(key) ?? 0n) - r.amountMinor;
      if (left < 0n) throw new Error(`usage ${key} would go negative`);
      this.used.set(key, left);
    }
    return true;
  }

  usage(userId: string, at: Date): LimitUsage {
    const { day, year } = limitPeriodsAt(at);
    return { day, year, dailyUsedMinor: this.used.get(dayKey(userId, day)) ?? 0n, yearlyUsedMinor: this.used.get(yearKey(userId, year)) ?? 0n };
  }

  status(paymentId: string): ReservationStatus | undefined {
    return this.reservations.get(paymentId)?.status;
  }

  /** The sum of reservations holding a limit in one user's day and year, counted from the reservations themselves. */
  heldMinor(userId: string, at: Date): { daily: bigint; yearly: bigint } {
    const { day, year } = limitPeriodsAt(at);
    let daily = 0n;
    let yearly = 0n;
    for (const r of this.reservations.values()) {
      if (r.userId !== userId || !holdsLimit(r.status)) continue;
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

const dayKey = (userId: string, day: string) => `${userId}/day/${day}`;
const yearKey = (userId: string, year: number) => `${userId}/year/${year}`;
