import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DLQ_HEADERS, TOPICS, type ChannelChargeRequested } from '@paystream/contracts';
import { auditRowsAbout } from '@paystream/shared/audit-log';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, type TestCredentials, freePort, RawProducer, TEST_CREDENTIAL_PEPPER, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { ChannelSandbox, createEmulatorApp, loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import {
  alipayAmount,
  beijingDateTime,
  encryptWechatpayResource,
  ensureChannelKeys,
  generateRsaKeyPair,
  loadPlatformKeys,
  rsaSha256Sign,
  signAlipayParams,
  verifyAlipayResponse,
  wechatpayResponseMessage,
  type PlatformKeyRing,
} from '@paystream/shared/channel-protocols';
import { channelOrderNo } from '@paystream/channel-gateway/domain';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config';

/** The UnionPay test card of the sandbox (passes Luhn, BIN 622588, last four 3008). */
const TEST_CARD = { number: '6225 8801 3745 3008', expiry: '1229', cvv: '123' };
const ALIPAY_APP_ID = '2021000000000001';

describe('channel-gateway on the real broker and database, against the channel emulator in all three protocols', () => {
  const prefix = uniqueTopicPrefix('gw');
  const schema = uniqueId('gw_');
  const requested = `${prefix}${TOPICS.channelChargeRequested}`;
  const completed = `${prefix}${TOPICS.channelChargeCompleted}`;
  const refundRequested = `${prefix}${TOPICS.channelRefundRequested}`;
  const refundCompleted = `${prefix}${TOPICS.channelRefundCompleted}`;
  const keysDir = mkdtempSync(join(tmpdir(), 'paystream-gw-keys-'));
  let emulator: NestFastifyApplication;
  let config: ReturnType<typeof loadGatewayConfig>;
  let app: NestFastifyApplication;
  let gatewayUrl: string;
  let platformKeys: PlatformKeyRing;
  let upstream: RawProducer;
  let collector: TopicCollector;
  let cardToken: string;
  let creds: TestCredentials;

  const request = (amountMinor: string, channel?: ChannelChargeRequested['channel'], extra: Partial<ChannelChargeRequested> = {}): ChannelChargeRequested => {
    const paymentId = randomUUID();
    return { paymentId, orderId: `o-${paymentId.slice(0, 8)}`, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', ...(channel ? { channel } : {}), ...extra };
  };
  type Completed = { outcome: string; channel: string; channelTradeNo?: string; failure?: { code: string } };
  const resultsFor = (paymentId: string) => collector.on<Completed>(completed, (m) => m.key === paymentId);
  const resultFor = (paymentId: string, n = 1) =>
    waitFor(() => (resultsFor(paymentId).length >= n ? resultsFor(paymentId)[n - 1] : undefined), 25_000, `result ${n} for ${paymentId}`);
  const finalFor = (paymentId: string) =>
    waitFor(() => resultsFor(paymentId).find((m) => m.value.outcome !== 'unknown'), 25_000, `final result for ${paymentId}`);
  const emulatorStats = async () => (await emulator.inject({ method: 'GET', url: '/sandbox/stats' })).json();
  const stored = async (paymentId: string) => (await app.inject({ method: 'GET', url: `/channel-transactions/${paymentId}` })).json();
  const deliveries = async (paymentId: string) => (await emulator.inject({ method: 'GET', url: `/sandbox/notifications/${channelOrderNo(paymentId)}` })).json() as { acknowledged: boolean; reports: string }[];
  /** POST /cards signed by this merchant's key (the token is the merchant's that tokenised the card). */
  const tokenizeAs = async (merchantId: string, card: Record<string, unknown>) => {
    const payload = JSON.stringify(card);
    return app.inject({ method: 'POST', url: '/cards', payload, headers: { 'content-type': 'application/json', ...creds.headers(await creds.merchant(merchantId), 'POST', '/cards', payload) } });
  };
  const charge = async (r: ChannelChargeRequested) => {
    await upstream.sendEvent(requested, r.paymentId, r);
    return finalFor(r.paymentId);
  };
  const notifyAlipay = (params: Record<string, string | number>) =>
    fetch(`${gatewayUrl}/notify/alipay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params as Record<string, string>).toString() }).then((r) => r.text());
  const alipayNotice = (paymentId: string, amountMinor: bigint, over: Record<string, string> = {}, key = platformKeys.alipay.platformPrivateKeyPem) =>
    signAlipayParams(
      { notify_time: beijingDateTime(), notify_type: 'trade_status_sync', notify_id: randomUUID(), app_id: ALIPAY_APP_ID, charset: 'utf-8', version: '1.0', out_trade_no: channelOrderNo(paymentId), trade_no: '2026TEST', trade_status: 'TRADE_SUCCESS', total_amount: alipayAmount(amountMinor), ...over },
      key,
      { forNotification: true },
    ) as Record<string, string>;

  beforeAll(async () => {
    ensureChannelKeys(keysDir);
    platformKeys = loadPlatformKeys(keysDir);
    emulator = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_HOLD_MS: '2500', CHANNEL_EMULATOR_PAY_DELAY_MS: '30', LOG_LEVEL: 'silent' }));
    await emulator.listen(0, '127.0.0.1');
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    config = loadGatewayConfig(
      await testServiceEnv('CHANNEL_GATEWAY', { schema, topicPrefix: prefix }, {
        CHANNEL_EMULATOR_URL: await emulator.getUrl(),
        CHANNEL_NOTIFY_BASE_URL: gatewayUrl,
        CHANNEL_KEYS_DIR: keysDir,
        CHANNEL_CHARGE_TIMEOUT_MS: '1000',
        CHANNEL_QUERY_INTERVAL_MS: '300',
        CHANNEL_UNKNOWN_MAX_AGE_MS: '3000',
        CHANNEL_BREAKER_VOLUME: '4',
        CHANNEL_BREAKER_RESET_MS: '1500',
      }),
    );
    app = await startInProcessApp(AppModule.forRoot(config));
    creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    await app.listen(port, '127.0.0.1');
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([completed, `${requested}.dlq`, refundCompleted, `${refundRequested}.dlq`]).start();
    // the charges below are m-1's: the card is m-1's
    const card = await tokenizeAs('m-1', TEST_CARD);
    expect(card.statusCode).toBe(201);
    cardToken = card.json().cardToken;
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await emulator?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  describe('every channel, every plain sandbox amount', () => {
    const card = () => ({ cardToken });
    it.each([
      // the answer and the notification race for a synchronous Alipay charge: either may be first
      ['alipay', 'an ordinary amount', '1000', 'succeeded', undefined, 'response|notification'],
      ['alipay', '..51', '2051', 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS', 'response'],
      ['alipay', '..53', '2053', 'failed', 'CHANNEL_UNAVAILABLE', 'response'],
      ['wechatpay', 'an ordinary amount', '1000', 'succeeded', undefined, 'notification'],
      ['wechatpay', '..51', '2051', 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS', 'query'],
      ['wechatpay', '..53', '2053', 'failed', 'CHANNEL_UNAVAILABLE', 'response'],
      ['unionpay', 'an ordinary amount', '1000', 'succeeded', undefined, 'notification'],
      ['unionpay', '..51', '2051', 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS', 'query'],
      ['unionpay', '..53', '2053', 'failed', 'CHANNEL_UNAVAILABLE', 'response'],
    ] as const)('%s, %s (%s) -> %s %s, first told by the %s', async (channel, _label, amount, outcome, code, via) => {
      const r = request(amount, channel, channel === 'unionpay' ? card() : {});
      const result = await charge(r);
      expect(result.value).toMatchObject({ outcome, channel });
      expect(result.value.failure?.code).toBe(code);
      if (outcome === 'succeeded') expect(result.value.channelTradeNo).toBeTruthy();
      const t = await stored(r.paymentId);
      expect(t).toMatchObject({ status: outcome.toUpperCase(), amountMinor: amount, conflicts: [] });
      expect(via.split('|')).toContain(t.resolvedVia);
    });
  });

  it('stores only a token, the BIN and the last four of a card; a bad number or a foreign BIN gets a stable code', async () => {
    expect(cardToken).toMatch(/^tok_[0-9a-f]{32}$/);
    const again = await tokenizeAs('m-1', TEST_CARD);
    expect(again.json()).toEqual({ cardToken, bin: '622588', last4: '3008', channel: 'unionpay' });
    const rows: Record<string, string>[] = await app.get(Platform).ds.query(`SELECT * FROM card_token WHERE merchant_id = 'm-1'`);
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!).sort()).toEqual(['bin', 'channel', 'channel_token', 'created_at', 'last4', 'merchant_id', 'token']);
    expect(JSON.stringify(rows)).not.toContain('6225880137453008');
    expect((await app.inject({ method: 'POST', url: '/cards', payload: { ...TEST_CARD, number: '6225880137453009' } })).json()).toMatchObject({ error: { code: 'CARD_INVALID' } });
    expect((await app.inject({ method: 'POST', url: '/cards', payload: { ...TEST_CARD, number: '4111111111111111' } })).json()).toMatchObject({ error: { code: 'CARD_NOT_SUPPORTED' } });
    expect((await app.inject({ method: 'POST', url: '/cards', payload: { number: '62', expiry: '13/29' } })).statusCode).toBe(400);
  });

  it('..52: the answer times out, the outcome is unknown, and the janitor\'s query settles it', async () => {
    const r = request('3052', 'wechatpay');
    await upstream.sendEvent(requested, r.paymentId, r);
    expect((await resultFor(r.paymentId, 1)).value).toMatchObject({ outcome: 'unknown', failure: { code: 'CHANNEL_OUTCOME_UNKNOWN' } });
    const settled = await finalFor(r.paymentId);
    expect(settled.value).toMatchObject({ outcome: 'succeeded', channel: 'wechatpay' });
    expect(settled.value.channelTradeNo).toMatch(/^4200/);
    expect(await stored(r.paymentId)).toMatchObject({ resolvedVia: 'query' });
    expect(await deliveries(r.paymentId)).toEqual([]); // no notification: only a query tells
  });

  it('..54: the notification outruns the answer, comes twice and then out of order; one success, nothing flips back', async () => {
    const r = request('4054', 'alipay');
    const result = await charge(r);
    expect(result.value).toMatchObject({ outcome: 'succeeded' });
    await waitFor(async () => ((await deliveries(r.paymentId)).length >= 3 ? true : undefined), 15_000, 'three notification deliveries');
    const sent = await deliveries(r.paymentId);
    expect(sent.map((d) => d.reports).sort()).toEqual(['SUCCESS', 'SUCCESS', 'WAIT_BUYER_PAY']);
    expect(sent.every((d) => d.acknowledged)).toBe(true);
    await new Promise((res) => setTimeout(res, 500));
    expect(resultsFor(r.paymentId).filter((m) => m.value.outcome === 'succeeded')).toHaveLength(1);
    const t = await stored(r.paymentId);
    expect(t).toMatchObject({ status: 'SUCCEEDED', resolvedVia: 'notification', notifications: 3, conflicts: [] });
  });

  it('..55: the notification never arrives; the janitor\'s query tells', async () => {
    const r = request('5055', 'wechatpay');
    expect((await charge(r)).value).toMatchObject({ outcome: 'succeeded', channel: 'wechatpay' });
    expect(await stored(r.paymentId)).toMatchObject({ resolvedVia: 'query' });
    expect(await deliveries(r.paymentId)).toEqual([]);
  });

  it('..56: still in process when the janitor gives up; the close finds it paid, and the success stands', async () => {
    const r = request('6056', 'alipay');
    await upstream.sendEvent(requested, r.paymentId, r);
    expect((await resultFor(r.paymentId, 1)).value).toMatchObject({ outcome: 'unknown' });
    const settled = await finalFor(r.paymentId);
    expect(settled.value).toMatchObject({ outcome: 'succeeded', channel: 'alipay' });
    const t = await stored(r.paymentId);
    expect(t.status).toBe('SUCCEEDED');
    expect(['query', 'notification']).toContain(t.resolvedVia);
    expect((await emulator.inject({ method: 'GET', url: `/sandbox/trades/${channelOrderNo(r.paymentId)}` })).json()).toMatchObject({ state: 'SUCCESS' });
    await new Promise((res) => setTimeout(res, 500));
    expect(resultsFor(r.paymentId).filter((m) => m.value.outcome !== 'unknown')).toHaveLength(1);
  });

  it('closes a charge the channel never received once it is past the maximum age, and fails it: nothing was charged', async () => {
    // as after a crash between opening the attempt and calling the channel
    const r = request('7000', 'wechatpay');
    await app.get(Platform).ds.query(
      `INSERT INTO channel_transaction (payment_id, order_id, merchant_id, channel, amount_minor, currency, status, failure_code, failure_message, next_query_at, created_at)
       VALUES ($1, $2, 'm-1', 'wechatpay', 7000, 'CNY', 'UNKNOWN', 'CHANNEL_OUTCOME_UNKNOWN', 'awaiting the channel', now(), now() - interval '10 seconds')`,
      [r.paymentId, r.orderId],
    );
    const result = await finalFor(r.paymentId);
    expect(result.value).toMatchObject({ outcome: 'failed', channel: 'wechatpay', failure: { code: 'CHANNEL_TRADE_CLOSED', retryable: true } });
    expect(await stored(r.paymentId)).toMatchObject({ status: 'FAILED', resolvedVia: 'close', closedAt: expect.any(String) });
  });

  it('sends the same order again when a redelivered request finds an attempt the channel never received (a crash before the call)', async () => {
    const before = await emulatorStats();
    const r = request('7100', 'alipay');
    // as after a crash between storing the attempt and calling the channel; the request is redelivered
    await app.get(Platform).ds.query(
      `INSERT INTO channel_transaction (payment_id, order_id, merchant_id, channel, amount_minor, currency, status, failure_code, failure_message, next_query_at)
       VALUES ($1, $2, 'm-1', 'alipay', 7100, 'CNY', 'UNKNOWN', 'CHANNEL_OUTCOME_UNKNOWN', 'awaiting the channel', now() + interval '1 hour')`,
      [r.paymentId, r.orderId],
    );
    expect((await charge(r)).value).toMatchObject({ outcome: 'succeeded', channel: 'alipay' });
    const after = await emulatorStats();
    expect(after.charges.succeeded - before.charges.succeeded).toBe(1);
    expect(BigInt(after.chargedMinor) - BigInt(before.chargedMinor)).toBe(7100n);
  });

  it('a repeated request while the outcome is unknown asks the channel (a query), never charges again', async () => {
    const before = await emulatorStats();
    const r = request('5052', 'alipay');
    await upstream.sendEvent(requested, r.paymentId, r);
    expect((await resultFor(r.paymentId, 1)).value).toMatchObject({ outcome: 'unknown' });
    await upstream.sendEvent(requested, r.paymentId, r); // a new event id while the outcome is unknown
    const settled = await finalFor(r.paymentId);
    expect(settled.value).toMatchObject({ outcome: 'succeeded', channel: 'alipay' });
    await new Promise((res) => setTimeout(res, 800));
    for (const later of resultsFor(r.paymentId).filter((m) => m.value.outcome !== 'unknown')) expect(later.value).toMatchObject({ channelTradeNo: settled.value.channelTradeNo });
    const after = await emulatorStats();
    expect(after.charges.requests - before.charges.requests).toBe(1);
    expect(BigInt(after.chargedMinor) - BigInt(before.chargedMinor)).toBe(5052n);
  });

  describe('notifications that must change nothing', () => {
    let paid: ChannelChargeRequested;
    beforeAll(async () => {
      paid = request('8000', 'alipay');
      await charge(paid);
    });
    const metric = async (result: string) => Number(new RegExp(`paystream_channel_notifications_total\\{[^}]*channel="alipay"[^}]*result="${result}"[^}]*\\} (\\d+)`).exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0);

    it.each([
      ['signed with another key (tampered)', () => alipayNotice(paid.paymentId, 8000n, {}, generateRsaKeyPair().privateKeyPem), 'bad-signature'],
      ['stale (notify_time an hour ago)', () => alipayNotice(paid.paymentId, 8000n, { notify_time: beijingDateTime(new Date(Date.now() - 3_600_000)) }), 'stale'],
      ['for another app id', () => alipayNotice(paid.paymentId, 8000n, { app_id: '2021000000000009' }), 'mismatched-account'],
      ['for another amount', () => alipayNotice(paid.paymentId, 8001n), 'mismatched-amount'],
      ['for an order we never sent', () => alipayNotice(randomUUID(), 8000n), 'unknown-trade'],
    ])('refuses one %s, counts it, changes nothing', async (_label, build, reason) => {
      const before = await metric(reason);
      expect(await notifyAlipay(build())).toBe('fail');
      expect(await metric(reason)).toBe(before + 1);
      expect(await stored(paid.paymentId)).toMatchObject({ status: 'SUCCEEDED', conflicts: [] });
    });

    it('acknowledges a fresh duplicate, refuses a replayed copy of the same signed message', async () => {
      const notice = alipayNotice(paid.paymentId, 8000n);
      expect(await notifyAlipay(notice)).toBe('success');
      const replays = await metric('replayed');
      expect(await notifyAlipay(notice)).toBe('fail');
      expect(await metric('replayed')).toBe(replays + 1);
    });

    it('keeps the first final outcome when a valid notification contradicts it: a conflict, alerted and counted', async () => {
      const closed = alipayNotice(paid.paymentId, 8000n, { trade_status: 'TRADE_CLOSED' });
      expect(await notifyAlipay(closed)).toBe('success');
      const t = await stored(paid.paymentId);
      expect(t.status).toBe('SUCCEEDED');
      expect(t.conflicts).toEqual([{ storedStatus: 'SUCCEEDED', reportedStatus: 'FAILED', source: 'notification' }]);
      expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/paystream_channel_outcome_conflicts_total\{[^}]*channel="alipay"[^}]*\} 1\n/);
    });

    it('refuses a replayed copy of a contradicting notification before applying it: one conflict, one alert', async () => {
      const logger = app.get(Platform, { strict: false }).logger;
      const errors = jest.spyOn(logger, 'error');
      try {
        const alerts = () => errors.mock.calls.filter(([fields]) => (fields as { alert?: string }).alert === 'CHANNEL_OUTCOME_CONFLICT').length;
        const conflictsBefore = (await stored(paid.paymentId)).conflicts.length;
        const closed = alipayNotice(paid.paymentId, 8000n, { trade_status: 'TRADE_CLOSED' });
        expect(await notifyAlipay(closed)).toBe('success');
        expect(alerts()).toBe(1);
        const replays = await metric('replayed');
        expect(await notifyAlipay(closed)).toBe('fail');
        expect(await metric('replayed')).toBe(replays + 1);
        expect(alerts()).toBe(1);
        expect((await stored(paid.paymentId)).conflicts).toHaveLength(conflictsBefore + 1);
      } finally {
        errors.mockRestore();
      }
    });

    it('refuses a WeChat Pay notification whose encrypted resource was tampered with', async () => {
      const resource = encryptWechatpayResource(JSON.stringify({ mchid: '1900000001', appid: 'wx8888888888888888', out_trade_no: channelOrderNo(paid.paymentId), trade_state: 'SUCCESS', amount: { total: 8000 } }), platformKeys.wechatpay.apiV3Key, 'transaction');
      const body = JSON.stringify({ id: randomUUID(), event_type: 'TRANSACTION.SUCCESS', resource: { ...resource, ciphertext: `A${resource.ciphertext.slice(1)}` } });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${gatewayUrl}/notify/wechatpay`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'wechatpay-timestamp': timestamp,
          'wechatpay-nonce': 'n1',
          'wechatpay-serial': platformKeys.wechatpay.platformSerialNo,
          'wechatpay-signature': rsaSha256Sign(wechatpayResponseMessage(timestamp, 'n1', body), platformKeys.wechatpay.platformPrivateKeyPem),
        },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'FAIL' });
    });
  });

  it('charges once for the same event id twice: one call at the channel, one completed event', async () => {
    const before = await emulatorStats();
    const r = request('4000', 'alipay');
    const id = await upstream.sendEvent(requested, r.paymentId, r);
    await upstream.sendEvent(requested, r.paymentId, r, { id });
    expect((await resultFor(r.paymentId)).value).toMatchObject({ outcome: 'succeeded' });
    await new Promise((res) => setTimeout(res, 1_000));
    expect(resultsFor(r.paymentId)).toHaveLength(1);
    const after = await emulatorStats();
    expect(after.charges.requests - before.charges.requests).toBe(1);
    expect(BigInt(after.chargedMinor) - BigInt(before.chargedMinor)).toBe(4000n);
  });

  it('reuses the stored outcome for the same payment under a new event id: no second call at the channel', async () => {
    const r = request('4100', 'alipay');
    const first = await charge(r);
    const before = await emulatorStats();
    await upstream.sendEvent(requested, r.paymentId, r);
    const second = await resultFor(r.paymentId, 2);
    expect(second.value).toMatchObject({ outcome: 'succeeded', channelTradeNo: first.value.channelTradeNo });
    const after = await emulatorStats();
    expect(after.charges.requests).toBe(before.charges.requests);
    expect(after.chargedMinor).toBe(before.chargedMinor);
  });

  it('fails a card payment whose token it does not know, without calling the channel', async () => {
    const r = request('1000', 'unionpay', { cardToken: `tok_${'0'.repeat(32)}` });
    expect((await charge(r)).value).toMatchObject({ outcome: 'failed', failure: { code: 'CARD_TOKEN_UNKNOWN' } });
  });

  it("fails another merchant's payment with m-1's card token exactly as with an unknown token, and charges nothing", async () => {
    const before = await emulatorStats();
    const unknown = request('1100', 'unionpay', { merchantId: 'm-2', cardToken: `tok_${'1'.repeat(32)}` });
    const others = request('1100', 'unionpay', { merchantId: 'm-2', cardToken });
    const [u, o] = [(await charge(unknown)).value, (await charge(others)).value];
    expect(o).toMatchObject({ outcome: 'failed', failure: { code: 'CARD_TOKEN_UNKNOWN' } });
    // the same outcome, failure and recorded attempt (but for the payment's own ids and times): nothing tells a token of another merchant from one that does not exist
    const own = (x: object) => Object.fromEntries(Object.entries(x).filter(([k]) => !['paymentId', 'orderId', 'cardToken'].includes(k) && !k.endsWith('At')));
    expect(own(o)).toEqual(own(u));
    expect(own(await stored(others.paymentId))).toEqual(own(await stored(unknown.paymentId)));
    expect((await emulatorStats()).charges.requests).toBe(before.charges.requests);
    // m-1 still pays with its own token
    expect((await charge(request('1200', 'unionpay', { cardToken }))).value).toMatchObject({ outcome: 'succeeded', channel: 'unionpay' });
  });

  it('keeps a card each merchant tokenised as that merchant\'s: the same token, a row each, no card number or CVV stored', async () => {
    const logged: unknown[] = [];
    const info = jest.spyOn(app.get(Platform).logger, 'info').mockImplementation(((...line: unknown[]) => void logged.push(line)) as never);
    const card = await tokenizeAs('m-2', TEST_CARD).finally(() => info.mockRestore());
    // the log line names the card by BIN, last four and the token masked, never the token itself
    const line = JSON.stringify(logged.find((l) => JSON.stringify(l).includes('card tokenised')));
    expect(line).toContain(`"cardToken":"tok_${'*'.repeat(28)}${cardToken.slice(-4)}"`);
    expect(line).not.toContain(cardToken);
    expect(card.json()).toEqual({ cardToken, bin: '622588', last4: '3008', channel: 'unionpay' });
    const rows: Record<string, string>[] = await app.get(Platform).ds.query(`SELECT merchant_id, token, bin, last4 FROM card_token WHERE token = $1 ORDER BY merchant_id`, [cardToken]);
    expect(rows).toEqual([
      { merchant_id: 'm-1', token: cardToken, bin: '622588', last4: '3008' },
      { merchant_id: 'm-2', token: cardToken, bin: '622588', last4: '3008' },
    ]);
    const all = JSON.stringify(await app.get(Platform).ds.query(`SELECT * FROM card_token`));
    expect(all).not.toContain('6225880137453008');
    expect(all).not.toMatch(/"123"|cvn2/);
    // now m-2 may charge it too
    expect((await charge(request('1300', 'unionpay', { merchantId: 'm-2', cardToken }))).value).toMatchObject({ outcome: 'succeeded', channel: 'unionpay' });
  });

  it('dead-letters a malformed request and keeps charging', async () => {
    await upstream.sendEvent(requested, 'bad', { ...request('100'), amountMinor: '-5' });
    const r = request('500', 'alipay');
    await charge(r);
    const dlq = await waitFor(() => collector.on(`${requested}.dlq`)[0], 20_000, 'dead letter');
    expect(dlq.headers[DLQ_HEADERS.reason]).toContain('amountMinor');
  });

  it('dead-letters a charge request for a charged payment on other terms: no call at the channel, no outcome told for it', async () => {
    const r = request('4200', 'alipay');
    const first = await charge(r);
    expect(first.value).toMatchObject({ outcome: 'succeeded' });
    const before = await emulatorStats();
    await upstream.sendEvent(requested, r.paymentId, { ...r, amountMinor: '9900' });
    await upstream.sendEvent(requested, r.paymentId, { ...r, orderId: 'o-someone-else' });
    const dead = await waitFor(() => {
      const d = collector.on(`${requested}.dlq`, (m) => m.key === r.paymentId);
      return d.length >= 2 ? d : undefined;
    }, 20_000, 'both mismatched requests dead-lettered');
    expect(dead.map((m) => m.headers[DLQ_HEADERS.reason])).toEqual([
      expect.stringContaining(`asks payment ${r.paymentId} for other terms than its stored attempt (amountMinor 9900 instead of 4200)`),
      expect.stringContaining(`(orderId o-someone-else instead of ${r.orderId})`),
    ]);
    expect(resultsFor(r.paymentId)).toHaveLength(1);
    expect((await emulatorStats()).charges.requests).toBe(before.charges.requests);
    expect((await stored(r.paymentId))).toMatchObject({ amountMinor: '4200', orderId: r.orderId, status: 'SUCCEEDED' });
    // the same request again is still answered with the stored outcome
    await upstream.sendEvent(requested, r.paymentId, r);
    expect((await resultFor(r.paymentId, 2)).value).toMatchObject({ outcome: 'succeeded', channelTradeNo: first.value.channelTradeNo });
  });

  it('dead-letters a refund request naming another order or channel than the charge, or a refundId of another payment, and refunds nothing', async () => {
    const [a, b] = [request('4400', 'alipay'), request('4500', 'alipay')];
    const charged = [await charge(a), await charge(b)];
    const refund = (r: ChannelChargeRequested, tradeNo: string, over: Record<string, string> = {}) => ({
      refundId: randomUUID(), paymentId: r.paymentId, orderId: r.orderId, merchantId: r.merchantId, channel: 'alipay', channelTradeNo: tradeNo, amountMinor: '1000', currency: 'CNY', ...over,
    });
    const refundsAtChannel = async () => (await emulatorStats()).refunds.count as number;
    const before = await refundsAtChannel();
    const deadFor = (refundId: string) => waitFor(() => collector.on(`${refundRequested}.dlq`, (m) => (m.value as { refundId: string }).refundId === refundId)[0], 20_000, `dead letter of ${refundId}`);
    const otherOrder = refund(a, charged[0]!.value.channelTradeNo!, { orderId: 'o-someone-else' });
    await upstream.sendEvent(refundRequested, a.paymentId, otherOrder);
    expect((await deadFor(otherOrder.refundId)).headers[DLQ_HEADERS.reason]).toContain(`refund ${otherOrder.refundId} does not match the charge of payment ${a.paymentId} (orderId o-someone-else instead of ${a.orderId})`);
    const otherChannel = refund(a, charged[0]!.value.channelTradeNo!, { channel: 'wechatpay' });
    await upstream.sendEvent(refundRequested, a.paymentId, otherChannel);
    expect((await deadFor(otherChannel.refundId)).headers[DLQ_HEADERS.reason]).toContain('channel wechatpay instead of alipay');

    const right = refund(a, charged[0]!.value.channelTradeNo!);
    await upstream.sendEvent(refundRequested, a.paymentId, right);
    const done = await waitFor(() => collector.on<{ refundId: string; paymentId: string; outcome: string }>(refundCompleted, (m) => m.value.refundId === right.refundId)[0], 20_000, 'the right refund done');
    expect(done.value).toMatchObject({ paymentId: a.paymentId, outcome: 'succeeded' });
    // the same refundId asked for payment b: never answered with a's refund, never sent
    await upstream.sendEvent(refundRequested, b.paymentId, { ...refund(b, charged[1]!.value.channelTradeNo!), refundId: right.refundId });
    const reused = await waitFor(() => collector.on(`${refundRequested}.dlq`, (m) => m.key === b.paymentId)[0], 20_000, 'the reused refundId dead-lettered');
    expect(reused.headers[DLQ_HEADERS.reason]).toContain(`refund ${right.refundId} is a refund of payment ${a.paymentId}, not of payment ${b.paymentId}`);
    expect(collector.on<{ refundId: string }>(refundCompleted, (m) => m.value.refundId === right.refundId)).toHaveLength(1);
    expect(collector.on<{ paymentId: string }>(refundCompleted, (m) => m.value.paymentId === b.paymentId)).toEqual([]);
    for (const r of [otherOrder, otherChannel]) expect(collector.on<{ refundId: string }>(refundCompleted, (m) => m.value.refundId === r.refundId)).toEqual([]);
    expect(await refundsAtChannel()).toBe(before + 1);
  });

  it('sends a payment\'s refunds to the channel only as far as they fit in the capture, even when asked for at once; the rest fail with REFUND_EXCEEDS_CAPTURED', async () => {
    const r = request('5000', 'alipay');
    const charged = await charge(r);
    expect(charged.value).toMatchObject({ outcome: 'succeeded' });
    const before = (await emulatorStats()).refunds;
    // three refunds of 2000 against a capture of 5000, straight onto the topic (no order-payment to
    // stop the third), keyed apart so that they may be consumed on different partitions at once
    const asks = [0, 1, 2].map(() => ({
      refundId: randomUUID(), paymentId: r.paymentId, orderId: r.orderId, merchantId: r.merchantId, channel: 'alipay', channelTradeNo: charged.value.channelTradeNo!, amountMinor: '2000', currency: 'CNY',
    }));
    type RefundDone = { refundId: string; outcome: string; failure?: { code: string; message: string } };
    const answersFor = (refundId: string) => collector.on<RefundDone>(refundCompleted, (m) => m.value.refundId === refundId);
    const allAnswered = (n: number) =>
      waitFor(() => (asks.every((a) => answersFor(a.refundId).length >= n) ? asks.map((a) => answersFor(a.refundId)[n - 1]!.value) : undefined), 25_000, `answer ${n} to every refund`);
    await Promise.all(asks.map((a, i) => upstream.sendEvent(refundRequested, `${r.paymentId}:${i}`, a)));
    const answers = await allAnswered(1);
    expect(answers.filter((a) => a.outcome === 'succeeded')).toHaveLength(2);
    const refused = answers.filter((a) => a.outcome === 'failed');
    expect(refused).toEqual([expect.objectContaining({ failure: expect.objectContaining({ code: 'REFUND_EXCEEDS_CAPTURED', message: expect.stringContaining('2000 asked, 1000 of 5000 captured left to refund') }) })]);
    // only the two that fit reached the channel: the third was never sent (the channel counts refused ones too)
    const after = (await emulatorStats()).refunds;
    expect(after.count).toBe(before.count + 2);
    expect(BigInt(after.refundedMinor) - BigInt(before.refundedMinor)).toBe(4000n);
    expect(collector.on(`${refundRequested}.dlq`, (m) => (m.value as { paymentId: string }).paymentId === r.paymentId)).toEqual([]);

    // every request again (redelivered, new ce_id): the same answers, nothing more sent
    for (const a of asks) await upstream.sendEvent(refundRequested, r.paymentId, a);
    const again = await allAnswered(2);
    expect(again).toEqual(answers.map((a) => expect.objectContaining({ refundId: a.refundId, outcome: a.outcome, ...(a.failure ? { failure: expect.objectContaining({ code: a.failure.code }) } : {}) })));
    expect((await emulatorStats()).refunds.count).toBe(before.count + 2);
    // the two refunds sent are each in the audit chain once (committed with the refund SENDING); the refused one is not
    const db = app.get(Platform).ds;
    for (const a of asks) {
      const rows = await auditRowsAbout(db, `refund:${a.refundId}`);
      const sent = answers.find((x) => x.refundId === a.refundId)!.outcome === 'succeeded';
      expect(rows).toEqual(sent ? [expect.objectContaining({ actor: 'service:order-payment', action: 'refund.sent', details: expect.objectContaining({ paymentId: r.paymentId, amountMinor: '2000', channel: 'alipay' }) })] : []);
    }
  });

  describe('refunds whose outcome the channel leaves unknown', () => {
    type RefundDone = { refundId: string; outcome: string; channelRefundNo?: string; failure?: { code: string; message: string } };
    const answersFor = (refundId: string) => collector.on<RefundDone>(refundCompleted, (m) => m.value.refundId === refundId);
    const answerFor = (refundId: string) => waitFor(() => answersFor(refundId)[0]?.value, 25_000, `the result of refund ${refundId}`);
    const refundRow = async (refundId: string) =>
      ((await app.get(Platform).ds.query(`SELECT status, query_attempts, resolved_at, channel_refund_no FROM channel_refund WHERE refund_id = $1`, [refundId])) as Record<string, unknown>[])[0];
    const ask = (r: ChannelChargeRequested, channelTradeNo: string, amountMinor: string) => ({
      refundId: randomUUID(), paymentId: r.paymentId, orderId: r.orderId, merchantId: r.merchantId, channel: r.channel!, channelTradeNo, amountMinor, currency: 'CNY',
    });
    /** The refund the sandbox holds under the gateway's refund number (undefined: never sent). */
    const atChannel = (refundId: string) => emulator.get(ChannelSandbox).queryRefund(channelOrderNo(refundId));

    it('a refund whose answer times out stays unknown and holds its part of the capture: a new refund beyond capture minus it is refused and never sent, one that fits goes; the query settles it with exactly one result', async () => {
      const r = request('5000', 'alipay');
      const charged = await charge(r);
      expect(charged.value).toMatchObject({ outcome: 'succeeded' });
      const tradeNo = charged.value.channelTradeNo!;
      // ..52: the channel refunds at once but answers after the gateway's 1 s timeout
      const lost = ask(r, tradeNo, '3052');
      const beyond = ask(r, tradeNo, '2000');
      const fits = ask(r, tradeNo, '1948');
      // one key: consumed one after another, the second and third right after the first is recorded unknown
      for (const a of [lost, beyond, fits]) await upstream.sendEvent(refundRequested, r.paymentId, a);

      expect(await answerFor(beyond.refundId)).toMatchObject({ outcome: 'failed', failure: { code: 'REFUND_EXCEEDS_CAPTURED', message: expect.stringContaining('2000 asked, 1948 of 5000 captured left to refund') } });
      expect(atChannel(beyond.refundId)).toBeUndefined();
      expect(await answerFor(fits.refundId)).toMatchObject({ outcome: 'succeeded' });
      // the timed-out one: never told failed; the janitor's query finds it refunded and tells it once
      const settled = await answerFor(lost.refundId);
      expect(settled).toMatchObject({ outcome: 'succeeded', channelRefundNo: expect.any(String) });
      expect(settled.failure).toBeUndefined();
      expect(await refundRow(lost.refundId)).toMatchObject({ status: 'SUCCEEDED', query_attempts: expect.any(Number), resolved_at: expect.any(Date) });
      expect(Number((await refundRow(lost.refundId))!.query_attempts)).toBeGreaterThanOrEqual(1);
      expect(atChannel(lost.refundId)).toMatchObject({ status: 'SUCCESS', amountMinor: '3052' });

      // asked again with the same refundId after it settled: told as it was, never sent again
      await upstream.sendEvent(refundRequested, r.paymentId, lost);
      await waitFor(() => (answersFor(lost.refundId).length >= 2 ? true : undefined), 20_000, 'the repeated request answered');
      expect(answersFor(lost.refundId).map((m) => m.value.outcome)).toEqual(['succeeded', 'succeeded']);
      const { count } = (await emulatorStats()).refunds as { count: number };
      await new Promise((res) => setTimeout(res, 1_000)); // a janitor pass or three: nothing more is told or sent
      expect(answersFor(lost.refundId)).toHaveLength(2);
      expect(((await emulatorStats()).refunds as { count: number }).count).toBe(count);
    });

    it('a refund whose send got a 5xx that did nothing (the channel has no record of it) is sent again under its own number past the maximum age, and made once', async () => {
      const r = request('6100', 'wechatpay');
      const charged = await charge(r);
      expect(charged.value).toMatchObject({ outcome: 'succeeded' });
      const lost = ask(r, charged.value.channelTradeNo!, '1000');
      const faults = (payload?: unknown) => emulator.inject({ method: payload ? 'PUT' : 'DELETE', url: '/sandbox/faults', ...(payload ? { payload } : {}) });
      // WeChat Pay answers every refund call with a 5xx and does nothing (the chaos runner's http-5xx)
      expect((await faults({ seed: 7, faults: [{ kind: 'http-5xx', targets: ['wechatpay'], probability: 1 }] })).statusCode).toBeLessThan(300);
      try {
        await upstream.sendEvent(refundRequested, r.paymentId, lost);
        await waitFor(async () => ((await refundRow(lost.refundId))?.status === 'UNKNOWN' ? true : undefined), 20_000, 'the refund recorded unknown');
      } finally {
        await faults();
      }
      expect(atChannel(lost.refundId)).toBeUndefined();
      // the janitor's queries find nothing at the channel; past the maximum age (3 s here) it sends it again
      const settled = await answerFor(lost.refundId);
      expect(settled).toMatchObject({ outcome: 'succeeded', channelRefundNo: expect.any(String) });
      expect(atChannel(lost.refundId)).toMatchObject({ status: 'SUCCESS', amountMinor: '1000' });
      expect(await refundRow(lost.refundId)).toMatchObject({ status: 'SUCCEEDED' });
      expect(answersFor(lost.refundId)).toHaveLength(1);
    });

    it('while a refund is unknown, the same refundId asked again is answered with nothing and not sent again', async () => {
      const r = request('6000', 'wechatpay');
      const charged = await charge(r);
      // ..52 again: held past the timeout, so the gateway records it unknown
      const lost = ask(r, charged.value.channelTradeNo!, '1052');
      await upstream.sendEvent(refundRequested, r.paymentId, lost);
      await upstream.sendEvent(refundRequested, r.paymentId, lost);
      const settled = await answerFor(lost.refundId);
      expect(settled).toMatchObject({ outcome: 'succeeded' });
      // the repeat was consumed while the first was unknown (same key, right behind it): no result, no second refund
      await new Promise((res) => setTimeout(res, 1_000));
      expect(answersFor(lost.refundId)).toHaveLength(1);
      expect(await refundRow(lost.refundId)).toMatchObject({ status: 'SUCCEEDED' });
    });

    it.each(['alipay', 'wechatpay', 'unionpay'] as const)('%s: a refund the channel answers as processing (..58) is unknown until the query finds it done, then told once', async (channel) => {
      const r = request('7000', channel, channel === 'unionpay' ? { cardToken } : {});
      const charged = await charge(r);
      expect(charged.value).toMatchObject({ outcome: 'succeeded' });
      const processing = ask(r, charged.value.channelTradeNo!, '1058');
      await upstream.sendEvent(refundRequested, r.paymentId, processing);
      const settled = await answerFor(processing.refundId);
      expect(settled).toMatchObject({ outcome: 'succeeded', channelRefundNo: expect.any(String) });
      expect(await refundRow(processing.refundId)).toMatchObject({ status: 'SUCCEEDED', resolved_at: expect.any(Date) });
      await new Promise((res) => setTimeout(res, 700));
      expect(answersFor(processing.refundId)).toHaveLength(1);
    });
  });

  it('opens a failing channel\'s breaker, routes new payments elsewhere, and closes it after a good trial call', async () => {
    await emulator.inject({ method: 'POST', url: '/sandbox/channels/wechatpay/outage', payload: { down: true } });
    const breakerState = async () => (await app.inject({ method: 'GET', url: '/health' })).json().details.channelBreakers['wechatpay.charge']?.state;
    let failures = 0;
    while ((await breakerState()) !== 'open') {
      expect(failures).toBeLessThan(10);
      const r = request('1100', 'wechatpay');
      expect((await charge(r)).value).toMatchObject({ outcome: 'failed', channel: 'wechatpay', failure: { code: 'CHANNEL_UNAVAILABLE' } });
      failures++;
    }
    expect(failures).toBeGreaterThanOrEqual(2); // a single failure does not open it
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/paystream_channel_breaker_state\{[^}]*channel="wechatpay"[^}]*operation="charge"[^}]*\} 2\n/);

    // the shopper chose wechatpay, but it is down: the charge goes over a healthy channel, and says why
    const before = await emulatorStats();
    const moved = request('1200', 'wechatpay');
    const result = (await charge(moved)).value;
    expect(result).toMatchObject({ outcome: 'succeeded', channel: 'alipay' });
    expect((await stored(moved.paymentId)).routingReasons).toEqual(['wechatpay requested but its breaker is open', expect.stringMatching(/^routed to alipay/)]);
    expect((await emulatorStats()).charges.errored).toBe(before.charges.errored); // the open breaker spared the channel

    // back up: after the reset timeout one trial call goes through and closes the breaker
    await emulator.inject({ method: 'POST', url: '/sandbox/channels/wechatpay/outage', payload: { down: false } });
    await new Promise((res) => setTimeout(res, 1_700));
    // half-open: one trial call goes through; charges arriving meanwhile are routed elsewhere, not failed
    const burst = [1300, 1301, 1302, 1303].map((amount) => request(String(amount), 'wechatpay'));
    await Promise.all(burst.map((r) => upstream.sendEvent(requested, r.paymentId, r)));
    const results = await Promise.all(burst.map((r) => finalFor(r.paymentId)));
    expect(results.map((r) => r.value.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(results.map((r) => r.value.channel)).toContain('wechatpay');
    for (const [i, r] of results.entries()) {
      if (r.value.channel === 'alipay') expect((await stored(burst[i]!.paymentId)).routingReasons).toContain('wechatpay refused the call (its breaker): nothing sent');
    }
    const after = (await app.inject({ method: 'GET', url: '/health' })).json();
    expect(after.details.channelBreakers['wechatpay.charge']).toMatchObject({ state: 'closed' });
    const transitions = (await app.inject({ method: 'GET', url: '/channel/stats' })).json().breakerTransitions.filter((t: { channel: string }) => t.channel === 'wechatpay');
    expect(transitions.map((t: { to: string }) => t.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('answers stats, health and metrics', async () => {
    await new Promise((res) => setTimeout(res, 1_000));
    const stats = (await app.inject({ method: 'GET', url: '/channel/stats' })).json();
    const payments = new Set(collector.on(completed).map((m) => m.key));
    expect(stats.total).toBe(payments.size);
    expect(stats.byStatus.UNKNOWN).toBe(0);
    expect(stats.byStatus.SUCCEEDED + stats.byStatus.FAILED).toBe(payments.size);
    expect(Object.keys(stats.byChannel).sort()).toEqual(['alipay', 'unionpay', 'wechatpay']);
    expect(stats.janitorResolutionSeconds.count).toBeGreaterThan(0);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/paystream_channel_charges_total\{[^}]*outcome="succeeded"[^}]*\} \d+/);
    expect(metrics).toMatch(/paystream_channel_attempts_total\{[^}]*channel="unionpay"[^}]*\} \d+/);
    expect(metrics).toContain('paystream_channel_call_seconds_bucket{');
    expect(metrics).toContain('paystream_channel_janitor_resolution_seconds_bucket{');
    expect(metrics).toMatch(/paystream_channel_notifications_total\{[^}]*channel="wechatpay"[^}]*result="advance"[^}]*\} \d+/);
    const missing = await app.inject({ method: 'GET', url: `/channel-transactions/${randomUUID()}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'RESOURCE_NOT_FOUND' } });
  });

  it('speaks Alipay Open API v2: a request signed with another key is refused in Alipay\'s own format, signed', async () => {
    expect(config.channel.alipay).toMatchObject({ appId: ALIPAY_APP_ID, gatewayUrl: expect.stringMatching(/\/alipay\/gateway\.do$/) });
    const params = signAlipayParams(
      { app_id: ALIPAY_APP_ID, method: 'alipay.trade.query', charset: 'utf-8', timestamp: '2026-11-25 10:00:00', version: '1.0', biz_content: JSON.stringify({ out_trade_no: 'x' }) },
      generateRsaKeyPair().privateKeyPem,
    );
    const res = await emulator.inject({ method: 'POST', url: `/alipay/gateway.do?${new URLSearchParams(params as Record<string, string>)}` });
    expect(verifyAlipayResponse(res.body, 'alipay.trade.query', config.channel.alipay.platformPublicKeyPem)).toMatchObject({
      ok: true,
      response: { code: '40002', sub_code: 'isv.invalid-signature' },
    });
  });

  it('refuses to start with a bad emulator URL or without its keys', () => {
    expect(() => loadGatewayConfig({ CREDENTIAL_PEPPER: TEST_CREDENTIAL_PEPPER, CHANNEL_EMULATOR_URL: 'ftp://x', CHANNEL_KEYS_DIR: keysDir })).toThrow(/CHANNEL_EMULATOR_URL/);
    expect(() => loadGatewayConfig({ CREDENTIAL_PEPPER: TEST_CREDENTIAL_PEPPER, CHANNEL_KEYS_DIR: join(tmpdir(), 'no-such-keys') })).toThrow(/CHANNEL_KEYS_DIR.*missing/);
    expect(() => loadGatewayConfig({ CREDENTIAL_PEPPER: TEST_CREDENTIAL_PEPPER, CHANNEL_KEYS_DIR: keysDir, CHANNEL_MERCHANT_RULES: 'm-1:paypal' })).toThrow(/CHANNEL_MERCHANT_RULES/);
    expect(loadGatewayConfig({ CREDENTIAL_PEPPER: TEST_CREDENTIAL_PEPPER, CHANNEL_KEYS_DIR: keysDir, CHANNEL_MERCHANT_RULES: 'm-1:alipay,unionpay' }).channel.merchantRules.get('m-1')).toEqual(['alipay', 'unionpay']);
  });
});
