import { beijingDateTime, readAlipayBill, readWechatpayTradeBill, alipayBillZip, wechatpayTradeBill } from '@paystream/shared/channel-protocols';
import { ChannelSandbox, type ChargeRequest } from './channel-sandbox';
import { DailyBills, feeOf } from './daily-bills';

describe('the daily bills and the breaks planted in them', () => {
  const today = beijingDateTime().slice(0, 10);
  let sandbox: ChannelSandbox;
  let bills: DailyBills;
  const charge = (channel: ChargeRequest['channel'], outTradeNo: string, amountMinor: bigint) =>
    sandbox.charge({ channel, outTradeNo, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', mode: 'sync' });

  beforeEach(() => {
    sandbox = new ChannelSandbox({ holdMs: 0, payDelayMs: 0 });
    bills = new DailyBills(sandbox);
    for (const n of [1, 2, 3]) charge('alipay', `ali${n}00000`, BigInt(n * 1000));
    charge('alipay', 'ali5100000', 2051n); // declined
    charge('wechatpay', 'wx100000', 700n);
    sandbox.refund({ outRefundNo: 'refund0001', outTradeNo: 'ali100000', amountMinor: 300n });
  });
  afterEach(() => sandbox.stop());

  const billed = () => bills.tradesFor('alipay', today).map((t) => `${t.kind}:${t.outTradeNo}:${t.amountMinor}`);

  it('bills each channel\'s own successful charges and refunds of the day, at 0.6 % half up', () => {
    expect(billed()).toEqual(['payment:ali100000:1000', 'payment:ali200000:2000', 'payment:ali300000:3000', 'refund:ali100000:300']);
    expect(bills.tradesFor('wechatpay', today).map((t) => t.outTradeNo)).toEqual(['wx100000']);
    expect(bills.tradesFor('alipay', '2020-01-01')).toEqual([]);
    expect(feeOf(1234n)).toBe(7n);
    expect(feeOf(1250n)).toBe(8n); // 7.5 fen, half up
  });

  it('plants each kind of break, records it, and every later bill of the day carries it', () => {
    const fake = bills.plant({ channel: 'alipay', date: today, kind: 'missing_ours', amountMinor: 4321n });
    const dropped = bills.plant({ channel: 'alipay', date: today, kind: 'missing_channel' });
    const changed = bills.plant({ channel: 'alipay', date: today, kind: 'amount_mismatch' });
    const status = bills.plant({ channel: 'alipay', date: today, kind: 'status_mismatch' });
    for (const p of [fake, dropped, changed, status]) expect(p).not.toHaveProperty('code');
    expect(dropped).toMatchObject({ outTradeNo: 'ali100000', actualAmountMinor: 1000n });
    expect(changed).toMatchObject({ outTradeNo: 'ali200000', actualAmountMinor: 2000n, billedAmountMinor: 2001n });
    expect(status).toMatchObject({ outTradeNo: 'ali5100000', billedAmountMinor: 2051n });
    const fakeNo = (fake as { outTradeNo: string }).outTradeNo;
    expect(billed().sort()).toEqual(['payment:ali200000:2001', 'payment:ali300000:3000', `payment:${fakeNo}:4321`, 'payment:ali5100000:2051', 'refund:ali100000:300'].sort());
    // the same through the channels' own formats
    const zip = alipayBillZip(today, '2021000000000001', bills.tradesFor('alipay', today));
    expect(readAlipayBill(zip).map((r) => `${r.outTradeNo}:${r.amountMinor}`).sort()).toEqual(['ali200000:2001', 'ali300000:3000', `${fakeNo}:4321`, 'ali5100000:2051', 'ali100000:300'].sort());
    expect(bills.planted({ channel: 'alipay', date: today }).map((p) => p.kind)).toEqual(['missing_ours', 'missing_channel', 'amount_mismatch', 'status_mismatch']);
    expect(bills.planted({ channel: 'wechatpay' })).toEqual([]);
    // the WeChat Pay bill is untouched
    expect(readWechatpayTradeBill(wechatpayTradeBill(today, 'wx8888888888888888', '1900000001', bills.tradesFor('wechatpay', today))).map((r) => r.outTradeNo)).toEqual(['wx100000']);
  });

  it('refuses what it cannot plant: no trade left to break, a trade broken twice, an amount that changes nothing', () => {
    expect(bills.plant({ channel: 'wechatpay', date: today, kind: 'status_mismatch' })).toMatchObject({ code: 'NO_TRADE_TO_BREAK' });
    expect(bills.plant({ channel: 'alipay', date: '2020-01-01', kind: 'missing_channel' })).toMatchObject({ code: 'NO_TRADE_TO_BREAK' });
    expect(bills.plant({ channel: 'alipay', date: today, kind: 'missing_channel', outTradeNo: 'ali300000' })).toMatchObject({ outTradeNo: 'ali300000' });
    expect(bills.plant({ channel: 'alipay', date: today, kind: 'amount_mismatch', outTradeNo: 'ali300000' })).toMatchObject({ code: 'TRADE_ALREADY_BROKEN' });
    expect(bills.plant({ channel: 'alipay', date: today, kind: 'amount_mismatch', outTradeNo: 'ali200000', amountMinor: 2000n })).toMatchObject({ code: 'NO_TRADE_TO_BREAK' });
    bills.reset();
    expect(bills.planted()).toEqual([]);
    expect(billed()).toHaveLength(4);
  });
});
