/** Every state a payment can be in. */
export const PAYMENT_STATUSES = [
  'PENDING_RISK',
  'IN_REVIEW',
  'AUTHORIZING',
  'UNKNOWN',
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** The payment state table: a status only moves to the statuses listed for it. */
export const paymentTransitions = {
  PENDING_RISK: ['AUTHORIZING', 'REJECTED', 'IN_REVIEW'],
  IN_REVIEW: ['AUTHORIZING', 'REJECTED'],
  AUTHORIZING: ['SUCCEEDED', 'FAILED', 'UNKNOWN'],
  UNKNOWN: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  FAILED: [],
  REJECTED: [],
  REFUNDED: [],
} as const satisfies Record<PaymentStatus, readonly PaymentStatus[]>;

/** Whether the table allows from -> to. */
export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return (paymentTransitions[from] as readonly PaymentStatus[]).includes(to);
}

/** The statuses from which a payment may move to `to` (for guarded UPDATE ... WHERE status IN (...)). */
export function statusesLeadingTo(to: PaymentStatus): PaymentStatus[] {
  return PAYMENT_STATUSES.filter((s) => canTransition(s, to));
}

/** The charge outcome is settled: succeeded (and possibly refunded since), failed or rejected. */
export function isOutcomeFinal(status: PaymentStatus): boolean {
  return status !== 'PENDING_RISK' && status !== 'IN_REVIEW' && status !== 'AUTHORIZING' && status !== 'UNKNOWN';
}

/** The payment was captured at some point (refunds come after success). */
export function wasCaptured(status: PaymentStatus): boolean {
  return status === 'SUCCEEDED' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED';
}
