import { CAPTURED_STATUSES, idOfOrderNo, orderKey, type AuditSnapshot, type ChannelCharge } from './snapshot';
import { addTo, violation, type Violation } from './violation';

/** The channels' state for a charge that took the shopper's money. */
export const CAPTURED_CHARGE_STATUS = 'SUCCESS';

export interface ChargesSummary {
  /** Captured at the channels, per currency. */
  capturedMinor: Map<string, bigint>;
}

/**
 * No order was charged twice at a channel (an order is one merchant's order id: order ids are per
 * merchant), and what the channels captured is what order-payment says succeeded, order by order
 * and in total per currency, to the fen. A charge maps to its order
 * through channel-gateway's transactions (its channel order number is the payment id); a capture the
 * gateway does not know is itself a violation (money taken for no order we can name).
 */
export function checkCharges(s: Pick<AuditSnapshot, 'channelCharges' | 'gatewayTransactions' | 'payments'>): { violations: Violation[]; summary: ChargesSummary } {
  const violations: Violation[] = [];
  const txByPayment = new Map(s.gatewayTransactions.map((t) => [t.paymentId, t]));
  const captured = s.channelCharges.filter((c) => c.status === CAPTURED_CHARGE_STATUS);
  const capturedMinor = new Map<string, bigint>();
  // by order key (merchant and order id), with each key's order id as the merchant named it
  const chargesByOrder = new Map<string, ChannelCharge[]>();
  const orderIds = new Map<string, string>();
  for (const c of captured) {
    addTo(capturedMinor, c.currency, c.amountMinor);
    const paymentId = idOfOrderNo(c.outTradeNo);
    const tx = paymentId ? txByPayment.get(paymentId) : undefined;
    if (!tx) {
      violations.push(violation('CHARGE_UNKNOWN_TO_GATEWAY', `${c.channel} captured ${c.amountMinor} ${c.currency} on ${c.outTradeNo}, a charge channel-gateway has no transaction for`, [c.outTradeNo]));
      continue;
    }
    orderIds.set(orderKey(tx), tx.orderId);
    const list = chargesByOrder.get(orderKey(tx)) ?? [];
    list.push(c);
    chargesByOrder.set(orderKey(tx), list);
  }

  const paymentByOrder = new Map(s.payments.map((p) => [orderKey(p), p]));
  for (const [key, charges] of [...chargesByOrder].sort(([a], [b]) => a.localeCompare(b))) {
    const orderId = orderIds.get(key)!;
    if (charges.length > 1) {
      violations.push(
        violation('DOUBLE_CHARGE', `order ${key} was captured ${charges.length} times at the channels: ${charges.map((c) => `${c.channel} ${c.outTradeNo} ${c.amountMinor} ${c.currency}`).join(', ')}`, [orderId, ...charges.map((c) => c.outTradeNo)]),
      );
    }
    const payment = paymentByOrder.get(key);
    if (!payment || !CAPTURED_STATUSES.includes(payment.status)) {
      violations.push(
        violation('CHARGE_WITHOUT_SUCCESS', `order ${key} was captured at the channel but order-payment says ${payment ? payment.status : 'nothing (no payment)'}`, [orderId, ...charges.map((c) => c.outTradeNo)]),
      );
      continue;
    }
    if (charges.length === 1 && (charges[0]!.amountMinor !== payment.amountMinor || charges[0]!.currency !== payment.currency)) {
      violations.push(
        violation('CAPTURE_MISMATCH', `order ${key}: the channel captured ${charges[0]!.amountMinor} ${charges[0]!.currency}, the payment is ${payment.amountMinor} ${payment.currency}`, [orderId, payment.id, charges[0]!.outTradeNo]),
      );
    }
  }

  const succeededMinor = new Map<string, bigint>();
  for (const p of s.payments.filter((x) => CAPTURED_STATUSES.includes(x.status))) {
    addTo(succeededMinor, p.currency, p.amountMinor);
    if (!chargesByOrder.has(orderKey(p))) violations.push(violation('SUCCESS_WITHOUT_CHARGE', `payment ${p.id} of order ${p.orderId} is ${p.status} but no channel captured it`, [p.orderId, p.id]));
  }
  for (const currency of [...new Set([...capturedMinor.keys(), ...succeededMinor.keys()])].sort()) {
    const atChannels = capturedMinor.get(currency) ?? 0n;
    const succeeded = succeededMinor.get(currency) ?? 0n;
    if (atChannels !== succeeded) {
      violations.push(violation('CAPTURE_MISMATCH', `the channels captured ${atChannels} ${currency} in all, succeeded payments add up to ${succeeded} ${currency} (${atChannels - succeeded} apart)`, [currency]));
    }
  }
  return { violations, summary: { capturedMinor } };
}

/** The captured charges by channel order number (refunds are checked against them). */
export function capturedByOrderNo(charges: readonly ChannelCharge[]): Map<string, ChannelCharge> {
  return new Map(charges.filter((c) => c.status === CAPTURED_CHARGE_STATUS).map((c) => [c.outTradeNo, c]));
}
