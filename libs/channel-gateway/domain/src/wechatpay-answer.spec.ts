import { chargeResultOf, closeResultOf, queryResultOf } from './charge-outcome';
import { refundResultOf } from './refund-outcome';
import { channelAnswerFromWechatpay } from './wechatpay-answer';

describe('WeChat Pay v3 answers as outcomes', () => {
  it('a created Native order is pending: the buyer pays after scanning', () => {
    expect(chargeResultOf(channelAnswerFromWechatpay('charge', 200, { code_url: 'weixin://wxpay/bizpayurl?pr=abc' }))).toMatchObject({ outcome: 'unknown', failure: { code: 'CHANNEL_OUTCOME_UNKNOWN' } });
  });

  it.each([
    [401, { code: 'SIGN_ERROR', message: 'bad signature' }, 'failed', 'CHANNEL_REJECTED_REQUEST'],
    [400, { code: 'PARAM_ERROR' }, 'failed', 'CHANNEL_REJECTED_REQUEST'],
    [500, { code: 'SYSTEM_ERROR' }, 'failed', 'CHANNEL_UNAVAILABLE'],
  ])('charge HTTP %s %j -> %s %s', (status, body, outcome, code) => {
    expect(chargeResultOf(channelAnswerFromWechatpay('charge', status, body))).toMatchObject({ outcome, failure: { code } });
  });

  it.each([
    [200, { trade_state: 'SUCCESS', transaction_id: '4200001' }, 'succeeded'],
    [200, { trade_state: 'REFUND', transaction_id: '4200001' }, 'succeeded'],
    [200, { trade_state: 'NOTPAY' }, 'pending'],
    [200, { trade_state: 'USERPAYING' }, 'pending'],
    [200, { trade_state: 'PAYERROR', trade_state_desc: '余额不足' }, 'failed'],
    [200, { trade_state: 'CLOSED' }, 'failed'],
    [404, { code: 'ORDER_NOT_EXIST' }, 'not-found'],
    [500, { code: 'SYSTEM_ERROR' }, 'pending'],
  ] as const)('query HTTP %s %j -> %s', (status, body, expected) => {
    const r = queryResultOf(channelAnswerFromWechatpay('query', status, body));
    expect(typeof r === 'string' ? r : r.outcome).toBe(expected);
  });

  it('a PAYERROR for want of balance is an insufficient-funds decline', () => {
    expect(chargeResultOf(channelAnswerFromWechatpay('query', 200, { trade_state: 'PAYERROR', trade_state_desc: '余额不足' })).failure?.code).toBe('CHANNEL_DECLINED_INSUFFICIENT_FUNDS');
  });

  it.each([
    [204, {}, 'closed'],
    [400, { code: 'ORDERPAID' }, 'already-paid'],
    [404, { code: 'ORDER_NOT_EXIST' }, 'closed'],
    [500, { code: 'SYSTEM_ERROR' }, 'retry'],
  ] as const)('close HTTP %s %j -> %s', (status, body, expected) => {
    expect(closeResultOf(channelAnswerFromWechatpay('close', status, body))).toBe(expected);
  });

  it('reads refunds', () => {
    expect(refundResultOf(channelAnswerFromWechatpay('refund', 200, { status: 'SUCCESS', refund_id: '5030' }))).toMatchObject({ outcome: 'succeeded', channelRefundNo: '5030' });
    expect(refundResultOf(channelAnswerFromWechatpay('refund', 403, { code: 'USER_ACCOUNT_ABNORMAL' })).failure?.message).toContain('USER_ACCOUNT_ABNORMAL');
  });
});
