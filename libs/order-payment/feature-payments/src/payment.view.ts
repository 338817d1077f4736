import type { StatusChange } from '@paystream/order-payment/data-access';
import type { Payment } from '@paystream/order-payment/domain';
import { paymentParty } from './payment-events';

/** A payment as the HTTP API shows it: money as decimal strings of minor units. */
export function paymentView(p: Payment, history?: StatusChange[]) {
  return {
    ...paymentParty(p),
    requestedChannel: p.requestedChannel,
    cardToken: p.cardToken,
    deviceId: p.deviceId,
    ipAddress: p.ipAddress,
    channel: p.channel,
    subject: p.subject,
    status: p.status,
    channelTradeNo: p.channelTradeNo,
    failure: p.failure,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    ...(history ? { history: history.map((h) => ({ from: h.from, to: h.to, reason: h.reason, at: h.at.toISOString() })) } : {}),
  };
}
