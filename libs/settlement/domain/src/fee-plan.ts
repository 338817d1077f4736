import { Money } from '@paystream/shared/money';

/** The largest rate a fee plan may carry, in basis points (100 %). */
export const FEE_BPS_MAX = 10_000n;
/** The largest fixed part or bound of a fee plan, in fen (CNY 10,000). */
export const FEE_FIXED_MAX_MINOR = 1_000_000n;

/**
 * What a merchant pays per captured payment: `rateBps` of the gross, rounded half up to the fen, plus
 * `fixedMinor`, then held within `minMinor`..`maxMinor` (no maximum when null), and never more than
 * the gross itself. The rounding is stated in the plan so a statement can quote it.
 */
export interface FeePlan {
  rateBps: bigint;
  fixedMinor: bigint;
  minMinor: bigint;
  maxMinor: bigint | null;
  rounding: 'half-up';
}

/** Every merchant without a plan of its own: 0.60 %, nothing fixed, no bounds. */
export const FEE_PLAN_DEFAULT: FeePlan = { rateBps: 60n, fixedMinor: 0n, minMinor: 0n, maxMinor: null, rounding: 'half-up' };
/** The fee settlement charges by default, in basis points (0.60 %). */
export const FEE_BPS_DEFAULT = FEE_PLAN_DEFAULT.rateBps;

export type FeePlanError = { code: 'FEE_PLAN_INVALID'; field: keyof FeePlan; message: string };

/** Checks a plan's limits; a plan read from config or the database goes through this first. */
export function validateFeePlan(plan: FeePlan): FeePlanError | undefined {
  const bad = (field: keyof FeePlan, message: string): FeePlanError => ({ code: 'FEE_PLAN_INVALID', field, message });
  if (plan.rateBps < 0n || plan.rateBps > FEE_BPS_MAX) return bad('rateBps', `rate ${plan.rateBps} bps is outside 0..${FEE_BPS_MAX}`);
  if (plan.fixedMinor < 0n || plan.fixedMinor > FEE_FIXED_MAX_MINOR) return bad('fixedMinor', `fixed fee ${plan.fixedMinor} is outside 0..${FEE_FIXED_MAX_MINOR}`);
  if (plan.minMinor < 0n || plan.minMinor > FEE_FIXED_MAX_MINOR) return bad('minMinor', `minimum ${plan.minMinor} is outside 0..${FEE_FIXED_MAX_MINOR}`);
  if (plan.maxMinor !== null && (plan.maxMinor < plan.minMinor || plan.maxMinor > FEE_FIXED_MAX_MINOR)) return bad('maxMinor', `maximum ${plan.maxMinor} is below the minimum or above ${FEE_FIXED_MAX_MINOR}`);
  if (plan.rounding !== 'half-up') return bad('rounding', `rounding ${String(plan.rounding)} is not supported`);
  return undefined;
}

/** The rate part of a fee: basis points of the gross, rounded half-up to the fen. */
export function feeFor(gross: Money, feeBps: bigint): Money {
  if (feeBps < 0n || feeBps > FEE_BPS_MAX) throw new RangeError(`fee of ${feeBps} bps is outside 0..${FEE_BPS_MAX}`);
  return gross.percent(feeBps, 'basis-points', 'half-up');
}

/** The fee a plan charges on a gross amount: rate (half up) + fixed, within min..max, at most the gross. */
export function planFee(plan: FeePlan, gross: Money): Money {
  const invalid = validateFeePlan(plan);
  if (invalid) throw new RangeError(invalid.message);
  let fee = feeFor(gross, plan.rateBps).minor + plan.fixedMinor;
  if (fee < plan.minMinor) fee = plan.minMinor;
  if (plan.maxMinor !== null && fee > plan.maxMinor) fee = plan.maxMinor;
  if (fee > gross.minor) fee = gross.minor;
  return Money.of(fee, gross.currency);
}

/**
 * What each channel charges the platform per captured payment (the channel emulator bills the same
 * 0.60 %, half up); booked as channel cost beside the merchant fee so the margin shows.
 */
export const CHANNEL_COST_PLANS: Record<string, FeePlan> = {
  alipay: { ...FEE_PLAN_DEFAULT, rateBps: 60n },
  wechatpay: { ...FEE_PLAN_DEFAULT, rateBps: 60n },
  unionpay: { ...FEE_PLAN_DEFAULT, rateBps: 60n },
};

/** The channel's cost on a gross amount (an unknown channel costs nothing and is booked as such). */
export function channelCostFor(channel: string, gross: Money): Money {
  const plan = CHANNEL_COST_PLANS[channel];
  return plan ? planFee(plan, gross) : Money.zero(gross.currency);
}
