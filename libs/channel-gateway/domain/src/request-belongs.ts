import type { Channel } from '@paystream/contracts';

/** What a stored charge attempt was opened for (the terms a request for its payment must repeat). */
export interface ChargeTerms {
  paymentId: string;
  orderId: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
}

/**
 * Why a charge request for a payment that already has an attempt must not reuse (or query, or resend)
 * it: it asks for other terms (another order, merchant, amount or currency). Undefined when it is the
 * same request again. Such a request is dead-lettered: answering it would tell the stored outcome of
 * one charge for another.
 */
export function chargeRequestMismatch(stored: ChargeTerms, asked: ChargeTerms): string | undefined {
  const differ = (['orderId', 'merchantId', 'amountMinor', 'currency'] as const).filter((k) => stored[k] !== asked[k]);
  if (differ.length === 0) return undefined;
  return `asks payment ${asked.paymentId} for other terms than its stored attempt (${differ.map((k) => `${k} ${String(asked[k])} instead of ${String(stored[k])}`).join(', ')})`;
}

/** A refund request as far as it must match the charge it refunds. */
export interface RefundAsked {
  refundId: string;
  paymentId: string;
  orderId: string;
  channel: Channel;
  currency: string;
}

/**
 * Why a refund request must not reach the channel: it names another order, channel or currency than
 * the charge of its payment. Undefined when it belongs.
 */
export function refundRequestMismatch(charge: ChargeTerms & { channel: Channel }, asked: RefundAsked): string | undefined {
  const differ = (['orderId', 'channel', 'currency'] as const).filter((k) => charge[k] !== asked[k]);
  if (differ.length === 0) return undefined;
  return `refund ${asked.refundId} does not match the charge of payment ${asked.paymentId} (${differ.map((k) => `${k} ${asked[k]} instead of ${charge[k]}`).join(', ')})`;
}

/** Why a refundId already stored for one payment must not be answered for another. Undefined when it is the same payment's. */
export function refundIdReused(stored: { refundId: string; paymentId: string }, asked: { paymentId: string }): string | undefined {
  return stored.paymentId === asked.paymentId ? undefined : `refund ${stored.refundId} is a refund of payment ${stored.paymentId}, not of payment ${asked.paymentId}`;
}
