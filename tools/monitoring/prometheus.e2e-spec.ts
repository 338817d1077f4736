import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS, type PaymentRequested } from '@paystream/contracts';
import { RawProducer, TopicCollector, uniqueId, uniqueTopicPrefix, waitFor } from '@paystream/shared/testing';
import { ServiceStack, STACK_SERVICES } from '../e2e/service-stack';
import { shopperCardNumber } from '../load/order-mix';
import { dashboardQueries, GRAFANA_DIR, type DashboardPanel } from './dashboard';
import { METRICS_FROM_PARALLEL_WORK, metricNamesIn, PROMETHEUS_DIR, ROOT } from './monitoring-tools';
import { PrometheusServer, type PromSample } from './prometheus-server';

/** The processes that export /metrics (the channel emulator stands in for the outside world). */
const SCRAPED = STACK_SERVICES.filter((s) => s !== 'channel-emulator');
/** The services ops watches (ops does not probe itself). */
const SERVICES_SCRAPED = SCRAPED.filter((s) => s !== 'ops');
/**
 * Those that consume as group `paystream.<service>` and have an outbox: every one, ops too (it keeps a
 * copy of the credentials from their events, like every service: its routes are behind the same guard).
 */
const CONSUMING_SERVICES = SCRAPED;
const CHANNELS = ['alipay', 'wechatpay', 'unionpay'] as const;
/** Per channel: this many ordinary payments that succeed, and one declined (amount ending in 51). */
const SUCCEEDED_PER_CHANNEL = 10;
/** How long the burst may take from the first request to the last settlement paid out. */
const BURST_SETTLED_TIMEOUT_MS = 90_000;

/**
 * Debian's Prometheus against the six real processes: scrapes every service and ops each second with the
 * project's alert rules loaded, a burst of payments over every channel (and one malformed event)
 * goes through, and the HTTP API shows the series the rules and the dashboard read, with the values
 * the burst implies.
 */
describe('Prometheus scraping the running stack', () => {
  const prefix = uniqueTopicPrefix('prom');
  const schema = uniqueId('prom_');
  const stack = new ServiceStack(prefix, schema);
  const t = (topic: string) => `${prefix}${topic}`;
  const runDir = join(ROOT, '.run', 'e2e', schema, 'prometheus');
  let prometheus: PrometheusServer;
  let upstream: RawProducer;
  let collector: TopicCollector;
  const amounts = new Map<string, bigint>();
  let succeededGrossMinor = 0n;

  const values = (samples: PromSample[]) => samples.map((s) => Number(s.value[1]));
  const byLabel = (samples: PromSample[], label: string) => Object.fromEntries(samples.map((s) => [s.metric[label], Number(s.value[1])]));

  beforeAll(async () => {
    await stack.start();
    prometheus = new PrometheusServer(
      runDir,
      SCRAPED.map((s) => ({ job: s, address: `127.0.0.1:${stack.ports[s]}`, bearerTokenFile: stack.monitoringTokenFile })),
      [join(PROMETHEUS_DIR, 'rules', 'paystream.rules.yml')],
    );
    await prometheus.start();
    upstream = await new RawProducer().start();
    collector = await new TopicCollector([TOPICS.paymentSucceeded, TOPICS.paymentFailed, TOPICS.settlementCompleted].map(t)).start();
    // every counter has been scraped at its starting value before the burst
    await waitFor(async () => ((await prometheus.query('up == 1')).length === SCRAPED.length ? true : undefined), 30_000, 'every service scraped');
  }, 180_000);

  afterAll(async () => {
    await collector?.stop();
    await upstream?.stop();
    await prometheus?.stop();
    // the log stays for a look after a failure; the samples of a one-minute run are of no further use
    rmSync(join(runDir, 'data'), { recursive: true, force: true });
    await stack.dispose();
  }, 60_000);

  it('sees a burst of payments over every channel through to settlement', async () => {
    for (let m = 0; m < 4; m++) await stack.onboardMerchant(`m-prom-${m}`);
    // their keys first, one each (the tokenisations below run side by side)
    for (let m = 0; m < 4; m++) await stack.merchantKey(`m-prom-${m}`);
    // a card per shopper: risk refuses one card paying for many users (shared-card) or more than 10 times a minute;
    // a card token is the merchant's that tokenised the card, so every merchant tokenises each (the same card, the same token)
    const tokenize = async (number: string) => {
      let token = '';
      for (let m = 0; m < 4; m++) {
        const card = await stack.json<{ cardToken: string }>('channel-gateway', '/cards', { json: { number, expiry: '1229', cvv: '123' }, as: await stack.merchantKey(`m-prom-${m}`) });
        expect(card.status).toBe(201);
        token = card.body.cardToken;
      }
      return token;
    };
    const cardTokens = await Promise.all(Array.from({ length: SUCCEEDED_PER_CHANNEL + 1 }, (_, i) => tokenize(shopperCardNumber(i))));

    const requests: PaymentRequested[] = [];
    for (const channel of CHANNELS) {
      for (let i = 0; i <= SUCCEEDED_PER_CHANNEL; i++) {
        const declined = i === SUCCEEDED_PER_CHANNEL;
        const amountMinor = declined ? 2051n : 1000n + BigInt(requests.length) * 100n;
        const orderId = uniqueId(`prom-${channel}-`);
        amounts.set(orderId, amountMinor);
        if (!declined) succeededGrossMinor += amountMinor;
        requests.push({
          orderId,
          merchantId: `m-prom-${requests.length % 4}`,
          // a shopper each: no velocity or history rule applies
          userId: uniqueId('shopper-'),
          amountMinor: amountMinor.toString(),
          currency: 'CNY',
          channel,
          ...(channel === 'unionpay' ? { cardToken: cardTokens[i]! } : {}),
          subject: 'monitoring burst',
          requestedAt: new Date().toISOString(),
        });
      }
    }
    await Promise.all(requests.map((r) => upstream.sendEvent(t(TOPICS.paymentRequested), r.orderId, r)));
    // and one an upstream system got wrong: no ce_id, not JSON
    await upstream.send(t(TOPICS.paymentRequested), 'garbage', '{not json', {});

    const outcomes = await waitFor(
      () => {
        const got = [...collector.on(t(TOPICS.paymentSucceeded)), ...collector.on(t(TOPICS.paymentFailed))].filter((m) => amounts.has(m.key ?? ''));
        return got.length >= requests.length ? got : undefined;
      },
      BURST_SETTLED_TIMEOUT_MS,
      'every payment of the burst to reach its outcome',
    );
    const succeeded = outcomes.filter((m) => m.topic === t(TOPICS.paymentSucceeded));
    expect(succeeded).toHaveLength(CHANNELS.length * SUCCEEDED_PER_CHANNEL);
    await waitFor(() => (collector.on(t(TOPICS.settlementCompleted)).length >= succeeded.length ? true : undefined), BURST_SETTLED_TIMEOUT_MS, 'every settlement paid out');

    // the scrapes catch up with the counters
    await waitFor(async () => ((await prometheus.scalar('sum(paystream_payments_succeeded_total)')) === succeeded.length ? true : undefined), 30_000, 'the successes scraped');
    await waitFor(async () => ((await prometheus.scalar('sum(paystream_payments_failed_total)')) === outcomes.length - succeeded.length ? true : undefined), 30_000, 'the failures scraped');
    await waitFor(
      async () => ((await prometheus.scalar('max(paystream_settlement_amount_minor{status="completed", kind="gross"})')) === Number(succeededGrossMinor) ? true : undefined),
      30_000,
      'the settled amount scraped',
    );
  }, 240_000);

  it('scrapes every service, up', async () => {
    expect(byLabel(await prometheus.query('up'), 'job')).toEqual(Object.fromEntries(SCRAPED.map((s) => [s, 1])));
  });

  it('has P_success, P_settlement and P_risk as the burst implies', async () => {
    const attempted = CHANNELS.length * (SUCCEEDED_PER_CHANNEL + 1);
    const pSuccess = await prometheus.scalar('paystream_p_success');
    expect(pSuccess).toBeGreaterThan(0.5);
    expect(pSuccess).toBeLessThanOrEqual(1);
    expect(pSuccess).toBeCloseTo((CHANNELS.length * SUCCEEDED_PER_CHANNEL) / attempted, 10);
    expect(await prometheus.scalar('paystream_p_settlement')).toBe(1);
    expect(await prometheus.scalar('paystream_p_risk')).toBe(0);
    expect(await prometheus.scalar('sum(paystream_payments_failed_total{code="CHANNEL_DECLINED_INSUFFICIENT_FUNDS"})')).toBe(CHANNELS.length);
    expect(await prometheus.scalar('sum(paystream_settlements_failed_total)')).toBe(0);
  });

  it('counts charges per channel and outcome, and the settled amounts to the fen', async () => {
    const charges = await prometheus.query('sum by (channel) (paystream_channel_charges_total{outcome="succeeded"})');
    expect(byLabel(charges, 'channel')).toEqual(Object.fromEntries(CHANNELS.map((c) => [c, SUCCEEDED_PER_CHANNEL])));
    const gross = await prometheus.scalar('max(paystream_settlement_amount_minor{currency="CNY", status="completed", kind="gross"})');
    const fee = await prometheus.scalar('max(paystream_settlement_amount_minor{currency="CNY", status="completed", kind="fee"})');
    const net = await prometheus.scalar('max(paystream_settlement_amount_minor{currency="CNY", status="completed", kind="net"})');
    expect(gross).toBe(Number(succeededGrossMinor));
    expect(net! + fee!).toBe(gross);
    expect(fee).toBeGreaterThan(0);
  });

  it('has lag per consumer group, outbox age per service and a breaker state per channel', async () => {
    const lagGroups = new Set((await prometheus.query('paystream_consumer_lag')).map((s) => s.metric.group));
    expect([...lagGroups].sort()).toEqual(expect.arrayContaining(CONSUMING_SERVICES.map((s) => `paystream.${s}`).sort()));
    // ops sees the same groups from outside, none stalled, and every service healthy
    const opsLag = await prometheus.query('paystream_ops_consumer_group_lag_total');
    expect(new Set(opsLag.map((s) => s.metric.group))).toEqual(new Set(CONSUMING_SERVICES.map((s) => `paystream.${s}`)));
    expect(values(await prometheus.query('paystream_ops_consumer_group_stalled'))).toEqual(CONSUMING_SERVICES.map(() => 0));
    expect(byLabel(await prometheus.query('paystream_ops_service_up'), 'service')).toEqual(Object.fromEntries(SERVICES_SCRAPED.map((s) => [s, 1])));
    // the burst has been consumed: what is left behind is no backlog
    expect(Math.max(...values(await prometheus.query('paystream:consumer_group_lag:sum')))).toBeLessThan(100);

    const outbox = await prometheus.query('paystream_outbox_oldest_age_seconds');
    expect(new Set(outbox.map((s) => s.metric.job))).toEqual(new Set(CONSUMING_SERVICES));
    for (const age of values(outbox)) expect(age).toBeLessThan(30);

    const breakers = await prometheus.query('paystream_channel_breaker_state{operation="charge"}');
    expect(byLabel(breakers, 'channel')).toEqual(Object.fromEntries(CHANNELS.map((c) => [c, 0])));
  });

  it('counts the dead letter, with a zero series for every consumer that had none', async () => {
    const dlq = await prometheus.query('paystream_dlq_messages_total');
    expect(dlq.filter((s) => Number(s.value[1]) > 0).map((s) => [s.metric.topic, Number(s.value[1])])).toEqual([[TOPICS.paymentRequested, 1]]);
    expect(new Set(dlq.map((s) => s.metric.job))).toEqual(new Set(CONSUMING_SERVICES));
    // and ops counts it where it lies, in the dead-letter topic
    const held = await waitFor(async () => {
      const d = byLabel(await prometheus.query('paystream_ops_dlq_messages'), 'topic');
      return d[`${TOPICS.paymentRequested}.dlq`] === 1 ? d : undefined;
    }, 30_000, 'ops to count the dead letter');
    expect(Object.values(held).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('evaluates every rule without error, and fires only the dead-letter alert', async () => {
    const rules = await waitFor(
      async () => {
        const data = await prometheus.api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
        const all = data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      30_000,
      'every rule evaluated',
    );
    expect(rules.length).toBeGreaterThanOrEqual(15);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);

    const firing = await waitFor(
      async () => {
        const alerts = await prometheus.query('ALERTS{alertstate="firing"}');
        return alerts.some((a) => a.metric.alertname === 'PaystreamDeadLetters') ? alerts : undefined;
      },
      30_000,
      'the dead-letter alert to fire',
    );
    expect(firing.map((a) => [a.metric.alertname, a.metric.topic])).toEqual([['PaystreamDeadLetters', TOPICS.paymentRequested]]);
  });

  it('has a series for every metric the dashboard reads, the ops app\'s among them', async () => {
    const panels = (JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', 'paystream.json'), 'utf8')) as { panels: DashboardPanel[] }).panels;
    const metrics = [...new Set(dashboardQueries(panels).flatMap((q) => metricNamesIn(q.expr)))].filter((m) => !METRICS_FROM_PARALLEL_WORK.includes(m));
    expect(metrics.filter((m) => m.startsWith('paystream_ops_')).length).toBeGreaterThanOrEqual(4);
    expect(metrics.length).toBeGreaterThanOrEqual(20);
    const missing: string[] = [];
    for (const m of metrics) {
      if ((await prometheus.query(`count({__name__=~"${m}|${m}_bucket"})`)).length === 0) missing.push(m);
    }
    expect(missing).toEqual([]);
  });
});
