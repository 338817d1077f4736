import type { StatusChange } from '@paystream/order-payment/data-access';
import type { Payment } from '@paystream/order-payment/domain';
import { maskCardToken } from '@paystream/shared/observability';
import type { ShopperDataAccess } from './caller-scope';
import { paymentParty } from './payment-events';

/**
 * The shopper data a caller sees (callerScope decides who sees what): in the clear for risk; masked
 * otherwise: the card token by its prefix and last four, the device id and IP address left out (no
 * merchant or finance task needs where the shopper paid from).
 */
function shopperData(p: Payment, access: ShopperDataAccess) {
  if (access === 'clear') return { cardToken: p.cardToken, deviceId: p.deviceId, ipAddress: p.ipAddress };
  return { cardToken: p.cardToken === null ? null : maskCardToken(p.cardToken) };
}

/** A payment as the HTTP API shows it: money as decimal strings of minor units, shopper data as the caller may see it. */
export function paymentView(p: Payment, access: ShopperDataAccess, history?: StatusChange[]) {
  return {
    ...paymentParty(p),
    requestedChannel: p.requestedChannel,
    ...shopperData(p, access),
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
