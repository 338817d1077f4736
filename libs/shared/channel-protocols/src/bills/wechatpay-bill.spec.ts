import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { BILL_DATE, BILL_DAY_START_MS, billTrade, billTradeArbitrary, expectedRow, sumOf } from './bill-arbitraries';
import { BillTrade } from './bill-types';
import { WECHATPAY_TRADE_BILL_HEADER, readWechatpayTradeBill, readWechatpayTradeBillTotals, wechatpayBillHash, wechatpayTradeBill } from './wechatpay-bill';
import { BillFormatError } from './yuan';

const APP_ID = 'wx2421b1c4370ec43b';
const MCH_ID = '1900000109';
const payment = billTrade({ channel: 'wechatpay', channelTradeNo: '4200002086202403051234567890', amountMinor: 1000n, feeMinor: 6n });
const refund = billTrade({
  channel: 'wechatpay',
  channelTradeNo: '4200002086202403051234567890',
  kind: 'refund',
  amountMinor: 250n,
  feeMinor: 2n,
  outRefundNo: 'RF-1',
  channelRefundNo: '50303108562024030501487282563',
  subject: '测试,商品',
  paidAt: new Date(BILL_DAY_START_MS + 12 * 3_600_000),
});

describe('WeChat Pay trade bill (ALL)', () => {
  it('prints the documented header, backtick-marked rows and the summary, with CRLF line ends', () => {
    const lines = wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, [payment, refund]).split('\r\n');
    expect(lines).toEqual([
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
      '`2024-03-05 10:00:05,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200002086202403051234567890,`ORD-1,`,`NATIVE,`SUCCESS,`OTHERS,`CNY,`10.00,`0.00,`0,`0,`0.00,`0.00,`,`,`测试商品,`,`0.06000,`0.60%,`10.00,`0.00,`',
      '`2024-03-05 12:00:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200002086202403051234567890,`ORD-1,`,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50303108562024030501487282563,`RF-1,`2.50,`0.00,`ORIGINAL,`SUCCESS,"`测试,商品",`,`-0.02000,`0.80%,`0.00,`2.50,`',
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
      '`2,`10.00,`2.50,`0.00,`0.04000,`10.00,`2.50',
      '',
    ]);
  });

  it('reads back the same trades, to the fen, and the summary', () => {
    const bill = wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, [payment, refund]);
    expect(readWechatpayTradeBill(bill)).toEqual([
      { channelTradeNo: payment.channelTradeNo, outTradeNo: 'ORD-1', kind: 'payment', amountMinor: 1000n, feeMinor: 6n, paidAt: '2024-03-05 10:00:05' },
      {
        channelTradeNo: payment.channelTradeNo,
        outTradeNo: 'ORD-1',
        kind: 'refund',
        amountMinor: 250n,
        feeMinor: 2n,
        paidAt: '2024-03-05 12:00:00',
        outRefundNo: 'RF-1',
        channelRefundNo: '50303108562024030501487282563',
      },
    ]);
    expect(readWechatpayTradeBillTotals(bill)).toEqual({
      tradeCount: 2,
      settlementTotalMinor: 1000n,
      refundTotalMinor: 250n,
      rechargeCouponRefundTotalMinor: 0n,
      feeTotalMinor: 4n,
      orderTotalMinor: 1000n,
      refundRequestTotalMinor: 250n,
    });
  });

  it('holds only the WeChat Pay trades of that Beijing day', () => {
    const late = billTrade({ channel: 'wechatpay', outTradeNo: 'LATE', paidAt: new Date(BILL_DAY_START_MS + 24 * 3_600_000) });
    const alipay = billTrade({ channel: 'alipay', outTradeNo: 'ALI' });
    const bill = wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, [late, payment, alipay]);
    expect(readWechatpayTradeBill(bill).map((r) => r.outTradeNo)).toEqual(['ORD-1']);
    expect(readWechatpayTradeBillTotals(wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, [])).tradeCount).toBe(0);
  });

  it('survives the round trip exactly for random trades, and its summary is the sums', () => {
    fc.assert(
      fc.property(fc.array(billTradeArbitrary('wechatpay'), { maxLength: 30 }), (trades) => {
        const bill = wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, trades);
        expect(readWechatpayTradeBill(bill)).toEqual(trades.map(expectedRow));
        const payments = sumOf(trades, 'payment', (t) => t.amountMinor);
        const refunds = sumOf(trades, 'refund', (t) => t.amountMinor);
        expect(readWechatpayTradeBillTotals(bill)).toEqual({
          tradeCount: trades.length,
          settlementTotalMinor: payments,
          refundTotalMinor: refunds,
          rechargeCouponRefundTotalMinor: 0n,
          feeTotalMinor: sumOf(trades, 'payment', (t) => t.feeMinor) - sumOf(trades, 'refund', (t) => t.feeMinor),
          orderTotalMinor: payments,
          refundRequestTotalMinor: refunds,
        });
      }),
    );
  });

  it('hash_value is the SHA1 hex of the bytes downloaded', () => {
    const bill = wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, [payment, refund]);
    expect(wechatpayBillHash(bill)).toBe(createHash('sha1').update(Buffer.from(bill, 'utf8')).digest('hex'));
    expect(wechatpayBillHash(Buffer.from(bill, 'utf8'))).toBe(wechatpayBillHash(bill));
    expect(wechatpayBillHash('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });

  it('reads a bill as the API serves it: BOM, LF line ends, two-decimal fees, columns in another order', () => {
    const header = [...WECHATPAY_TRADE_BILL_HEADER].reverse();
    const row = (values: Record<string, string>) => header.map((h) => `\`${values[h] ?? ''}`).join(',');
    const text = [
      `\ufeff${header.join(',')}`,
      row({ 交易时间: '2024-03-05 09:00:00', 微信订单号: '4200000001', 商户订单号: 'A1', 交易状态: 'SUCCESS', 手续费: '0.32', 订单金额: '60.00', 申请退款金额: '0.00', 微信退款单号: '0', 商户退款单号: '0' }),
      row({ 交易时间: '2024-03-05 10:00:00', 微信订单号: '4200000001', 商户订单号: 'A1', 交易状态: 'REFUND', 手续费: '-0.27000', 订单金额: '0.00', 申请退款金额: '50.00', 微信退款单号: '5030001', 商户退款单号: 'R1' }),
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
      '`2,`60.00,`50.00,`0.00,`0.05000,`60.00,`50.00',
    ].join('\n');
    expect(readWechatpayTradeBill(text)).toEqual([
      { channelTradeNo: '4200000001', outTradeNo: 'A1', kind: 'payment', amountMinor: 6000n, feeMinor: 32n, paidAt: '2024-03-05 09:00:00' },
      { channelTradeNo: '4200000001', outTradeNo: 'A1', kind: 'refund', amountMinor: 5000n, feeMinor: 27n, paidAt: '2024-03-05 10:00:00', outRefundNo: 'R1', channelRefundNo: '5030001' },
    ]);
    expect(readWechatpayTradeBillTotals(text).feeTotalMinor).toBe(5n);
  });

  it('refuses amounts below the fen, unknown states and a bill without its summary', () => {
    const bill = wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, [payment]);
    expect(() => readWechatpayTradeBill(bill.replace('`0.60%,`10.00,', '`0.60%,`10.005,'))).toThrow(BillFormatError);
    expect(() => readWechatpayTradeBill(bill.replace('`0.06000', '`0.06400'))).toThrow(/below the fen/);
    expect(() => readWechatpayTradeBill(bill.replace('`SUCCESS', '`REVOKED'))).toThrow(/交易状态 not supported/);
    expect(() => readWechatpayTradeBill(bill.split('总交易单数')[0])).toThrow(/summary/);
    expect(() => readWechatpayTradeBill('')).toThrow(BillFormatError);
  });

  it('refuses trades no bill could carry', () => {
    const bad: Partial<BillTrade>[] = [{ currency: 'USD' }, { amountMinor: -1n }, { kind: 'refund', outRefundNo: undefined }, { channelTradeNo: 'a`b' }];
    for (const over of bad) expect(() => wechatpayTradeBill(BILL_DATE, APP_ID, MCH_ID, [{ ...payment, ...over }])).toThrow(BillFormatError);
    expect(() => wechatpayTradeBill(BILL_DATE, 'wx,1', MCH_ID, [])).toThrow(BillFormatError);
  });
});
