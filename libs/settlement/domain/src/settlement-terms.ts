import { Money } from '@paystream/shared/money';
import { addDays, chinaDate, chinaTime, type BusinessCalendar } from './business-calendar';
import { FEE_BPS_MAX, FEE_PLAN_DEFAULT, validateFeePlan, type FeePlan } from './fee-plan';
import { SETTLEMENT_SCHEDULES, type SettlementSchedule } from './settlement-schedule';

/** The longest T+N a merchant may be given, in business days. */
export const SETTLEMENT_N_DAYS_MAX = 30;
/** The longest a rolling reserve may be held, in calendar days. */
export const RESERVE_HOLD_DAYS_MAX = 365;
/** The largest minimum payout a merchant may be given, in fen (CNY 1,000,000). */
export const PAYOUT_MIN_MINOR_MAX = 100_000_000n;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * How one merchant is settled (its agreement): when (real time, or T+N business days after the
 * business date of the payment, which moves to the next business day at the cut-off), the smallest
 * payout worth sending (smaller ones carry forward), the rolling reserve (a share of each payment's
 * net held for some days), the fee plan, and where payouts go.
 */
export interface SettlementTerms {
  schedule: SettlementSchedule;
  nDays: number;
  /** China time, HH:mm; a payment at or after it counts to the next business day. */
  cutoffTime: string;
  payoutMinMinor: bigint;
  reserveBps: bigint;
  reserveHoldDays: number;
  feePlan: FeePlan;
  /** The settlement channel from the merchant's agreement; the emulator's bank transfer is the one there is. */
  payoutChannel: 'bank_transfer';
  /** Where payouts go: the account in effect in the merchant registry; null when there is none (nothing is paid). */
  payoutAccountNo: string | null;
}

/** Neutral terms for tests and reference models: real time, 0.60 %, no reserve, and no payout account (there is no default one). */
export const SETTLEMENT_TERMS_DEFAULT: SettlementTerms = {
  schedule: 'realtime',
  nDays: 0,
  cutoffTime: '23:00',
  payoutMinMinor: 0n,
  reserveBps: 0n,
  reserveHoldDays: 0,
  feePlan: FEE_PLAN_DEFAULT,
  payoutChannel: 'bank_transfer',
  payoutAccountNo: null,
};

export type SettlementTermsError = { code: 'SETTLEMENT_TERMS_INVALID'; field: string; message: string };

/** Checks terms against their limits (the fee plan too); undefined when they are fine. */
export function validateSettlementTerms(t: SettlementTerms): SettlementTermsError | undefined {
  const bad = (field: string, message: string): SettlementTermsError => ({ code: 'SETTLEMENT_TERMS_INVALID', field, message });
  if (!SETTLEMENT_SCHEDULES.includes(t.schedule)) return bad('schedule', `unknown schedule ${t.schedule}`);
  if (!Number.isInteger(t.nDays) || t.nDays < 0 || t.nDays > SETTLEMENT_N_DAYS_MAX) return bad('nDays', `T+${t.nDays} is outside 0..${SETTLEMENT_N_DAYS_MAX}`);
  if (!HH_MM.test(t.cutoffTime)) return bad('cutoffTime', `cut-off ${t.cutoffTime} is not HH:mm`);
  if (t.payoutMinMinor < 0n || t.payoutMinMinor > PAYOUT_MIN_MINOR_MAX) return bad('payoutMinMinor', `minimum payout ${t.payoutMinMinor} is outside 0..${PAYOUT_MIN_MINOR_MAX}`);
  if (t.reserveBps < 0n || t.reserveBps > FEE_BPS_MAX) return bad('reserveBps', `reserve ${t.reserveBps} bps is outside 0..${FEE_BPS_MAX}`);
  if (!Number.isInteger(t.reserveHoldDays) || t.reserveHoldDays < 0 || t.reserveHoldDays > RESERVE_HOLD_DAYS_MAX) return bad('reserveHoldDays', `reserve hold ${t.reserveHoldDays} days is outside 0..${RESERVE_HOLD_DAYS_MAX}`);
  if (t.reserveBps > 0n && t.reserveHoldDays === 0) return bad('reserveHoldDays', 'a reserve needs a hold of at least one day');
  const fee = validateFeePlan(t.feePlan);
  if (fee) return bad(`feePlan.${fee.field}`, fee.message);
  return undefined;
}

/** The business date a payment counts to: its China date, or the next business day at or after the cut-off or off a business day. */
export function tradeDate(succeededAt: Date, terms: Pick<SettlementTerms, 'cutoffTime'>, calendar: BusinessCalendar): string {
  const date = chinaDate(succeededAt);
  return chinaTime(succeededAt) >= terms.cutoffTime ? calendar.onOrAfter(addDays(date, 1)) : calendar.onOrAfter(date);
}

/** The China date a payment's net may be paid out on: at once for real time, else T+N business days. */
export function dueOn(succeededAt: Date, terms: Pick<SettlementTerms, 'schedule' | 'nDays' | 'cutoffTime'>, calendar: BusinessCalendar): string {
  if (terms.schedule === 'realtime') return chinaDate(succeededAt);
  return calendar.addBusinessDays(tradeDate(succeededAt, terms, calendar), terms.nDays);
}

/** The reserve held back from a payment's net: basis points, half up, never more than the net. */
export function reserveFor(net: Money, reserveBps: bigint): Money {
  if (reserveBps < 0n || reserveBps > FEE_BPS_MAX) throw new RangeError(`reserve of ${reserveBps} bps is outside 0..${FEE_BPS_MAX}`);
  if (net.isNegative()) return Money.zero(net.currency);
  return net.percent(reserveBps, 'basis-points', 'half-up');
}

/** The China date a payment's reserve is released on (calendar days after the payment's China date). */
export function reserveReleaseOn(succeededAt: Date, holdDays: number): string {
  return addDays(chinaDate(succeededAt), holdDays);
}
