import { INSUFFICIENT_FUNDS, type ChannelAnswer } from './charge-outcome';

/** Alipay's answer codes: 10000 success; 40004 a business failure with a sub_code; 20000 system busy. */
export const ALIPAY_CODE_SUCCESS = '10000';
export const ALIPAY_CODE_BUSINESS_FAILED = '40004';
/** The refund query (统一收单交易退款查询), by out_trade_no and out_request_no. */
export const ALIPAY_REFUND_QUERY_METHOD = 'alipay.trade.fastpay.refund.query';

const DECLINE_SUB_CODES: Readonly<Record<string, string>> = {
  'ACQ.BUYER_BALANCE_NOT_ENOUGH': INSUFFICIENT_FUNDS,
  'ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH': INSUFFICIENT_FUNDS,
  'ACQ.PAYMENT_FAIL': 'PAYMENT_FAIL',
  'ACQ.TRADE_HAS_CLOSE': 'TRADE_CLOSED',
};

/**
 * The channel-neutral reading of an Alipay trade_status (query answers and notifications share it):
 * TRADE_SUCCESS / TRADE_FINISHED paid, TRADE_CLOSED not (closed unpaid, or fully refunded after),
 * WAIT_BUYER_PAY and anything else not final yet.
 */
export function alipayTradeStatusBody(tradeStatus: string | undefined, tradeNo: unknown, fallbackCode = 'UNREADABLE'): Record<string, unknown> {
  if (tradeStatus === 'TRADE_SUCCESS' || tradeStatus === 'TRADE_FINISHED') return { status: 'SUCCESS', channelTradeNo: tradeNo };
  if (tradeStatus === 'TRADE_CLOSED') return { status: 'DECLINED', code: 'TRADE_CLOSED' };
  return { status: 'PENDING', code: tradeStatus ?? fallbackCode };
}

/**
 * Turns a verified Alipay response into the channel-neutral answer the outcome rules read
 * (`{ status: SUCCESS | DECLINED | FAILED, ... }`, 404 for a trade Alipay does not know).
 */
export function channelAnswerFromAlipay(method: string, r: Record<string, unknown>): ChannelAnswer {
  const code = String(r.code ?? '');
  const sub = String(r.sub_code ?? '');
  if (code === '20000') return { kind: 'http', status: 503, body: { status: 'ERROR', code: sub || 'SYSTEM_BUSY' } };
  if (code === '40002') return { kind: 'http', status: 400, body: { status: 'ERROR', code: sub, message: r.sub_msg } };
  if (method === 'alipay.trade.pay') {
    if (code === ALIPAY_CODE_SUCCESS && r.trade_no) return { kind: 'http', status: 200, body: { status: 'SUCCESS', channelTradeNo: r.trade_no } };
    if (code === ALIPAY_CODE_BUSINESS_FAILED && DECLINE_SUB_CODES[sub]) return { kind: 'http', status: 200, body: { status: 'DECLINED', code: DECLINE_SUB_CODES[sub] } };
    // 10003 (waiting for the buyer, e.g. entering a password) and anything unrecognised: the outcome is for a query or notification to tell
    return { kind: 'http', status: 200, body: { status: 'PENDING', code: sub || code } };
  }
  if (method === 'alipay.trade.precreate') {
    // a QR order is created, not paid: the buyer scans and pays, and the notification or a query tells
    if (code === ALIPAY_CODE_SUCCESS && r.qr_code) return { kind: 'http', status: 200, body: { status: 'PENDING', code: 'WAIT_BUYER_PAY' } };
    return { kind: 'http', status: 200, body: { status: 'ERROR', code: sub || code } };
  }
  if (method === 'alipay.trade.query') {
    if (code === ALIPAY_CODE_BUSINESS_FAILED && sub === 'ACQ.TRADE_NOT_EXIST') return { kind: 'http', status: 404, body: { status: 'NOT_FOUND' } };
    const body = code === ALIPAY_CODE_SUCCESS ? alipayTradeStatusBody(r.trade_status as string | undefined, r.trade_no, sub) : { status: 'PENDING', code: String(r.trade_status ?? sub) };
    return { kind: 'http', status: 200, body };
  }
  if (method === 'alipay.trade.close') {
    if (code === ALIPAY_CODE_SUCCESS) return { kind: 'http', status: 200, body: { status: 'CLOSED' } };
    if (sub === 'ACQ.TRADE_NOT_EXIST') return { kind: 'http', status: 404, body: { status: 'NOT_FOUND' } };
    // the trade was paid (or finished) before the close reached it
    if (sub === 'ACQ.TRADE_STATUS_ERROR') return { kind: 'http', status: 200, body: { status: 'ALREADY_PAID' } };
    return { kind: 'http', status: 200, body: { status: 'ERROR', code: sub || code } };
  }
  if (method === ALIPAY_REFUND_QUERY_METHOD) {
    if (sub === 'ACQ.TRADE_NOT_EXIST') return { kind: 'http', status: 404, body: { status: 'NOT_FOUND' } };
    if (code !== ALIPAY_CODE_SUCCESS) return { kind: 'http', status: 200, body: { status: 'PENDING', code: sub || code } };
    // 10000 only says the query worked: REFUND_SUCCESS (or, from older gateways, the refund's data
    // without a status) means refunded; nothing means "not received, not done yet, or failed", which
    // Alipay does not tell apart: asked again with the same out_request_no it refunds at most once
    if (r.refund_status === 'REFUND_SUCCESS' || (r.refund_status === undefined && r.refund_amount !== undefined)) {
      return { kind: 'http', status: 200, body: { status: 'SUCCESS', refundNo: r.refund_no ?? r.out_request_no } };
    }
    return { kind: 'http', status: 404, body: { status: 'NOT_FOUND', code: String(r.refund_status ?? 'NO_REFUND_DATA') } };
  }
  // alipay.trade.refund: fund_change Y means the money moved now; N (a repeated request, or not
  // done yet) is for the refund query to confirm
  if (code === ALIPAY_CODE_SUCCESS) {
    if (r.fund_change === 'N') return { kind: 'http', status: 200, body: { status: 'PENDING', code: 'FUND_CHANGE_N' } };
    return { kind: 'http', status: 200, body: { status: 'SUCCESS', refundNo: r.refund_no ?? r.out_request_no } };
  }
  // a system error: Alipay asks for the same request again, it may have refunded
  if (sub === 'ACQ.SYSTEM_ERROR') return { kind: 'http', status: 200, body: { status: 'PENDING', code: sub } };
  return { kind: 'http', status: 200, body: { status: 'FAILED', code: sub || code } };
}
