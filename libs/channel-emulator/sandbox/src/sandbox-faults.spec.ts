import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ensureChannelKeys, loadMerchantKeys, signAlipayParams, verifyAlipayParams, verifyAlipayResponse, wechatpayAuthorization } from '@paystream/shared/channel-protocols';
import { waitFor } from '@paystream/shared/testing';
import { ChannelSandbox } from './channel-sandbox';
import { createEmulatorApp } from './emulator.module';
import { loadEmulatorConfig } from './emulator-config';

/** A query is never faulted: it gets the time a loaded CI machine needs, unlike the faulted calls' short caller timeout. */
const QUERY_TIMEOUT_MS = 5_000;

const keysDir = mkdtempSync(join(tmpdir(), 'paystream-emulator-fault-keys-'));
ensureChannelKeys(keysDir);

describe('the emulator\'s faults (PUT / GET / DELETE /sandbox/faults)', () => {
  const keys = loadMerchantKeys(keysDir);
  let app: NestFastifyApplication;
  let baseUrl: string;
  let merchant: Server;
  let notifyUrl: string;
  /** Notifications the merchant got, in the order they arrived (Alipay's form fields and the exact body). */
  let received: { fields: Record<string, string>; body: string }[];
  let tradeSeq = 0;

  beforeAll(async () => {
    merchant = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ fields: Object.fromEntries(new URLSearchParams(body)), body });
        res.writeHead(200).end('success');
      });
    });
    await new Promise<void>((r) => merchant.listen(0, '127.0.0.1', r));
    notifyUrl = `http://127.0.0.1:${(merchant.address() as { port: number }).port}/alipay/notify`;
    app = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_PAY_DELAY_MS: '10', CHANNEL_EMULATOR_NOTIFY_TIME_SCALE: '0.0001', LOG_LEVEL: 'silent' }));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
    await new Promise((r) => merchant.close(r));
  });
  beforeEach(async () => {
    received = [];
    await app.inject({ method: 'DELETE', url: '/sandbox/faults' });
    await app.inject({ method: 'POST', url: '/sandbox/reset' });
  });

  const sandbox = () => app.get(ChannelSandbox);
  const nextTradeNo = () => `fault${String(++tradeSeq).padStart(8, '0')}`;
  const putFaults = async (faults: unknown[], seed = 42) => {
    const res = await app.inject({ method: 'PUT', url: '/sandbox/faults', payload: { seed, faults } });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const applied = async () => (await app.inject({ method: 'GET', url: '/sandbox/faults' })).json().applied;
  const alipayPayUrl = (outTradeNo: string) => {
    const params = signAlipayParams(
      {
        app_id: '2021000000000001',
        method: 'alipay.trade.pay',
        charset: 'utf-8',
        timestamp: '2026-11-25 10:00:00',
        version: '1.0',
        notify_url: notifyUrl,
        biz_content: JSON.stringify({ out_trade_no: outTradeNo, total_amount: '10.00', subject: 'tea', seller_id: 'm-1' }),
      },
      keys.alipay.merchantPrivateKeyPem,
    );
    return `/alipay/gateway.do?${new URLSearchParams(params as Record<string, string>)}`;
  };
  const payout = (payoutId: string) => ({ payoutId, merchantId: 'm-1', accountNo: '62220200000000001', amountMinor: '500', currency: 'CNY' });
  /** A charge paid at once, whose notification goes to the merchant listener. */
  const paidCharge = (outTradeNo = nextTradeNo()) => {
    sandbox().charge({ channel: 'alipay', outTradeNo, merchantId: 'm-1', amountMinor: 1000n, currency: 'CNY', subject: 'tea', mode: 'sync', notifyUrl });
    return outTradeNo;
  };
  const receivedFor = (outTradeNo: string) => received.filter((r) => r.fields.out_trade_no === outTradeNo);
  const deliveries = async (outTradeNo: string) => (await app.inject({ method: 'GET', url: `/sandbox/notifications/${outTradeNo}` })).json() as { fault?: string; acknowledged: boolean }[];
  const quietly = () => new Promise((r) => setTimeout(r, 300));

  it('refuses a malformed fault set with 400 FAULT_SET_INVALID and keeps the set in force', async () => {
    await putFaults([{ kind: 'http-5xx', targets: ['bank'], probability: 0.5 }], 7);
    const bad = await app.inject({ method: 'PUT', url: '/sandbox/faults', payload: { seed: 1, faults: [{ kind: 'drop-notifications', targets: ['bank'], probability: 1 }] } });
    expect([bad.statusCode, bad.json()]).toEqual([400, { status: 'ERROR', code: 'FAULT_SET_INVALID', message: expect.stringContaining('faults.0.targets.0') }]);
    expect((await app.inject({ method: 'GET', url: '/sandbox/faults' })).json()).toEqual({ seed: 7, faults: [{ kind: 'http-5xx', targets: ['bank'], probability: 0.5 }], applied: {} });
  });

  it('slow: delays the answer by delayMs, and counts it', async () => {
    await putFaults([{ kind: 'slow', targets: ['bank'], probability: 1, delayMs: 400 }]);
    const started = Date.now();
    const res = await app.inject({ method: 'POST', url: '/bank/payouts', payload: payout('S-slow') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(res.json()).toMatchObject({ status: 'PAID', payoutId: 'S-slow' });
    expect(await applied()).toEqual({ 'slow:bank': 1 });
  });

  it('http-5xx: answers 5xx without acting (the channel has no trade, the bank no payout)', async () => {
    await putFaults([{ kind: 'http-5xx', targets: ['alipay', 'wechatpay', 'bank'], probability: 1 }]);
    const alipayTrade = nextTradeNo();
    const alipay = await app.inject({ method: 'POST', url: alipayPayUrl(alipayTrade) });
    expect([alipay.statusCode, alipay.body]).toEqual([503, 'Service Unavailable']);
    const wechatTrade = nextTradeNo();
    const body = JSON.stringify({ appid: 'wx8888888888888888', mchid: '1900000001', description: 'tea', out_trade_no: wechatTrade, notify_url: notifyUrl, amount: { total: 1000, currency: 'CNY' } });
    const authorization = wechatpayAuthorization({ mchid: '1900000001', serialNo: keys.wechatpay.merchantSerialNo, privateKeyPem: keys.wechatpay.merchantPrivateKeyPem, method: 'POST', url: '/v3/pay/transactions/native', body });
    const wechat = await app.inject({ method: 'POST', url: '/v3/pay/transactions/native', headers: { authorization, 'content-type': 'application/json' }, payload: body });
    expect([wechat.statusCode, wechat.json()]).toEqual([500, { code: 'SYSTEM_ERROR', message: '系统错误' }]);
    const bank = await app.inject({ method: 'POST', url: '/bank/payouts', payload: payout('S-5xx') });
    expect([bank.statusCode, bank.json()]).toEqual([503, { status: 'ERROR', payoutId: 'S-5xx', code: 'SYSTEM_ERROR' }]);
    expect([sandbox().query(alipayTrade), sandbox().query(wechatTrade), sandbox().queryPayout('S-5xx')]).toEqual([undefined, undefined, undefined]);
    expect(sandbox().stats().charges.requests).toBe(0);
    // the sandbox's own controls are never faulted
    expect((await app.inject({ method: 'GET', url: `/sandbox/trades/${alipayTrade}` })).statusCode).toBe(404);
    expect(await applied()).toEqual({ 'http-5xx:alipay': 1, 'http-5xx:bank': 1, 'http-5xx:wechatpay': 1 });
  });

  it('timeout-after-acting: the charge and the payout are booked, but the caller times out before the answer', async () => {
    // the caller waits long enough for the handler to act even on a loaded machine, and gives up well before the hang ends
    await putFaults([{ kind: 'timeout-after-acting', targets: ['alipay', 'bank'], probability: 1, hangMs: 60_000 }]);
    const outTradeNo = nextTradeNo();
    const callerTimeoutMs = 4_000;
    await Promise.all([
      expect(fetch(`${baseUrl}${alipayPayUrl(outTradeNo)}`, { method: 'POST', signal: AbortSignal.timeout(callerTimeoutMs) })).rejects.toMatchObject({ name: 'TimeoutError' }),
      expect(
        fetch(`${baseUrl}/bank/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payout('S-hang')), signal: AbortSignal.timeout(callerTimeoutMs) }),
      ).rejects.toMatchObject({ name: 'TimeoutError' }),
    ]);
    expect(sandbox().query(outTradeNo)).toMatchObject({ state: 'SUCCESS', amountMinor: 1000n });
    expect(sandbox().queryPayout('S-hang')).toMatchObject({ status: 'PAID', payoutId: 'S-hang' });
    // queries are not hit: the caller learns the truth by asking
    expect((await fetch(`${baseUrl}/bank/payouts/S-hang`, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) })).status).toBe(200);
    expect(await applied()).toEqual({ 'timeout-after-acting:alipay': 1, 'timeout-after-acting:bank': 1 });
  });

  it('drop-notifications: the trade is paid but its notification is never sent, nor retried', async () => {
    await putFaults([{ kind: 'drop-notifications', targets: ['alipay'], probability: 1 }]);
    const outTradeNo = paidCharge();
    await quietly();
    expect(sandbox().query(outTradeNo)?.state).toBe('SUCCESS');
    expect(receivedFor(outTradeNo)).toEqual([]);
    expect(await deliveries(outTradeNo)).toEqual([]);
    expect(await applied()).toEqual({ 'drop-notifications:alipay': 1 });
  });

  it('duplicate-notifications: the notification is sent twice, each signed', async () => {
    await putFaults([{ kind: 'duplicate-notifications', targets: ['alipay'], probability: 1 }]);
    const outTradeNo = paidCharge();
    const both = await waitFor(() => (receivedFor(outTradeNo).length === 2 ? receivedFor(outTradeNo) : undefined), 5_000, 'two notifications');
    expect(new Set(both.map((r) => r.fields.notify_id)).size).toBe(1);
    for (const r of both) expect(verifyAlipayParams(r.fields, keys.alipay.platformPublicKeyPem, { forNotification: true })).toBe(true);
    await quietly();
    expect(receivedFor(outTradeNo)).toHaveLength(2);
    expect((await deliveries(outTradeNo)).map((d) => d.fault ?? null).sort()).toEqual(['duplicate', null]);
  });

  it('reorder-notifications: a notification is held back and delivered after the next one', async () => {
    await putFaults([{ kind: 'reorder-notifications', targets: ['alipay'], probability: 1 }]);
    const first = paidCharge();
    await quietly();
    expect(received).toEqual([]);
    await app.inject({ method: 'DELETE', url: '/sandbox/faults' });
    const second = paidCharge();
    await waitFor(() => (received.length === 2 ? true : undefined), 5_000, 'both notifications');
    expect(received.map((r) => r.fields.out_trade_no)).toEqual([second, first]);
    // the delivery is marked acknowledged once the listener's answer is read, a moment after it received the body
    const held = await waitFor(async () => {
      const d = await deliveries(first);
      return d.some((x) => x.acknowledged) ? d : undefined;
    }, 5_000, 'the held-back delivery acknowledged');
    expect(held).toEqual([expect.objectContaining({ fault: 'reordered', acknowledged: true })]);
    expect(await applied()).toEqual({ 'reorder-notifications:alipay': 1 });
  });

  it('replay-old-notification: an older trade\'s acknowledged notification is sent again, byte for byte', async () => {
    const old = paidCharge();
    const original = await waitFor(() => receivedFor(old)[0], 5_000, 'the first notification');
    await putFaults([{ kind: 'replay-old-notification', targets: ['alipay'], probability: 1 }]);
    const fresh = paidCharge();
    await waitFor(() => (receivedFor(old).length === 2 ? true : undefined), 5_000, 'the replay');
    expect(receivedFor(fresh)).toHaveLength(1);
    const replayed = receivedFor(old)[1]!;
    expect(replayed.body).toBe(original.body);
    expect(verifyAlipayParams(replayed.fields, keys.alipay.platformPublicKeyPem, { forNotification: true })).toBe(true);
    expect((await deliveries(old)).map((d) => d.fault ?? null)).toEqual([null, 'replay']);
    expect(await applied()).toEqual({ 'replay-old-notification:alipay': 1 });
  });

  it('clearing the faults restores normal behaviour and keeps the counts readable', async () => {
    await putFaults([
      { kind: 'http-5xx', targets: ['alipay'], probability: 1 },
      { kind: 'drop-notifications', targets: ['alipay'], probability: 1 },
    ]);
    expect((await app.inject({ method: 'POST', url: alipayPayUrl(nextTradeNo()) })).statusCode).toBe(503);
    const cleared = await app.inject({ method: 'DELETE', url: '/sandbox/faults' });
    expect(cleared.json()).toEqual({ seed: 42, faults: [], applied: { 'http-5xx:alipay': 1 } });
    const outTradeNo = nextTradeNo();
    const res = await app.inject({ method: 'POST', url: alipayPayUrl(outTradeNo) });
    expect(verifyAlipayResponse(res.body, 'alipay.trade.pay', keys.alipay.platformPublicKeyPem)).toMatchObject({ ok: true, response: { code: '10000', out_trade_no: outTradeNo } });
    await waitFor(() => receivedFor(outTradeNo)[0], 5_000, 'the notification');
    await quietly();
    expect(receivedFor(outTradeNo)).toHaveLength(1);
  });
});

describe('shutting the emulator down while a request waits out a fault', () => {
  it('cuts the waiting request instead of holding the close for its hang (or the keep-alive timeout after it)', async () => {
    const app = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, LOG_LEVEL: 'silent' }));
    await app.listen(0, '127.0.0.1');
    await app.inject({ method: 'PUT', url: '/sandbox/faults', payload: { seed: 1, faults: [{ kind: 'timeout-after-acting', targets: ['bank'], probability: 1, hangMs: 600_000 }] } });
    const body = JSON.stringify({ payoutId: 'S-close', merchantId: 'm-1', amountMinor: '5', currency: 'CNY' });
    const pending = fetch(`${await app.getUrl()}/bank/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
      (res) => `answered ${res.status}`,
      (error: Error) => error.name,
    );
    await waitFor(() => app.get(ChannelSandbox).queryPayout('S-close'), 5_000, 'the payout booked');
    // were the close to wait for the hang, this test would run into its own timeout
    await app.close();
    expect(await pending).toBe('TypeError');
  }, 20_000);
});
