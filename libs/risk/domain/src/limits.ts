import type { Currency } from '@paystream/contracts';

/** How far a user's real name is verified (PBOC account classes: none < class III-like basic < class I-like full). */
export const VERIFICATION_LEVELS = ['none', 'basic', 'full'] as const;
export type VerificationLevel = (typeof VERIFICATION_LEVELS)[number];

/** The currency every limit is counted in; an amount in any other currency cannot be held against one. */
export const LIMITS_CURRENCY: Currency = 'CNY';

/** Unverified users: CNY 2,000.00 a payment, CNY 5,000.00 a day, no yearly limit. */
export const LIMIT_NONE_SINGLE_MAX_MINOR = 2_000_00n;
export const LIMIT_NONE_DAILY_MAX_MINOR = 5_000_00n;
/** Basic verification: CNY 20,000.00 a payment, CNY 50,000.00 a day, CNY 200,000.00 a year. */
export const LIMIT_BASIC_SINGLE_MAX_MINOR = 20_000_00n;
export const LIMIT_BASIC_DAILY_MAX_MINOR = 50_000_00n;
export const LIMIT_BASIC_YEARLY_MAX_MINOR = 200_000_00n;
/** Full verification: CNY 50,000.00 a payment, CNY 200,000.00 a day, CNY 1,000,000.00 a year. */
export const LIMIT_FULL_SINGLE_MAX_MINOR = 50_000_00n;
export const LIMIT_FULL_DAILY_MAX_MINOR = 200_000_00n;
export const LIMIT_FULL_YEARLY_MAX_MINOR = 1_000_000_00n;

/** A merchant's takings a day across all its shoppers, by default (CNY 5,000,000.00): RISK_MERCHANT_DAILY_CAP_MINOR. */
export const RISK_MERCHANT_DAILY_CAP_MINOR_DEFAULT = 5_000_000_00n;
/** What one card pays a day across all users, by default (CNY 100,000.00): RISK_CARD_DAILY_CAP_MINOR. */
export const RISK_CARD_DAILY_CAP_MINOR_DEFAULT = 100_000_00n;

/** The limits of one verification level, in minor units of LIMITS_CURRENCY; an absent limit does not apply. */
export interface LevelLimits {
  singleMinor: bigint;
  dailyMinor?: bigint;
  yearlyMinor?: bigint;
}
export type LimitsByLevel = Readonly<Record<VerificationLevel, Readonly<LevelLimits>>>;
/** The limits a reservation is held against: the period ones of a level. */
export type PeriodLimits = Pick<LevelLimits, 'dailyMinor' | 'yearlyMinor'>;

/** The limits in force unless configuration says otherwise. */
export const DEFAULT_LIMITS_BY_LEVEL: LimitsByLevel = {
  none: { singleMinor: LIMIT_NONE_SINGLE_MAX_MINOR, dailyMinor: LIMIT_NONE_DAILY_MAX_MINOR },
  basic: { singleMinor: LIMIT_BASIC_SINGLE_MAX_MINOR, dailyMinor: LIMIT_BASIC_DAILY_MAX_MINOR, yearlyMinor: LIMIT_BASIC_YEARLY_MAX_MINOR },
  full: { singleMinor: LIMIT_FULL_SINGLE_MAX_MINOR, dailyMinor: LIMIT_FULL_DAILY_MAX_MINOR, yearlyMinor: LIMIT_FULL_YEARLY_MAX_MINOR },
};

/**
 * What is wrong with a limits configuration, one line per problem (empty when it is sound): every
 * limit positive, single <= daily <= yearly where set, and a higher level never allowed less.
 */
export function limitsConfigProblems(limits: LimitsByLevel): string[] {
  const problems: string[] = [];
  const kinds = ['singleMinor', 'dailyMinor', 'yearlyMinor'] as const;
  VERIFICATION_LEVELS.forEach((level, i) => {
    const l = limits[level];
    for (const kind of kinds) {
      const v = l[kind];
      if (v !== undefined && (typeof v !== 'bigint' || v <= 0n)) problems.push(`${level}.${kind} must be a positive bigint of minor units`);
    }
    if (l.dailyMinor !== undefined && l.singleMinor > l.dailyMinor) problems.push(`${level}.singleMinor exceeds ${level}.dailyMinor`);
    const shorterMax = l.dailyMinor ?? l.singleMinor;
    if (l.yearlyMinor !== undefined && shorterMax > l.yearlyMinor) problems.push(`${level}.yearlyMinor is below a shorter-period limit`);
    const lower = i > 0 ? VERIFICATION_LEVELS[i - 1] : undefined;
    if (lower === undefined) return;
    for (const kind of kinds) {
      const mine = l[kind];
      const theirs = limits[lower][kind];
      // an unset limit is not compared: unverified users have no yearly limit, only a tight daily one
      if (mine !== undefined && theirs !== undefined && theirs > mine) problems.push(`${level}.${kind} is below ${lower}.${kind}`);
    }
  });
  return problems;
}

/** The configuration unchanged when it is sound; otherwise throws listing every problem (for start-up). */
export function assertLimitsConfig(limits: LimitsByLevel): LimitsByLevel {
  const problems = limitsConfigProblems(limits);
  if (problems.length > 0) throw new Error(`invalid risk limits: ${problems.join('; ')}`);
  return limits;
}

/** Whether one payment of amountMinor is above the single-payment limit of the level. */
export function singleLimitExceeded(level: VerificationLevel, amountMinor: bigint, limits: LimitsByLevel = DEFAULT_LIMITS_BY_LEVEL): boolean {
  return amountMinor > limits[level].singleMinor;
}

/** The daily and yearly limits of a level, as a reservation is held against them. */
export function periodLimitsOf(level: VerificationLevel, limits: LimitsByLevel = DEFAULT_LIMITS_BY_LEVEL): PeriodLimits {
  const { dailyMinor, yearlyMinor } = limits[level];
  return { ...(dailyMinor !== undefined ? { dailyMinor } : {}), ...(yearlyMinor !== undefined ? { yearlyMinor } : {}) };
}

/** Limits run on Beijing's calendar: Asia/Shanghai is UTC+8 all year (no daylight saving since 1991). */
export const SHANGHAI_UTC_OFFSET_MS = 8 * 3_600_000;

/** The Asia/Shanghai calendar day of an instant, `yyyy-MM-dd`. */
export function shanghaiCalendarDay(at: Date): string {
  if (Number.isNaN(at.getTime())) throw new RangeError('invalid instant');
  return new Date(at.getTime() + SHANGHAI_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** The periods a payment at this instant counts in: its Asia/Shanghai day (`yyyy-MM-dd`) and year. */
export function limitPeriodsAt(at: Date): { day: string; year: number } {
  const day = shanghaiCalendarDay(at);
  return { day, year: Number(day.slice(0, 4)) };
}

/** What the single-payment limit of a user's verification level says about an amount. */
export type SingleLimitFinding = { ok: true } | { ok: false; code: 'RISK_SINGLE_LIMIT_EXCEEDED' | 'RISK_IDENTITY_UNVERIFIED'; detail: string };

/**
 * The single-payment limit by verification level. An amount only a higher level allows is refused
 * as "verify your identity first" (RISK_IDENTITY_UNVERIFIED), so the shopper knows what would help;
 * an amount above every level's limit is simply over the limit.
 */
export function checkSingleLimit(level: VerificationLevel, amountMinor: bigint, limits: LimitsByLevel = DEFAULT_LIMITS_BY_LEVEL): SingleLimitFinding {
  if (!singleLimitExceeded(level, amountMinor, limits)) return { ok: true };
  const higher = VERIFICATION_LEVELS.slice(VERIFICATION_LEVELS.indexOf(level) + 1).find((l) => !singleLimitExceeded(l, amountMinor, limits));
  const detail = `amount ${amountMinor} is over the single-payment limit ${limits[level].singleMinor} of verification level ${level}`;
  return higher ? { ok: false, code: 'RISK_IDENTITY_UNVERIFIED', detail: `${detail}; level ${higher} allows it` } : { ok: false, code: 'RISK_SINGLE_LIMIT_EXCEEDED', detail };
}
