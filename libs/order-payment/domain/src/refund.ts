import type { ErrorCode } from '@paystream/contracts';
import { wasCaptured, type PaymentStatus } from './payment-status';
import type { Payment } from './payment';

/** Where a refund stands: asked of the channel, done, or failed (a new refund may be asked for then). */
export const REFUND_STATUSES = ['REQUESTED', 'SUCCEEDED', 'FAILED'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const refundTransitions = {
  REQUESTED: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: [],
  FAILED: [],
} as const satisfies Record<RefundStatus, readonly RefundStatus[]>;

/** The statuses a refund may move to `to` from (for guarded updates). */
export function refundStatusesLeadingTo(to: RefundStatus): RefundStatus[] {
  return REFUND_STATUSES.filter((s) => (refundTransitions[s] as readonly RefundStatus[]).includes(to));
}

/**
 * Whether `amountMinor` may be refunded now. Refunds in flight count as if done, so concurrent
 * requests can never add up to more than was captured.
 */
export function checkRefund(payment: Pick<Payment, 'status' | 'amountMinor'>, committedMinor: bigint, amountMinor: bigint): { ok: true } | { ok: false; code: ErrorCode; detail: string } {
  if (!wasCaptured(payment.status) || payment.status === 'REFUNDED') {
    return { ok: false, code: 'PAYMENT_NOT_REFUNDABLE', detail: `the payment is ${payment.status}` };
  }
  if (amountMinor <= 0n) return { ok: false, code: 'REFUND_EXCEEDS_CAPTURED', detail: 'a refund is a positive amount' };
  const left = payment.amountMinor - committedMinor;
  if (amountMinor > left) {
    return { ok: false, code: 'REFUND_EXCEEDS_CAPTURED', detail: `${amountMinor} asked, ${left} of ${payment.amountMinor} left to refund` };
  }
  return { ok: true };
}

/** The payment status once refunds of `refundedMinor` in total succeeded. */
export function statusAfterRefunds(amountMinor: bigint, refundedMinor: bigint): PaymentStatus {
  return refundedMinor >= amountMinor ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}
