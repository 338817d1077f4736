/**
 * Drives a stream of orders through the running stack as an upstream order service would
 * (payment.requested.v1 on Kafka), follows every outcome on payment.succeeded/failed, waits for
 * refunds a small share of the succeeded payments through order-payment's refund API (some in full, some
 * in part, real-time merchants' among them, so settlement claws them back), waits for settlement, reconciles
 * today's bills (planting a couple of breaks at the emulator unless --plant-breaks no; the refunds are cleared),
 * and prints the report. Usage: drive-orders [--count N] [--rate N/s] [--merchants N] [--outage CHANNEL|none] [--plant-breaks yes|no]
 * The outage drill (default wechatpay) takes the channel down a quarter into the run and brings it
 * back at three quarters, so the report shows its breaker opening, routing moving payments, and the
 * breaker closing again.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { TOPICS } from '@paystream/contracts';
import { beijingDateTime } from '@paystream/shared/channel-protocols';
import { createKafka, EventProducer, newEvent, physicalTopic, UPSTREAM_GROUP_PREFIX, type KafkaSettings } from '@paystream/shared/kafka';
import { loadKafkaSecurity } from '@paystream/shared/platform';
import { Money } from '@paystream/shared/money';
import { createLogger, nextTraceparent } from '@paystream/shared/observability';
import { awaitRefundOutcomes, negativeBalances, refundLines, refundsInFlightMinor, requestRefund, settlementsSince, summariseRefunds, type DemoRefund } from './demo-refunds';
import { ensureDemoMerchants } from './demo-merchants';
import { demoOrder, prepareShoppers } from './demo-shoppers';
import { percentile } from './percentiles';
import { reconcileToday, reconciliationLines } from './reconciliation-report';
import { LATE_REFUND_MERCHANT_ID, lateRefundPick, refundOf } from './refund-plan';
import { DemoAuth, demoFetch, useDemoAuth } from './demo-auth';
import { getJson, serviceUrls } from './service-urls';

/** How long to wait for the last outcomes after the last order was sent. */
const OUTCOME_WAIT_MS = 120_000;
/** How long to wait for settlements to be paid out after the last outcome. */
const SETTLEMENT_WAIT_MS = 60_000;
/**
 * A payment chosen for a refund is refunded this long after its success was seen: by then settlement has
 * booked it, and a real-time merchant has been settled for it, so the refund is clawed back from a later
 * settlement (the report says which refunds were).
 */
const REFUND_DELAY_MS = 2_000;
/** How long to wait for the refunds' outcomes once the last one was asked for. */
const REFUND_OUTCOME_WAIT_MS = 60_000;
/**
 * The settlement run the demo asks for once the orders are in (POST /settlement/runs): as of this
 * many days ahead, China time, so the T+1 / T+2 demo merchants are paid now whatever the holidays
 * (merchant-3's 30-day reserve stays held).
 */
const SETTLEMENT_RUN_AHEAD_DAYS = 14;
const DAY_MS = 86_400_000;
const SEND_TICK_MS = 20;
/** Orders per run, and their pace: below what a 2-core box sustains, so latency shows the pipeline, not a queue. */
const DEFAULT_COUNT = 500;
const DEFAULT_RATE_PER_SECOND = 10;
/** How often progress is printed when stderr is not a terminal (a log file gets lines, not a redrawn bar). */
const PROGRESS_LINE_INTERVAL_MS = 5_000;

interface Options {
  count: number;
  rate: number;
  merchants: number;
  outage: string;
  plantBreaks: boolean;
}

const OUTAGE_CHOICES = ['alipay', 'wechatpay', 'unionpay', 'none'];

function parseArgs(argv: string[]): Options {
  const opts: Options = { count: DEFAULT_COUNT, rate: DEFAULT_RATE_PER_SECOND, merchants: 5, outage: 'wechatpay', plantBreaks: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2);
    const value = inline ?? argv[++i];
    if (flag === '--outage' && OUTAGE_CHOICES.includes(value ?? '')) {
      opts.outage = value!;
      continue;
    }
    if (flag === '--plant-breaks' && (value === 'yes' || value === 'no')) {
      opts.plantBreaks = value === 'yes';
      continue;
    }
    const n = Number(value);
    if (!['--count', '--rate', '--merchants'].includes(flag!) || !Number.isInteger(n) || n <= 0) {
      process.stderr.write(`usage: drive-orders [--count N] [--rate N per second] [--merchants N] [--outage ${OUTAGE_CHOICES.join('|')}] [--plant-breaks yes|no]  (bad argument: ${argv[i]})\n`);
      process.exit(2);
    }
    opts[flag!.slice(2) as 'count' | 'rate' | 'merchants'] = n;
  }
  return opts;
}

function bar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

type Stats = Record<string, unknown>;
const num = (s: Stats | undefined, k: string) => Number((s?.[k] as number | string | undefined) ?? 0);
const big = (s: Stats | undefined, k: string) => BigInt((s?.[k] as string | undefined) ?? '0');
const yuan = (minor: bigint) => Money.of(minor, 'CNY').toMajorString();
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'n/a');

async function snapshot(urls: ReturnType<typeof serviceUrls>) {
  const [payments, risk, settlement, ledger, emulator] = await Promise.all([
    getJson(`${urls.orderPayment}/payments/stats`),
    getJson(`${urls.risk}/risk/stats`),
    getJson(`${urls.settlement}/settlement/stats`),
    getJson(`${urls.settlement}/ledger/check`),
    getJson(`${urls.channelEmulator}/sandbox/stats`),
  ]);
  return { payments, risk, settlement, ledger, emulator };
}

async function consumerLag(urls: ReturnType<typeof serviceUrls>) {
  const out: Record<string, number | string> = {};
  for (const [name, url] of Object.entries(urls)) {
    if (name === 'channelEmulator') continue;
    const health = await getJson<{ lag?: { lag: number }[] }>(`${url}/health`);
    out[name] = health?.lag ? health.lag.reduce((a, p) => a + Number(p.lag), 0) : 'n/a';
  }
  return out;
}

interface MerchantSettlements {
  merchantId: string;
  currency: string;
  schedule: string;
  settlements: number;
  grossMinor: string;
  feeMinor: string;
  refundMinor: string;
  reserveHeldMinor: string;
  paidOutMinor: string;
}

/** Settlements per merchant during this run (the stats count since the database began), amounts in fen. */
function merchantDelta(before: Stats | undefined, after: Stats | undefined) {
  const of = (s: Stats | undefined) => (s?.merchants ?? []) as MerchantSettlements[];
  const key = (m: MerchantSettlements) => `${m.merchantId}/${m.currency}`;
  const was = new Map(of(before).map((m) => [key(m), m]));
  return of(after)
    .map((m) => {
      const b = was.get(key(m));
      const minus = (k: 'grossMinor' | 'feeMinor' | 'refundMinor' | 'reserveHeldMinor' | 'paidOutMinor') => BigInt(m[k]) - BigInt(b?.[k] ?? '0');
      return { merchantId: m.merchantId, schedule: m.schedule, settlements: m.settlements - (b?.settlements ?? 0), grossMinor: minus('grossMinor'), feeMinor: minus('feeMinor'), refundMinor: minus('refundMinor'), reserveHeldMinor: minus('reserveHeldMinor'), paidOutMinor: minus('paidOutMinor') };
    })
    .filter((m) => m.settlements > 0);
}

/** Decisions per risk rule during this run (the stats count since the database began). */
function ruleDelta(before: Stats | undefined, after: Stats | undefined): Record<string, number> {
  const of = (s: Stats | undefined) => (s?.byRule ?? {}) as Record<string, number>;
  return Object.fromEntries(
    Object.entries(of(after))
      .map(([rule, n]): [string, number] => [rule, n - (of(before)[rule] ?? 0)])
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

/**
 * Risk's assessment latency from its Prometheus histogram (since the process started): the mean, and
 * p50 / p99 as the upper bound of the bucket they fall in.
 */
async function assessmentLatency(riskUrl: string): Promise<{ count: number; meanMs: number; p50Ms: number; p99Ms: number } | undefined> {
  let text: string;
  try {
    text = await (await demoFetch(`${riskUrl}/metrics`, { signal: AbortSignal.timeout(3_000) })).text();
  } catch {
    return undefined;
  }
  const byLe = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    const bucket = /^paystream_risk_assessment_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)/.exec(line);
    if (bucket) {
      const le = bucket[1] === '+Inf' ? Infinity : Number(bucket[1]);
      byLe.set(le, (byLe.get(le) ?? 0) + Number(bucket[2]));
    }
    const s = /^paystream_risk_assessment_seconds_sum\{[^}]*\} (\S+)/.exec(line);
    if (s) sum += Number(s[1]);
    const c = /^paystream_risk_assessment_seconds_count\{[^}]*\} (\S+)/.exec(line);
    if (c) count += Number(c[1]);
  }
  if (count === 0) return undefined;
  const les = [...byLe.keys()].sort((a, b) => a - b);
  const quantile = (q: number) => (les.find((le) => byLe.get(le)! >= q * count) ?? Infinity) * 1000;
  return { count, meanMs: (sum / count) * 1000, p50Ms: quantile(0.5), p99Ms: quantile(0.99) };
}

interface GatewayStats {
  resolvedVia: Record<string, number>;
  janitorResolutionSeconds: { count: number; p50: number | null; p95: number | null; max: number | null };
  conflicts: number;
  breakerTransitions: { at: string; channel: string; operation: string; to: string }[];
}

/** Outcomes and success rate per channel, from the outcome events (a failure before any channel shows as none). */
function perChannel(outcomes: Iterable<{ kind: string; channel: string }>) {
  const by: Record<string, { outcomes: number; succeeded: number; successRate: number }> = {};
  for (const o of outcomes) {
    const c = (by[o.channel] ??= { outcomes: 0, succeeded: 0, successRate: NaN });
    c.outcomes++;
    if (o.kind === 'succeeded') c.succeeded++;
  }
  for (const c of Object.values(by)) c.successRate = c.succeeded / c.outcomes;
  return Object.fromEntries(Object.entries(by).sort(([a], [b]) => a.localeCompare(b)));
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const urls = serviceUrls();
  // every call is signed (merchants) or carries a token (operator, monitoring): the demo's merchants get live keys
  const auth = DemoAuth.fromRunDir(urls.merchant, 'merchant-0');
  useDemoAuth(auth);
  // merchants first: their keys are issued for registered merchants; each merchant tokenises its shoppers' cards and registers their identities below
  await ensureDemoMerchants(urls, opts.merchants, (line) => process.stderr.write(line));
  for (let m = 0; m < opts.merchants; m++) await auth.waitUntilKnown(`merchant-${m}`, [`${urls.orderPayment}/payments`, `${urls.channelGateway}/cards`, `${urls.risk}/identities`]);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const settings: KafkaSettings = {
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    // an upstream order system: the `upstream` principal on the secure broker (KAFKA_SSL_CA_FILE, KAFKA_SASL_*)
    ...loadKafkaSecurity('demo-load', process.env),
    clientId: `paystream-demo-${runId}`,
    topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '',
    partitions: Number(process.env.KAFKA_PARTITIONS ?? 6),
  };
  const kafka = createKafka(settings, createLogger('demo-load', 'warn'));
  const producer = new EventProducer(kafka, settings);
  await producer.connect();

  const sentAt = new Map<string, number>();
  const outcomes = new Map<string, { kind: 'succeeded' | 'failed'; code?: string; channel: string; latencyMs: number; at: number }>();
  const orderIndexOf = new Map<string, number>();
  const refundRequests: Promise<DemoRefund>[] = [];
  const paid: { orderIndex: number; paymentId: string; merchantId: string; amountMinor: bigint }[] = [];
  // a throwaway group of an upstream system's (`upstream.*`, the groups its principal may use), outside the
  // services' `paystream.` names, so ops and the lag alerts never watch it
  const loadGroupId = physicalTopic(settings, `${UPSTREAM_GROUP_PREFIX}demo-load.${runId}`);
  const consumer = kafka.consumer({ groupId: loadGroupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.paymentSucceeded, TOPICS.paymentFailed].map((t) => physicalTopic(settings, t)), fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const value = JSON.parse(message.value?.toString('utf8') ?? '{}') as { orderId?: string; paymentId?: string; merchantId?: string; amountMinor?: string; channel?: string; reason?: { code: string } };
      const sent = value.orderId ? sentAt.get(value.orderId) : undefined;
      if (sent === undefined || outcomes.has(value.orderId!)) return;
      const now = performance.now();
      const kind = topic.endsWith(TOPICS.paymentSucceeded) ? 'succeeded' : 'failed';
      outcomes.set(value.orderId!, { kind, code: value.reason?.code, channel: value.channel ?? 'none', latencyMs: now - sent, at: now });
      const index = orderIndexOf.get(value.orderId!)!;
      const refund = refundOf(index);
      if (kind === 'succeeded' && value.paymentId && value.merchantId && value.amountMinor) paid.push({ orderIndex: index, paymentId: value.paymentId, merchantId: value.merchantId, amountMinor: BigInt(value.amountMinor) });
      if (kind === 'succeeded' && refund && value.paymentId && value.merchantId && value.amountMinor) {
        const payment = { paymentId: value.paymentId, merchantId: value.merchantId, amountMinor: BigInt(value.amountMinor) };
        refundRequests.push(new Promise((r) => setTimeout(r, REFUND_DELAY_MS)).then(() => requestRefund(urls.orderPayment, runId, index, refund, payment)));
      }
    },
  });
  await joined;
  // a new group starts at the latest offsets once its partitions are assigned and fetched
  await new Promise((r) => setTimeout(r, 1_500));

  // card shoppers pay by token; shoppers are verified on all four elements (risk level full), so risk applies a verified shopper's limits
  const { levels, ...cards } = await prepareShoppers(urls, runId, opts.count, opts.merchants);
  const registered = Object.values(levels).reduce((a, n) => a + n, 0);
  process.stderr.write(`registered ${registered} shopper identities (each by every merchant with an order of it): ${Object.entries(levels).map(([l, n]) => `${l}=${n}`).join(' ')}\n`);
  const before = await snapshot(urls);
  const startedAtMs = Date.now();
  process.stderr.write(`driving ${opts.count} orders at ${opts.rate}/s over ${opts.merchants} merchants (run ${runId})\n`);
  const started = performance.now();
  let sent = 0;
  let lastDraw = 0;
  const tty = process.stderr.isTTY === true;
  const draw = (force = false) => {
    const now = performance.now();
    if (!force && now - lastDraw < (tty ? 200 : PROGRESS_LINE_INTERVAL_MS)) return;
    lastDraw = now;
    const secs = (now - started) / 1000;
    const line = `${bar(outcomes.size, opts.count)} sent ${sent}/${opts.count}  outcomes ${outcomes.size}  ${(outcomes.size / Math.max(secs, 0.001)).toFixed(0)}/s  ${secs.toFixed(1)}s `;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  const outage = (down: boolean) =>
    opts.outage === 'none'
      ? Promise.resolve()
      : fetch(`${urls.channelEmulator}/sandbox/channels/${opts.outage}/outage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ down }) }).then(() => {
          process.stderr.write(`${tty ? '\n' : ''}[drill] ${opts.outage} ${down ? 'down' : 'back up'} after ${sent} orders\n`);
        });
  let drill: 'before' | 'down' | 'over' = 'before';
  while (sent < opts.count) {
    if (drill === 'before' && sent >= opts.count / 4) {
      drill = 'down';
      await outage(true);
    } else if (drill === 'down' && sent >= (opts.count * 3) / 4) {
      drill = 'over';
      await outage(false);
    }
    const due = Math.min(opts.count, Math.floor(((performance.now() - started) / 1000) * opts.rate) + 1);
    const batch = [];
    for (; sent < due; sent++) {
      const payload = demoOrder(sent, { runId, merchants: opts.merchants, cards });
      const orderId = payload.orderId;
      sentAt.set(orderId, performance.now());
      orderIndexOf.set(orderId, sent);
      batch.push(newEvent({ topic: TOPICS.paymentRequested, key: orderId, source: '/demo/checkout', payload, traceparent: nextTraceparent() }));
    }
    if (batch.length) await producer.publish(batch);
    draw();
    await new Promise((r) => setTimeout(r, SEND_TICK_MS));
  }
  if (drill === 'down') await outage(false);
  const sendDone = performance.now();
  while (outcomes.size < opts.count && performance.now() - sendDone < OUTCOME_WAIT_MS) {
    draw();
    await new Promise((r) => setTimeout(r, 100));
  }
  draw(true);
  if (tty) process.stderr.write('\n');
  const lastOutcome = Math.max(...[...outcomes.values()].map((o) => o.at), started);
  const succeeded = [...outcomes.values()].filter((o) => o.kind === 'succeeded').length;
  // the refunds asked for as their payments succeeded, and one more of a real-time merchant after its
  // last payment (the settlement run carries its negative balance forward): wait for the channel's answers
  const refunds = await Promise.all(refundRequests);
  const late = lateRefundPick(paid, LATE_REFUND_MERCHANT_ID, new Set(refunds.map((r) => r.paymentId)));
  if (late) refunds.push({ ...(await requestRefund(urls.orderPayment, runId, late.orderIndex, 'full', late)), late: true });
  await awaitRefundOutcomes(urls.orderPayment, refunds, REFUND_OUTCOME_WAIT_MS);
  const refundsSucceeded = refunds.filter((r) => r.status === 'SUCCEEDED').length;
  process.stderr.write(`refunds: ${refunds.length} requested, ${refundsSucceeded} succeeded, ${refunds.filter((r) => r.status === 'FAILED').length} failed, ${refunds.filter((r) => r.status === 'REFUSED').length} refused\n`);

  // settlement follows the outcomes: wait until every success and refund is booked, run the T+N merchants'
  // settlement as of a few days ahead (it also nets the refunds still unsettled: the real-time merchants'
  // that came after their last payment), then wait until nothing is left due or being paid
  // (only the settlement stats are polled: the full snapshot, with its whole-ledger check, is taken once after)
  const settleStart = performance.now();
  const settlementWait = async (done: (now: Stats | undefined) => boolean) => {
    for (;;) {
      const now = await getJson(`${urls.settlement}/settlement/stats`);
      if (done(now) || performance.now() - settleStart >= SETTLEMENT_WAIT_MS) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await settlementWait(
    (now) => num(now, 'bookedPayments') - num(before.settlement, 'bookedPayments') >= succeeded && num(now, 'bookedRefunds') - num(before.settlement, 'bookedRefunds') >= refundsSucceeded,
  );
  const asOf = beijingDateTime(new Date(Date.now() + SETTLEMENT_RUN_AHEAD_DAYS * DAY_MS)).slice(0, 10);
  const run = await demoFetch(`${urls.settlement}/settlement/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `demo-${runId}` },
    body: JSON.stringify({ asOf }),
  });
  const runResult = (await run.json().catch(() => ({}))) as { settlementIds?: string[]; carriedForward?: number; error?: { code: string } };
  process.stderr.write(`settlement run as of ${asOf}: HTTP ${run.status}, ${runResult.settlementIds?.length ?? 0} settlements, ${runResult.carriedForward ?? 0} carried forward\n`);
  if (runResult.error?.code === 'SETTLEMENT_RUN_AS_OF_IN_FUTURE') process.stderr.write('  (settlement refuses future-dated runs: start it with SETTLEMENT_RUNS_FUTURE_AS_OF_ALLOWED=true, as scripts/stack.sh does)\n');
  await settlementWait((now) => num(now, 'pending') === 0);
  const after = await snapshot(urls);
  const gateway = await getJson<GatewayStats>(`${urls.channelGateway}/channel/stats`);
  await consumer.disconnect();
  await producer.disconnect();
  // and it leaves no abandoned group (with lag and no members) behind
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([loadGroupId]).catch((error: unknown) => console.warn(`could not delete the load group ${loadGroupId}: ${String(error)}`));
  await admin.disconnect();

  const latencies = [...outcomes.values()].map((o) => o.latencyMs);
  const failedByCode: Record<string, number> = {};
  for (const o of outcomes.values()) if (o.kind === 'failed') failedByCode[o.code ?? '?'] = (failedByCode[o.code ?? '?'] ?? 0) + 1;
  const d = (k: string, s: 'risk' | 'settlement') => num(after[s], k) - num(before[s], k);
  const assessed = d('assessed', 'risk');
  const due = d('due', 'settlement');
  const lag = await consumerLag(urls);
  const merchantIds = Array.from({ length: opts.merchants }, (_, m) => `merchant-${m}`);
  const refundSummary = summariseRefunds(refunds, await settlementsSince(urls.settlement, merchantIds, startedAtMs), await negativeBalances(urls.settlement, merchantIds));
  const inFlightBefore = await refundsInFlightMinor(urls.settlement);
  const reconciliation = await reconcileToday(urls, opts.plantBreaks);
  const inFlightAfter = await refundsInFlightMinor(urls.settlement);
  // the ledger is checked again once reconciliation has booked the refunds it cleared
  const ledgerAfterReconciliation = await getJson(`${urls.settlement}/ledger/check`, 30_000);
  const report = {
    runId,
    requested: opts.count,
    outcomes: outcomes.size,
    missing: opts.count - outcomes.size,
    succeeded,
    failed: outcomes.size - succeeded,
    failedByCode,
    pSuccess: outcomes.size ? succeeded / outcomes.size : NaN,
    pRisk: assessed ? (d('review', 'risk') + d('rejected', 'risk')) / assessed : NaN,
    pSettlement: due ? d('completed', 'settlement') / due : NaN,
    settlementsDue: due,
    settlementsCompleted: d('completed', 'settlement'),
    grossMinor: (big(after.settlement, 'grossMinor') - big(before.settlement, 'grossMinor')).toString(),
    feeMinor: (big(after.settlement, 'feeMinor') - big(before.settlement, 'feeMinor')).toString(),
    netMinor: (big(after.settlement, 'netMinor') - big(before.settlement, 'netMinor')).toString(),
    paidOutMinor: (big(after.settlement, 'paidOutMinor') - big(before.settlement, 'paidOutMinor')).toString(),
    refundMinor: (big(after.settlement, 'refundMinor') - big(before.settlement, 'refundMinor')).toString(),
    feeRevenueMinor: (big(after.settlement, 'feeRevenueMinor') - big(before.settlement, 'feeRevenueMinor')).toString(),
    channelCostMinor: (big(after.settlement, 'channelCostMinor') - big(before.settlement, 'channelCostMinor')).toString(),
    reserveHeldMinor: (big(after.settlement, 'reserveHeldMinor') - big(before.settlement, 'reserveHeldMinor')).toString(),
    settlementRun: { asOf, status: run.status, settlements: runResult.settlementIds?.length ?? 0, carriedForward: runResult.carriedForward ?? 0 },
    settlementsByMerchant: merchantDelta(before.settlement, after.settlement),
    ledgerBalanced: after.ledger?.balanced ?? 'n/a',
    ledgerBalancedAfterReconciliation: ledgerAfterReconciliation?.balanced ?? 'n/a',
    refunds: refundSummary,
    refundsInFlightMinor: { beforeReconciliation: inFlightBefore ?? null, afterReconciliation: inFlightAfter ?? null },
    paymentsPerSecond: outcomes.size / Math.max((lastOutcome - started) / 1000, 0.001),
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: percentile(latencies, 1) },
    consumerLag: lag,
    riskRules: ruleDelta(before.risk, after.risk),
    riskAssessment: await assessmentLatency(urls.risk),
    channels: perChannel(outcomes.values()),
    resolvedVia: gateway?.resolvedVia ?? {},
    janitorResolutionSeconds: gateway?.janitorResolutionSeconds ?? null,
    outcomeConflicts: gateway?.conflicts ?? 'n/a',
    breakerTransitions: gateway?.breakerTransitions ?? [],
    reconciliation,
  };
  const j = report.janitorResolutionSeconds;
  const lines = [
    '',
    `Paystream demo report (run ${runId})`,
    `  requested            ${report.requested}`,
    `  succeeded            ${report.succeeded}`,
    `  failed               ${report.failed}  ${Object.entries(failedByCode).map(([c, n]) => `${c}=${n}`).join(' ')}`,
    `  no outcome           ${report.missing}`,
    `  P_success            ${pct(report.pSuccess)}`,
    `  P_risk               ${pct(report.pRisk)}  (review + reject / assessed)`,
    `  risk rules fired     ${Object.entries(report.riskRules).map(([r, n]) => `${r}=${n}`).join('  ') || 'none'}`,
    `  risk assessment      ${report.riskAssessment ? `mean ${report.riskAssessment.meanMs.toFixed(1)} ms, p50 <= ${report.riskAssessment.p50Ms} ms, p99 <= ${report.riskAssessment.p99Ms} ms (${report.riskAssessment.count} assessed)` : 'n/a'}`,
    `  P_settlement         ${pct(report.pSettlement)}  (${report.settlementsCompleted} of ${report.settlementsDue} settlements paid out)`,
    `  settled gross        CNY ${yuan(BigInt(report.grossMinor))}`,
    `  fees (by fee plan)   CNY ${yuan(BigInt(report.feeMinor))}`,
    `  platform margin      CNY ${yuan(BigInt(report.feeRevenueMinor) - BigInt(report.channelCostMinor))}  (fees booked CNY ${yuan(BigInt(report.feeRevenueMinor))} - channel cost CNY ${yuan(BigInt(report.channelCostMinor))})`,
    `  refunds netted       CNY ${yuan(BigInt(report.refundMinor))} in settlements   reserve held CNY ${yuan(BigInt(report.reserveHeldMinor))}`,
    `  net to merchants     CNY ${yuan(BigInt(report.netMinor))}  (paid out CNY ${yuan(BigInt(report.paidOutMinor))})`,
    `  settlement run       as of ${asOf}: ${report.settlementRun.settlements} settlements, ${report.settlementRun.carriedForward} carried forward`,
    `  by merchant          ${'schedule'.padEnd(9)}${'count'.padStart(6)}${'gross'.padStart(14)}${'fees'.padStart(11)}${'refunds'.padStart(11)}${'reserve'.padStart(11)}${'paid out'.padStart(14)}`,
    ...report.settlementsByMerchant.map(
      (m) =>
        `    ${m.merchantId.padEnd(19)}${m.schedule.padEnd(9)}${String(m.settlements).padStart(6)}${yuan(m.grossMinor).padStart(14)}${yuan(m.feeMinor).padStart(11)}${yuan(m.refundMinor).padStart(11)}${yuan(m.reserveHeldMinor).padStart(11)}${yuan(m.paidOutMinor).padStart(14)}`,
    ),
    ...refundLines(refundSummary, yuan),
    `  ledger balanced      ${report.ledgerBalanced} after settlement, ${report.ledgerBalancedAfterReconciliation} after reconciliation`,
    `  throughput           ${report.paymentsPerSecond.toFixed(1)} payments/s`,
    `  end-to-end latency   p50 ${report.latencyMs.p50?.toFixed(0) ?? 'n/a'} ms   p99 ${report.latencyMs.p99?.toFixed(0) ?? 'n/a'} ms   max ${report.latencyMs.max?.toFixed(0) ?? 'n/a'} ms`,
    `  consumer lag         ${Object.entries(lag).map(([s, n]) => `${s}=${n}`).join('  ')}`,
    ...Object.entries(report.channels).map(([c, x]) => `  ${`channel ${c}`.padEnd(21)}${x.succeeded}/${x.outcomes} succeeded (${pct(x.successRate)})`),
    `  first told by        ${Object.entries(report.resolvedVia).map(([v, n]) => `${v}=${n}`).join('  ')}  (gateway totals)`,
    `  janitor resolution   ${j && j.count ? `${j.count} outcomes, p50 ${j.p50?.toFixed(1)} s, p95 ${j.p95?.toFixed(1)} s, max ${j.max?.toFixed(1)} s` : 'none needed'}`,
    `  outcome conflicts    ${report.outcomeConflicts}`,
    `  breaker transitions  ${report.breakerTransitions.length ? report.breakerTransitions.map((t) => `${t.at.slice(11, 19)} ${t.channel}.${t.operation}->${t.to}`).join(', ') : 'none (no channel failed enough to open one)'}`,
    ...reconciliationLines(reconciliation, yuan),
    `  refunds in flight    CNY ${inFlightBefore === undefined ? 'n/a' : yuan(inFlightBefore)} before reconciliation, CNY ${inFlightAfter === undefined ? 'n/a' : yuan(inFlightAfter)} after (the ledger's refunds_in_flight, since the database began)`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  mkdirSync('.run', { recursive: true });
  writeFileSync('.run/demo-report.json', JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
  process.exit(report.missing === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`\ndemo load failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
