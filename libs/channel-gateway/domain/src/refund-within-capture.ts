import { failureReason, type FailureReason } from '@paystream/contracts';

/** What a charge can still give back, as the gateway sees it under the lock on the charge. */
export interface RefundRoom {
  /** The amount the channel captured for the charge. */
  capturedMinor: bigint;
  /** The charge's other refunds that succeeded or are in flight (never this one). */
  refundedMinor: bigint;
}

/**
 * Why a refund must not be sent to the channel: with the charge's other refunds it would give back
 * more than was captured (or it is not a positive amount). Undefined when it fits. The last check
 * before money moves, beside order-payment's and the channel's own.
 */
export function refundBeyondCapture(room: RefundRoom, amountMinor: bigint): FailureReason | undefined {
  if (amountMinor <= 0n) return failureReason('REFUND_EXCEEDS_CAPTURED', `a refund is a positive amount, not ${amountMinor}`);
  const leftMinor = room.capturedMinor - room.refundedMinor;
  if (amountMinor <= leftMinor) return undefined;
  return failureReason('REFUND_EXCEEDS_CAPTURED', `${amountMinor} asked, ${leftMinor < 0n ? 0n : leftMinor} of ${room.capturedMinor} captured left to refund`);
}
