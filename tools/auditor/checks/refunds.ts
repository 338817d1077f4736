import { capturedByOrderNo } from './charges';
import { idOfOrderNo, type AuditSnapshot } from './snapshot';
import { addTo, groupBy, violation, type Violation } from './violation';

/** The channels' state for a refund that gave money back. */
export const REFUNDED_STATUS = 'SUCCESS';
/** A refund the channel accepted and will still pay: it holds its part of the capture. */
export const REFUND_PROCESSING_STATUS = 'PROCESSING';

export interface RefundsSummary {
  /** Refunds the channels made, and their sum per currency. */
  count: number;
  refundedMinor: Map<string, bigint>;
}

/**
 * Refunds at the channels never exceed the capture of their charge, each refund id was refunded
 * once, and the refunds the channels made are exactly those order-payment reports succeeded, to the
 * fen (a refund's channel number is the refund id, as a charge's is the payment id).
 */
export function checkRefunds(s: Pick<AuditSnapshot, 'channelCharges' | 'channelRefunds' | 'refunds'>): { violations: Violation[]; summary: RefundsSummary } {
  const violations: Violation[] = [];
  const captured = capturedByOrderNo(s.channelCharges);
  const made = s.channelRefunds.filter((r) => r.status === REFUNDED_STATUS);
  const refundedMinor = new Map<string, bigint>();

  // a refund still processing at the channel will pay out: it counts against the capture too
  const taken = s.channelRefunds.filter((r) => r.status === REFUNDED_STATUS || r.status === REFUND_PROCESSING_STATUS);
  for (const [outTradeNo, refunds] of groupBy(taken, (r) => r.outTradeNo)) {
    const charge = captured.get(outTradeNo);
    const total = refunds.reduce((a, r) => a + r.amountMinor, 0n);
    if (charge) addTo(refundedMinor, charge.currency, refunds.filter((r) => r.status === REFUNDED_STATUS).reduce((a, r) => a + r.amountMinor, 0n));
    if (!charge || total > charge.amountMinor) {
      violations.push(
        violation('REFUND_EXCEEDS_CAPTURE', `${outTradeNo}: the channel refunded ${total} of ${charge ? `${charge.amountMinor} ${charge.currency} captured` : 'a charge it never captured'}`, [outTradeNo, ...refunds.map((r) => r.outRefundNo)]),
      );
    }
  }
  for (const [outRefundNo, refunds] of groupBy(made, (r) => r.outRefundNo)) {
    if (refunds.length > 1) violations.push(violation('REFUND_DUPLICATE', `refund ${outRefundNo} was made ${refunds.length} times at the channel`, [outRefundNo]));
  }

  const atChannel = new Map<string, bigint>();
  for (const r of made) atChannel.set(idOfOrderNo(r.outRefundNo) ?? r.outRefundNo, r.amountMinor);
  const reported = new Map(s.refunds.filter((r) => r.status === 'SUCCEEDED').map((r) => [r.id, r]));
  for (const [id, amountMinor] of atChannel) {
    const ours = reported.get(id);
    if (!ours) {
      const row = s.refunds.find((r) => r.id === id);
      violations.push(violation('REFUND_MISMATCH', `the channel refunded ${amountMinor} on refund ${id}, which order-payment ${row ? `says is ${row.status}` : 'does not know'}`, [id]));
    } else if (ours.amountMinor !== amountMinor) {
      violations.push(violation('REFUND_MISMATCH', `refund ${id}: the channel refunded ${amountMinor}, order-payment says ${ours.amountMinor}`, [id]));
    }
  }
  for (const [id, ours] of reported) {
    if (!atChannel.has(id)) violations.push(violation('REFUND_MISMATCH', `order-payment says refund ${id} of ${ours.amountMinor} ${ours.currency} succeeded, but no channel refunded it`, [id, ours.paymentId]));
  }
  return { violations, summary: { count: made.length, refundedMinor } };
}
