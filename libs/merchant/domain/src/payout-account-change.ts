import type { PayoutAccountChangeState } from '@paystream/contracts';

/** How long an approved payout account change waits before it takes effect, by default (24 h). */
export const PAYOUT_ACCOUNT_COOLING_OFF_MS_DEFAULT = 24 * 60 * 60 * 1000;
/** The shortest cooling-off a deployment may configure (the demo and tests use short ones), in ms. */
export const PAYOUT_ACCOUNT_COOLING_OFF_MS_MIN = 0;
/** The longest cooling-off a deployment may configure (30 days), in ms. */
export const PAYOUT_ACCOUNT_COOLING_OFF_MS_MAX = 30 * 24 * 60 * 60 * 1000;

/**
 * A four-eyes payout account change: proposed by one finance operator, approved by another, then
 * effective once the cooling-off has passed (a job applies it). Until effective it can be rejected
 * (by an approver) or cancelled (e.g. by the proposer, or the merchant's call).
 */
export const payoutAccountChangeTransitions = {
  proposed: ['approved', 'rejected', 'cancelled'],
  approved: ['effective', 'cancelled'],
  effective: [],
  rejected: [],
  cancelled: [],
} as const satisfies Record<PayoutAccountChangeState, readonly PayoutAccountChangeState[]>;

/** The states in which a change still waits (at most one per merchant). */
export const PAYOUT_ACCOUNT_CHANGE_OPEN_STATES = ['proposed', 'approved'] as const satisfies readonly PayoutAccountChangeState[];

/** Whether the table lets a change move from one state to another. */
export function canMovePayoutAccountChange(from: PayoutAccountChangeState, to: PayoutAccountChangeState): boolean {
  return (payoutAccountChangeTransitions[from] as readonly PayoutAccountChangeState[]).includes(to);
}

export type FourEyesRefusal = { code: 'PAYOUT_ACCOUNT_CHANGE_SAME_OPERATOR' };

/**
 * The four-eyes rule: the approver must be another operator than the proposer (actors compared as
 * `<kind>:<id>`). An unauthenticated operator never approves anything: it cannot prove it is another.
 */
export function checkFourEyes(proposedBy: string, approver: string): FourEyesRefusal | undefined {
  if (approver === proposedBy || approver === 'operator:unauthenticated') return { code: 'PAYOUT_ACCOUNT_CHANGE_SAME_OPERATOR' };
  return undefined;
}

/** When an approved change takes effect: the approval time plus the cooling-off. */
export function effectiveAtOf(approvedAt: Date, coolingOffMs: number): Date {
  if (!Number.isInteger(coolingOffMs) || coolingOffMs < PAYOUT_ACCOUNT_COOLING_OFF_MS_MIN || coolingOffMs > PAYOUT_ACCOUNT_COOLING_OFF_MS_MAX) {
    throw new RangeError(`cooling-off of ${coolingOffMs} ms is outside ${PAYOUT_ACCOUNT_COOLING_OFF_MS_MIN}..${PAYOUT_ACCOUNT_COOLING_OFF_MS_MAX}`);
  }
  return new Date(approvedAt.getTime() + coolingOffMs);
}
