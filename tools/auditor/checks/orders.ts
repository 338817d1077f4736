import { CAPTURED_STATUSES, FAILED_STATUSES, orderKey, type AuditSnapshot, type OutcomeEvent } from './snapshot';
import { groupBy, violation, type Violation } from './violation';

export interface OrdersSummary {
  orders: number;
  succeeded: number;
  failed: number;
}

/** What makes two outcome events the same outcome (a re-emission for a repeated request) rather than two. */
function outcomeTerms(o: OutcomeEvent): string {
  return [o.outcome, o.paymentId, o.amountMinor.toString(), o.currency, o.channelTradeNo ?? ''].join('|');
}

/**
 * Every requested order (from payment.requested.v1, and order-payment's payments, which include those
 * made by POST /payments) has exactly one final outcome, and order-payment's payment agrees with it.
 * One order is one (merchant, orderId), however many request events name it (order ids are per
 * merchant: another merchant's same order id is another order); a redelivered outcome (same ce_id)
 * counts once; the same outcome emitted again for a repeated request (another ce_id, same terms) is
 * the contract's re-emission, but two outcomes that disagree (succeeded and failed, or another
 * payment or amount) are a violation. Requests deliberately dead-lettered are no orders.
 */
export function checkOrders(s: Pick<AuditSnapshot, 'requested' | 'outcomes' | 'payments' | 'deliberateDeadLetterIds'>): { violations: Violation[]; summary: OrdersSummary } {
  const violations: Violation[] = [];
  const deliberate = new Set(s.deliberateDeadLetterIds);
  // each order's id as its merchant named it, by its key
  const orderIds = new Map<string, string>();
  const named = <T extends { merchantId: string; orderId: string }>(o: T) => {
    orderIds.set(orderKey(o), o.orderId);
    return orderKey(o);
  };
  const requestedOrders = new Set(s.requested.filter((r) => !deliberate.has(r.eventId)).map(named));
  const paymentByOrder = new Map(s.payments.map((p) => [named(p), p]));
  const outcomesByOrder = groupBy(
    [...new Map(s.outcomes.map((o) => [o.eventId, o])).values()], // a redelivered event counts once
    named,
  );
  const orders = new Set([...requestedOrders, ...paymentByOrder.keys()]);
  const summary: OrdersSummary = { orders: orders.size, succeeded: 0, failed: 0 };

  for (const key of [...orders].sort()) {
    const orderId = orderIds.get(key)!;
    const payment = paymentByOrder.get(key);
    const outcomes = outcomesByOrder.get(key) ?? [];
    if (outcomes.length === 0) {
      violations.push(
        violation('ORDER_NO_OUTCOME', `order ${key} has no final outcome event (${payment ? `order-payment says ${payment.status}` : 'order-payment has no payment for it'})`, [orderId, ...(payment ? [payment.id] : [])]),
      );
      continue;
    }
    const distinct = new Map(outcomes.map((o) => [outcomeTerms(o), o]));
    if (distinct.size > 1) {
      const said = [...distinct.values()].map((o) => `${o.outcome} ${o.paymentId} ${o.amountMinor} ${o.currency}`).join(' / ');
      violations.push(violation('ORDER_CONFLICTING_OUTCOMES', `order ${key} has ${distinct.size} different outcomes: ${said}`, [orderId, ...outcomes.map((o) => o.eventId)]));
      continue;
    }
    const outcome = outcomes[0]!;
    if (outcome.outcome === 'succeeded') summary.succeeded++;
    else summary.failed++;
    if (!payment) {
      violations.push(violation('ORDER_STATE_MISMATCH', `order ${key} ${outcome.outcome} (event ${outcome.eventId}) but order-payment has no payment for it`, [orderId, outcome.eventId]));
      continue;
    }
    const agrees = (outcome.outcome === 'succeeded' ? CAPTURED_STATUSES : FAILED_STATUSES).includes(payment.status);
    if (!agrees || payment.id !== outcome.paymentId || payment.amountMinor !== outcome.amountMinor || payment.currency !== outcome.currency) {
      violations.push(
        violation(
          'ORDER_STATE_MISMATCH',
          `order ${key}: the outcome event says ${outcome.outcome} (payment ${outcome.paymentId}, ${outcome.amountMinor} ${outcome.currency}) but order-payment has payment ${payment.id} ${payment.status} (${payment.amountMinor} ${payment.currency})`,
          [orderId, payment.id, outcome.eventId],
        ),
      );
    }
  }

  for (const [key, outcomes] of outcomesByOrder) {
    const orderId = orderIds.get(key)!;
    if (!orders.has(key)) violations.push(violation('OUTCOME_WITHOUT_ORDER', `outcome for order ${key}, which nobody requested and order-payment does not know`, [orderId, ...outcomes.map((o) => o.eventId)]));
  }
  return { violations, summary };
}
