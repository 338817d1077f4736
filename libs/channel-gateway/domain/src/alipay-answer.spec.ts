import { channelAnswerFromAlipay } from './alipay-answer';
import { chargeResultOf, closeResultOf, queryResultOf } from './charge-outcome';
import { refundResultOf } from './refund-outcome';

describe('Alipay answers as outcomes', () => {
  it.each([
    [{ code: '10000', trade_no: '2026A' }, 'succeeded', undefined],
    [{ code: '40004', sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' }, 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS'],
    [{ code: '40004', sub_code: 'ACQ.PAYMENT_FAIL' }, 'failed', 'CHANNEL_DECLINED'],
    [{ code: '10003', msg: 'waiting for the buyer' }, 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
    [{ code: '20000', sub_code: 'aop.unknow-error' }, 'failed', 'CHANNEL_UNAVAILABLE'],
    [{ code: '40002', sub_code: 'isv.invalid-signature' }, 'failed', 'CHANNEL_REJECTED_REQUEST'],
  ])('alipay.trade.pay %j -> %s', (response, outcome, code) => {
    const r = chargeResultOf(channelAnswerFromAlipay('alipay.trade.pay', response));
    expect(r.outcome).toBe(outcome);
    expect(r.failure?.code).toBe(code);
  });

  it.each([
    [{ code: '10000', trade_status: 'TRADE_SUCCESS', trade_no: 'T' }, 'succeeded'],
    [{ code: '10000', trade_status: 'TRADE_CLOSED' }, 'failed'],
    [{ code: '10000', trade_status: 'WAIT_BUYER_PAY' }, 'pending'],
    [{ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' }, 'not-found'],
  ])('alipay.trade.query %j -> %s', (response, expected) => {
    const r = queryResultOf(channelAnswerFromAlipay('alipay.trade.query', response));
    expect(typeof r === 'string' ? r : r.outcome).toBe(expected);
  });

  it.each([
    [{ code: '10000', trade_no: 'T' }, 'closed'],
    [{ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' }, 'closed'],
    [{ code: '40004', sub_code: 'ACQ.TRADE_STATUS_ERROR' }, 'already-paid'],
    [{ code: '20000', sub_code: 'aop.unknow-error' }, 'retry'],
  ])('alipay.trade.close %j -> %s', (response, expected) => {
    expect(closeResultOf(channelAnswerFromAlipay('alipay.trade.close', response))).toBe(expected);
  });

  it('reads a created QR order (alipay.trade.precreate) as pending: the buyer has yet to scan and pay', () => {
    expect(chargeResultOf(channelAnswerFromAlipay('alipay.trade.precreate', { code: '10000', out_trade_no: 'o', qr_code: 'https://qr.alipay.com/x' })).outcome).toBe('unknown');
    expect(chargeResultOf(channelAnswerFromAlipay('alipay.trade.precreate', { code: '40004', sub_code: 'ACQ.TRADE_HAS_SUCCESS' })).outcome).toBe('unknown');
  });

  it('reads refunds', () => {
    expect(refundResultOf(channelAnswerFromAlipay('alipay.trade.refund', { code: '10000', fund_change: 'Y', refund_no: 'RF1' }))).toMatchObject({ outcome: 'succeeded', channelRefundNo: 'RF1' });
    expect(refundResultOf(channelAnswerFromAlipay('alipay.trade.refund', { code: '40004', sub_code: 'ACQ.TRADE_NOT_ALLOW_REFUND' }))).toMatchObject({
      outcome: 'failed',
      failure: { code: 'CHANNEL_REFUND_FAILED', message: expect.stringContaining('ACQ.TRADE_NOT_ALLOW_REFUND') },
    });
  });
});
