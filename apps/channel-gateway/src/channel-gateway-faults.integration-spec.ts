import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS, type ChannelChargeRequested } from '@paystream/contracts';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, freePort, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { createEmulatorApp, loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import { ensureChannelKeys } from '@paystream/shared/channel-protocols';
import { channelOrderNo } from '@paystream/channel-gateway/domain';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config';

/** channel-gateway against the emulator's injected faults (PUT /sandbox/faults): what the chaos runner relies on. */
describe('channel-gateway under the emulator\'s faults', () => {
  const prefix = uniqueTopicPrefix('gwf');
  const schema = uniqueId('gwf_');
  const requested = `${prefix}${TOPICS.channelChargeRequested}`;
  const completed = `${prefix}${TOPICS.channelChargeCompleted}`;
  const keysDir = mkdtempSync(join(tmpdir(), 'paystream-gwf-keys-'));
  const chargeTimeoutMs = 1_000;
  let emulator: NestFastifyApplication;
  let app: NestFastifyApplication;
  let upstream: RawProducer;
  let collector: TopicCollector;

  const request = (amountMinor: string, channel: ChannelChargeRequested['channel']): ChannelChargeRequested => {
    const paymentId = randomUUID();
    return { paymentId, orderId: `o-${paymentId.slice(0, 8)}`, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', channel };
  };
  type Completed = { outcome: string; channel: string; channelTradeNo?: string };
  const resultsFor = (paymentId: string) => collector.on<Completed>(completed, (m) => m.key === paymentId);
  const finalFor = (paymentId: string) => waitFor(() => resultsFor(paymentId).find((m) => m.value.outcome !== 'unknown'), 25_000, `final result for ${paymentId}`);
  const stored = async (paymentId: string) => (await app.inject({ method: 'GET', url: `/channel-transactions/${paymentId}` })).json();
  const emulatorStats = async () => (await emulator.inject({ method: 'GET', url: '/sandbox/stats' })).json();
  const faults = (faults: unknown[]) => emulator.inject({ method: 'PUT', url: '/sandbox/faults', payload: { seed: 42, faults } });
  const deliveries = async (paymentId: string) => (await emulator.inject({ method: 'GET', url: `/sandbox/notifications/${channelOrderNo(paymentId)}` })).json() as { fault?: string; acknowledged: boolean }[];
  const metric = async (channel: string, result: string) =>
    Number(new RegExp(`paystream_channel_notifications_total\\{[^}]*channel="${channel}"[^}]*result="${result}"[^}]*\\} (\\d+)`).exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0);

  beforeAll(async () => {
    ensureChannelKeys(keysDir);
    emulator = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_PAY_DELAY_MS: '30', LOG_LEVEL: 'silent' }));
    await emulator.listen(0, '127.0.0.1');
    const port = await freePort();
    const config = loadGatewayConfig(
      await testServiceEnv('CHANNEL_GATEWAY', { schema, topicPrefix: prefix }, {
        CHANNEL_EMULATOR_URL: await emulator.getUrl(),
        CHANNEL_NOTIFY_BASE_URL: `http://127.0.0.1:${port}`,
        CHANNEL_KEYS_DIR: keysDir,
        CHANNEL_CHARGE_TIMEOUT_MS: String(chargeTimeoutMs),
        CHANNEL_QUERY_INTERVAL_MS: '300',
      }),
    );
    app = await startInProcessApp(AppModule.forRoot(config));
    authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    await app.listen(port, '127.0.0.1');
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([completed]).start();
  });
  afterEach(() => emulator.inject({ method: 'DELETE', url: '/sandbox/faults' }));
  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await emulator?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('notifications duplicated, held back and followed by replays of older ones: one success per payment, no conflict, the replays refused', async () => {
    // a first payment whose acknowledged notification the later ones replay
    const first = request('1000', 'wechatpay');
    await upstream.sendEvent(requested, first.paymentId, first);
    await finalFor(first.paymentId);
    await waitFor(async () => ((await deliveries(first.paymentId)).some((d) => d.acknowledged) ? true : undefined), 15_000, 'the first notification acknowledged');
    const replayedBefore = await metric('wechatpay', 'replayed');
    expect(
      (
        await faults([
          { kind: 'duplicate-notifications', targets: ['wechatpay'], probability: 1 },
          { kind: 'reorder-notifications', targets: ['wechatpay'], probability: 0.5 },
          { kind: 'replay-old-notification', targets: ['wechatpay'], probability: 1 },
        ])
      ).statusCode,
    ).toBe(200);
    const payments = ['1100', '1200', '1300', '1400'].map((amount) => request(amount, 'wechatpay'));
    for (const p of payments) await upstream.sendEvent(requested, p.paymentId, p);
    for (const p of payments) expect((await finalFor(p.paymentId)).value).toMatchObject({ outcome: 'succeeded', channel: 'wechatpay' });
    const applied = await waitFor(async () => {
      const a = (await emulator.inject({ method: 'GET', url: '/sandbox/faults' })).json().applied as Record<string, number>;
      return a['replay-old-notification:wechatpay'] === payments.length && a['duplicate-notifications:wechatpay'] === payments.length ? a : undefined;
    }, 15_000, 'every fault applied');
    expect(applied).toMatchObject({ 'duplicate-notifications:wechatpay': 4, 'replay-old-notification:wechatpay': 4 });
    // every delivery made (the held-back ones included) has been answered before we look at the outcomes
    for (const p of payments) await waitFor(async () => ((await deliveries(p.paymentId)).filter((d) => d.acknowledged).length >= 2 ? true : undefined), 15_000, 'both copies acknowledged');
    await new Promise((r) => setTimeout(r, 1_000));
    for (const p of [first, ...payments]) {
      // one success told: one event (its ce_id); a redelivery of that event (the relay's send retried under load) is the same one, which consumers' inboxes drop
      const told = new Map(resultsFor(p.paymentId).filter((m) => m.value.outcome !== 'unknown').map((m) => [m.headers.ce_id, m.value.outcome]));
      expect([...told.values()]).toEqual(['succeeded']);
      expect(await stored(p.paymentId)).toMatchObject({ status: 'SUCCEEDED', conflicts: [] });
    }
    expect(await metric('wechatpay', 'replayed')).toBe(replayedBefore + payments.length);
  });

  it('a dropped notification: the janitor\'s query tells', async () => {
    await faults([{ kind: 'drop-notifications', targets: ['unionpay', 'wechatpay'], probability: 1 }]);
    const p = request('1500', 'wechatpay');
    await upstream.sendEvent(requested, p.paymentId, p);
    expect((await finalFor(p.paymentId)).value).toMatchObject({ outcome: 'succeeded' });
    expect(await stored(p.paymentId)).toMatchObject({ status: 'SUCCEEDED', resolvedVia: 'query' });
    expect(await deliveries(p.paymentId)).toEqual([]);
  });

  it('timeout-after-acting on a charge: unknown at first, the query finds it paid, charged once', async () => {
    // the notification dropped too, or it could settle the charge before the call times out
    await faults([
      { kind: 'timeout-after-acting', targets: ['alipay'], probability: 1, hangMs: chargeTimeoutMs * 3 },
      { kind: 'drop-notifications', targets: ['alipay'], probability: 1 },
    ]);
    const before = await emulatorStats();
    const p = request('1600', 'alipay');
    await upstream.sendEvent(requested, p.paymentId, p);
    const settled = await finalFor(p.paymentId);
    expect(settled.value).toMatchObject({ outcome: 'succeeded', channel: 'alipay' });
    expect(resultsFor(p.paymentId)[0]!.value.outcome).toBe('unknown');
    expect(await stored(p.paymentId)).toMatchObject({ status: 'SUCCEEDED', resolvedVia: 'query', conflicts: [] });
    const after = await emulatorStats();
    expect(after.charges.requests - before.charges.requests).toBe(1);
    expect(BigInt(after.chargedMinor) - BigInt(before.chargedMinor)).toBe(1600n);
  });
});
