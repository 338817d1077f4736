import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS, type ChannelChargeRequested } from '@paystream/contracts';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, freePort, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { ChannelSandbox, createEmulatorApp, loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import { AlipayBillDownloader, BillDownloadError, UnionpayBillDownloader, WechatpayBillDownloader } from '@paystream/channel-gateway/feature-bills';
import { beijingDateTime, ensureChannelKeys, generateRsaKeyPair } from '@paystream/shared/channel-protocols';
import { channelOrderNo } from '@paystream/channel-gateway/domain';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config';


describe('channel-gateway: the channels\' daily bills (downloaded, verified, read) and our records of the day', () => {
  const prefix = uniqueTopicPrefix('gwbill');
  const schema = uniqueId('gwbill_');
  const requested = `${prefix}${TOPICS.channelChargeRequested}`;
  const completed = `${prefix}${TOPICS.channelChargeCompleted}`;
  const keysDir = mkdtempSync(join(tmpdir(), 'paystream-gwbill-keys-'));
  const today = beijingDateTime().slice(0, 10);
  let emulator: NestFastifyApplication;
  let app: NestFastifyApplication;
  let config: ReturnType<typeof loadGatewayConfig>;
  let upstream: RawProducer;
  let collector: TopicCollector;
  const charged: Record<'alipay' | 'wechatpay', { paymentId: string; amountMinor: string; outcome: string }[]> = { alipay: [], wechatpay: [] };

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };
  const plant = async (body: Record<string, string>) => (await emulator.inject({ method: 'POST', url: '/sandbox/bills/breaks', payload: body })).json();

  beforeAll(async () => {
    ensureChannelKeys(keysDir);
    emulator = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_PAY_DELAY_MS: '20', LOG_LEVEL: 'silent' }));
    await emulator.listen(0, '127.0.0.1');
    const port = await freePort();
    config = loadGatewayConfig(
      await testServiceEnv('CHANNEL_GATEWAY', { schema, topicPrefix: prefix }, { CHANNEL_EMULATOR_URL: await emulator.getUrl(), CHANNEL_NOTIFY_BASE_URL: `http://127.0.0.1:${port}`, CHANNEL_KEYS_DIR: keysDir }),
    );
    app = await startInProcessApp(AppModule.forRoot(config));
    authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    await app.listen(port, '127.0.0.1');
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([completed]).start();
    // two ordinary charges and a declined one per channel
    for (const channel of ['alipay', 'wechatpay'] as const) {
      for (const amountMinor of ['1000', '2345', '2051']) {
        const paymentId = randomUUID();
        const r: ChannelChargeRequested = { paymentId, orderId: `o-${paymentId.slice(0, 8)}`, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', channel };
        await upstream.sendEvent(requested, paymentId, r);
        const final = await waitFor(
          () => collector.on<{ outcome: string }>(completed, (m) => m.key === paymentId).find((m) => m.value.outcome !== 'unknown'),
          25_000,
          `outcome of ${paymentId}`,
        );
        charged[channel].push({ paymentId, amountMinor, outcome: final.value.outcome });
      }
    }
  });

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await app?.close();
    await emulator?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it.each(['alipay', 'wechatpay'] as const)('%s: the bill lists the day\'s successful charges to the fen, with the 0.6 %% fee', async (channel) => {
    expect(charged[channel].map((c) => c.outcome)).toEqual(['succeeded', 'succeeded', 'failed']);
    const { status, body } = await get(`/reconciliation/bills/${channel}/${today}`);
    expect(status).toBe(200);
    expect(body.rows.map((r: { outTradeNo: string; amountMinor: string; feeMinor: string; kind: string }) => [r.kind, r.outTradeNo, r.amountMinor, r.feeMinor])).toEqual([
      ['payment', channelOrderNo(charged[channel][0]!.paymentId), '1000', '6'],
      ['payment', channelOrderNo(charged[channel][1]!.paymentId), '2345', '14'],
    ]);
  });

  it.each(['alipay', 'wechatpay'] as const)('%s: our records of the day: every charge, its status, and whether it succeeded on the day', async (channel) => {
    const { status, body } = await get(`/channel-transactions?channel=${channel}&date=${today}`);
    expect(status).toBe(200);
    expect(body.records.map((r: { outTradeNo: string; status: string; onDay: boolean; amountMinor: string }) => [r.outTradeNo, r.amountMinor, r.status, r.onDay])).toEqual(
      charged[channel].map((c) => [channelOrderNo(c.paymentId), c.amountMinor, c.outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED', c.outcome === 'succeeded']),
    );
    expect((await get(`/channel-transactions?channel=${channel}&date=2020-01-01`)).body.records).toEqual([]);
  });

  it('a planted break shows in the next download of the bill, in each channel\'s format', async () => {
    const ali = await plant({ channel: 'alipay', date: today, kind: 'amount_mismatch', amountMinor: '999' });
    expect(ali).toMatchObject({ kind: 'amount_mismatch', outTradeNo: channelOrderNo(charged.alipay[0]!.paymentId), actualAmountMinor: '1000', billedAmountMinor: '999' });
    const wx = await plant({ channel: 'wechatpay', date: today, kind: 'status_mismatch' });
    expect(wx).toMatchObject({ kind: 'status_mismatch', outTradeNo: channelOrderNo(charged.wechatpay[2]!.paymentId) });
    expect((await get(`/reconciliation/bills/alipay/${today}`)).body.rows.find((r: { outTradeNo: string }) => r.outTradeNo === ali.outTradeNo).amountMinor).toBe('999');
    expect((await get(`/reconciliation/bills/wechatpay/${today}`)).body.rows.map((r: { outTradeNo: string }) => r.outTradeNo)).toContain(wx.outTradeNo);
    const listed = (await emulator.inject({ method: 'GET', url: `/sandbox/bills/breaks?date=${today}` })).json();
    expect(listed.map((b: { kind: string }) => b.kind)).toEqual(['amount_mismatch', 'status_mismatch']);
    expect((await emulator.inject({ method: 'POST', url: '/sandbox/bills/breaks', payload: { channel: 'alipay', date: today, kind: 'lost' } })).statusCode).toBe(400);
    expect((await emulator.inject({ method: 'POST', url: '/sandbox/bills/breaks', payload: { channel: 'alipay', date: '2026-02-30', kind: 'missing_ours' } })).statusCode).toBe(400);
    expect((await emulator.inject({ method: 'GET', url: '/alipay/bills/2026-02-30' })).statusCode).toBe(400);
    expect((await get('/reconciliation/bills/wechatpay/2026-02-30')).status).toBe(400);
  });

  it('unionpay: the ACP file transfer of the day, signed and verified, read back from the ZM file to the fen (a refund by its own orderId)', async () => {
    // the charges go straight into the emulator's books: the card flow through the gateway is the e2e spec's
    const sandbox = emulator.get(ChannelSandbox);
    const orders = [randomUUID(), randomUUID()].map((id) => channelOrderNo(id));
    const trades = orders.map((o, i) => sandbox.charge({ channel: 'unionpay', outTradeNo: o, merchantId: 'm-1', amountMinor: BigInt(1000 + i * 1345), currency: 'CNY', subject: 'tea', mode: 'sync' }));
    const refundNo = channelOrderNo(randomUUID());
    expect(sandbox.refund({ outRefundNo: refundNo, outTradeNo: orders[0]!, amountMinor: 400n })).toMatchObject({ status: 'SUCCESS' });
    const queryIds = trades.map((t) => (t.kind === 'answer' ? t.trade.channelTradeNo : ''));
    const { status, body } = await get(`/reconciliation/bills/unionpay/${today}`);
    expect(status).toBe(200);
    expect(body.rows.map((r: { kind: string; outTradeNo: string; outRefundNo?: string; channelTradeNo: string; amountMinor: string; feeMinor: string }) => [r.kind, r.outTradeNo, r.outRefundNo, r.channelTradeNo, r.amountMinor, r.feeMinor])).toEqual([
      ['payment', orders[0], undefined, queryIds[0], '1000', '6'],
      ['payment', orders[1], undefined, queryIds[1], '2345', '14'],
      ['refund', '', refundNo, queryIds[0], '400', '2'],
    ]);
    const broken = await plant({ channel: 'unionpay', date: today, kind: 'missing_channel', outTradeNo: orders[1]! });
    expect(broken).toMatchObject({ channel: 'unionpay', kind: 'missing_channel', actualAmountMinor: '2345' });
    expect((await get(`/reconciliation/bills/unionpay/${today}`)).body.rows.map((r: { outTradeNo: string }) => r.outTradeNo)).toEqual([orders[0], '']);
    const stranger = generateRsaKeyPair().publicKeyPem;
    await expect(new UnionpayBillDownloader({ ...config.channel.unionpay, platformPublicKeyPem: stranger }).download(today)).rejects.toMatchObject({ reason: 'unverified' });
    await expect(new UnionpayBillDownloader({ ...config.channel.unionpay, merId: '777290058110049' }).download(today)).rejects.toMatchObject({ reason: 'refused' });
    // settleDate is MMDD: a day to come or over a year back cannot be asked for
    expect(await get('/reconciliation/bills/unionpay/2999-01-01')).toMatchObject({ status: 502, body: { error: { code: 'RECONCILIATION_BILL_UNAVAILABLE', reason: 'refused' } } });
    expect(await get('/reconciliation/bills/unionpay/2020-01-01')).toMatchObject({ status: 502, body: { error: { code: 'RECONCILIATION_BILL_UNAVAILABLE', reason: 'refused' } } });
  });

  it('a day without trades: an empty Alipay statement, no WeChat Pay bill (NO_STATEMENT_EXIST), no UnionPay file (respCode 98), all read as no rows', async () => {
    const quiet = beijingDateTime(new Date(Date.now() - 3 * 86_400_000)).slice(0, 10); // within the reach of UnionPay's MMDD
    for (const channel of ['alipay', 'wechatpay', 'unionpay']) expect((await get(`/reconciliation/bills/${channel}/${quiet}`)).body).toEqual({ channel, date: quiet, rows: [] });
  });

  it('refuses what it cannot do, with stable codes: a bad date, an unsupported channel, a day to come, an answer that does not verify', async () => {
    expect(await get(`/reconciliation/bills/alipay/2026-13-01`)).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(await get(`/reconciliation/bills/paypal/${today}`)).toMatchObject({ status: 422, body: { error: { code: 'RECONCILIATION_CHANNEL_UNSUPPORTED' } } });
    expect(await get(`/reconciliation/bills/alipay/2999-01-01`)).toMatchObject({ status: 502, body: { error: { code: 'RECONCILIATION_BILL_UNAVAILABLE', reason: 'refused' } } });
    expect(await get(`/channel-transactions?channel=paypal&date=${today}`)).toMatchObject({ status: 400 });
    const stranger = generateRsaKeyPair().publicKeyPem;
    await expect(new AlipayBillDownloader({ ...config.channel.alipay, platformPublicKeyPem: stranger }).download(today)).rejects.toMatchObject({ reason: 'unverified' });
    await expect(new WechatpayBillDownloader({ ...config.channel.wechatpay, platformPublicKeyPem: stranger }).download(today)).rejects.toBeInstanceOf(BillDownloadError);
  });
  it('our refunds of the day: one still being sent (the process may have died mid-call) is told as UNKNOWN, the only statuses reconciliation reads being SUCCEEDED, FAILED and UNKNOWN', async () => {
    const paid = charged.alipay[0]!;
    const refunds = (['SENDING', 'UNKNOWN', 'SUCCEEDED', 'FAILED'] as const).map((status) => ({ refundId: randomUUID(), status }));
    for (const r of refunds) {
      await app.get(Platform).ds.query(
        `INSERT INTO channel_refund (refund_id, payment_id, order_id, channel, amount_minor, currency, status, sent_at) VALUES ($1, $2, 'o-1', 'alipay', 100, 'CNY', $3, now())`,
        [r.refundId, paid.paymentId, r.status],
      );
    }
    const { body } = await get(`/channel-transactions?channel=alipay&date=${today}`);
    const listed = (body.records as { kind: string; refundId?: string; outRefundNo?: string; status: string; onDay: boolean }[]).filter((r) => r.kind === 'refund');
    expect(listed.map((r) => [r.refundId, r.outRefundNo, r.status, r.onDay])).toEqual(
      refunds.map((r) => [r.refundId, channelOrderNo(r.refundId), r.status === 'SENDING' ? 'UNKNOWN' : r.status, true]),
    );
  });
});
