import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  decodeUnionpayForm,
  ensureChannelKeys,
  generateRsaKeyPair,
  keySerial,
  loadMerchantKeys,
  readAlipayBill,
  readUnionpayBillZip,
  readUnionpayFileContent,
  signAlipayParams,
  signUnionpay,
  verifyAlipayParams,
  verifyAlipayResponse,
  encodeUnionpayForm,
  verifyUnionpay,
  verifyWechatpaySignature,
  wechatpayAuthorization,
} from '@paystream/shared/channel-protocols';
import { waitFor } from '@paystream/shared/testing';
import { ChannelSandbox, type ChargeRequest, type NotificationDue } from './channel-sandbox';
import { createEmulatorApp } from './emulator.module';
import { loadEmulatorConfig } from './emulator-config';

const keysDir = mkdtempSync(join(tmpdir(), 'paystream-emulator-keys-'));
ensureChannelKeys(keysDir);

describe('the channel sandbox (the channels\' books)', () => {
  const timings = { holdMs: 300, payDelayMs: 20 };
  let notified: NotificationDue[];
  let sandbox: ChannelSandbox;
  const req = (outTradeNo: string, amountMinor: bigint, mode: ChargeRequest['mode'] = 'sync'): ChargeRequest => ({
    channel: mode === 'sync' ? 'alipay' : 'wechatpay',
    outTradeNo,
    merchantId: 'm-1',
    amountMinor,
    currency: 'CNY',
    subject: 'tea',
    notifyUrl: 'http://127.0.0.1:1/notify',
    mode,
  });
  const settle = () => new Promise((r) => setTimeout(r, 60));

  beforeEach(() => {
    notified = [];
    sandbox = new ChannelSandbox(timings, (due) => notified.push(due));
  });
  afterEach(() => sandbox.stop());

  it('charges once per outTradeNo and answers repeats with the same trade', () => {
    const first = sandbox.charge(req('T1', 1000n));
    const again = sandbox.charge(req('T1', 1000n));
    expect(first).toMatchObject({ kind: 'answer', trade: { state: 'SUCCESS' }, repeated: false });
    expect(again).toMatchObject({ kind: 'answer', repeated: true });
    expect(sandbox.stats()).toMatchObject({ charges: { requests: 2, succeeded: 1, duplicates: 1 }, chargedMinor: '1000' });
    expect(notified.map((n) => n.reports)).toEqual(['SUCCESS']);
  });

  it.each([
    ['sync', 1000n, 'SUCCESS', 1],
    ['async', 1000n, 'SUCCESS', 1],
    ['sync', 2051n, 'DECLINED', 0],
    ['async', 2051n, 'DECLINED', 0],
    ['sync', 2052n, 'SUCCESS', 0],
    ['async', 2055n, 'SUCCESS', 0],
  ] as const)('a %s charge of %s ends %s, with %s notification(s)', async (mode, amount, state, notifications) => {
    const answer = sandbox.charge(req('T', amount, mode));
    if (mode === 'async') expect(answer).toMatchObject({ trade: { state: 'PROCESSING' } });
    await settle();
    expect(sandbox.query('T')?.state).toBe(state);
    expect(notified).toHaveLength(notifications);
  });

  it('..52 holds its answer past the caller but is paid at once, so a query tells', () => {
    expect(sandbox.charge(req('T52', 2052n))).toMatchObject({ holdMs: timings.holdMs, trade: { state: 'SUCCESS' } });
  });

  it('..53 answers an error and records nothing', () => {
    expect(sandbox.charge(req('T53', 2053n))).toEqual({ kind: 'error' });
    expect(sandbox.query('T53')).toBeUndefined();
  });

  it('..54 notifies before it answers, then once more and a stale in-process notice', async () => {
    const answer = sandbox.charge(req('T54', 2054n));
    expect(answer).toMatchObject({ trade: { state: 'SUCCESS' } });
    expect(answer.kind === 'answer' && answer.holdMs).toBeGreaterThan(0);
    expect(notified.map((n) => n.reports)).toEqual(['SUCCESS']);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(notified.map((n) => n.reports)).toEqual(['SUCCESS', 'SUCCESS', 'WAIT_BUYER_PAY']);
  });

  it('..56 stays in process past the caller; a close finds it paid (the buyer confirmed meanwhile)', async () => {
    sandbox.charge(req('T56', 2056n, 'async'));
    await settle();
    expect(sandbox.query('T56')?.state).toBe('PROCESSING');
    expect(sandbox.close('T56')).toBe('ALREADY_PAID');
    expect(sandbox.query('T56')?.state).toBe('SUCCESS');
    expect(notified.map((n) => n.reports)).toEqual(['SUCCESS']);
  });

  it('closes an unpaid trade for good, and knows no trade it never saw', () => {
    sandbox.charge(req('TP', 1000n, 'async'));
    expect(sandbox.close('TP')).toBe('CLOSED');
    expect(sandbox.close('NEVER')).toBe('NOT_FOUND');
    return settle().then(() => expect(sandbox.query('TP')?.state).toBe('CLOSED'));
  });

  it('refunds once per outRefundNo, never more than was charged, and fails refunds of ..57 charges', () => {
    sandbox.charge(req('TR1', 1000n));
    expect(sandbox.refund({ outRefundNo: 'R1', outTradeNo: 'TR1', amountMinor: 600n })).toMatchObject({ status: 'SUCCESS' });
    expect(sandbox.refund({ outRefundNo: 'R1', outTradeNo: 'TR1', amountMinor: 600n })).toBe(sandbox.refund({ outRefundNo: 'R1', outTradeNo: 'TR1', amountMinor: 600n }));
    expect(sandbox.refund({ outRefundNo: 'R2', outTradeNo: 'TR1', amountMinor: 401n })).toMatchObject({ status: 'FAILED', code: 'REFUND_AMOUNT_EXCEEDED' });
    expect(sandbox.refund({ outRefundNo: 'R3', outTradeNo: 'NOPE', amountMinor: 1n })).toMatchObject({ status: 'FAILED', code: 'TRADE_NOT_EXIST' });
    sandbox.charge(req('TR57', 1057n));
    expect(sandbox.refund({ outRefundNo: 'R4', outTradeNo: 'TR57', amountMinor: 100n })).toMatchObject({ status: 'FAILED', code: 'REFUND_REJECTED' });
    expect(sandbox.stats().refunds).toEqual({ count: 4, refundedMinor: '600' });
  });

  it('takes a channel down and brings it back', () => {
    sandbox.setOutage('alipay', true);
    expect(sandbox.charge(req('TD', 1000n))).toEqual({ kind: 'error' });
    sandbox.setOutage('alipay', false);
    expect(sandbox.charge(req('TD', 1000n))).toMatchObject({ kind: 'answer' });
  });
});

describe('the channel emulator over HTTP', () => {
  let app: NestFastifyApplication;
  let merchant: Server;
  let merchantUrl: string;
  let answers: number[];
  const received: { url: string; headers: Record<string, unknown>; body: string }[] = [];
  const keys = loadMerchantKeys(keysDir);

  beforeAll(async () => {
    // a merchant that refuses the first deliveries, then acknowledges
    merchant = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ url: req.url ?? '', headers: req.headers, body });
        const status = answers.shift() ?? 204;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => merchant.listen(0, '127.0.0.1', r));
    merchantUrl = `http://127.0.0.1:${(merchant.address() as { port: number }).port}`;
    app = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_PAY_DELAY_MS: '10', CHANNEL_EMULATOR_NOTIFY_TIME_SCALE: '0.0001', LOG_LEVEL: 'silent' }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
    await new Promise((r) => merchant.close(r));
  });

  const wechat = (method: 'GET' | 'POST', url: string, body?: unknown, privateKeyPem = keys.wechatpay.merchantPrivateKeyPem) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const authorization = wechatpayAuthorization({ mchid: '1900000001', serialNo: keys.wechatpay.merchantSerialNo, privateKeyPem, method, url, body: text });
    return app.inject({ method, url, headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: text }) });
  };
  const verifiedWechat = (r: Awaited<ReturnType<typeof wechat>>) =>
    verifyWechatpaySignature({ timestamp: String(r.headers['wechatpay-timestamp']), nonce: String(r.headers['wechatpay-nonce']), signature: String(r.headers['wechatpay-signature']), body: r.body, publicKeyPem: keys.wechatpay.platformPublicKeyPem });

  it('WeChat Pay: a Native order, signed answers, the notification retried on the schedule until acknowledged', async () => {
    answers = [500, 500];
    const created = await wechat('POST', '/v3/pay/transactions/native', { appid: 'wx8888888888888888', mchid: '1900000001', description: 'tea', out_trade_no: 'wxorder0001', notify_url: `${merchantUrl}/notify`, amount: { total: 1000, currency: 'CNY' } });
    expect(created.statusCode).toBe(200);
    expect(created.json().code_url).toMatch(/^weixin:\/\//);
    expect(verifiedWechat(created)).toEqual({ ok: true });
    // waits for the third delivery rather than a fixed time: on a loaded machine 300 ms was not always enough
    const log = await waitFor(async () => {
      const sent = (await app.inject({ method: 'GET', url: '/sandbox/notifications/wxorder0001' })).json() as { status: number; acknowledged: boolean }[];
      return sent.length >= 3 ? sent : undefined;
    }, 10_000, 'three deliveries');
    expect(log.map((d: { status: number; acknowledged: boolean }) => [d.status, d.acknowledged])).toEqual([[500, false], [500, false], [204, true]]);
    // each delivery is signed afresh with the platform key
    const signatures = received.map((r) => r.headers['wechatpay-signature']);
    expect(new Set(signatures).size).toBe(3);
    const queried = await wechat('GET', '/v3/pay/transactions/out-trade-no/wxorder0001?mchid=1900000001');
    expect(queried.json()).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 1000 } });
  });

  it('Alipay: a QR order (precreate) is created, paid when the buyer scans, and notified, signed', async () => {
    answers = [200];
    const params = signAlipayParams(
      {
        app_id: '2021000000000001',
        method: 'alipay.trade.precreate',
        charset: 'utf-8',
        timestamp: '2026-11-25 10:00:00',
        version: '1.0',
        notify_url: `${merchantUrl}/alipay`,
        biz_content: JSON.stringify({ out_trade_no: 'aliqr0001', total_amount: '12.34', subject: 'tea', seller_id: 'm-1' }),
      },
      keys.alipay.merchantPrivateKeyPem,
    );
    const res = await app.inject({ method: 'POST', url: `/alipay/gateway.do?${new URLSearchParams(params as Record<string, string>)}` });
    const verified = verifyAlipayResponse(res.body, 'alipay.trade.precreate', keys.alipay.platformPublicKeyPem);
    expect(verified).toMatchObject({ ok: true, response: { code: '10000', out_trade_no: 'aliqr0001', qr_code: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//) } });
    await waitFor(() => received.find((r) => r.url === '/alipay'), 5_000, 'the Alipay notification');
    const notice = Object.fromEntries(new URLSearchParams(received.find((r) => r.url === '/alipay')!.body)) as Record<string, string>;
    expect(notice).toMatchObject({ out_trade_no: 'aliqr0001', trade_status: 'TRADE_SUCCESS', total_amount: '12.34', app_id: '2021000000000001' });
    expect(verifyAlipayParams(notice, keys.alipay.platformPublicKeyPem, { forNotification: true })).toBe(true);
  });

  it('WeChat Pay: a request signed with another key gets 401 SIGN_ERROR, itself signed', async () => {
    const r = await wechat('GET', '/v3/pay/transactions/out-trade-no/x?mchid=1900000001', undefined, generateRsaKeyPair().privateKeyPem);
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: 'SIGN_ERROR' });
    expect(verifiedWechat(r)).toEqual({ ok: true });
    expect(r.headers['wechatpay-serial']).toBe(keySerial(keys.wechatpay.platformPublicKeyPem));
  });

  it('UnionPay: a bad signature answers respCode 11; a query of an unknown order answers 34; both signed', async () => {
    const post = (url: string, params: Record<string, string>, key = keys.unionpay.merchantPrivateKeyPem) =>
      app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: encodeUnionpayForm(signUnionpay(params, key, keys.unionpay.merchantCertId)) });
    const base = { version: '5.1.0', encoding: 'UTF-8', merId: '777290058110048', orderId: 'up000000001', txnTime: '20261125100000' };
    const forged = decodeUnionpayForm((await post('/gateway/api/backTransReq.do', { ...base, txnType: '01', txnAmt: '100' }, generateRsaKeyPair().privateKeyPem)).body);
    expect(forged.respCode).toBe('11');
    expect(verifyUnionpay(forged, keys.unionpay.platformPublicKeyPem)).toBe(true);
    const unknown = decodeUnionpayForm((await post('/gateway/api/queryTrans.do', { ...base, txnType: '00' })).body);
    expect(unknown).toMatchObject({ respCode: '34' });
  });

  it('UnionPay file transfer (txnType 76): the day\'s archive signed as fileContent, planted breaks in it, 98 for a day without trades', async () => {
    const sandbox = app.get(ChannelSandbox);
    const paid = sandbox.charge({ channel: 'unionpay', outTradeNo: '0123456789abcdef0123456789abcdef', merchantId: 'm-1', amountMinor: 1500n, currency: 'CNY', subject: 'tea', mode: 'sync' });
    const declined = sandbox.charge({ channel: 'unionpay', outTradeNo: 'fedcba9876543210fedcba9876543210', merchantId: 'm-1', amountMinor: 2051n, currency: 'CNY', subject: 'tea', mode: 'sync' });
    if (paid.kind !== 'answer' || declined.kind !== 'answer') throw new Error('the sandbox did not take the charges');
    const refund = sandbox.refund({ outRefundNo: 'aaaabbbbccccddddeeeeffff00001111', outTradeNo: paid.trade.outTradeNo, amountMinor: 500n });
    expect(paid.trade.channelTradeNo).toMatch(/^\d{21}$/);
    expect(refund).toMatchObject({ status: 'SUCCESS', refundNo: expect.stringMatching(/^\d{21}$/) });
    const now = new Date(Date.now() + 8 * 3_600_000);
    const today = now.toISOString().slice(0, 10);
    const mmdd = (d: Date) => d.toISOString().slice(5, 10).replace('-', '');
    const transfer = async (over: Record<string, string> = {}, key = keys.unionpay.merchantPrivateKeyPem) => {
      const params = { version: '5.1.0', encoding: 'UTF-8', txnType: '76', txnSubType: '01', bizType: '000000', accessType: '0', merId: '777290058110048', settleDate: mmdd(now), txnTime: '20261125100000', fileType: '00', ...over };
      const res = await app.inject({ method: 'POST', url: '/unionpay/filedownload', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: encodeUnionpayForm(signUnionpay(params, key, keys.unionpay.merchantCertId)) });
      const answer = decodeUnionpayForm(res.body);
      expect(verifyUnionpay(answer, keys.unionpay.platformPublicKeyPem)).toBe(true);
      return answer;
    };
    const first = await transfer();
    expect(first).toMatchObject({ respCode: '00', txnType: '76', settleDate: mmdd(now), fileName: `777290058110048_${today.replace(/-/g, '')}.zip` });
    const rows = () => transfer().then((a) => readUnionpayBillZip(readUnionpayFileContent(a.fileContent!), today));
    expect(await rows()).toEqual([
      expect.objectContaining({ kind: 'payment', outTradeNo: paid.trade.outTradeNo, channelTradeNo: paid.trade.channelTradeNo, amountMinor: 1500n, feeMinor: 9n }),
      expect.objectContaining({ kind: 'refund', outRefundNo: 'aaaabbbbccccddddeeeeffff00001111', channelTradeNo: paid.trade.channelTradeNo, amountMinor: 500n, feeMinor: 3n }),
    ]);
    // a declined charge billed as paid, and a fake row, planted like the other channels'
    const plant = (kind: string) => app.inject({ method: 'POST', url: '/sandbox/bills/breaks', payload: { channel: 'unionpay', date: today, kind } });
    expect((await plant('status_mismatch')).json()).toMatchObject({ channel: 'unionpay', outTradeNo: declined.trade.outTradeNo, billedAmountMinor: '2051' });
    const fake = (await plant('missing_ours')).json();
    expect(fake.channelTradeNo).toMatch(/^\d{21}$/);
    expect((await rows()).map((r) => r.outTradeNo || r.outRefundNo)).toEqual([paid.trade.outTradeNo, 'aaaabbbbccccddddeeeeffff00001111', declined.trade.outTradeNo, fake.outTradeNo]);
    expect(await transfer({ settleDate: mmdd(new Date(now.getTime() - 86_400_000)) })).toMatchObject({ respCode: '98' });
    expect(await transfer({}, generateRsaKeyPair().privateKeyPem)).toMatchObject({ respCode: '11' });
    expect(await transfer({ fileType: '01' })).toMatchObject({ respCode: '13' });
    expect(await transfer({ settleDate: '1340' })).toMatchObject({ respCode: '13' });
    expect(await transfer({ merId: '777290058110049' })).toMatchObject({ respCode: '31' });
  });

  it('serves the day\'s Alipay bill as a zip of GBK CSV files that reads back to the fen (after the QR order above)', async () => {
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const res = await app.inject({ method: 'GET', url: `/alipay/bills/${today}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/zip');
    // the QR order paid above, to the fen, with its 60 bps fee (1234 fen x 0.6 % = 7.404, half up: 7 fen)
    expect(readAlipayBill(res.rawPayload)).toEqual([expect.objectContaining({ outTradeNo: 'aliqr0001', kind: 'payment', amountMinor: 1234n, feeMinor: 7n })]);
    expect((await app.inject({ method: 'GET', url: '/alipay/bills/2026-13' })).statusCode).toBe(400);
    const wechatBill = await app.inject({ method: 'GET', url: `/wechatpay/bills/${today}?hash=1` });
    expect(wechatBill.json()).toMatchObject({ hash_type: 'SHA1', hash_value: expect.stringMatching(/^[0-9a-f]{40}$/) });
  });

  it('pays out once per payoutId and refuses a malformed payout', async () => {
    const pay = () => app.inject({ method: 'POST', url: '/bank/payouts', payload: { payoutId: 'S1', merchantId: 'm-1', amountMinor: '993', currency: 'CNY' } });
    const a = (await pay()).json();
    expect((await pay()).json().payoutRef).toBe(a.payoutRef);
    expect((await app.inject({ method: 'POST', url: '/bank/payouts', payload: { payoutId: 'S2', merchantId: 'm-1', amountMinor: '-1', currency: 'CNY' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/bank/payouts/S1' })).json()).toEqual({ status: 'PAID', payoutId: 'S1', payoutRef: a.payoutRef });
    expect((await app.inject({ method: 'GET', url: '/bank/payouts/S2' })).statusCode).toBe(404);
  });

  it('answers a paid payoutId as paid whatever is sent again, and rejects it reused for another amount or account without paying', async () => {
    const pay = (amountMinor: string, accountNo: string) => app.inject({ method: 'POST', url: '/bank/payouts', payload: { payoutId: 'S-once', merchantId: 'm-1', accountNo, amountMinor, currency: 'CNY' } });
    const first = (await pay('700', '62220200000000009')).json();
    expect(first).toMatchObject({ status: 'PAID', payoutId: 'S-once' });
    const paidBefore = (await app.inject({ method: 'GET', url: '/sandbox/stats' })).json().payouts.paidMinor;
    expect((await pay('700', '62220200000000009')).json()).toEqual(first);
    for (const reused of [await pay('900', '62220200000000009'), await pay('700', '62220200000004001')]) {
      expect([reused.statusCode, reused.json()]).toEqual([409, { status: 'ERROR', payoutId: 'S-once', code: 'PAYOUT_ID_REUSED' }]);
    }
    expect((await app.inject({ method: 'GET', url: '/bank/payouts/S-once' })).json()).toEqual(first);
    expect((await app.inject({ method: 'GET', url: '/sandbox/stats' })).json().payouts.paidMinor).toBe(paidBefore);
  });

  it('refuses, errors or holds a payout by the account number\'s last four digits, and answers queries truthfully', async () => {
    const pay = (payoutId: string, accountNo: string) => app.inject({ method: 'POST', url: '/bank/payouts', payload: { payoutId, merchantId: 'm-1', accountNo, amountMinor: '500', currency: 'CNY' } });
    const query = async (payoutId: string) => {
      const res = await app.inject({ method: 'GET', url: `/bank/payouts/${payoutId}` });
      return [res.statusCode, res.json().status];
    };
    const refused = await pay('S-4001', '62220200000004001');
    expect([refused.statusCode, refused.json()]).toEqual([200, { status: 'FAILED', payoutId: 'S-4001', code: 'ACCOUNT_FROZEN' }]);
    expect(await query('S-4001')).toEqual([200, 'FAILED']);
    const errored = await pay('S-4002', '62220200000004002');
    expect([errored.statusCode, errored.json().code]).toEqual([503, 'SYSTEM_ERROR']);
    expect(await query('S-4002')).toEqual([404, 'NOT_FOUND']);
    expect((await pay('S-4003', '62220200000004003')).json()).toEqual({ status: 'PROCESSING', payoutId: 'S-4003' });
    expect(await query('S-4003')).toEqual([200, 'PAID']);
    expect((await pay('S-ok', '62220200000000001')).json()).toMatchObject({ status: 'PAID', payoutId: 'S-ok' });
  });

  it('answers health like the other services', async () => {
    for (const url of ['/health', '/health/live']) expect((await app.inject({ method: 'GET', url })).json()).toEqual({ status: 'ok', service: 'channel-emulator' });
  });

  it.each([
    ['CHANNEL_EMULATOR_PORT', 'abc'],
    ['CHANNEL_EMULATOR_HOLD_MS', '-1'],
    ['CHANNEL_EMULATOR_NOTIFY_TIME_SCALE', '2'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses to start with %s=%s', (name, value) => {
    expect(() => loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, [name]: value })).toThrow(new RegExp(name));
  });

  it('refuses to start without its keys', () => {
    expect(() => loadEmulatorConfig({ CHANNEL_KEYS_DIR: join(tmpdir(), 'no-keys-here') })).toThrow(/CHANNEL_KEYS_DIR.*missing/);
  });
});
