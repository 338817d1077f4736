import { channelAnswerFromAlipay } from './alipay-answer';
import type { ChannelAnswer } from './charge-outcome';
import { refundQueryResultOf, refundResultOf, resentRefundResultOf } from './refund-outcome';
import { channelAnswerFromUnionpay } from './unionpay-answer';
import { channelAnswerFromWechatpay } from './wechatpay-answer';

const alipay = (r: Record<string, unknown>) => channelAnswerFromAlipay('alipay.trade.refund', r);
const alipayQuery = (r: Record<string, unknown>) => channelAnswerFromAlipay('alipay.trade.fastpay.refund.query', r);
const wechatpay = (status: number, b: Record<string, unknown>) => channelAnswerFromWechatpay('refund', status, b);
const wechatpayQuery = (status: number, b: Record<string, unknown>) => channelAnswerFromWechatpay('refund-query', status, b);
const unionpay = (p: Record<string, string>) => channelAnswerFromUnionpay('refund', p);
const unionpayQuery = (p: Record<string, string>) => channelAnswerFromUnionpay('refund-query', p);

describe('refund outcomes from channel answers: only a sure answer is final, anything the channel may have acted on is unknown', () => {
  it.each<[string, ChannelAnswer, 'succeeded' | 'failed' | 'unknown', string]>([
    // no answer, whichever channel
    ['timeout', { kind: 'timeout' }, 'unknown', 'in time'],
    ['connection cut after sending', { kind: 'network', detail: 'http://ch/refund: UND_ERR_SOCKET' }, 'unknown', 'UND_ERR_SOCKET'],
    ['connection refused (never sent)', { kind: 'network', detail: 'http://ch/refund: ECONNREFUSED' }, 'failed', 'ECONNREFUSED'],
    ['breaker open (never sent)', { kind: 'not-sent', detail: 'alipay refund breaker is open' }, 'failed', 'breaker'],
    ['a 5xx', { kind: 'http', status: 503, body: { status: 'ERROR', code: 'HTTP_5XX' } }, 'unknown', 'HTTP 503'],
    ['an answer that does not verify', { kind: 'http', status: 200, body: { status: 'UNVERIFIED', code: 'bad signature' } }, 'unknown', 'unreadable'],
    // Alipay alipay.trade.refund
    ['Alipay 10000 fund_change Y', alipay({ code: '10000', fund_change: 'Y', out_request_no: 'R1' }), 'succeeded', 'R1'],
    ['Alipay 10000 fund_change N', alipay({ code: '10000', fund_change: 'N', out_request_no: 'R1' }), 'unknown', 'FUND_CHANGE_N'],
    ['Alipay 20000 system busy', alipay({ code: '20000', sub_code: 'isp.unknow-error' }), 'unknown', 'HTTP 503'],
    ['Alipay 40004 ACQ.SYSTEM_ERROR', alipay({ code: '40004', sub_code: 'ACQ.SYSTEM_ERROR' }), 'unknown', 'ACQ.SYSTEM_ERROR'],
    ['Alipay 40004 ACQ.TRADE_NOT_ALLOW_REFUND', alipay({ code: '40004', sub_code: 'ACQ.TRADE_NOT_ALLOW_REFUND' }), 'failed', 'ACQ.TRADE_NOT_ALLOW_REFUND'],
    ['Alipay 40002 invalid arguments', alipay({ code: '40002', sub_code: 'isv.invalid-signature' }), 'failed', 'HTTP 400'],
    // WeChat Pay v3 POST /v3/refund/domestic/refunds
    ['WeChat Pay SUCCESS', wechatpay(200, { status: 'SUCCESS', refund_id: '5030' }), 'succeeded', '5030'],
    ['WeChat Pay PROCESSING', wechatpay(200, { status: 'PROCESSING', refund_id: '5030' }), 'unknown', 'PROCESSING'],
    ['WeChat Pay ABNORMAL', wechatpay(200, { status: 'ABNORMAL', refund_id: '5030' }), 'unknown', 'ABNORMAL'],
    ['WeChat Pay CLOSED', wechatpay(200, { status: 'CLOSED', refund_id: '5030' }), 'failed', 'CLOSED'],
    ['WeChat Pay 500 SYSTEM_ERROR', wechatpay(500, { code: 'SYSTEM_ERROR' }), 'unknown', 'SYSTEM_ERROR'],
    ['WeChat Pay 403 USER_ACCOUNT_ABNORMAL', wechatpay(403, { code: 'USER_ACCOUNT_ABNORMAL' }), 'failed', 'USER_ACCOUNT_ABNORMAL'],
    // UnionPay ACP txnType 04
    ['UnionPay 00', unionpay({ respCode: '00', queryId: 'Q1' }), 'succeeded', 'Q1'],
    ['UnionPay 05 in process', unionpay({ respCode: '05' }), 'unknown', 'RESP_05'],
    ['UnionPay 03 timeout', unionpay({ respCode: '03' }), 'unknown', 'RESP_03'],
    ['UnionPay 06 busy', unionpay({ respCode: '06' }), 'unknown', 'RESP_06'],
    ['UnionPay 12 duplicate', unionpay({ respCode: '12' }), 'unknown', 'RESP_12'],
    ['UnionPay 35 original not found', unionpay({ respCode: '35' }), 'failed', 'RESP_35'],
  ])('%s -> %s', (_label, answer, outcome, detail) => {
    const r = refundResultOf(answer);
    expect(r.outcome).toBe(outcome);
    if (outcome === 'succeeded') expect(r.channelRefundNo).toBe(detail);
    else expect(r.failure).toMatchObject({ code: outcome === 'failed' ? 'CHANNEL_REFUND_FAILED' : 'CHANNEL_OUTCOME_UNKNOWN', message: expect.stringContaining(detail) });
  });
});

describe('refund query answers: final, pending, or not found (never failed for want of news)', () => {
  it.each<[string, ChannelAnswer, string]>([
    ['no answer', { kind: 'timeout' }, 'pending'],
    ['a 5xx', { kind: 'http', status: 503, body: {} }, 'pending'],
    // Alipay alipay.trade.fastpay.refund.query
    ['Alipay REFUND_SUCCESS', alipayQuery({ code: '10000', out_request_no: 'R1', refund_amount: '10.00', refund_status: 'REFUND_SUCCESS' }), 'succeeded'],
    ['Alipay refund data without a status (older gateways)', alipayQuery({ code: '10000', out_request_no: 'R1', refund_amount: '10.00' }), 'succeeded'],
    ['Alipay 10000 with no refund data', alipayQuery({ code: '10000', out_trade_no: 'T1' }), 'not-found'],
    ['Alipay ACQ.TRADE_NOT_EXIST', alipayQuery({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' }), 'not-found'],
    ['Alipay ACQ.SYSTEM_ERROR', alipayQuery({ code: '40004', sub_code: 'ACQ.SYSTEM_ERROR' }), 'pending'],
    // WeChat Pay GET /v3/refund/domestic/refunds/{out_refund_no}
    ['WeChat Pay SUCCESS', wechatpayQuery(200, { status: 'SUCCESS', refund_id: '5030' }), 'succeeded'],
    ['WeChat Pay PROCESSING', wechatpayQuery(200, { status: 'PROCESSING', refund_id: '5030' }), 'pending'],
    ['WeChat Pay ABNORMAL', wechatpayQuery(200, { status: 'ABNORMAL', refund_id: '5030' }), 'pending'],
    ['WeChat Pay CLOSED', wechatpayQuery(200, { status: 'CLOSED', refund_id: '5030' }), 'failed'],
    ['WeChat Pay 404 RESOURCE_NOT_EXISTS', wechatpayQuery(404, { code: 'RESOURCE_NOT_EXISTS' }), 'not-found'],
    // UnionPay ACP queryTrans.do for the refund's orderId
    ['UnionPay origRespCode 00', unionpayQuery({ respCode: '00', origRespCode: '00', queryId: 'Q1' }), 'succeeded'],
    ['UnionPay origRespCode 05', unionpayQuery({ respCode: '00', origRespCode: '05', queryId: 'Q1' }), 'pending'],
    ['UnionPay origRespCode 01', unionpayQuery({ respCode: '00', origRespCode: '01', queryId: 'Q1' }), 'failed'],
    ['UnionPay respCode 34 (no such transaction)', unionpayQuery({ respCode: '34' }), 'not-found'],
    ['UnionPay respCode 06 (busy)', unionpayQuery({ respCode: '06' }), 'pending'],
  ])('%s -> %s', (_label, answer, expected) => {
    const r = refundQueryResultOf(answer);
    expect(typeof r === 'string' ? r : r.outcome).toBe(expected);
  });
});

describe('a refund sent again with its number after a crash: a resend that never left says nothing about the first send', () => {
  it.each<[string, ChannelAnswer, 'succeeded' | 'failed' | 'unknown']>([
    ['breaker open (the resend never left)', { kind: 'not-sent', detail: 'alipay refund breaker is open' }, 'unknown'],
    ['connection refused (the resend never left)', { kind: 'network', detail: 'http://ch/refund: ECONNREFUSED' }, 'unknown'],
    ['connection cut after sending', { kind: 'network', detail: 'http://ch/refund: UND_ERR_SOCKET' }, 'unknown'],
    ['Alipay answers the refund number it made', alipay({ code: '10000', fund_change: 'Y', out_request_no: 'R1' }), 'succeeded'],
    ['Alipay answers a repeated number with fund_change N (no new fund change): unknown until queried', alipay({ code: '10000', fund_change: 'N', out_request_no: 'R1' }), 'unknown'],
    ['WeChat Pay answers the refund it made under the number', wechatpay(200, { status: 'SUCCESS', refund_id: '5030' }), 'succeeded'],
    ['WeChat Pay CLOSED (the channel about the number)', wechatpay(200, { status: 'CLOSED', refund_id: '5030' }), 'failed'],
  ])('%s -> %s', (_label, answer, expected) => {
    expect(resentRefundResultOf(answer).outcome).toBe(expected);
  });
});
