import { failureReason, type EventPayload, type TOPICS } from '@paystream/contracts';
import type { Payment } from '@paystream/order-payment/domain';

type Succeeded = EventPayload<typeof TOPICS.paymentSucceeded>;
type Failed = EventPayload<typeof TOPICS.paymentFailed>;

/** The fields every payment-scoped event carries: who pays whom how much. */
export function paymentParty(p: Payment) {
  return {
    paymentId: p.id,
    orderId: p.orderId,
    merchantId: p.merchantId,
    userId: p.userId,
    amountMinor: p.amountMinor.toString(),
    currency: p.currency,
  };
}

/** The assessment risk is asked for when a payment is recorded. */
export function riskAssessmentRequest(p: Payment): EventPayload<typeof TOPICS.riskAssessmentRequested> {
  return {
    ...paymentParty(p),
    ...(p.requestedChannel ? { channel: p.requestedChannel } : {}),
    ...(p.cardToken ? { cardToken: p.cardToken } : {}),
    ...(p.deviceId ? { deviceId: p.deviceId } : {}),
    ...(p.ipAddress ? { ipAddress: p.ipAddress } : {}),
    requestedAt: p.createdAt.toISOString(),
  };
}

/** The command channel-gateway charges on once risk approved. */
export function chargeRequest(p: Payment): EventPayload<typeof TOPICS.channelChargeRequested> {
  const { userId: _userId, ...party } = paymentParty(p);
  return {
    ...party,
    ...(p.requestedChannel ? { channel: p.requestedChannel } : {}),
    ...(p.cardToken ? { cardToken: p.cardToken } : {}),
    subject: p.subject,
  };
}

/** payment.succeeded.v1 for a captured payment. */
export function succeededEvent(p: Payment): Succeeded {
  if (!p.channel || !p.channelTradeNo) throw new Error(`payment ${p.id} succeeded without channel or channelTradeNo`);
  return {
    ...paymentParty(p),
    channel: p.channel,
    channelTradeNo: p.channelTradeNo,
    succeededAt: p.updatedAt.toISOString(),
  };
}

/** payment.failed.v1 for a failed or rejected payment, with the reason the shopper can act on. */
export function failedEvent(p: Payment): Failed {
  return {
    ...paymentParty(p),
    ...(p.channel ? { channel: p.channel } : {}),
    reason: p.failure ?? failureReason('INTERNAL_ERROR', 'no reason recorded'),
    failedAt: p.updatedAt.toISOString(),
  };
}
