import { INSUFFICIENT_FUNDS, type ChannelAnswer } from './charge-outcome';

/** WeChat Pay v3 trade_state values (query and notification). */
export type WechatpayTradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

export type WechatpayCall = 'charge' | 'query' | 'close' | 'refund' | 'refund-query';

interface WechatpayBody {
  code?: string;
  message?: string;
  code_url?: string;
  trade_state?: WechatpayTradeState;
  trade_state_desc?: string;
  transaction_id?: string;
  refund_id?: string;
  status?: string;
}

/** The channel-neutral reading of a trade_state (query answers and decrypted notifications share it). */
export function wechatpayTradeStateBody(state: string | undefined, transactionId: string | undefined, desc?: string): Record<string, unknown> {
  // REFUND: it was paid, and (part of) it refunded since
  if ((state === 'SUCCESS' || state === 'REFUND') && transactionId) return { status: 'SUCCESS', channelTradeNo: transactionId };
  if (state === 'PAYERROR') return { status: 'DECLINED', code: desc?.includes('余额不足') ? INSUFFICIENT_FUNDS : 'PAYERROR' };
  if (state === 'CLOSED' || state === 'REVOKED') return { status: 'DECLINED', code: state };
  return { status: 'PENDING', code: state ?? 'UNREADABLE' };
}

/**
 * Turns a verified WeChat Pay v3 answer (HTTP status and JSON body) into the channel-neutral answer.
 * A Native order is created, not paid: the buyer pays after scanning, so a created order is PENDING
 * and the outcome comes by notification or query.
 */
export function channelAnswerFromWechatpay(call: WechatpayCall, status: number, b: WechatpayBody): ChannelAnswer {
  if (status >= 500) return { kind: 'http', status: 503, body: { status: 'ERROR', code: b.code ?? 'SYSTEM_ERROR' } };
  if (call === 'query' || call === 'close' || call === 'refund-query') {
    if (status === 404 || b.code === 'ORDER_NOT_EXIST' || b.code === 'RESOURCE_NOT_EXISTS') return { kind: 'http', status: 404, body: { status: 'NOT_FOUND' } };
  }
  if (call === 'close') {
    if (status === 204 || status === 200) return { kind: 'http', status: 200, body: { status: 'CLOSED' } };
    if (b.code === 'ORDERPAID') return { kind: 'http', status: 200, body: { status: 'ALREADY_PAID' } };
    return { kind: 'http', status, body: { status: 'ERROR', code: b.code, message: b.message } };
  }
  if (status >= 400) {
    if (call === 'refund') return { kind: 'http', status: 200, body: { status: 'FAILED', code: b.code ?? `HTTP_${status}` } };
    return { kind: 'http', status, body: { status: 'ERROR', code: b.code, message: b.message } };
  }
  if (call === 'charge') return { kind: 'http', status: 200, body: b.code_url ? { status: 'PENDING', code: 'NOTPAY' } : { status: 'ERROR', code: 'NO_CODE_URL' } };
  if (call === 'query') return { kind: 'http', status: 200, body: wechatpayTradeStateBody(b.trade_state, b.transaction_id, b.trade_state_desc) };
  return { kind: 'http', status: 200, body: wechatpayRefundStatusBody(b.status, b.refund_id) };
}

/**
 * The channel-neutral reading of a v3 refund status (the refund's answer and its query share it):
 * SUCCESS done; CLOSED failed for sure (nothing refunded); PROCESSING not yet; ABNORMAL accepted
 * but stuck at the shopper's bank until someone at the merchant platform acts on it, so it may
 * still be paid out: never final here, like anything unrecognised.
 */
export function wechatpayRefundStatusBody(status: string | undefined, refundId: string | undefined): Record<string, unknown> {
  if (status === 'SUCCESS' && refundId) return { status: 'SUCCESS', refundNo: refundId };
  if (status === 'CLOSED') return { status: 'FAILED', code: 'CLOSED' };
  return { status: 'PENDING', code: status ?? 'UNREADABLE' };
}
