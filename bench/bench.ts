/**
 * npm run bench (issue 16, "The bench first"): what this machine can do and what the stack does with it,
 * in one run.
 *  1. The ceilings: a pgbench run of one durable step (inbox insert + state row + outbox row in one
 *     transaction), with and without a pg_notify in it, on a scratch database dropped afterwards; and Kafka's
 *     own ProducerPerformance (acks=all, as order-payment) / ConsumerPerformance (as upstream) against the
 *     same broker the stack uses, on topics of a prefix of their own (ACLs granted and taken away again).
 *  2. A stack of its own (tools/e2e/service-stack.ts: the compiled services as processes, their own topic
 *     prefix and schema, each as its own Kafka principal, on scratch databases of their own so that the commits
 *     counted are the stack's alone), warmed up at the first rate, known merchants on real-time
 *     and T+N schedules, and ordinary orders (Alipay, WeChat Pay, UnionPay by card; amounts that no sandbox
 *     scenario and no risk rule picks) published to payment.requested.v1 as the upstream principal, at
 *     rising offered rates. Per rate: payments/s in the middle half of the sending period (not first to
 *     last), end-to-end latency (published -> outcome consumed) p50/p95/p99/max, CPU-ms per payment by
 *     process (/proc/<pid>/stat: the broker's JVM, every postgres process, each service, this driver),
 *     database commits per payment (pg_stat_database.xact_commit of the stack's databases) and Kafka
 *     messages per payment (the end offsets of the stack's topics).
 *  3. R = payments/s x durable steps per payment (the measured commits per payment) / pgbench step txn/s.
 * Prints a table and writes bench/results/<stamp>-bench.json. Exits 1 when an order got no outcome, more
 * than one, or a failure (none is planted), so a broken stack never reads as a slow one.
 * --smoke: one low rate for a few seconds, a tiny pgbench and perf run (bench/bench.e2e-spec.ts runs it).
 * --replicas N runs N processes of each of the four payment services (CPU summed per service). Not yet: both
 * replica counts compared in one run, a chart.
 * Usage (after npm run build): node tools/run-dist.js dist/bench/bench.js [--smoke] [--rates 10,20,40] [--seconds 30]
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Admin, Consumer } from 'kafkajs';
import { Client } from 'pg';
import { TOPICS, type PaymentRequested } from '@paystream/contracts';
import { createKafka, ensureTopics, EventProducer, newEvent, UPSTREAM_GROUP_PREFIX, type KafkaSettings } from '@paystream/shared/kafka';
import { createLogger, nextTraceparent } from '@paystream/shared/observability';
import { SERVICES } from '@paystream/shared/platform';
import { grantTestAcls, revokeTestAcls, TEST_KAFKA_BROKERS, TEST_RUN_ID_ENV, TEST_KAFKA_SECRETS_DIR, TEST_KAFKA_SECURITY, testDatabaseUrl, testKafkaSettings, uniqueId, uniqueTopicPrefix } from '@paystream/shared/testing';
import { REPO_ROOT, ServiceStack, STACK_SERVICES } from '../tools/e2e/service-stack';
import { DEMO_MERCHANT_TERMS } from '../tools/load/demo-merchants';
import { channelOf, shopperCardNumber } from '../tools/load/order-mix';
import { groupCpuMs, middleWindow, parsePgbenchTps, perPayment, pidListeningOn, ratePerSecondIn, ratioR } from './bench-stats';
import { kafkaClientProperties, machineBusyTicks, parseBashTimes, parseConsumerPerformance, parseProcStat, parseProducerPerformance, percentile, type ProcCpu } from './kafka-security-stats';

const { values: opts } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    rates: { type: 'string' },
    seconds: { type: 'string' },
    'warmup-seconds': { type: 'string' },
    'pgbench-seconds': { type: 'string' },
    'pgbench-clients': { type: 'string' },
    'perf-records': { type: 'string' },
    replicas: { type: 'string' },
    out: { type: 'string' },
  },
});
const SMOKE = opts.smoke === true;
const positive = (name: string, text: string | undefined, fallback: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name} must be a positive number, not ${text}`);
  return n;
};
const PARAMS = {
  rates: (opts.rates ?? (SMOKE ? '5' : '10,20,40,80')).split(',').map((r) => positive('rates', r, 1)),
  secondsPerRate: positive('seconds', opts.seconds, SMOKE ? 4 : 30),
  warmupSeconds: positive('warmup-seconds', opts['warmup-seconds'], SMOKE ? 2 : 10),
  pgbenchSeconds: positive('pgbench-seconds', opts['pgbench-seconds'], SMOKE ? 2 : 15),
  pgbenchClients: positive('pgbench-clients', opts['pgbench-clients'], SMOKE ? 2 : 4),
  perfRecords: positive('perf-records', opts['perf-records'], SMOKE ? 2_000 : 100_000),
  replicas: positive('replicas', opts.replicas, 1),
};
/** The services --replicas runs several of (the emulator stands for the channels, merchant and ops are off the payment path). */
const REPLICATED = ['order-payment', 'risk', 'channel-gateway', 'settlement'] as const;

/** The window of a step's sending period its throughput is read in. */
const STEADY_FROM = 0.25;
const STEADY_TO = 0.75;
/** How long a step waits for its last outcomes after its last order was sent. */
const OUTCOME_WAIT_MS = 60_000;
/** How often the driver publishes what is due (the offered rate is kept over time, not per tick). */
const SEND_TICK_MS = 20;
/** The known merchants: DEMO_MERCHANT_TERMS' real-time and T+N schedules. */
const MERCHANTS = DEMO_MERCHANT_TERMS.map((_, i) => `bench-m${i}`);
/** The bytes of one of our events as Kafka carries it (bench/README: ~570 B), for the perf tools' records. */
const PERF_RECORD_BYTES = 570;
/** Partitions per topic, as ServiceStack's services create them. */
const STACK_PARTITIONS = 3;
/**
 * How long pg_stat_database may take to show a backend's commits: a busy backend flushes its counts at most every
 * second, one gone idle within PGSTAT_IDLE_INTERVAL (10 s, PostgreSQL 15). Waited for before each reading of commits.
 */
const PG_STATS_SETTLE_MS = 11_000;

const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const logger = createLogger('bench', process.env.LOG_LEVEL ?? 'silent', process.stderr);
const work = mkdtempSync(join(tmpdir(), 'paystream-bench-'));
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// ---- processes -------------------------------------------------------------------------------------

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  fd3: string;
}

/** Runs a command to its end; fd 3 collects bash `times` when asked. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, withFd3 = false): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { env, stdio: withFd3 ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '', fd3: '' };
    child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
    if (withFd3) (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (out.fd3 += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, ...out }));
  });
}

// ---- ceiling 1: pgbench's durable step -------------------------------------------------------------

const STEP_PAYLOAD = JSON.stringify({
  paymentId: randomUUID(),
  orderId: 'ORD-2026120722-0000000001',
  merchantId: 'merchant-000001',
  userId: 'shopper-00000001',
  amountMinor: '12345',
  currency: 'CNY',
  channel: 'alipay',
  channelTradeNo: '20261207220014000000000000001',
  succeededAt: new Date().toISOString(),
});

/** One consumer step as the services commit it: the inbox row, the state row, the outbox row (and its NOTIFY). */
function stepScript(notify: boolean): string {
  return [
    '\\set amount random(100, 500000)',
    'BEGIN;',
    `INSERT INTO inbox_message (consumer_group, event_id, topic) VALUES ('paystream.bench', gen_random_uuid()::text, 'payment.requested.v1');`,
    `INSERT INTO payment_state (id, merchant_id, amount_minor, status) VALUES (gen_random_uuid(), 'merchant-000001', :amount, 'SUCCEEDED');`,
    `INSERT INTO outbox_event (id, topic, key, source, traceparent, payload, occurred_at) VALUES (gen_random_uuid(), 'payment.succeeded.v1', 'ORD-' || :amount, '/paystream/bench', '00-5e2e0000000000000000000000000001-00f067aa0ba902b7-01', '${STEP_PAYLOAD}'::jsonb, now());`,
    ...(notify ? [`SELECT pg_notify('bench_outbox', '');`] : []),
    'COMMIT;',
    '',
  ].join('\n');
}

interface PgbenchCeiling {
  seconds: number;
  clients: number;
  stepTxnPerSec: number;
  stepTxnPerSecWithNotify: number;
}

async function pgbenchCeiling(): Promise<PgbenchCeiling> {
  const database = uniqueId('paystream_bench_');
  const admin = new Client({ connectionString: testDatabaseUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database}"`);
    const db = new Client({ connectionString: testDatabaseUrl(database) });
    await db.connect();
    try {
      // the shared outbox and inbox tables (libs/shared/outbox's migration) and a payment-like state row
      await db.query(`
        CREATE TABLE outbox_event (seq BIGSERIAL PRIMARY KEY, id UUID NOT NULL UNIQUE, topic TEXT NOT NULL, key TEXT NOT NULL, source TEXT NOT NULL,
          traceparent TEXT, payload JSONB NOT NULL, occurred_at TIMESTAMPTZ NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), published_at TIMESTAMPTZ);
        CREATE INDEX outbox_event_unpublished_idx ON outbox_event (seq) WHERE published_at IS NULL;
        CREATE TABLE inbox_message (consumer_group TEXT NOT NULL, event_id TEXT NOT NULL, topic TEXT NOT NULL, processed_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (consumer_group, event_id));
        CREATE TABLE payment_state (id UUID PRIMARY KEY, merchant_id TEXT NOT NULL, amount_minor BIGINT NOT NULL, status TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now());`);
    } finally {
      await db.end();
    }
    const url = new URL(testDatabaseUrl(database));
    const tps = async (notify: boolean) => {
      const script = join(work, notify ? 'step-notify.sql' : 'step.sql');
      writeFileSync(script, stepScript(notify));
      const jobs = Math.min(PARAMS.pgbenchClients, cpus().length);
      const ran = await run('pgbench', ['-n', '-c', String(PARAMS.pgbenchClients), '-j', String(jobs), '-T', String(PARAMS.pgbenchSeconds), '-f', script, '-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', database]);
      if (ran.code !== 0) throw new Error(`pgbench failed (${ran.code}): ${ran.stderr.slice(-1000)}`);
      return parsePgbenchTps(ran.stdout);
    };
    const stepTxnPerSec = await tps(false);
    const stepTxnPerSecWithNotify = await tps(true);
    return { seconds: PARAMS.pgbenchSeconds, clients: PARAMS.pgbenchClients, stepTxnPerSec, stepTxnPerSecWithNotify };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((e: unknown) => say(`could not drop ${database}: ${String(e)}`));
    await admin.end();
  }
}

// ---- ceiling 2: Kafka's own perf tools on the same broker ------------------------------------------

const TOOLS_LIBS = process.env.KAFKA_TOOLS_LIBS ?? join(REPO_ROOT, 'infra/kafka/tools-libs');
const BROKER_LIBS = join(REPO_ROOT, 'infra/kafka/libs');

/** A client property file (0600) for the perf tools as a principal of the test broker. */
function perfClientProperties(principal: string, extra: Record<string, string>): string {
  const login = TEST_KAFKA_SECURITY === 'sasl_ssl' ? { caFile: join(TEST_KAFKA_SECRETS_DIR, 'ca.pem'), principal, password: readFileSync(join(TEST_KAFKA_SECRETS_DIR, `${principal}.password`), 'utf8').trim() } : undefined;
  const file = join(work, `${principal}-${randomUUID()}.properties`);
  writeFileSync(file, kafkaClientProperties(TEST_KAFKA_BROKERS, login, extra), { mode: 0o600 });
  return file;
}

/** Runs a Kafka tool class in a JVM of its own, its logs on stderr; its CPU from bash `times`. */
async function kafkaTool(mainClass: string, args: string[]): Promise<{ stdout: string; cpuMs: number }> {
  const log4j = join(work, 'log4j.properties');
  writeFileSync(log4j, 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=%p %m (%c)%n\n');
  const ran = await run('bash', ['-c', 'java "$@"; rc=$?; times >&3; exit $rc', 'kafka-tool', '-Xms256m', '-Xmx512m', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${TOOLS_LIBS}/*:${BROKER_LIBS}/*`, mainClass, ...args], process.env, true);
  if (ran.code !== 0) throw new Error(`${mainClass} failed (${ran.code}); are the tools fetched (bash bench/bench.sh fetches them)? ${ran.stderr.slice(-1500)}`);
  return { stdout: ran.stdout, cpuMs: parseBashTimes(ran.fd3) };
}

async function kafkaCeiling() {
  const prefix = uniqueTopicPrefix('benchperf');
  await grantTestAcls(prefix);
  const settings: KafkaSettings = { ...testKafkaSettings(), clientId: 'paystream-bench-perf', topicPrefix: prefix, partitions: STACK_PARTITIONS };
  const kafka = createKafka(settings, logger);
  const topic = `${prefix}${TOPICS.paymentFailed}`;
  await ensureTopics(kafka, settings, [TOPICS.paymentFailed]);
  try {
    const producerConfig = perfClientProperties('order-payment', { acks: 'all', 'client.id': 'bench-perf-producer' });
    const produced = await kafkaTool('org.apache.kafka.tools.ProducerPerformance', ['--topic', topic, '--num-records', String(PARAMS.perfRecords), '--throughput', '-1', '--record-size', String(PERF_RECORD_BYTES), '--producer.config', producerConfig]);
    const consumerConfig = perfClientProperties('upstream', { 'client.id': 'bench-perf-consumer' });
    const consumed = await kafkaTool('org.apache.kafka.tools.ConsumerPerformance', [
      '--bootstrap-server', TEST_KAFKA_BROKERS.join(','), '--topic', topic, '--group', `${prefix}${UPSTREAM_GROUP_PREFIX}bench-perf`, '--messages', String(PARAMS.perfRecords), '--timeout', '30000', '--consumer.config', consumerConfig,
    ]);
    const producer = parseProducerPerformance(produced.stdout);
    const consumer = parseConsumerPerformance(consumed.stdout);
    if (consumer.messages < PARAMS.perfRecords) throw new Error(`ConsumerPerformance read ${consumer.messages} of ${PARAMS.perfRecords} records`);
    return {
      recordBytes: PERF_RECORD_BYTES,
      records: PARAMS.perfRecords,
      producer: { recordsPerSec: producer.recordsPerSec, mbPerSec: producer.mbPerSec, p50Ms: producer.p50Ms, p99Ms: producer.p99Ms, toolCpuMs: produced.cpuMs },
      consumer: { fetchMsgPerSec: consumer.fetchMsgPerSec, fetchMBPerSec: consumer.fetchMBPerSec, toolCpuMs: consumed.cpuMs },
    };
  } finally {
    const admin = kafka.admin();
    await admin.connect();
    await removeTopicsAndGroups(admin, prefix).catch((e: unknown) => say(`could not remove the perf tools' topic: ${String(e)}`));
    await admin.disconnect();
  }
}

// ---- readings: CPU by process, commits, messages ---------------------------------------------------

type Groups = Record<string, Map<number, ProcCpu>>;

function procCpu(pid: number): ProcCpu | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // ended meanwhile
  }
}

/** Every process whose command is `postgres` (the postmaster, its backends and helpers, whoever they serve). */
function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

interface Reading {
  atMs: number;
  groups: Groups;
  machine: { busy: number; total: number };
  commits: number;
  messages: number;
}

class Readings {
  constructor(
    private readonly stack: ServiceStack,
    private readonly brokerPid: number | undefined,
    private readonly pg: Client,
    private readonly admin: Admin,
  ) {}

  private cpuGroups(): Groups {
    const of = (pids: (number | undefined)[]) => new Map(pids.flatMap((pid) => (pid === undefined ? [] : [[pid, procCpu(pid)] as const])).filter((e): e is readonly [number, ProcCpu] => e[1] !== undefined));
    const groups: Groups = { kafka: of([this.brokerPid]), postgres: of(postgresPids()) };
    for (const s of STACK_SERVICES) {
      const pids = Array.from({ length: this.stack.replicaCount(s) }, (_, r) => this.stack.pid(s, r));
      groups[s] = of(pids);
    }
    groups.driver = of([process.pid]);
    return groups;
  }

  async take(): Promise<Reading> {
    const [commits, messages] = await Promise.all([this.commits(), this.stackMessages()]);
    return { atMs: performance.now(), groups: this.cpuGroups(), machine: machineBusyTicks(readFileSync('/proc/stat', 'utf8')), commits, messages };
  }

  /** The commits in the stack's databases so far (its own: no one else commits there). */
  async commits(): Promise<number> {
    const databases = STACK_SERVICES.flatMap((s): string[] => (SERVICES[s].database ? [new URL(this.stack.databaseUrl(s)).pathname.slice(1)] : []));
    const res = await this.pg.query<{ n: string }>(`SELECT coalesce(sum(xact_commit), 0)::text AS n FROM pg_stat_database WHERE datname = ANY($1)`, [databases]);
    return Number(res.rows[0]!.n);
  }

  /** The records on the stack's topics (the sum of every partition's end offset). */
  private async stackMessages(): Promise<number> {
    const topics = (await this.admin.listTopics()).filter((t) => t.startsWith(this.stack.topicPrefix));
    let n = 0;
    for (const topic of topics) for (const p of await this.admin.fetchTopicOffsets(topic)) n += Number(p.high);
    return n;
  }
}

// ---- the stack and the orders ----------------------------------------------------------------------

interface Outcome {
  kind: 'succeeded' | 'failed';
  code?: string;
  atMs: number;
  latencyMs: number;
}

interface Driver {
  sentAt: Map<string, number>;
  outcomes: Map<string, Outcome[]>;
  producer: EventProducer;
  consumer: Consumer;
}

/** UnionPay shoppers, each with a card of their own tokenised by their merchant: enough that no card pays 10 times a minute (velocity-card). */
function cardShoppers(): number {
  return Math.max(10, Math.ceil(1.5 * Math.max(...PARAMS.rates)));
}

/**
 * The i-th order: ordinary only. A wallet order is its own shopper's (no device or IP sent, so no signal rule
 * counts it), CNY 10.00-499.49 (within an unverified shopper's single limit); a UnionPay order is a card
 * shopper's, CNY 10.00-99.49 (within the daily limit over a whole run). Cents 00..49: never a sandbox trigger.
 */
function benchOrder(i: number, runId: string, cards: string[]): PaymentRequested {
  const channel = channelOf(i);
  const cents = BigInt(i % 50);
  const base: Omit<PaymentRequested, 'merchantId' | 'userId' | 'amountMinor'> = { orderId: `bench-${runId}-${i}`, currency: 'CNY', channel, subject: `Bench order ${i}`, requestedAt: new Date().toISOString() };
  if (channel === 'unionpay') {
    const card = i % cards.length;
    return { ...base, merchantId: MERCHANTS[card % MERCHANTS.length]!, userId: `bench-card-${card}`, amountMinor: (BigInt(10 + ((i * 7919) % 90)) * 100n + cents).toString(), cardToken: cards[card]! };
  }
  return { ...base, merchantId: MERCHANTS[i % MERCHANTS.length]!, userId: `bench-${runId}-${i}`, amountMinor: (BigInt(10 + ((i * 7919) % 490)) * 100n + cents).toString() };
}

async function tokeniseCards(stack: ServiceStack): Promise<string[]> {
  const cards: string[] = new Array(cardShoppers());
  const one = async (k: number) => {
    const merchant = MERCHANTS[k % MERCHANTS.length]!;
    const res = await stack.json<{ cardToken: string }>('channel-gateway', '/cards', { json: { number: shopperCardNumber(k), expiry: '1229', cvv: '123' }, as: await stack.merchantKey(merchant) });
    if (res.status !== 201) throw new Error(`POST /cards as ${merchant} answered ${res.status}: ${JSON.stringify(res.body)}`);
    cards[k] = res.body.cardToken;
  };
  for (let k = 0; k < cards.length; k += 8) await Promise.all(Array.from({ length: Math.min(8, cards.length - k) }, (_, j) => one(k + j)));
  return cards;
}

async function startDriver(stack: ServiceStack, runId: string): Promise<Driver> {
  const settings: KafkaSettings = { ...testKafkaSettings('upstream'), clientId: `paystream-bench-${runId}`, topicPrefix: stack.topicPrefix, partitions: STACK_PARTITIONS };
  const kafka = createKafka(settings, logger);
  const producer = new EventProducer(kafka, settings);
  await producer.connect();
  const sentAt = new Map<string, number>();
  const outcomes = new Map<string, Outcome[]>();
  const consumer = kafka.consumer({ groupId: `${stack.topicPrefix}${UPSTREAM_GROUP_PREFIX}bench-${runId}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  // the stack's topics are its own and new: from the beginning, no outcome can be missed while the group joins
  await consumer.subscribe({ topics: [TOPICS.paymentSucceeded, TOPICS.paymentFailed].map((t) => `${stack.topicPrefix}${t}`), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const value = JSON.parse(message.value?.toString('utf8') ?? '{}') as { orderId?: string; reason?: { code: string } };
      const sent = value.orderId === undefined ? undefined : sentAt.get(value.orderId);
      if (sent === undefined) return;
      const now = performance.now();
      const list = outcomes.get(value.orderId!) ?? [];
      list.push({ kind: topic.endsWith(TOPICS.paymentSucceeded) ? 'succeeded' : 'failed', code: value.reason?.code, atMs: now, latencyMs: now - sent });
      outcomes.set(value.orderId!, list);
    },
  });
  return { sentAt, outcomes, producer, consumer };
}

interface StepResult {
  offeredPerSec: number;
  seconds: number;
  sent: number;
  outcomes: number;
  missing: number;
  duplicates: number;
  failed: number;
  failedByCode: Record<string, number>;
  paymentsPerSec: number;
  achievedOfferedPerSec: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number } | null;
  cpuMsPerPayment: Record<string, number | null>;
  cpuMsTotal: Record<string, number>;
  postgresExitedProcesses: number;
  machineBusyPercent: number;
  commitsPerPayment: number | null;
  kafkaMessagesPerPayment: number | null;
  r: number | null;
}

async function driveRate(driver: Driver, readings: Readings, rate: number, seconds: number, firstIndex: number, runId: string, cards: string[], pgbench: PgbenchCeiling): Promise<StepResult> {
  const total = Math.max(1, Math.round(rate * seconds));
  const ids: string[] = [];
  // the set-up's commits (onboarding, cards) are all counted before the first step begins; later steps start from the last one's end
  if (firstIndex === 0) await new Promise((r) => setTimeout(r, PG_STATS_SETTLE_MS));
  const before = await readings.take();
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    const batch = [];
    for (; sent < due; sent++) {
      const payload = benchOrder(firstIndex + sent, runId, cards);
      ids.push(payload.orderId);
      driver.sentAt.set(payload.orderId, performance.now());
      batch.push(newEvent({ topic: TOPICS.paymentRequested, key: payload.orderId, source: '/bench/checkout', payload, traceparent: nextTraceparent() }));
    }
    if (batch.length) await driver.producer.publish(batch);
    await new Promise((r) => setTimeout(r, SEND_TICK_MS));
  }
  const sendEnd = performance.now();
  while (ids.some((id) => !driver.outcomes.has(id)) && performance.now() - sendEnd < OUTCOME_WAIT_MS) await new Promise((r) => setTimeout(r, 100));
  // CPU and messages at the drain's end; the commits once the backends have flushed their counts
  const after = await readings.take();
  await new Promise((r) => setTimeout(r, PG_STATS_SETTLE_MS));
  after.commits = await readings.commits();

  const mine = ids.map((id) => driver.outcomes.get(id) ?? []);
  const firsts = mine.flatMap((list) => (list.length ? [list[0]!] : []));
  const failedByCode: Record<string, number> = {};
  for (const o of firsts) if (o.kind === 'failed') failedByCode[o.code ?? '?'] = (failedByCode[o.code ?? '?'] ?? 0) + 1;
  const payments = firsts.length;
  const latencies = firsts.map((o) => o.latencyMs);
  const window = middleWindow(started, sendEnd, STEADY_FROM, STEADY_TO);
  const paymentsPerSec = ratePerSecondIn(firsts.map((o) => o.atMs), window);
  const sentTimes = ids.map((id) => driver.sentAt.get(id)!);
  const cpuMsTotal: Record<string, number> = {};
  let postgresExitedProcesses = 0;
  for (const name of Object.keys(after.groups)) {
    const g = groupCpuMs(before.groups[name] ?? new Map(), after.groups[name]!, clkTck);
    cpuMsTotal[name] = g.ms;
    if (name === 'postgres') postgresExitedProcesses = g.exited;
  }
  const machineMs = ((after.machine.busy - before.machine.busy) * 1000) / clkTck;
  cpuMsTotal.others = Math.max(0, machineMs - Object.values(cpuMsTotal).reduce((a, b) => a + b, 0));
  const servicesMs = STACK_SERVICES.filter((s) => s !== 'channel-emulator').reduce((a, s) => a + cpuMsTotal[s]!, 0);
  const cpuMsPerPayment = Object.fromEntries([...Object.entries(cpuMsTotal).map(([k, v]) => [k, perPayment(v, payments)] as const), ['services (without emulator)', perPayment(servicesMs, payments)] as const]);
  const commitsPerPayment = perPayment(after.commits - before.commits, payments);
  return {
    offeredPerSec: rate,
    seconds,
    sent: ids.length,
    outcomes: payments,
    missing: ids.length - payments,
    duplicates: mine.reduce((a, list) => a + Math.max(0, list.length - 1), 0),
    failed: firsts.filter((o) => o.kind === 'failed').length,
    failedByCode,
    paymentsPerSec,
    achievedOfferedPerSec: ratePerSecondIn(sentTimes, window),
    latencyMs: latencies.length ? { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: percentile(latencies, 100) } : null,
    cpuMsPerPayment,
    cpuMsTotal,
    postgresExitedProcesses,
    machineBusyPercent: after.machine.total > before.machine.total ? (100 * (after.machine.busy - before.machine.busy)) / (after.machine.total - before.machine.total) : 0,
    commitsPerPayment,
    kafkaMessagesPerPayment: perPayment(after.messages - before.messages, payments),
    r: ratioR(paymentsPerSec, commitsPerPayment, pgbench.stepTxnPerSec),
  };
}

async function removeTopicsAndGroups(admin: Admin, prefix: string): Promise<void> {
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  if (groups.length) await admin.deleteGroups(groups);
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length) await admin.deleteTopics({ topics });
}

// ---- the run ---------------------------------------------------------------------------------------

const f = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));

function table(report: { pgbench: PgbenchCeiling; kafka: Awaited<ReturnType<typeof kafkaCeiling>>; steps: StepResult[] }): string {
  const lines = [
    '',
    `ceilings: pgbench step txn/s ${f(report.pgbench.stepTxnPerSec, 0)} (with pg_notify ${f(report.pgbench.stepTxnPerSecWithNotify, 0)}), ${report.pgbench.clients} clients, ${report.pgbench.seconds} s`,
    `          Kafka ProducerPerformance ${f(report.kafka.producer.recordsPerSec, 0)} records/s (acks=all, ${report.kafka.recordBytes} B), ConsumerPerformance ${f(report.kafka.consumer.fetchMsgPerSec, 0)} msg/s`,
    '',
    `${'offered/s'.padStart(9)} ${'pay/s'.padStart(7)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)} ${'commits/p'.padStart(9)} ${'msgs/p'.padStart(7)} ${'R'.padStart(6)} ${'busy%'.padStart(6)}  lost/dup/failed`,
  ];
  for (const s of report.steps) {
    lines.push(
      `${f(s.offeredPerSec, 0).padStart(9)} ${f(s.paymentsPerSec).padStart(7)} ${f(s.latencyMs?.p50, 0).padStart(6)} ${f(s.latencyMs?.p95, 0).padStart(6)} ${f(s.latencyMs?.p99, 0).padStart(6)} ${f(s.latencyMs?.max, 0).padStart(6)} ${f(s.commitsPerPayment).padStart(9)} ${f(s.kafkaMessagesPerPayment).padStart(7)} ${f(s.r, 3).padStart(6)} ${f(s.machineBusyPercent, 0).padStart(6)}  ${s.missing}/${s.duplicates}/${s.failed}`,
    );
  }
  lines.push(
    `pay/s: outcomes consumed in the middle ${(STEADY_TO - STEADY_FROM) * 100}% of each step's sending period, per second; latency in ms (published -> outcome consumed)`,
    `R = pay/s x commits per payment (the durable steps) / pgbench step txn/s (${f(report.pgbench.stepTxnPerSec, 0)})`,
  );
  lines.push('', 'CPU-ms per payment by process:');
  const names = Object.keys(report.steps[0]?.cpuMsPerPayment ?? {});
  lines.push(`${''.padStart(28)}${report.steps.map((s) => `${f(s.offeredPerSec, 0)}/s`.padStart(9)).join('')}`);
  for (const name of names) lines.push(`  ${name.padEnd(26)}${report.steps.map((s) => f(s.cpuMsPerPayment[name], 2).padStart(9)).join('')}`);
  lines.push('  (postgres: every postgres process on the machine, other databases\' too; others: the rest of the machine\'s busy time)', '');
  return lines.join('\n');
}

async function main(): Promise<number> {
  // the ACLs granted here are noted under this process and taken away at its end; run from a spec, the Jest run's
  // own list (and the grants of the specs beside it) must stay out of it
  delete process.env[TEST_RUN_ID_ENV];
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const runId = `${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
  say(`${SMOKE ? 'smoke run: ' : ''}rates ${PARAMS.rates.join(', ')}/s for ${PARAMS.secondsPerRate} s each; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  say('ceiling: pgbench step transaction (scratch database)');
  const pgbench = await pgbenchCeiling();
  say(`ceiling: Kafka perf tools (${PARAMS.perfRecords} records)`);
  const kafka = await kafkaCeiling();

  // databases of its own (as a chaos run's stack, the services connect as the superuser): pg_stat_database's
  // commits are then the stack's only, not those of whoever else uses the shared service databases meanwhile
  const dbSuffix = `_${runId}`;
  const scratchDatabases = STACK_SERVICES.flatMap((s): string[] => (SERVICES[s].database ? [`${SERVICES[s].database}${dbSuffix}`] : []));
  const stack = new ServiceStack(uniqueTopicPrefix('bench'), uniqueId('bench_'), { RATE_LIMIT_SCALE: '100' }, {
    databaseUrl: (database) => testDatabaseUrl(`${database}${dbSuffix}`),
    replicas: Object.fromEntries(REPLICATED.map((s) => [s, PARAMS.replicas])),
  });
  const pg = new Client({ connectionString: testDatabaseUrl('postgres') });
  let driver: Driver | undefined;
  let admin: Admin | undefined;
  try {
    await pg.connect();
    for (const database of scratchDatabases) await pg.query(`CREATE DATABASE "${database}"`);
    say(`starting a stack of its own (schema ${stack.schema}, topic prefix ${stack.topicPrefix})`);
    await stack.start();
    for (const [i, merchant] of MERCHANTS.entries()) await stack.onboardMerchant(merchant, DEMO_MERCHANT_TERMS[i]);
    const cards = await tokeniseCards(stack);
    say(`${MERCHANTS.length} merchants onboarded (real time and T+N), ${cards.length} UnionPay card shoppers tokenised`);
    const adminKafka = createKafka({ ...testKafkaSettings(), clientId: 'paystream-bench-offsets', topicPrefix: stack.topicPrefix, partitions: STACK_PARTITIONS }, logger);
    admin = adminKafka.admin();
    await admin.connect();
    const brokerPort = Number(TEST_KAFKA_BROKERS[0]!.split(':').pop());
    const brokerPid = pidListeningOn(execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }), brokerPort);
    if (brokerPid === undefined) say(`no process of this user listens on ${brokerPort}: the broker's CPU is not read`);
    const readings = new Readings(stack, brokerPid, pg, admin);
    driver = await startDriver(stack, runId);
    // the freshly started services warm up (JIT, pools, caches) at the first rate: checked, not reported as a step
    say(`warming up: ${PARAMS.rates[0]}/s for ${PARAMS.warmupSeconds} s`);
    const warmup = await driveRate(driver, readings, PARAMS.rates[0]!, PARAMS.warmupSeconds, 0, runId, cards, pgbench);
    const steps: StepResult[] = [];
    let index = warmup.sent;
    for (const rate of PARAMS.rates) {
      say(`driving ${rate}/s for ${PARAMS.secondsPerRate} s`);
      const step = await driveRate(driver, readings, rate, PARAMS.secondsPerRate, index, runId, cards, pgbench);
      index += step.sent;
      steps.push(step);
      say(`  ${f(step.paymentsPerSec)} payments/s, p99 ${f(step.latencyMs?.p99, 0)} ms, ${step.missing} lost, ${step.duplicates} duplicated, ${step.failed} failed`);
    }
    const report = {
      stamp,
      smoke: SMOKE,
      machine: { cpus: cpus().length, loadAverage: loadavg(), clkTck },
      params: { ...PARAMS, steadyWindow: [STEADY_FROM, STEADY_TO], merchants: MERCHANTS.map((m, i) => ({ merchantId: m, schedule: DEMO_MERCHANT_TERMS[i]!.schedule })), cardShoppers: cards.length, replicas: Object.fromEntries(STACK_SERVICES.map((s) => [s, stack.replicaCount(s)])) },
      pgbench,
      kafka,
      warmup,
      steps,
      definitions: {
        paymentsPerSec: `outcomes consumed between ${STEADY_FROM * 100}% and ${STEADY_TO * 100}% of the step's sending period, per second`,
        latencyMs: 'payment.requested.v1 published by the driver -> its payment.succeeded/failed.v1 consumed by the driver',
        durableStepsPerPayment: 'the measured commits per payment (pg_stat_database.xact_commit of the services\' databases over the step / outcomes)',
        r: 'paymentsPerSec x commitsPerPayment / pgbench.stepTxnPerSec',
        cpuMsPerPayment: 'utime+stime (/proc/<pid>/stat) over the step (sending and draining) / outcomes; postgres is every postgres process of the machine',
      },
    };
    const out = opts.out ?? join(REPO_ROOT, 'bench/results', `${stamp}-bench.json`);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(table(report));
    say(`written ${out}`);
    const bad = [warmup, ...steps].filter((s) => s.missing > 0 || s.duplicates > 0 || s.failed > 0);
    if (bad.length) {
      say(`FAILED: orders lost, duplicated or failed at ${bad.map((s) => `${s.offeredPerSec}/s`).join(', ')} (${JSON.stringify(bad.map((s) => s.failedByCode))}); logs in .run/e2e/${stack.schema}/`);
      return 1;
    }
    return 0;
  } finally {
    await driver?.consumer.disconnect().catch(() => undefined);
    await driver?.producer.disconnect().catch(() => undefined);
    await stack.dispose();
    for (const database of scratchDatabases) await pg.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((e: unknown) => say(`could not drop ${database}: ${String(e)}`));
    await pg.end().catch(() => undefined);
    // the stack's topics and groups go too: the shared broker keeps nothing of a bench run
    if (admin) await removeTopicsAndGroups(admin, stack.topicPrefix).catch((e: unknown) => say(`could not remove the stack's topics: ${String(e)}`));
    await admin?.disconnect().catch(() => undefined);
    await revokeTestAcls().catch((e: unknown) => say(`could not revoke the bench's ACLs: ${String(e)}`));
  }
}

main()
  .then((code) => {
    rmSync(work, { recursive: true, force: true });
    process.exit(code);
  })
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  });
