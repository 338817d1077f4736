import { faultedCall } from './call-faults';

describe('which channel call a request is (for the call faults)', () => {
  it.each([
    ['POST', '/alipay/gateway.do?method=alipay.trade.pay&sign=x', undefined, { target: 'alipay', operation: 'charge' }],
    ['POST', '/alipay/gateway.do?method=alipay.trade.precreate', undefined, { target: 'alipay', operation: 'charge' }],
    ['POST', '/alipay/gateway.do?method=alipay.trade.refund', undefined, { target: 'alipay', operation: 'refund' }],
    ['POST', '/alipay/gateway.do?method=alipay.trade.query', undefined, { target: 'alipay', operation: 'query' }],
    ['POST', '/alipay/gateway.do?method=alipay.trade.fastpay.refund.query', undefined, { target: 'alipay', operation: 'query' }],
    ['POST', '/alipay/gateway.do?method=alipay.trade.close', undefined, { target: 'alipay', operation: 'close' }],
    ['POST', '/alipay/gateway.do?method=alipay.data.dataservice.bill.downloadurl.query', undefined, { target: 'alipay', operation: 'bill' }],
    ['POST', '/alipay/gateway.do?method=alipay.trade.wap.pay', undefined, undefined],
    ['POST', '/v3/pay/transactions/native', '{}', { target: 'wechatpay', operation: 'charge' }],
    ['GET', '/v3/pay/transactions/out-trade-no/abc?mchid=1', undefined, { target: 'wechatpay', operation: 'query' }],
    ['GET', '/v3/refund/domestic/refunds/R1', undefined, { target: 'wechatpay', operation: 'query' }],
    ['POST', '/v3/pay/transactions/out-trade-no/abc/close', '{}', { target: 'wechatpay', operation: 'close' }],
    ['POST', '/v3/refund/domestic/refunds', '{}', { target: 'wechatpay', operation: 'refund' }],
    ['GET', '/v3/bill/tradebill?bill_date=2026-01-01', undefined, { target: 'wechatpay', operation: 'bill' }],
    ['GET', '/v3/billdownload/file?token=x', undefined, { target: 'wechatpay', operation: 'bill' }],
    ['POST', '/gateway/api/backTransReq.do', { txnType: '01' }, { target: 'unionpay', operation: 'charge' }],
    ['POST', '/gateway/api/backTransReq.do', { txnType: '04' }, { target: 'unionpay', operation: 'refund' }],
    ['POST', '/gateway/api/backTransReq.do', { txnType: '79' }, { target: 'unionpay', operation: 'token' }],
    ['POST', '/gateway/api/backTransReq.do', { txnType: '31' }, undefined],
    ['POST', '/gateway/api/queryTrans.do', { txnType: '00' }, { target: 'unionpay', operation: 'query' }],
    ['POST', '/unionpay/filedownload', { txnType: '76' }, { target: 'unionpay', operation: 'bill' }],
    ['POST', '/bank/payouts', { payoutId: 'S1' }, { target: 'bank', operation: 'payout' }],
    ['GET', '/bank/payouts/S1', undefined, { target: 'bank', operation: 'query' }],
    ['GET', '/sandbox/faults', undefined, undefined],
    ['POST', '/sandbox/reset', undefined, undefined],
    ['GET', '/health', undefined, undefined],
    ['GET', '/alipay/bills/2026-01-01', undefined, undefined],
  ])('%s %s is %j', (method, url, body, expected) => {
    const query = Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? ''));
    expect(faultedCall(method, url, query, body)).toEqual(expected);
  });
});
