import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TOPICS, type Channel, type ChannelChargeRequested } from '@paystream/contracts';
import { Platform, startInProcessApp } from '@paystream/shared/platform';
import { authenticateInjects, dropSchemas, freePort, grantTestAcls, RawProducer, testDatabaseUrl, testServiceEnv, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { ChannelSandbox, createEmulatorApp, loadEmulatorConfig } from '@paystream/channel-emulator/sandbox';
import { ensureChannelKeys } from '@paystream/shared/channel-protocols';
import { channelOrderNo } from '@paystream/channel-gateway/domain';
import { ChannelClient } from '@paystream/channel-gateway/feature-charge';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config';

const TEST_CARD = { number: '6225 8801 3745 3008', expiry: '1229', cvv: '123' };

type RefundCall = Parameters<ChannelClient['refund']>[1];
type RefundRef = Parameters<ChannelClient['refundQuery']>[1];
type RefundDone = { refundId: string; outcome: string; channelRefundNo?: string; failure?: { code: string; message: string } };

/** A promise the test opens: a channel call held on it is pending until then. */
function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * The refund crash window: the refund is recorded SENDING (number and send time fixed) before the
 * channel is called, the call holds no transaction, and a redelivered request never refunds twice.
 */
describe('channel-gateway refunds across a crash mid-call, on the real broker and database, against the channel emulator', () => {
  const prefix = uniqueTopicPrefix('gwrc');
  const schema = uniqueId('gwrc_');
  const requested = `${prefix}${TOPICS.channelChargeRequested}`;
  const completed = `${prefix}${TOPICS.channelChargeCompleted}`;
  const refundRequested = `${prefix}${TOPICS.channelRefundRequested}`;
  const refundCompleted = `${prefix}${TOPICS.channelRefundCompleted}`;
  // a second gateway instance on the same database, consuming its own topics: refunds of one payment at once
  const secondPrefix = uniqueTopicPrefix('gwrc2');
  const keysDir = mkdtempSync(join(tmpdir(), 'paystream-gwrc-keys-'));
  let emulator: NestFastifyApplication;
  let app: NestFastifyApplication;
  let second: NestFastifyApplication;
  let config: ReturnType<typeof loadGatewayConfig>;
  let upstream: RawProducer;
  let collector: TopicCollector;
  let cardToken: string;

  const db = () => app.get(Platform).ds;
  const request = (amountMinor: string, channel: Channel): ChannelChargeRequested => {
    const paymentId = randomUUID();
    return { paymentId, orderId: `o-${paymentId.slice(0, 8)}`, merchantId: 'm-1', amountMinor, currency: 'CNY', subject: 'tea', channel, ...(channel === 'unionpay' ? { cardToken } : {}) };
  };
  const charge = async (r: ChannelChargeRequested): Promise<string> => {
    await upstream.sendEvent(requested, r.paymentId, r);
    const done = await waitFor(
      () =>
        [completed, `${secondPrefix}${TOPICS.channelChargeCompleted}`]
          .flatMap((t) => collector.on<{ outcome: string; channelTradeNo?: string }>(t, (m) => m.key === r.paymentId))
          .find((m) => m.value.outcome !== 'unknown'),
      25_000,
      `the charge of ${r.paymentId}`,
    );
    expect(done.value.outcome).toBe('succeeded');
    return done.value.channelTradeNo!;
  };
  const ask = (r: ChannelChargeRequested, channelTradeNo: string, amountMinor: string) => ({
    refundId: randomUUID(), paymentId: r.paymentId, orderId: r.orderId, merchantId: r.merchantId, channel: r.channel!, channelTradeNo, amountMinor, currency: 'CNY',
  });
  const answersFor = (refundId: string) => [refundCompleted, `${secondPrefix}${TOPICS.channelRefundCompleted}`].flatMap((t) => collector.on<RefundDone>(t, (m) => m.value.refundId === refundId));
  const answerFor = (refundId: string, timeoutMs = 25_000) => waitFor(() => answersFor(refundId)[0]?.value, timeoutMs, `the result of refund ${refundId}`);
  const refundRow = async (refundId: string) =>
    ((await db().query(`SELECT status, sent_at, channel_refund_no FROM channel_refund WHERE refund_id = $1`, [refundId])) as { status: string; sent_at: Date | null }[])[0];
  /** The emulator's refund books for one trade: what the channel really paid back. */
  const booksOf = (paymentId: string) => emulator.get(ChannelSandbox).billable().refunds.filter((b) => b.outTradeNo === channelOrderNo(paymentId));
  const atChannel = (refundId: string) => emulator.get(ChannelSandbox).queryRefund(channelOrderNo(refundId));
  beforeAll(async () => {
    ensureChannelKeys(keysDir);
    emulator = await createEmulatorApp(loadEmulatorConfig({ CHANNEL_KEYS_DIR: keysDir, CHANNEL_EMULATOR_HOLD_MS: '2500', CHANNEL_EMULATOR_PAY_DELAY_MS: '30', LOG_LEVEL: 'silent' }));
    await emulator.listen(0, '127.0.0.1');
    const port = await freePort();
    config = loadGatewayConfig(
      await testServiceEnv('CHANNEL_GATEWAY', { schema, topicPrefix: prefix }, {
        CHANNEL_EMULATOR_URL: await emulator.getUrl(),
        CHANNEL_NOTIFY_BASE_URL: `http://127.0.0.1:${port}`,
        CHANNEL_KEYS_DIR: keysDir,
        CHANNEL_CHARGE_TIMEOUT_MS: '1000',
        CHANNEL_QUERY_INTERVAL_MS: '300',
        CHANNEL_UNKNOWN_MAX_AGE_MS: '3000',
      }),
    );
    app = await startInProcessApp(AppModule.forRoot(config));
    const creds = authenticateInjects(app, app.get(Platform, { strict: false }).ds);
    await app.listen(port, '127.0.0.1');
    await grantTestAcls(secondPrefix);
    second = await startInProcessApp(AppModule.forRoot({ ...config, kafka: { ...config.kafka, topicPrefix: secondPrefix } }));
    authenticateInjects(second, second.get(Platform, { strict: false }).ds);
    upstream = await new RawProducer().start();
    // either instance's outbox relay may publish a row (they share the outbox table): results are read from both prefixes
    const both = (topic: string) => [`${prefix}${topic}`, `${secondPrefix}${topic}`];
    collector = await new TopicCollector([...both(TOPICS.channelChargeCompleted), ...both(TOPICS.channelRefundCompleted), `${refundRequested}.dlq`]).start();
    // the card is m-1's, the merchant of every charge here (a token is the merchant's that tokenised the card)
    const card = JSON.stringify(TEST_CARD);
    cardToken = (await app.inject({ method: 'POST', url: '/cards', payload: card, headers: { 'content-type': 'application/json', ...creds.headers(await creds.merchant('m-1'), 'POST', '/cards', card) } })).json().cardToken;
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await second?.close();
    await app?.close();
    await emulator?.close();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it.each(['alipay', 'wechatpay', 'unionpay'] as const)(
    '%s: the process dies after the channel refunded and before the answer is recorded; the refund was recorded in flight first, and the redelivered request refunds nothing more, never under another send time, and tells one result',
    async (channel) => {
      const r = request('8000', channel);
      const refund = ask(r, await charge(r), '3000');
      const client = app.get(ChannelClient);
      const real = { refund: client.refund.bind(client), refundQuery: client.refundQuery.bind(client) };
      const sends: RefundCall[] = [];
      const queries: RefundRef[] = [];
      const redelivery = gate();
      let died = false;
      jest.spyOn(client, 'refund').mockImplementation(async (ch, call) => {
        if (call.refundId !== refund.refundId) return real.refund(ch, call);
        sends.push(call);
        if (sends.length === 1) {
          // the channel acts and answers; the process dies before anything after the call runs
          await real.refund(ch, call);
          died = true;
          throw new Error('the process died (SIGKILL) after the channel refunded, before the answer was recorded');
        }
        await redelivery.wait;
        return real.refund(ch, call);
      });
      jest.spyOn(client, 'refundQuery').mockImplementation(async (ch, ref) => {
        if (ref.refundId !== refund.refundId) return real.refundQuery(ch, ref);
        queries.push(ref);
        await redelivery.wait;
        return real.refundQuery(ch, ref);
      });

      await upstream.sendEvent(refundRequested, r.paymentId, refund);
      await waitFor(() => died || undefined, 15_000, 'the crash after the channel call');
      try {
        // dead, before any redelivery: the channel has refunded, and our side already holds the refund in flight
        expect(atChannel(refund.refundId)).toMatchObject({ status: 'SUCCESS', amountMinor: '3000' });
        const inFlight = await refundRow(refund.refundId);
        expect(inFlight).toMatchObject({ status: 'SENDING' });
        expect(inFlight!.sent_at?.getTime()).toBe(sends[0]!.sentAt.getTime());
      } finally {
        redelivery.open();
      }

      expect(await answerFor(refund.refundId)).toMatchObject({ outcome: 'succeeded', channelRefundNo: expect.any(String) });
      await sleep(1_000); // the janitor's passes and any later delivery: nothing more is told or sent
      expect(answersFor(refund.refundId)).toHaveLength(1);
      expect(booksOf(r.paymentId)).toEqual([expect.objectContaining({ outRefundNo: channelOrderNo(refund.refundId), amountMinor: '3000', status: 'SUCCESS' })]);
      // every send and query of this refund carries the send time it was recorded with; UnionPay is never sent it again
      const sentAt = sends[0]!.sentAt.getTime();
      expect([...sends, ...queries].map((c) => c.sentAt.getTime())).toEqual([...sends, ...queries].map(() => sentAt));
      expect(sends).toHaveLength(channel === 'unionpay' ? 1 : 2);
      expect(await refundRow(refund.refundId)).toMatchObject({ status: 'SUCCEEDED', sent_at: new Date(sentAt) });
      expect(collector.on(`${refundRequested}.dlq`, (m) => (m.value as { refundId: string }).refundId === refund.refundId)).toEqual([]);
    },
  );

  it('while a refund is at the channel (recorded, the call pending) no transaction is open and no lock held; a concurrent refund beyond the capture minus it is refused at once and never sent, one that fits goes', async () => {
    const r = request('5000', 'alipay');
    const tradeNo = await charge(r);
    const first = ask(r, tradeNo, '3000');
    const beyond = ask(r, tradeNo, '2500');
    const fits = ask(r, tradeNo, '2000');
    const client = app.get(ChannelClient);
    const realRefund = client.refund.bind(client);
    const slowChannel = gate();
    let calling = false;
    jest.spyOn(client, 'refund').mockImplementation(async (ch, call) => {
      if (call.refundId === first.refundId) {
        calling = true;
        await slowChannel.wait;
      }
      return realRefund(ch, call);
    });

    await upstream.sendEvent(refundRequested, r.paymentId, first);
    try {
      await waitFor(() => calling || undefined, 15_000, 'the first refund at the channel');
      expect(await refundRow(first.refundId)).toMatchObject({ status: 'SENDING' });
      // nobody holds a lock on the gateway's refund tables (no transaction idle while the channel is slow)
      const holders: { pid: number; state: string; mode: string }[] = await db().query(
        `SELECT a.pid, a.state, l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.relation IN (to_regclass($1), to_regclass($2)) AND a.pid <> pg_backend_pid()`,
        [`${schema}.channel_transaction`, `${schema}.channel_refund`],
      );
      expect(holders).toEqual([]);
      await db().transaction((tx) => tx.query(`SELECT 1 FROM channel_transaction WHERE payment_id = $1 FOR UPDATE NOWAIT`, [r.paymentId]));

      // a second gateway instance on the same database takes the next refunds of the payment while the first is at the channel
      for (const a of [beyond, fits]) await upstream.sendEvent(`${secondPrefix}${TOPICS.channelRefundRequested}`, r.paymentId, a);
      expect(await answerFor(beyond.refundId, 15_000)).toMatchObject({
        outcome: 'failed',
        failure: { code: 'REFUND_EXCEEDS_CAPTURED', message: expect.stringContaining('2500 asked, 2000 of 5000 captured left to refund') },
      });
      expect(await answerFor(fits.refundId, 15_000)).toMatchObject({ outcome: 'succeeded' });
      expect(answersFor(first.refundId)).toEqual([]); // still at the channel
    } finally {
      slowChannel.open();
    }
    expect(await answerFor(first.refundId)).toMatchObject({ outcome: 'succeeded' });
    await sleep(700);
    for (const a of [first, beyond, fits]) expect(answersFor(a.refundId)).toHaveLength(1);
    expect(atChannel(beyond.refundId)).toBeUndefined();
    expect(booksOf(r.paymentId).map((b) => b.amountMinor).sort()).toEqual(['2000', '3000']);
  });

  it.each([
    ['alipay', 'sends it again under the same refund number and send time: refunded once, told once'],
    ['unionpay', 'asks the channel (by orderId and the recorded txnTime) and never sends it: it stays sending, holding its part of the capture'],
  ] as const)('%s: a redelivered request finding a refund left sending by a process that died before the call %s', async (channel, _what) => {
    const r = request('6000', channel);
    const tradeNo = await charge(r);
    const refund = ask(r, tradeNo, '4000');
    const sentAt = new Date(Date.now() - 5_000);
    // as after a crash between recording the refund and calling the channel; the request is redelivered
    await db().query(
      `INSERT INTO channel_refund (refund_id, payment_id, order_id, channel, amount_minor, currency, status, sent_at, next_query_at)
       VALUES ($1, $2, $3, $4, 4000, 'CNY', 'SENDING', $5, now() + interval '1 hour')`,
      [refund.refundId, r.paymentId, r.orderId, channel, sentAt],
    );
    const client = app.get(ChannelClient);
    const calls: { kind: 'refund' | 'query'; sentAt: number }[] = [];
    const real = { refund: client.refund.bind(client), refundQuery: client.refundQuery.bind(client) };
    jest.spyOn(client, 'refund').mockImplementation((ch, call) => {
      if (call.refundId === refund.refundId) calls.push({ kind: 'refund', sentAt: call.sentAt.getTime() });
      return real.refund(ch, call);
    });
    jest.spyOn(client, 'refundQuery').mockImplementation((ch, ref) => {
      if (ref.refundId === refund.refundId) calls.push({ kind: 'query', sentAt: ref.sentAt.getTime() });
      return real.refundQuery(ch, ref);
    });
    await upstream.sendEvent(refundRequested, r.paymentId, refund);

    if (channel === 'alipay') {
      expect(await answerFor(refund.refundId)).toMatchObject({ outcome: 'succeeded' });
      expect(calls).toEqual([{ kind: 'refund', sentAt: sentAt.getTime() }]);
      expect(booksOf(r.paymentId)).toEqual([expect.objectContaining({ amountMinor: '4000' })]);
      await sleep(700);
      expect(answersFor(refund.refundId)).toHaveLength(1);
      return;
    }
    await waitFor(() => (calls.length > 0 ? true : undefined), 15_000, 'the redelivered request handled');
    // it still holds its part of the capture: 2001 more is refused, and nothing of either reaches the channel
    const beyond = ask(r, tradeNo, '2001');
    await upstream.sendEvent(refundRequested, r.paymentId, beyond);
    expect(await answerFor(beyond.refundId)).toMatchObject({ outcome: 'failed', failure: { code: 'REFUND_EXCEEDS_CAPTURED' } });
    expect(calls).toEqual([{ kind: 'query', sentAt: sentAt.getTime() }]);
    expect(await refundRow(refund.refundId)).toMatchObject({ status: 'SENDING', sent_at: sentAt });
    expect(booksOf(r.paymentId)).toEqual([]);
    expect(answersFor(refund.refundId)).toEqual([]);
  });
});
