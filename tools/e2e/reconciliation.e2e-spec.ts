import { TOPICS, type PaymentRequested } from '@paystream/contracts';
import { beijingDateTime } from '@paystream/shared/channel-protocols';
import { dropSchemas, RawProducer, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { demoIdentity } from '../load/demo-identities';
import { ServiceStack } from './service-stack';

type Channel = 'alipay' | 'wechatpay';
type Planted = { kind: string; outTradeNo: string; channel: Channel };
type Break = { kind: string; side: string; reference: string; channel: string };
type Run = { channel: Channel; status: string; matched: { count: number; amountMinor: string }; billed: { count: number }; breaks: Break[]; breaksByKind: Record<string, number> };

/** Ordinary payments per channel (two of them get broken on the bill), and one declined (..51) whose bill row is planted as paid. */
const ORDINARY_AMOUNTS = ['1000', '2345', '3999', '12000', '8800'];
const DECLINED_AMOUNT = '2051';
const KINDS = ['missing_ours', 'missing_channel', 'amount_mismatch', 'status_mismatch'] as const;

/**
 * Reconciliation end to end over the real processes: payments through Alipay and WeChat Pay, one break of each kind
 * planted in each channel's bill at the emulator, reconciliation run on demand in settlement (which has the gateway
 * download the bills in the channels' own protocols): every planted break is reported with its kind, nothing else.
 */
describe('reconciliation end to end (real processes, Kafka, Postgres)', () => {
  const prefix = uniqueTopicPrefix('e2erec');
  const schema = uniqueId('e2erec_');
  const stack = new ServiceStack(prefix, schema);
  const t = (topic: string) => `${prefix}${topic}`;
  const today = beijingDateTime().slice(0, 10);
  const paid: Record<Channel, { paymentId: string; outTradeNo: string; amountMinor: string }[]> = { alipay: [], wechatpay: [] };
  const declined: Record<Channel, string> = { alipay: '', wechatpay: '' };
  let upstream: RawProducer;
  let collector: TopicCollector;

  const call = async <T>(service: 'channel-emulator' | 'settlement', path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${stack.url(service)}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    await stack.start();
    const identity = await fetch(`${stack.url('risk')}/identities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(demoIdentity('shopper-rec', 1)) });
    expect(identity.status).toBeLessThan(300);
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.settlementDue].map(t)).start();
    const orders: { orderId: string; channel: Channel; amountMinor: string; merchantId: string }[] = [];
    for (const channel of ['alipay', 'wechatpay'] as const) {
      for (const amountMinor of [...ORDINARY_AMOUNTS, DECLINED_AMOUNT]) orders.push({ orderId: uniqueId(`rec-${channel}-`), channel, amountMinor, merchantId: uniqueId('m-rec-') });
    }
    for (const o of orders) {
      const req: PaymentRequested = { orderId: o.orderId, merchantId: o.merchantId, userId: 'shopper-rec', amountMinor: o.amountMinor, currency: 'CNY', channel: o.channel, subject: 'reconciliation e2e', requestedAt: new Date().toISOString() };
      await upstream.sendEvent(t(TOPICS.paymentRequested), o.orderId, req);
    }
    for (const o of orders) {
      const outcome = await waitFor(
        () => [...collector.on<{ paymentId: string; channel: string }>(t(TOPICS.paymentSucceeded), (m) => m.key === o.orderId), ...collector.on<{ paymentId: string; channel?: string }>(t(TOPICS.paymentFailed), (m) => m.key === o.orderId)][0],
        60_000,
        `the outcome of ${o.orderId}`,
      );
      const outTradeNo = outcome.value.paymentId.replace(/-/g, '');
      if (o.amountMinor === DECLINED_AMOUNT) {
        expect(outcome.topic).toBe(t(TOPICS.paymentFailed));
        declined[o.channel] = outTradeNo;
        continue;
      }
      expect(outcome.topic).toBe(t(TOPICS.paymentSucceeded));
      expect(outcome.value.channel).toBe(o.channel);
      paid[o.channel].push({ paymentId: outcome.value.paymentId, outTradeNo, amountMinor: o.amountMinor });
      // booked in the ledger: a real-time merchant's settlement falls due
      await waitFor(() => collector.on(t(TOPICS.settlementDue), (m) => m.key === o.merchantId)[0], 60_000, `the booking of ${o.orderId}`);
    }
  }, 240_000);

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await stack.stop();
    for (const s of ['order-payment', 'channel-gateway', 'risk', 'settlement'] as const) await dropSchemas(stack.databaseUrl(s), [schema]).catch(() => undefined);
  }, 60_000);

  it('finds every planted break with its kind, and nothing else, in both channels\' bills', async () => {
    const planted: Planted[] = [];
    for (const channel of ['alipay', 'wechatpay'] as const) {
      const plant = async (kind: (typeof KINDS)[number], outTradeNo?: string) => {
        const res = await call<Planted>('channel-emulator', '/sandbox/bills/breaks', { channel, date: today, kind, ...(outTradeNo ? { outTradeNo } : {}) });
        expect(res.status).toBe(201);
        planted.push({ ...res.body, channel });
      };
      await plant('missing_ours');
      await plant('missing_channel', paid[channel][0]!.outTradeNo);
      await plant('amount_mismatch', paid[channel][1]!.outTradeNo);
      await plant('status_mismatch', declined[channel]);
    }
    const listed = await call<Planted[]>('channel-emulator', `/sandbox/bills/breaks?date=${today}`);
    expect(listed.body.map((b) => `${b.channel}/${b.kind}/${b.outTradeNo}`).sort()).toEqual(planted.map((b) => `${b.channel}/${b.kind}/${b.outTradeNo}`).sort());

    const ran = await call<{ runs: Run[] }>('settlement', '/reconciliation/runs', { date: today });
    expect(ran.status).toBe(200);
    for (const run of ran.body.runs) {
      const channel = run.channel;
      const expected = planted.filter((p) => p.channel === channel).map((p) => `${p.kind}/${p.outTradeNo}`).sort();
      expect(run.status).toBe('COMPLETED');
      expect(run.breaks.map((b) => `${b.kind}/${b.reference}`).sort()).toEqual(expected);
      expect(run.breaks.every((b) => b.side === 'gateway')).toBe(true);
      expect(run.breaksByKind).toEqual({ missing_ours: 1, missing_channel: 1, amount_mismatch: 1, status_mismatch: 1 });
      // every ordinary payment but the dropped and the changed one matches, to the fen
      const matched = paid[channel].slice(2);
      expect(run.matched).toEqual({ count: matched.length, amountMinor: String(matched.reduce((a, p) => a + BigInt(p.amountMinor), 0n)) });
    }
    expect(ran.body.runs.map((r) => r.channel).sort()).toEqual(['alipay', 'wechatpay']);
    const open = await call<Break[]>('settlement', `/reconciliation/breaks?status=open&date=${today}`);
    expect(open.body.map((b) => `${b.channel}/${b.kind}/${b.reference}`).sort()).toEqual(planted.map((p) => `${p.channel}/${p.kind}/${p.outTradeNo}`).sort());
    // the gauge agrees
    const metrics = await (await fetch(`${stack.url('settlement')}/metrics`)).text();
    for (const channel of ['alipay', 'wechatpay']) {
      for (const kind of KINDS) expect(metrics).toMatch(new RegExp(`paystream_reconciliation_breaks\\{[^}]*channel="${channel}",kind="${kind}"[^}]*\\} 1\\n`));
    }
  });
});
