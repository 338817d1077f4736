import { chargeResultOf, queryResultOf } from './charge-outcome';
import { refundResultOf } from './refund-outcome';
import { channelAnswerFromUnionpay } from './unionpay-answer';

describe('UnionPay ACP 5.1.0 answers as outcomes', () => {
  it.each([
    [{ respCode: '00' }, 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
    [{ respCode: '05' }, 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
    [{ respCode: '03' }, 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
    [{ respCode: '64' }, 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS'],
    [{ respCode: '30' }, 'failed', 'CHANNEL_DECLINED'],
    [{ respCode: '11', respMsg: '验证签名失败' }, 'failed', 'CHANNEL_REJECTED_REQUEST'],
    [{ respCode: '06' }, 'failed', 'CHANNEL_UNAVAILABLE'],
  ])('consume %j -> %s (00 is "accepted", not "paid")', (params, outcome, code) => {
    expect(chargeResultOf(channelAnswerFromUnionpay('charge', params))).toMatchObject({ outcome, failure: { code } });
  });

  it.each([
    [{ respCode: '00', origRespCode: '00', queryId: '2026112500001' }, 'succeeded'],
    [{ respCode: '00', origRespCode: '05' }, 'pending'],
    [{ respCode: '00', origRespCode: '64' }, 'failed'],
    [{ respCode: '34' }, 'not-found'],
    [{ respCode: '03' }, 'pending'],
  ])('query %j -> %s (origRespCode tells the original)', (params, expected) => {
    const r = queryResultOf(channelAnswerFromUnionpay('query', params));
    expect(typeof r === 'string' ? r : r.outcome).toBe(expected);
  });

  it('reads refunds', () => {
    expect(refundResultOf(channelAnswerFromUnionpay('refund', { respCode: '00', queryId: 'Q1' }))).toMatchObject({ outcome: 'succeeded', channelRefundNo: 'Q1' });
    expect(refundResultOf(channelAnswerFromUnionpay('refund', { respCode: '35' })).outcome).toBe('failed');
  });
});
