import { authorizationFor } from '@paystream/shared/auth';
import { TOPICS, type PaymentRefunded, type PaymentRequested } from '@paystream/contracts';
import { beijingDateTime, luhnValid } from '@paystream/shared/channel-protocols';
import { RawProducer, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { demoIdentity } from '../load/demo-identities';
import { ServiceStack } from './service-stack';

type Channel = 'alipay' | 'wechatpay' | 'unionpay';
const CHANNELS = ['alipay', 'wechatpay', 'unionpay'] as const;
type Planted = { kind: string; outTradeNo: string; channel: Channel };
type Break = { kind: string; side: string; reference: string; channel: string };
type Run = {
  channel: Channel;
  status: string;
  matched: { count: number; amountMinor: string };
  refundsCleared: { count: number; amountMinor: string; bookedByThisRun: number };
  billed: { count: number };
  breaks: Break[];
  breaksByKind: Record<string, number>;
};

/** Ordinary payments per channel (two of them get broken on the bill), and one declined (..51) whose bill row is planted as paid. */
const ORDINARY_AMOUNTS = ['1000', '2345', '3999', '12000', '8800'];
const DECLINED_AMOUNT = '2051';
/** Refunded (in part, through order-payment's refund API) of each channel's third payment, which the bill prints intact. */
const REFUND_AMOUNT = '1234';
const KINDS = ['missing_ours', 'missing_channel', 'amount_mismatch', 'status_mismatch'] as const;

/**
 * Reconciliation end to end over the real processes: payments through Alipay, WeChat Pay and UnionPay (a bank card,
 * tokenised at the gateway), one break of each kind
 * planted in each channel's bill at the emulator, reconciliation run on demand in settlement (which has the gateway
 * download the bills in the channels' own protocols): every planted break is reported with its kind, nothing else.
 * A refund in each channel reaches the bill, is matched and is booked cleared, once: refunds in flight net to zero.
 */
describe('reconciliation end to end (real processes, Kafka, Postgres)', () => {
  const prefix = uniqueTopicPrefix('e2erec');
  const schema = uniqueId('e2erec_');
  const stack = new ServiceStack(prefix, schema);
  const t = (topic: string) => `${prefix}${topic}`;
  const today = beijingDateTime().slice(0, 10);
  const paid: Record<Channel, { paymentId: string; outTradeNo: string; amountMinor: string }[]> = { alipay: [], wechatpay: [], unionpay: [] };
  const declined: Record<Channel, string> = { alipay: '', wechatpay: '', unionpay: '' };
  const refunded: Record<Channel, string> = { alipay: '', wechatpay: '', unionpay: '' };
  let upstream: RawProducer;
  let collector: TopicCollector;

  beforeAll(async () => {
    await stack.start();
    const identity = await stack.json('risk', '/identities', { json: demoIdentity('shopper-rec', 1) });
    expect(identity.status).toBeLessThan(300);
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.paymentRefunded, TOPICS.settlementDue].map(t)).start();
    const orders: { orderId: string; channel: Channel; amountMinor: string; merchantId: string }[] = [];
    for (const channel of CHANNELS) {
      for (const amountMinor of [...ORDINARY_AMOUNTS, DECLINED_AMOUNT]) orders.push({ orderId: uniqueId(`rec-${channel}-`), channel, amountMinor, merchantId: uniqueId('m-rec-') });
    }
    for (const o of orders) await stack.onboardMerchant(o.merchantId);
    // each card order's merchant tokenises a card of its own (UnionPay BIN, Luhn-valid): one shopper's card at every
    // merchant would be one card among that many users to risk's shared-card rule (a user is a merchant's user)
    const cardTokens = new Map<string, string>();
    for (const [i, o] of orders.filter((x) => x.channel === 'unionpay').entries()) {
      const body = `6225880${i}${String(Date.now()).slice(-7)}`;
      const number = [...'0123456789'].map((d) => `${body}${d}`).find(luhnValid)!;
      const card = await stack.json<{ cardToken: string }>('channel-gateway', '/cards', { json: { number, expiry: '1229', cvv: '123' }, as: await stack.merchantKey(o.merchantId) });
      expect(card.status).toBe(201);
      cardTokens.set(o.orderId, card.body.cardToken);
    }
    for (const o of orders) {
      const req: PaymentRequested = {
        orderId: o.orderId,
        merchantId: o.merchantId,
        userId: 'shopper-rec',
        amountMinor: o.amountMinor,
        currency: 'CNY',
        channel: o.channel,
        subject: 'reconciliation e2e',
        requestedAt: new Date().toISOString(),
        ...(o.channel === 'unionpay' ? { cardToken: cardTokens.get(o.orderId)! } : {}),
      };
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
    // a refund in each channel, the way a merchant asks for one; it is in flight until reconciliation clears it
    for (const channel of CHANNELS) {
      const payment = paid[channel][2]!;
      const res = await stack.json<{ refundId: string }>('order-payment', `/payments/${payment.paymentId}/refunds`, {
        json: { amountMinor: REFUND_AMOUNT, reason: 'reconciliation e2e' },
        headers: { 'idempotency-key': `rec-refund-${payment.paymentId}` },
      });
      expect(res.status).toBe(202);
      refunded[channel] = res.body.refundId;
    }
    for (const channel of CHANNELS) {
      const done = await waitFor(() => collector.on<PaymentRefunded>(t(TOPICS.paymentRefunded), (m) => m.value.refundId === refunded[channel])[0], 60_000, `the ${channel} refund`);
      expect(done.value).toMatchObject({ paymentId: paid[channel][2]!.paymentId, amountMinor: REFUND_AMOUNT });
    }
    const booked = Object.values(refunded).map((id) => `refund:${id}`);
    await waitFor(async () => ((await stack.query('settlement', `SELECT 1 FROM ledger_transaction WHERE kind = 'refund' AND reference = ANY($1)`, [booked])).length === 3 ? true : undefined), 30_000, 'the refunds booked');
  }, 300_000);

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await stack.dispose();
  }, 60_000);

  it('finds every planted break with its kind, and nothing else, in all three channels\' bills', async () => {
    const planted: Planted[] = [];
    for (const channel of CHANNELS) {
      const plant = async (kind: (typeof KINDS)[number], outTradeNo?: string) => {
        const res = await stack.json<Planted>('channel-emulator', '/sandbox/bills/breaks', { json: { channel, date: today, kind, ...(outTradeNo ? { outTradeNo } : {}) } });
        expect(res.status).toBe(201);
        planted.push({ ...res.body, channel });
      };
      await plant('missing_ours');
      await plant('missing_channel', paid[channel][0]!.outTradeNo);
      await plant('amount_mismatch', paid[channel][1]!.outTradeNo);
      await plant('status_mismatch', declined[channel]);
    }
    const listed = await stack.json<Planted[]>('channel-emulator', `/sandbox/bills/breaks?date=${today}`);
    expect(listed.body.map((b) => `${b.channel}/${b.kind}/${b.outTradeNo}`).sort()).toEqual(planted.map((b) => `${b.channel}/${b.kind}/${b.outTradeNo}`).sort());

    const ran = await stack.json<{ runs: Run[] }>('settlement', '/reconciliation/runs', { json: { date: today }, headers: { 'idempotency-key': `e2e-reconcile-${today}-1` } });
    expect(ran.status).toBe(200);
    for (const run of ran.body.runs) {
      const channel = run.channel;
      const expected = planted.filter((p) => p.channel === channel).map((p) => `${p.kind}/${p.outTradeNo}`).sort();
      expect(run.status).toBe('COMPLETED');
      expect(run.breaks.map((b) => `${b.kind}/${b.reference}`).sort()).toEqual(expected);
      expect(run.breaks.every((b) => b.side === 'gateway')).toBe(true);
      expect(run.breaksByKind).toEqual({ missing_ours: 1, missing_channel: 1, amount_mismatch: 1, status_mismatch: 1 });
      // every ordinary payment but the dropped and the changed one matches, to the fen, and so does the refund
      const matched = paid[channel].slice(2);
      expect(run.matched).toEqual({ count: matched.length + 1, amountMinor: String(matched.reduce((a, p) => a + BigInt(p.amountMinor), BigInt(REFUND_AMOUNT))) });
      expect(run.refundsCleared).toEqual({ count: 1, amountMinor: REFUND_AMOUNT, bookedByThisRun: 1 });
    }
    expect(ran.body.runs.map((r) => r.channel).sort()).toEqual(['alipay', 'unionpay', 'wechatpay']);
    const open = await stack.json<Break[]>('settlement', `/reconciliation/breaks?status=open&date=${today}`);
    expect(open.body.map((b) => `${b.channel}/${b.kind}/${b.reference}`).sort()).toEqual(planted.map((p) => `${p.channel}/${p.kind}/${p.outTradeNo}`).sort());
    // the gauge agrees
    const metrics = await (await fetch(`${stack.url('settlement')}/metrics`, { headers: { authorization: authorizationFor(stack.monitoring, 'GET', '/metrics') } })).text();
    for (const channel of CHANNELS) {
      for (const kind of KINDS) expect(metrics).toMatch(new RegExp(`paystream_reconciliation_breaks\\{[^}]*channel="${channel}",kind="${kind}"[^}]*\\} 1\\n`));
      expect(metrics).toMatch(new RegExp(`paystream_reconciliation_refunds_cleared_total\\{[^}]*channel="${channel}"[^}]*\\} 1\\n`));
    }
  });

  it('clears each refund once: refunds in flight net to zero for them, the channel\'s clearing gives them back, the ledger balances', async () => {
    const references = (channel: Channel) => [`refund:${refunded[channel]}`, `refund_cleared:${refunded[channel]}`];
    // a run of its own (another Idempotency-Key): the same key again would answer the first report
    const again = await stack.json<{ runs: Run[] }>('settlement', '/reconciliation/runs', { json: { date: today }, headers: { 'idempotency-key': `e2e-reconcile-${today}-2` } });
    for (const run of again.body.runs) expect(run.refundsCleared).toEqual({ count: 1, amountMinor: REFUND_AMOUNT, bookedByThisRun: 0 });
    for (const channel of CHANNELS) {
      const rows = await stack.query<{ account_id: string; total: string }>(
        'settlement',
        `SELECT e.account_id, sum(e.amount_minor)::text AS total FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
          WHERE t.reference = ANY($1) AND e.account_id IN ('refunds_in_flight', $2) GROUP BY e.account_id`,
        [references(channel), `channel_clearing:${channel}`],
      );
      expect(Object.fromEntries(rows.map((r) => [r.account_id, r.total]))).toEqual({ refunds_in_flight: '0', [`channel_clearing:${channel}`]: `-${REFUND_AMOUNT}` });
      expect(await stack.query('settlement', `SELECT 1 FROM ledger_transaction WHERE kind = 'refund_cleared' AND reference = $1`, [references(channel)[1]])).toHaveLength(1);
    }
    const check = await stack.json<{ balanced: boolean }>('settlement', '/ledger/check');
    expect(check.body).toMatchObject({ balanced: true });
  });
});
