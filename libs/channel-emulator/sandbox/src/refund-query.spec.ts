import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  alipayAmount,
  decodeUnionpayForm,
  encodeUnionpayForm,
  ensureChannelKeys,
  loadMerchantKeys,
  signAlipayParams,
  signUnionpay,
  verifyAlipayResponse,
  verifyUnionpay,
  verifyWechatpaySignature,
  wechatpayAuthorization,
} from '@paystream/shared/channel-protocols';
import { waitFor } from '@paystream/shared/testing';
import { ChannelSandbox, type SandboxChannel } from './channel-sandbox';
import { createEmulatorApp } from './emulator.module';
import { loadEmulatorConfig } from './emulator-config';
import { SandboxJournal } from './sandbox-journal';

const keysDir = mkdtempSync(join(tmpdir(), 'paystream-emulator-refund-keys-'));
ensureChannelKeys(keysDir);
const keys = loadMerchantKeys(keysDir);
const HOLD_MS = 400;
/** Long enough that a query right after the refund still finds it processing on a loaded machine. */
const PAY_DELAY_MS = 1_000;

describe('the sandbox\'s refund books: held answers, processing refunds, lookups that survive a restart', () => {
  const timings = { holdMs: HOLD_MS, payDelayMs: PAY_DELAY_MS };
  const running: ChannelSandbox[] = [];
  const start = (dir?: string) => {
    const s = new ChannelSandbox(timings, () => undefined, dir ? new SandboxJournal(dir) : undefined);
    running.push(s);
    return s;
  };
  afterEach(() => running.splice(0).forEach((s) => s.stop()));
  const paid = (s: ChannelSandbox, outTradeNo: string, amountMinor = 10_000n) => s.charge({ channel: 'alipay', outTradeNo, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', mode: 'sync' });

  it('a ..52 refund is made at once but its answer is held past the caller; a ..58 one is processing, then paid out', async () => {
    const s = start();
    paid(s, 'T1');
    expect(s.refund({ outRefundNo: 'R52', outTradeNo: 'T1', amountMinor: 1_052n })).toMatchObject({ status: 'SUCCESS' });
    expect(s.refundHoldMs(1_052n)).toBe(HOLD_MS);
    expect(s.refundHoldMs(1_000n)).toBe(0);
    expect(s.refund({ outRefundNo: 'R58', outTradeNo: 'T1', amountMinor: 1_058n })).toMatchObject({ status: 'PROCESSING', refundNo: expect.any(String) });
    // the processing refund's amount is taken already: nothing beyond the charge can be refunded meanwhile
    expect(s.refund({ outRefundNo: 'R-rest', outTradeNo: 'T1', amountMinor: 10_000n - 1_052n - 1_058n + 1n })).toMatchObject({ status: 'FAILED', code: 'REFUND_AMOUNT_EXCEEDED' });
    await waitFor(() => (s.queryRefund('R58')?.status === 'SUCCESS' ? true : undefined), 10_000, 'the processing refund paid out');
    expect(s.queryRefund('R58')).toMatchObject({ status: 'SUCCESS', refundedAt: expect.any(Date) });
    expect(s.queryRefund('NEVER')).toBeUndefined();
  });

  it('answers refund lookups after a restart as before; a refund still processing when it stopped is paid out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paystream-emulator-refund-state-'));
    const before = start(dir);
    paid(before, 'T2');
    const done = before.refund({ outRefundNo: 'R1', outTradeNo: 'T2', amountMinor: 1_000n });
    const processing = before.refund({ outRefundNo: 'R2', outTradeNo: 'T2', amountMinor: 2_058n });
    before.stop(); // before the processing one completes
    const after = start(dir);
    expect(after.queryRefund('R1')).toEqual(done);
    expect(after.queryRefund('R2')).toMatchObject({ status: 'SUCCESS', refundNo: processing.status === 'PROCESSING' ? processing.refundNo : 'none' });
    expect(after.stats().refunds).toEqual({ count: 2, refundedMinor: '3058' });
    // and the restored refunds still count against the charge
    expect(after.refund({ outRefundNo: 'R3', outTradeNo: 'T2', amountMinor: 10_000n - 3_058n + 1n })).toMatchObject({ status: 'FAILED', code: 'REFUND_AMOUNT_EXCEEDED' });
  });
});

describe('the refund query endpoints of the three channels, over HTTP', () => {
  let app: NestFastifyApplication;
  let sandbox: ChannelSandbox;

  beforeAll(async () => {
    app = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_HOLD_MS: String(HOLD_MS), CHANNEL_EMULATOR_PAY_DELAY_MS: String(PAY_DELAY_MS), LOG_LEVEL: 'silent' }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    sandbox = app.get(ChannelSandbox);
  });
  afterAll(() => app.close());

  const charge = (channel: SandboxChannel, outTradeNo: string, amountMinor = 10_000n) => {
    const answer = sandbox.charge({ channel, outTradeNo, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', mode: 'sync' });
    if (answer.kind !== 'answer' || answer.trade.state !== 'SUCCESS') throw new Error('the sandbox did not take the charge');
    return answer.trade;
  };
  const paidOut = (outRefundNo: string) => waitFor(() => (sandbox.queryRefund(outRefundNo)?.status === 'SUCCESS' ? true : undefined), 10_000, `refund ${outRefundNo} paid out`);

  describe('Alipay alipay.trade.fastpay.refund.query', () => {
    const call = async (method: string, biz: Record<string, string>) => {
      const params = signAlipayParams({ app_id: '2021000000000001', method, charset: 'utf-8', timestamp: '2026-11-25 10:00:00', version: '1.0', biz_content: JSON.stringify(biz) }, keys.alipay.merchantPrivateKeyPem);
      const res = await app.inject({ method: 'POST', url: `/alipay/gateway.do?${new URLSearchParams(params as Record<string, string>)}` });
      const verified = verifyAlipayResponse(res.body, method, keys.alipay.platformPublicKeyPem);
      if (!verified.ok) throw new Error(`unverified answer: ${verified.reason}`);
      return verified.response;
    };
    const query = (outTradeNo: string, outRequestNo: string) => call('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo, out_request_no: outRequestNo });

    it('REFUND_SUCCESS with the refund\'s data once paid out; nothing while processing or never received; ACQ.TRADE_NOT_EXIST for an unknown trade', async () => {
      const t = charge('alipay', 'alirefundq01');
      const processing = await call('alipay.trade.refund', { out_trade_no: t.outTradeNo, out_request_no: 'alirf58', refund_amount: alipayAmount(1_058n) });
      expect(processing).toMatchObject({ code: '10000', fund_change: 'N', out_request_no: 'alirf58' });
      const pending = await query(t.outTradeNo, 'alirf58');
      expect(pending).toMatchObject({ code: '10000', out_request_no: 'alirf58', trade_no: t.channelTradeNo });
      expect(pending.refund_status).toBeUndefined();
      expect(pending.refund_amount).toBeUndefined();
      await paidOut('alirf58');
      expect(await query(t.outTradeNo, 'alirf58')).toMatchObject({ code: '10000', out_request_no: 'alirf58', refund_status: 'REFUND_SUCCESS', refund_amount: '10.58', total_amount: '100.00' });
      const never = await query(t.outTradeNo, 'alirf-never');
      expect([never.code, never.refund_status]).toEqual(['10000', undefined]);
      expect(await query('alinosuchtrade', 'alirf58')).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
    });

    it('a ..52 refund answers too late, but the query meanwhile already says REFUND_SUCCESS', async () => {
      const t = charge('alipay', 'alirefundq02');
      const startedAt = Date.now();
      const refund = call('alipay.trade.refund', { out_trade_no: t.outTradeNo, out_request_no: 'alirf52', refund_amount: alipayAmount(1_052n) });
      await new Promise((r) => setTimeout(r, 50));
      expect(await query(t.outTradeNo, 'alirf52')).toMatchObject({ refund_status: 'REFUND_SUCCESS', refund_amount: '10.52' });
      expect(await refund).toMatchObject({ code: '10000', fund_change: 'Y' });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(HOLD_MS - 20);
    });
  });

  describe('WeChat Pay GET /v3/refund/domestic/refunds/{out_refund_no}', () => {
    const wechat = (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      const authorization = wechatpayAuthorization({ mchid: '1900000001', serialNo: keys.wechatpay.merchantSerialNo, privateKeyPem: keys.wechatpay.merchantPrivateKeyPem, method, url, body: text });
      return app.inject({ method, url, headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: text }) });
    };
    const verified = (r: Awaited<ReturnType<typeof wechat>>) =>
      verifyWechatpaySignature({ timestamp: String(r.headers['wechatpay-timestamp']), nonce: String(r.headers['wechatpay-nonce']), signature: String(r.headers['wechatpay-signature']), body: r.body, publicKeyPem: keys.wechatpay.platformPublicKeyPem });

    it('PROCESSING, then SUCCESS; 404 RESOURCE_NOT_EXISTS for a refund it never received or refused; every answer signed', async () => {
      const t = charge('wechatpay', 'wxrefundq01');
      const asked = await wechat('POST', '/v3/refund/domestic/refunds', { out_trade_no: t.outTradeNo, out_refund_no: 'wxrf58', amount: { refund: 1_058, total: 10_000, currency: 'CNY' } });
      expect([asked.statusCode, asked.json()]).toEqual([200, expect.objectContaining({ status: 'PROCESSING', out_refund_no: 'wxrf58', refund_id: expect.any(String) })]);
      const pending = await wechat('GET', '/v3/refund/domestic/refunds/wxrf58');
      expect([pending.statusCode, pending.json()]).toEqual([200, expect.objectContaining({ status: 'PROCESSING', refund_id: asked.json().refund_id, out_trade_no: t.outTradeNo, transaction_id: t.channelTradeNo })]);
      expect(verified(pending)).toEqual({ ok: true });
      await paidOut('wxrf58');
      const done = await wechat('GET', '/v3/refund/domestic/refunds/wxrf58');
      expect(done.json()).toMatchObject({ status: 'SUCCESS', refund_id: asked.json().refund_id, success_time: expect.any(String), amount: { refund: 1_058, total: 10_000, currency: 'CNY' } });
      const never = await wechat('GET', '/v3/refund/domestic/refunds/wxrf-never');
      expect([never.statusCode, never.json().code]).toEqual([404, 'RESOURCE_NOT_EXISTS']);
      expect(verified(never)).toEqual({ ok: true });
      // refused when asked (more than is left): WeChat Pay never created it
      const refused = await wechat('POST', '/v3/refund/domestic/refunds', { out_trade_no: t.outTradeNo, out_refund_no: 'wxrf-too-much', amount: { refund: 10_000, total: 10_000, currency: 'CNY' } });
      expect(refused.statusCode).toBe(400);
      expect((await wechat('GET', '/v3/refund/domestic/refunds/wxrf-too-much')).statusCode).toBe(404);
    });

    it('refuses a refund query signed by nobody it knows', async () => {
      const r = await app.inject({ method: 'GET', url: '/v3/refund/domestic/refunds/wxrf58' });
      expect([r.statusCode, r.json().code]).toEqual([401, 'SIGN_ERROR']);
    });
  });

  describe('UnionPay queryTrans.do for a refund\'s orderId', () => {
    const post = async (url: string, params: Record<string, string>) => {
      const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: encodeUnionpayForm(signUnionpay(params, keys.unionpay.merchantPrivateKeyPem, keys.unionpay.merchantCertId)) });
      const answer = decodeUnionpayForm(res.body);
      expect(verifyUnionpay(answer, keys.unionpay.platformPublicKeyPem)).toBe(true);
      return answer;
    };
    const common = { version: '5.1.0', encoding: 'UTF-8', accessType: '0', channelType: '07', merId: '777290058110048' };
    const refund = (origQryId: string, orderId: string, txnAmt: string) =>
      post('/gateway/api/backTransReq.do', { ...common, txnType: '04', txnSubType: '00', bizType: '000902', orderId, origQryId, txnTime: '20261125100000', txnAmt, currencyCode: '156' });
    const query = (orderId: string) => post('/gateway/api/queryTrans.do', { ...common, txnType: '00', txnSubType: '00', bizType: '000000', orderId, txnTime: '20261125100000' });

    it('origRespCode 05 while processing, 00 with the refund\'s queryId once paid out, 01 for a refused one, respCode 34 for one never received', async () => {
      const t = charge('unionpay', 'uprefundq01', 10_057n + 43n); // 10100: an ordinary charge
      const asked = await refund(t.channelTradeNo, 'uprf58', '1058');
      expect(asked).toMatchObject({ respCode: '05', queryId: expect.stringMatching(/^\d{21}$/) });
      expect(await query('uprf58')).toMatchObject({ respCode: '00', origRespCode: '05', queryId: asked.queryId, txnAmt: '1058' });
      await paidOut('uprf58');
      expect(await query('uprf58')).toMatchObject({ respCode: '00', origRespCode: '00', queryId: asked.queryId });
      expect(await query('uprf-never')).toMatchObject({ respCode: '34' });
      const rejected = charge('unionpay', 'uprefundq57', 10_057n); // ..57: its refunds fail
      expect(await refund(rejected.channelTradeNo, 'uprf57', '100')).toMatchObject({ respCode: '01' });
      const failed = await query('uprf57');
      expect(failed).toMatchObject({ respCode: '00', origRespCode: '01' });
      expect(failed.queryId).toBeUndefined();
      // a trade's own query is unchanged
      expect(await query('uprefundq01')).toMatchObject({ respCode: '00', origRespCode: '00', queryId: t.channelTradeNo });
    });
  });
});
