import type { MerchantStatus } from '@paystream/contracts';

/**
 * A merchant's lifecycle as a table: an active merchant may be suspended or closed, a suspended one
 * reactivated or closed; closed is final (its history stays, nothing comes back to life).
 */
export const merchantStatusTransitions = {
  active: ['suspended', 'closed'],
  suspended: ['active', 'closed'],
  closed: [],
} as const satisfies Record<MerchantStatus, readonly MerchantStatus[]>;

/** The status changes an operator asks for, and the status each leads to. */
export const MERCHANT_STATUS_ACTIONS = { suspend: 'suspended', reactivate: 'active', close: 'closed' } as const satisfies Record<string, MerchantStatus>;
export type MerchantStatusAction = keyof typeof MERCHANT_STATUS_ACTIONS;

/** Whether the table lets a merchant move from one status to another. */
export function canMoveMerchant(from: MerchantStatus, to: MerchantStatus): boolean {
  return (merchantStatusTransitions[from] as readonly MerchantStatus[]).includes(to);
}

/** Whether a merchant in this status may still be changed at all (terms, payout account): closed is final. */
export function isMerchantChangeable(status: MerchantStatus): boolean {
  return status !== 'closed';
}
