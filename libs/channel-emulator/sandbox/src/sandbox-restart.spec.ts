import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beijingDateTime, ensureChannelKeys, loadMerchantKeys, readAlipayBill, signAlipayParams, verifyAlipayResponse } from '@paystream/shared/channel-protocols';
import { ChannelSandbox, type ChargeRequest } from './channel-sandbox';
import { DailyBills } from './daily-bills';
import { createEmulatorApp } from './emulator.module';
import { loadEmulatorConfig } from './emulator-config';
import { SandboxJournal } from './sandbox-journal';

describe('the sandbox\'s books across a restart (a state directory)', () => {
  const today = beijingDateTime().slice(0, 10);
  const timings = { holdMs: 0, payDelayMs: 10 };
  let dir: string;
  const running: ChannelSandbox[] = [];
  const start = () => {
    const sandbox = new ChannelSandbox(timings, () => undefined, new SandboxJournal(dir));
    running.push(sandbox);
    return sandbox;
  };
  const charge = (sandbox: ChannelSandbox, channel: ChargeRequest['channel'], outTradeNo: string, amountMinor: bigint, mode: ChargeRequest['mode'] = 'sync') =>
    sandbox.charge({ channel, outTradeNo, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', mode });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'paystream-emulator-state-'));
  });
  afterEach(() => running.splice(0).forEach((s) => s.stop()));

  it('answers queries, refunds, the daily bills and the bank\'s payout queries after a restart as before', async () => {
    const before = start();
    charge(before, 'alipay', 'ali1', 1000n);
    charge(before, 'alipay', 'ali51', 2051n); // declined
    charge(before, 'wechatpay', 'wx1', 700n, 'async');
    charge(before, 'unionpay', 'up1', 1500n);
    charge(before, 'unionpay', 'up-closed', 900n, 'async');
    expect(before.close('up-closed')).toBe('CLOSED');
    await new Promise((r) => setTimeout(r, 50)); // the WeChat Pay buyer pays
    expect(before.refund({ outRefundNo: 'R1', outTradeNo: 'ali1', amountMinor: 300n })).toMatchObject({ status: 'SUCCESS' });
    expect(before.refund({ outRefundNo: 'R2', outTradeNo: 'up1', amountMinor: 1500n })).toMatchObject({ status: 'SUCCESS' });
    expect(before.refund({ outRefundNo: 'R3', outTradeNo: 'ali51', amountMinor: 1n })).toMatchObject({ status: 'FAILED' });
    const paid = before.payoutByAccount({ payoutId: 'S1', merchantId: 'm-1', accountNo: '62220200000000001', amountMinor: 993n, currency: 'CNY' });
    before.payoutByAccount({ payoutId: 'S-4001', merchantId: 'm-1', accountNo: '62220200000004001', amountMinor: 500n, currency: 'CNY' });
    before.payoutByAccount({ payoutId: 'S-4002', merchantId: 'm-1', accountNo: '62220200000004002', amountMinor: 500n, currency: 'CNY' });
    const billsBefore = new DailyBills(before);
    const rows = (bills: DailyBills) => ['alipay', 'wechatpay', 'unionpay'].map((c) => bills.tradesFor(c as 'alipay', today));
    const billed = rows(billsBefore);
    const queries = (s: ChannelSandbox) => ['ali1', 'ali51', 'wx1', 'up1', 'up-closed', 'never'].map((no) => s.query(no));
    const answered = queries(before);
    const bank = (s: ChannelSandbox) => ['S1', 'S-4001', 'S-4002'].map((id) => s.queryPayout(id));
    const banked = bank(before);
    const stats = before.stats();
    before.stop();

    const after = start();
    expect(queries(after)).toEqual(answered);
    expect(answered.map((t) => t?.state)).toEqual(['SUCCESS', 'DECLINED', 'SUCCESS', 'SUCCESS', 'CLOSED', undefined]);
    expect(rows(new DailyBills(after))).toEqual(billed);
    expect(billed[0]!.map((t) => `${t.kind}:${t.outTradeNo}:${t.amountMinor}`)).toEqual(['payment:ali1:1000', 'refund:ali1:300']);
    expect(bank(after)).toEqual(banked);
    expect(banked).toEqual([{ status: 'PAID', payoutId: 'S1', payoutRef: (paid as { payoutRef: string }).payoutRef }, { status: 'FAILED', payoutId: 'S-4001', code: 'ACCOUNT_FROZEN' }, undefined]);
    // idempotency holds across the restart: the same refund and payout answer as before, nothing twice
    expect(after.refund({ outRefundNo: 'R1', outTradeNo: 'ali1', amountMinor: 300n })).toEqual(before.refund({ outRefundNo: 'R1', outTradeNo: 'ali1', amountMinor: 300n }));
    expect(after.refund({ outRefundNo: 'R4', outTradeNo: 'ali1', amountMinor: 701n })).toMatchObject({ status: 'FAILED', code: 'REFUND_AMOUNT_EXCEEDED' });
    expect(after.payout({ payoutId: 'S1', merchantId: 'm-1', amountMinor: 993n, currency: 'CNY' })).toEqual(paid.status === 'PAID' ? { payoutId: 'S1', payoutRef: paid.payoutRef } : undefined);
    expect(charge(after, 'alipay', 'ali1', 1000n)).toMatchObject({ kind: 'answer', repeated: true, trade: { state: 'SUCCESS' } });
    // the account and currency paid are remembered too: the paid payoutId asked again for another account is refused
    expect(after.payoutByAccount({ payoutId: 'S1', merchantId: 'm-1', accountNo: '62220200000000002', amountMinor: 993n, currency: 'CNY' })).toEqual({ status: 'ERROR', payoutId: 'S1', code: 'PAYOUT_ID_REUSED' });
    expect(after.payoutByAccount({ payoutId: 'S1', merchantId: 'm-1', accountNo: '62220200000000001', amountMinor: 993n, currency: 'CNY' })).toMatchObject({ status: 'PAID', payoutId: 'S1' });
    expect(after.stats()).toMatchObject({ chargedMinor: stats.chargedMinor, refunds: { count: stats.refunds.count + 1, refundedMinor: stats.refunds.refundedMinor }, payouts: { count: 1, paidMinor: '993', duplicates: 2 }, charges: { succeeded: 3, declined: 1, closed: 1 } });
  });

  it('keeps a trade that was still in process as PROCESSING (its timer is not restored) until it is closed', () => {
    const before = start();
    charge(before, 'wechatpay', 'wx-pending', 800n, 'async');
    before.stop(); // before the buyer pays
    const after = start();
    expect(after.query('wx-pending')?.state).toBe('PROCESSING');
    expect(after.close('wx-pending')).toBe('CLOSED');
    expect(start().query('wx-pending')?.state).toBe('CLOSED');
  });

  it('reset forgets the books on disk too', () => {
    const before = start();
    charge(before, 'alipay', 'ali1', 1000n);
    before.reset();
    expect(start().query('ali1')).toBeUndefined();
  });

  it('without a journal keeps nothing: a new sandbox knows no trade', () => {
    const memory = new ChannelSandbox(timings);
    charge(memory, 'alipay', 'ali1', 1000n);
    memory.stop();
    expect(start().query('ali1')).toBeUndefined();
  });
});

describe('the channel emulator over HTTP, restarted on the same state directory', () => {
  const keysDir = mkdtempSync(join(tmpdir(), 'paystream-emulator-keys-'));
  ensureChannelKeys(keysDir);
  const keys = loadMerchantKeys(keysDir).alipay;

  it('still bills, queries and refunds the Alipay trade of the earlier run', async () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'paystream-emulator-state-')), 'channel-emulator');
    const config = loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_STATE_DIR: stateDir, LOG_LEVEL: 'silent' });
    const call = async (app: Awaited<ReturnType<typeof createEmulatorApp>>, method: string, biz: Record<string, string>) => {
      const params = signAlipayParams({ app_id: '2021000000000001', method, charset: 'utf-8', timestamp: '2026-12-04 10:00:00', version: '1.0', biz_content: JSON.stringify(biz) }, keys.merchantPrivateKeyPem);
      const res = await app.inject({ method: 'POST', url: `/alipay/gateway.do?${new URLSearchParams(params as Record<string, string>)}` });
      const verified = verifyAlipayResponse(res.body, method, keys.platformPublicKeyPem);
      if (!verified.ok) throw new Error(`unverified answer to ${method}: ${res.body}`);
      return verified.response;
    };
    const bill = async (app: Awaited<ReturnType<typeof createEmulatorApp>>) => {
      const today = beijingDateTime().slice(0, 10);
      return readAlipayBill((await app.inject({ method: 'GET', url: `/alipay/bills/${today}` })).rawPayload).map((r) => `${r.kind}:${r.outTradeNo}:${r.amountMinor}`);
    };

    const first = await createEmulatorApp(config);
    await first.init();
    const paid = await call(first, 'alipay.trade.pay', { out_trade_no: 'alirestart0001', total_amount: '12.34', subject: 'tea', seller_id: 'm-1', auth_code: '281234567890123456' });
    expect(paid).toMatchObject({ code: '10000', out_trade_no: 'alirestart0001' });
    await call(first, 'alipay.trade.refund', { out_trade_no: 'alirestart0001', refund_amount: '1.00', out_request_no: 'alirestartrf01' });
    const payout = (await first.inject({ method: 'POST', url: '/bank/payouts', payload: { payoutId: 'S-restart', merchantId: 'm-1', amountMinor: '993', currency: 'CNY' } })).json();
    const billBefore = await bill(first);
    await first.close();

    const second = await createEmulatorApp(config);
    await second.init();
    try {
      expect(await bill(second)).toEqual(billBefore);
      expect(billBefore).toEqual(['payment:alirestart0001:1234', 'refund:alirestart0001:100']);
      expect(await call(second, 'alipay.trade.query', { out_trade_no: 'alirestart0001' })).toMatchObject({ code: '10000', trade_status: 'TRADE_SUCCESS', trade_no: paid.trade_no });
      expect((await second.inject({ method: 'GET', url: '/bank/payouts/S-restart' })).json()).toEqual({ status: 'PAID', payoutId: 'S-restart', payoutRef: payout.payoutRef });
    } finally {
      await second.close();
    }
  });

  it('refuses a state directory it cannot write', () => {
    const aFile = join(mkdtempSync(join(tmpdir(), 'paystream-emulator-state-')), 'a-file');
    writeFileSync(aFile, '');
    expect(() => loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_STATE_DIR: join(aFile, 'state') })).toThrow(/CHANNEL_EMULATOR_STATE_DIR.*ENOTDIR/);
  });
});
