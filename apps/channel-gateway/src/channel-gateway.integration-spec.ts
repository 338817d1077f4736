import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DLQ_HEADERS, TOPICS, type ChannelChargeRequested } from '@paystream/contracts';
import { startInProcessApp } from '@paystream/shared/platform';
import { dropSchemas, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { EmulatorModule, loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import { CHANNEL_KEY_FILES, ensureChannelKeys, generateRsaKeyPair, signAlipayParams, verifyAlipayResponse } from '@paystream/shared/channel-protocols';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config';

describe('channel-gateway on the real broker and database, against the channel emulator', () => {
  const prefix = uniqueTopicPrefix('gw');
  const schema = uniqueId('gw_');
  const requested = `${prefix}${TOPICS.channelChargeRequested}`;
  const completed = `${prefix}${TOPICS.channelChargeCompleted}`;
  const keysDir = mkdtempSync(join(tmpdir(), 'paystream-gw-keys-'));
  let emulator: NestFastifyApplication;
  let config: ReturnType<typeof loadGatewayConfig>;
  let app: NestFastifyApplication;
  let upstream: RawProducer;
  let collector: TopicCollector;

  const request = (amountMinor: string, paymentId = randomUUID()): ChannelChargeRequested => ({
    paymentId,
    orderId: `o-${paymentId.slice(0, 8)}`,
    merchantId: 'm-1',
    amountMinor,
    currency: 'CNY',
    subject: 'tea',
  });
  type Completed = { outcome: string; channel: string; channelTradeNo?: string; failure?: { code: string } };
  const resultsFor = (paymentId: string) => collector.on<Completed>(completed, (m) => m.key === paymentId);
  const resultFor = (paymentId: string, n = 1) =>
    waitFor(() => (resultsFor(paymentId).length >= n ? resultsFor(paymentId)[n - 1] : undefined), 20_000, `result ${n} for ${paymentId}`);
  const emulatorStats = async () => (await emulator.inject({ method: 'GET', url: '/sandbox/stats' })).json();

  beforeAll(async () => {
    ensureChannelKeys(keysDir); // Alipay then speaks Open API v2 (RSA2) between the two
    emulator = await NestFactory.create<NestFastifyApplication>(
      EmulatorModule.forRoot(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_HOLD_MS: '4000', LOG_LEVEL: 'silent' })),
      new FastifyAdapter(),
      { logger: false },
    );
    await emulator.listen(0, '127.0.0.1');
    config = loadGatewayConfig(testServiceEnv('CHANNEL_GATEWAY', { schema, topicPrefix: prefix }, {
      CHANNEL_EMULATOR_URL: await emulator.getUrl(),
      CHANNEL_KEYS_DIR: keysDir,
      CHANNEL_CHARGE_TIMEOUT_MS: '1000',
      CHANNEL_QUERY_INTERVAL_MS: '300',
      CHANNEL_BREAKER_VOLUME: '4',
      CHANNEL_BREAKER_RESET_MS: '1500',
    }));
    app = await startInProcessApp(AppModule.forRoot(config));
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([completed, `${requested}.dlq`]).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await emulator?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it.each([
    ['an ordinary amount', '1000', 'succeeded', undefined],
    ['..51', '2051', 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS'],
    ['..53', '2053', 'failed', 'CHANNEL_UNAVAILABLE'],
  ])('charges %s -> %s', async (_label, amount, outcome, code) => {
    const r = request(amount);
    await upstream.sendEvent(requested, r.paymentId, r);
    const result = await resultFor(r.paymentId);
    expect(result.value).toMatchObject({ outcome, channel: 'alipay' });
    expect(result.value.failure?.code).toBe(code);
    if (outcome === 'succeeded') expect(result.value.channelTradeNo).toBeTruthy();
    const stored = (await app.inject({ method: 'GET', url: `/channel-transactions/${r.paymentId}` })).json();
    expect(stored).toMatchObject({ status: outcome.toUpperCase(), amountMinor: amount });
  });

  it('reports a timed-out charge as unknown, then settles it by query', async () => {
    const r = { ...request('3052'), channel: 'wechatpay' as const };
    await upstream.sendEvent(requested, r.paymentId, r);
    expect((await resultFor(r.paymentId, 1)).value).toMatchObject({ outcome: 'unknown', failure: { code: 'CHANNEL_OUTCOME_UNKNOWN' } });
    const settled = await resultFor(r.paymentId, 2);
    expect(settled.value).toMatchObject({ outcome: 'succeeded', channel: 'wechatpay' });
    expect(settled.value.channelTradeNo).toMatch(/^4200/);
  });

  it('settles a stored unknown outcome when the request comes again, without charging twice', async () => {
    const before = await emulatorStats();
    const r = request('5052');
    await upstream.sendEvent(requested, r.paymentId, r);
    const unknown = await resultFor(r.paymentId, 1);
    expect(unknown.value).toMatchObject({ outcome: 'unknown' });
    await upstream.sendEvent(requested, r.paymentId, r); // a new event id while the outcome is unknown
    const settled = await resultFor(r.paymentId, 2);
    // asked again of the channel that charged, whatever routing would pick now
    expect(settled.value).toMatchObject({ outcome: 'succeeded', channel: unknown.value.channel });
    // the query worker and the repeated request may both report it; both say the same
    await new Promise((res) => setTimeout(res, 800));
    for (const later of resultsFor(r.paymentId).slice(1)) expect(later.value).toMatchObject({ outcome: 'succeeded', channelTradeNo: settled.value.channelTradeNo });
    const after = await emulatorStats();
    expect(after.charges.succeeded - before.charges.succeeded).toBe(1);
    expect(BigInt(after.chargedMinor) - BigInt(before.chargedMinor)).toBe(5052n);
  });

  it('charges once for the same event id twice: one call at the channel, one completed event', async () => {
    const before = await emulatorStats();
    const r = request('4000');
    const id = await upstream.sendEvent(requested, r.paymentId, r);
    await upstream.sendEvent(requested, r.paymentId, r, { id });
    expect((await resultFor(r.paymentId)).value).toMatchObject({ outcome: 'succeeded' });
    await new Promise((res) => setTimeout(res, 1_000));
    expect(resultsFor(r.paymentId)).toHaveLength(1);
    const after = await emulatorStats();
    expect(after.charges.requests - before.charges.requests).toBe(1);
    expect(after.charges.duplicates - before.charges.duplicates).toBe(0);
    expect(BigInt(after.chargedMinor) - BigInt(before.chargedMinor)).toBe(4000n);
  });

  it('reuses the stored outcome for the same payment under a new event id: no second call at the channel', async () => {
    const r = request('4100');
    await upstream.sendEvent(requested, r.paymentId, r);
    const first = await resultFor(r.paymentId);
    const before = await emulatorStats();
    await upstream.sendEvent(requested, r.paymentId, r);
    const second = await resultFor(r.paymentId, 2);
    expect(second.value).toMatchObject({ outcome: 'succeeded', channelTradeNo: first.value.channelTradeNo });
    const after = await emulatorStats();
    expect(after.charges.requests).toBe(before.charges.requests);
    expect(after.chargedMinor).toBe(before.chargedMinor);
  });

  it('dead-letters a malformed request and keeps charging', async () => {
    await upstream.sendEvent(requested, 'bad', { ...request('100'), amountMinor: '-5' });
    const r = request('500');
    await upstream.sendEvent(requested, r.paymentId, r);
    await resultFor(r.paymentId);
    const dlq = await waitFor(() => collector.on(`${requested}.dlq`)[0], 20_000, 'dead letter');
    expect(dlq.headers[DLQ_HEADERS.reason]).toContain('amountMinor');
  });

  it('opens a failing channel\'s breaker, routes new payments elsewhere, and closes it after a good trial call', async () => {
    // unionpay is untouched by the tests above: take it down and let payments fail there
    await emulator.inject({ method: 'POST', url: '/sandbox/channels/unionpay/outage', payload: { down: true } });
    // (routing may have sent earlier no-choice charges to unionpay, so how many failures open it varies)
    const breakerState = async () => (await app.inject({ method: 'GET', url: '/health' })).json().details.channelBreakers['unionpay.charge']?.state;
    let failures = 0;
    while ((await breakerState()) !== 'open') {
      expect(failures).toBeLessThan(10);
      const r = { ...request('1100'), channel: 'unionpay' as const };
      await upstream.sendEvent(requested, r.paymentId, r);
      expect((await resultFor(r.paymentId)).value).toMatchObject({ outcome: 'failed', channel: 'unionpay', failure: { code: 'CHANNEL_UNAVAILABLE' } });
      failures++;
    }
    expect(failures).toBeGreaterThanOrEqual(2); // a single failure does not open it
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/paystream_channel_breaker_state\{[^}]*channel="unionpay"[^}]*operation="charge"[^}]*\} 2\n/);

    // the shopper chose unionpay, but it is down: the charge goes over a healthy channel, and says why
    const before = await emulatorStats();
    const moved = { ...request('1200'), channel: 'unionpay' as const };
    await upstream.sendEvent(requested, moved.paymentId, moved);
    const result = (await resultFor(moved.paymentId)).value;
    expect(result.outcome).toBe('succeeded');
    expect(result.channel).not.toBe('unionpay');
    const stored = (await app.inject({ method: 'GET', url: `/channel-transactions/${moved.paymentId}` })).json();
    expect(stored.routingReasons).toEqual(['unionpay requested but its breaker is open', expect.stringMatching(new RegExp(`^routed to ${result.channel}`))]);
    expect((await emulatorStats()).charges.errored).toBe(before.charges.errored); // the open breaker spared the channel

    // back up: after the reset timeout one trial call goes through and closes the breaker
    await emulator.inject({ method: 'POST', url: '/sandbox/channels/unionpay/outage', payload: { down: false } });
    await new Promise((res) => setTimeout(res, 1_700));
    const trial = { ...request('1300'), channel: 'unionpay' as const };
    await upstream.sendEvent(requested, trial.paymentId, trial);
    expect((await resultFor(trial.paymentId)).value).toMatchObject({ outcome: 'succeeded', channel: 'unionpay' });
    const after = (await app.inject({ method: 'GET', url: '/health' })).json();
    expect(after.details.channelBreakers['unionpay.charge']).toMatchObject({ state: 'closed' });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/paystream_channel_breaker_transitions_total\{[^}]*channel="unionpay"[^}]*to="closed"[^}]*\} 1\n/);
  });

  it('answers stats, health and metrics', async () => {
    const stats = (await app.inject({ method: 'GET', url: '/channel/stats' })).json();
    const payments = new Set(collector.on(completed).map((m) => m.key));
    expect(stats.total).toBe(payments.size);
    expect(stats.byStatus.UNKNOWN).toBe(0);
    expect(stats.byStatus.SUCCEEDED + stats.byStatus.FAILED).toBe(payments.size);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/paystream_channel_charges_total\{[^}]*outcome="succeeded"[^}]*\} \d+/);
    expect(metrics).toContain('paystream_channel_call_seconds_bucket{');
    expect(metrics).toMatch(/paystream_channel_queries_total\{[^}]*result="succeeded"[^}]*\} \d+/);
    const missing = await app.inject({ method: 'GET', url: `/channel-transactions/${randomUUID()}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'RESOURCE_NOT_FOUND' } });
  });

  it('speaks Alipay Open API v2: a request signed with another key is refused in Alipay\'s own format, signed', async () => {
    expect(config.channel.alipay).toMatchObject({ appId: '2021000000000001', gatewayUrl: expect.stringMatching(/\/alipay\/gateway\.do$/) });
    const platformPublicKeyPem = readFileSync(join(keysDir, CHANNEL_KEY_FILES.alipayPlatformPublic), 'utf8');
    const params = signAlipayParams(
      { app_id: '2021000000000001', method: 'alipay.trade.query', charset: 'utf-8', timestamp: '2026-11-25 10:00:00', version: '1.0', biz_content: JSON.stringify({ out_trade_no: 'x' }) },
      generateRsaKeyPair().privateKeyPem,
    );
    const res = await emulator.inject({ method: 'POST', url: `/alipay/gateway.do?${new URLSearchParams(params as Record<string, string>)}` });
    expect(verifyAlipayResponse(res.body, 'alipay.trade.query', platformPublicKeyPem)).toMatchObject({
      ok: true,
      response: { code: '40002', sub_code: 'isv.invalid-signature' },
    });
  });

  it('refuses to start with a bad emulator URL', () => {
    expect(() => loadGatewayConfig({ CHANNEL_EMULATOR_URL: 'ftp://x' })).toThrow(/CHANNEL_EMULATOR_URL/);
  });
});
