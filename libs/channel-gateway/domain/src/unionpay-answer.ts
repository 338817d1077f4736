import { UNIONPAY_RESP, unionpayInProcess, type UnionpayParams } from '@paystream/shared/channel-protocols';
import { INSUFFICIENT_FUNDS, type ChannelAnswer } from './charge-outcome';

export type UnionpayCall = 'charge' | 'query' | 'refund' | 'refund-query';

/** The channel-neutral reading of a transaction result code (a notification's respCode, a query's origRespCode). */
export function unionpayResultBody(code: string | undefined, queryId: string | undefined): Record<string, unknown> {
  if (code === UNIONPAY_RESP.SUCCESS && queryId) return { status: 'SUCCESS', channelTradeNo: queryId };
  if (code === undefined || code === UNIONPAY_RESP.SUCCESS || unionpayInProcess(code)) return { status: 'PENDING', code: code ?? 'UNREADABLE' };
  return { status: 'DECLINED', code: code === UNIONPAY_RESP.INSUFFICIENT_FUNDS ? INSUFFICIENT_FUNDS : `RESP_${code}` };
}

/** The channel-neutral reading of a refund's result code (its answer's respCode, a query's origRespCode): 00 done, 03 / 04 / 05 in process, anything else failed. */
export function unionpayRefundResultBody(code: string | undefined, queryId: string | undefined): Record<string, unknown> {
  if (code === UNIONPAY_RESP.SUCCESS && queryId) return { status: 'SUCCESS', refundNo: queryId };
  if (code === undefined || code === UNIONPAY_RESP.SUCCESS || unionpayInProcess(code)) return { status: 'PENDING', code: `RESP_${code ?? 'UNREADABLE'}` };
  return { status: 'FAILED', code: `RESP_${code}` };
}

/**
 * Turns a verified ACP 5.1.0 answer into the channel-neutral answer. For a consume, respCode 00 in
 * the synchronous answer means "accepted", not "paid": the result comes by backUrl notification or
 * by query (origRespCode). 03 / 04 / 05 mean in process: query again later.
 */
export function channelAnswerFromUnionpay(call: UnionpayCall, p: UnionpayParams): ChannelAnswer {
  const code = p.respCode ?? '';
  if (code === UNIONPAY_RESP.SYSTEM_BUSY) return { kind: 'http', status: 503, body: { status: 'ERROR', code: `RESP_${code}` } };
  if (code === UNIONPAY_RESP.BAD_SIGNATURE || code === '10' || code === '13') return { kind: 'http', status: 400, body: { status: 'ERROR', code: `RESP_${code}`, message: p.respMsg } };
  if (call === 'query') {
    if (code === UNIONPAY_RESP.NOT_FOUND) return { kind: 'http', status: 404, body: { status: 'NOT_FOUND' } };
    if (code !== UNIONPAY_RESP.SUCCESS) return { kind: 'http', status: 200, body: { status: 'PENDING', code: `RESP_${code}` } };
    return { kind: 'http', status: 200, body: unionpayResultBody(p.origRespCode, p.queryId) };
  }
  if (call === 'refund-query') {
    if (code === UNIONPAY_RESP.NOT_FOUND) return { kind: 'http', status: 404, body: { status: 'NOT_FOUND' } };
    if (code !== UNIONPAY_RESP.SUCCESS) return { kind: 'http', status: 200, body: { status: 'PENDING', code: `RESP_${code}` } };
    return { kind: 'http', status: 200, body: unionpayRefundResultBody(p.origRespCode, p.queryId) };
  }
  if (call === 'refund') {
    // 12: this orderId was sent before, and that refund may have gone through: the query tells
    if (unionpayInProcess(code) || code === UNIONPAY_RESP.DUPLICATE) return { kind: 'http', status: 200, body: { status: 'PENDING', code: `RESP_${code}` } };
    return { kind: 'http', status: 200, body: unionpayRefundResultBody(code, p.queryId) };
  }
  if (code === UNIONPAY_RESP.SUCCESS || unionpayInProcess(code)) return { kind: 'http', status: 200, body: { status: 'PENDING', code: `RESP_${code}` } };
  return { kind: 'http', status: 200, body: unionpayResultBody(code, p.queryId) };
}
