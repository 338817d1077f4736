/**
 * What TLS + SCRAM costs our Kafka traffic (issue 15), in one run on this machine. Starts two brokers of
 * its own with infra/kafka/kafka.sh on free ports and temporary data dirs, one plaintext and one
 * KAFKA_SECURITY=sasl_ssl (SCRAM-SHA-512, the StandardAuthorizer, the ACL plan of tools/kafka-acl applied as
 * the super user under a topic prefix of the bench's own), and measures on each:
 *  - the ceiling: Kafka's own ProducerPerformance (acks=all) and ConsumerPerformance, with records the size
 *    of our events, as the principals the ACLs name (order-payment writes, upstream reads); the producer's
 *    steady rate is read from the broker's side (the topic's end offsets between 20% and 90% of its records),
 *    since a fresh JVM's start-up and JIT warm-up weigh on the tool's own whole-run figure;
 *  - our client as the services use it: EventProducer (createKafka, idempotent, acks -1, one request in
 *    flight) publishing batches of OUTBOX_BATCH_SIZE_MAX one after another like the outbox relay, single-event
 *    publishes (a relay at low load), and an EventConsumer group (as risk) reading everything back;
 *  - the connection cost: a new EventProducer's connect (TCP, TLS handshake, SCRAM, metadata, InitProducerId);
 * with the CPU split by process for each phase (utime+stime from /proc/<pid>/stat of the broker's JVM and
 * of this node process, the perf tool's JVM through bash `times`, the rest of the machine from /proc/stat).
 * Steady state: the brokers and clients are warmed up before anything is timed, and the consumer's first
 * events (group join, first fetches) are left out of its rate. Rounds (--rounds, 3) each get fresh topics
 * and run every phase on both brokers back to back, plaintext first in odd rounds and secure first in even
 * ones, so a change in the shared machine's load favours neither; the ratio of a figure is the median of the
 * rounds' secure/plaintext. Prints a table and writes bench/results/<timestamp>-kafka-security.json. Both
 * brokers are stopped and their directories (secrets included) removed at the end, also on failure or Ctrl-C.
 *
 * Usage: bash bench/kafka-security.sh [options] (fetches the perf tools, builds, runs), or after a build:
 *   node tools/run-dist.js dist/bench/kafka-security.js [--rounds 3] [--perf-records 100000] [--events 20000] ...
 * Needs java, infra/kafka/libs (kafka.sh fetch) and the kafka-tools jar in infra/kafka/tools-libs
 * (KAFKA_TOOLS_LIBS), which the wrapper fetches. LOG_LEVEL=warn shows kafkajs' own logs (on stderr).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Admin } from 'kafkajs';
import { CHANNELS, TOPICS } from '@paystream/contracts';
import { aclPlan, applyAcls, BROKER_PRINCIPAL, createKafka, ensureTopics, eventHeaders, EventConsumer, EventProducer, secureClientConfig, type KafkaSettings, type OutgoingEvent } from '@paystream/shared/kafka';
import { createLogger, MessagingMetrics, Registry } from '@paystream/shared/observability';
import { OUTBOX_BATCH_SIZE_MAX } from '@paystream/shared/outbox';
import { ensureGroupCoordinator } from '../tools/kafka-acl/apply-acls';
import {
  cpuMs,
  kafkaClientProperties,
  machineBusyTicks,
  median,
  padJsonTo,
  parseBashTimes,
  parseConsumerPerformance,
  parseProcStat,
  parseProducerPerformance,
  percentile,
  ratio,
  recordBytes,
  steadyRate,
  type ConsumerPerformanceSummary,
  type CountSample,
  type ProcCpu,
  type ProducerPerformanceSummary,
} from './kafka-security-stats';

const { values: opts } = parseArgs({
  options: {
    'perf-warmup': { type: 'string', default: '30000' },
    rounds: { type: 'string', default: '3' },
    'perf-records': { type: 'string', default: '100000' },
    'warmup-events': { type: 'string', default: '2000' },
    events: { type: 'string', default: '20000' },
    batch: { type: 'string', default: String(OUTBOX_BATCH_SIZE_MAX) },
    singles: { type: 'string', default: '300' },
    connects: { type: 'string', default: '20' },
    partitions: { type: 'string', default: '6' },
  },
});
const count = (name: keyof typeof opts): number => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${opts[name]}`);
  return n;
};
const PARAMS = {
  rounds: count('rounds'),
  perfWarmupRecords: count('perf-warmup'),
  perfRecords: count('perf-records'),
  warmupEvents: count('warmup-events'),
  events: count('events'),
  batch: count('batch'),
  singles: count('singles'),
  singleWarmups: 50,
  connects: count('connects'),
  connectWarmups: 3,
  partitions: count('partitions'),
};

const ROOT = resolve(__dirname, '../..'); // dist/bench/ -> the repository
const KAFKA_SH = join(ROOT, 'infra/kafka/kafka.sh');
const BROKER_LIBS = join(ROOT, 'infra/kafka/libs');
const TOOLS_LIBS = resolve(process.env.KAFKA_TOOLS_LIBS ?? join(ROOT, 'infra/kafka/tools-libs'));
const RESULTS_DIR = join(ROOT, 'bench/results');
/** How long a broker may take to format and start on a loaded machine. */
const BROKER_START_TIMEOUT_S = 120;
/** How long a consumer may take to read everything back before the bench gives up. */
const CONSUME_TIMEOUT_MS = 120_000;
/** The principals the ACL plan lets do what each phase does (tools/kafka-acl/acl-plan.ts). */
const PRODUCER_PRINCIPAL = 'order-payment'; // writes payment.succeeded.v1 and payment.failed.v1
const CONSUMER_PRINCIPAL = 'risk'; // reads payment.succeeded.v1 in its group paystream.risk
const PERF_CONSUMER_PRINCIPAL = 'upstream'; // reads payment.failed.v1 in a group upstream.*
/** Our client's topic, and the perf tools' (kept apart so the EventConsumer reads only real events). */
const CLIENT_TOPIC = TOPICS.paymentSucceeded;
const PERF_TOPIC = TOPICS.paymentFailed;
/** How often the ceiling producer's topic is sampled, and the part of its records counted as its steady rate. */
const SAMPLE_INTERVAL_MS = 200;
const STEADY_FROM = 0.2;
const STEADY_TO = 0.9;
/** Ports below the kernel's ephemeral range, as libs/shared/testing freePort: no outgoing connection takes one first. */
const PORT_MIN = 20_000;
const PORT_MAX = 32_767;

type Mode = 'plaintext' | 'sasl_ssl';
const MODES: Mode[] = ['plaintext', 'sasl_ssl'];

interface Broker {
  mode: Mode;
  env: NodeJS.ProcessEnv;
  brokers: string[];
  dataDir: string;
  secretsDir: string;
  pid: number;
  /** KafkaSettings for a principal (the secure broker) or anyone (plaintext), topics under prefix. */
  settings(principal: string, clientId: string, prefix: string): KafkaSettings;
  /** A client property file for the perf tools as principal. */
  clientProperties(principal: string, extra: Record<string, string>): string;
}

/** Each round's topics and groups are under `${RUN_PREFIX}r<round>.`, with the ACL plan for that prefix. */
const RUN_PREFIX = `bench${Date.now().toString(36)}`;
/** kafkajs' own logs (its retries while a broker starts are expected); failures surface as errors of the bench. */
const logger = createLogger('bench-kafka-security', process.env.LOG_LEVEL ?? 'silent', process.stderr);
/** Clock ticks per second of /proc's CPU times. */
const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
/** The brokers' data and secrets, the perf tools' client files (0600): removed at the end. */
const work = mkdtempSync(join(tmpdir(), 'paystream-kafka-bench-'));
const started: { env: NodeJS.ProcessEnv }[] = [];

// ---- processes -------------------------------------------------------------------------------------

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  fd3: string;
}

/** The commands running now (a perf tool, kafka.sh), ended first when the bench is interrupted. */
const running = new Set<ChildProcess>();

function endGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  } catch {
    // ended already
  }
}

/**
 * Runs a command to its end, collecting its output, and fd 3 when asked (bash `times`). Not for kafka.sh
 * start with fd 3: the broker it leaves running would inherit the pipe, and the run would never close.
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000, withFd3 = false): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    // its own process group, so an interrupted bench can end it with what it started (a tool's JVM under bash)
    const child = spawn(command, args, { env, detached: true, stdio: withFd3 ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const out = { stdout: '', stderr: '', fd3: '' };
    child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
    if (withFd3) (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (out.fd3 += d.toString()));
    const timer = setTimeout(() => endGroup(child), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      running.delete(child);
      clearTimeout(timer);
      resolveRun({ code, ...out });
    });
  });
}

async function freePort(): Promise<number> {
  const bindable = (port: number) =>
    new Promise<number>((resolvePort, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(port)));
    });
  for (let i = 0; i < 50; i++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    try {
      return await bindable(port);
    } catch {
      // taken: another
    }
  }
  throw new Error(`no free port in ${PORT_MIN}-${PORT_MAX}`);
}

function writePrivate(path: string, text: string): string {
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

async function startBroker(mode: Mode): Promise<Broker> {
  const [port, controllerPort] = [await freePort(), await freePort()];
  const dataDir = join(work, `${mode}-data`);
  const secretsDir = join(work, `${mode}-secrets`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_SECURITY: mode,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_SECRETS_DIR: secretsDir,
    KAFKA_PARTITIONS: String(PARAMS.partitions),
    KAFKA_START_TIMEOUT_S: String(BROKER_START_TIMEOUT_S),
  };
  started.push({ env }); // stopped at the end whatever happens next (stop is a no-op without its pid file)
  const ran = await run('bash', [KAFKA_SH, 'start'], env, (BROKER_START_TIMEOUT_S + 60) * 1000);
  if (ran.code !== 0) throw new Error(`the ${mode} broker did not start: ${ran.stderr.slice(-1500)}`);
  const pidFile = join(dataDir, 'kafka.pid');
  // kafka.sh reuses whatever answers on the port: only a broker it started here has this pid file
  if (!existsSync(pidFile)) throw new Error(`the ${mode} broker on ${port} is not one this bench started (${ran.stderr.trim()})`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const brokers = [`127.0.0.1:${port}`];
  const secure = mode === 'sasl_ssl';
  return {
    mode,
    env,
    brokers,
    dataDir,
    secretsDir,
    pid,
    settings(principal, clientId, prefix) {
      const base: KafkaSettings = { brokers, clientId, topicPrefix: prefix, partitions: PARAMS.partitions };
      if (!secure) return base;
      const config = secureClientConfig(brokers, secretsDir, principal);
      return { ...base, ssl: { ca: config.ssl.ca[0]! }, sasl: config.sasl };
    },
    clientProperties(principal, extra) {
      const login = secure ? { caFile: join(secretsDir, 'ca.pem'), principal, password: readFileSync(join(secretsDir, `${principal}.password`), 'utf8').trim() } : undefined;
      return writePrivate(join(work, `${mode}-${principal}-${Object.keys(extra).length}-${randomBytes(3).toString('hex')}.properties`), kafkaClientProperties(brokers, login, extra));
    },
  };
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of running) endGroup(child);
    await Promise.all(started.map(({ env }) => run('bash', [KAFKA_SH, 'stop'], env, 90_000).catch(() => undefined)));
    rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}

// ---- CPU -------------------------------------------------------------------------------------------

interface Snapshot {
  at: number;
  procs: Record<string, ProcCpu>;
  machine: { busy: number; total: number };
}

interface CpuSplit {
  wallMs: number;
  /** The broker under test (its JVM: network, TLS, SASL, log appends, GC). */
  brokerMs: number;
  /** This node process (kafkajs, our producer/consumer, TLS on the client side). */
  nodeMs: number;
  /** The perf tool's JVM, start-up included (ceiling phases only). */
  perfToolMs: number;
  /** The other broker of the bench, idle meanwhile. */
  idleBrokerMs: number;
  /** Everything else on the machine: other helpers, the shared broker, kernel time no process was charged for. */
  othersMs: number;
}

function snapshot(pids: Record<string, number>): Snapshot {
  const procs: Record<string, ProcCpu> = {};
  for (const [name, pid] of Object.entries(pids)) procs[name] = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return { at: performance.now(), procs, machine: machineBusyTicks(readFileSync('/proc/stat', 'utf8')) };
}

function split(before: Snapshot, after: Snapshot, perfToolMs = 0): CpuSplit {
  const of = (name: string) => cpuMs(before.procs[name]!, after.procs[name]!, clkTck);
  const machineMs = ((after.machine.busy - before.machine.busy) * 1000) / clkTck;
  const [brokerMs, nodeMs, idleBrokerMs] = [of('broker'), of('node'), of('idleBroker')];
  return { wallMs: after.at - before.at, brokerMs, nodeMs, perfToolMs, idleBrokerMs, othersMs: Math.max(0, machineMs - brokerMs - nodeMs - perfToolMs - idleBrokerMs) };
}

// ---- the perf tools (the ceiling) ------------------------------------------------------------------

const JVM_LOG4J = writePrivate(
  join(work, 'log4j.properties'),
  'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n\n',
);

/** Runs a Kafka tool class in its own JVM; its CPU comes from bash `times` (user+sys of its children). */
async function kafkaTool(mainClass: string, args: string[]): Promise<{ stdout: string; cpuMs: number }> {
  const classpath = `${TOOLS_LIBS}/*:${BROKER_LIBS}/*`;
  const ran = await run('bash', ['-c', 'java "$@"; rc=$?; times >&3; exit $rc', 'kafka-tool', '-Xms256m', '-Xmx512m', `-Dlog4j.configuration=file:${JVM_LOG4J}`, '-cp', classpath, mainClass, ...args], process.env, 600_000, true);
  if (ran.code !== 0) throw new Error(`${mainClass} failed (${ran.code}): ${ran.stderr.slice(-1500)}${ran.stdout.slice(-500)}`);
  return { stdout: ran.stdout, cpuMs: parseBashTimes(ran.fd3) };
}

async function producerPerformance(broker: Broker, prefix: string, records: number, payloadFile: string): Promise<{ summary: ProducerPerformanceSummary; cpuMs: number }> {
  const config = broker.clientProperties(PRODUCER_PRINCIPAL, { acks: 'all', 'client.id': 'bench-perf-producer' });
  const tool = await kafkaTool('org.apache.kafka.tools.ProducerPerformance', ['--topic', prefix + PERF_TOPIC, '--num-records', String(records), '--throughput', '-1', '--payload-file', payloadFile, '--producer.config', config]);
  return { summary: parseProducerPerformance(tool.stdout), cpuMs: tool.cpuMs };
}

async function consumerPerformance(broker: Broker, prefix: string, messages: number): Promise<{ summary: ConsumerPerformanceSummary; cpuMs: number }> {
  const config = broker.clientProperties(PERF_CONSUMER_PRINCIPAL, { 'client.id': 'bench-perf-consumer' });
  const group = `${prefix}upstream.bench-perf-${randomBytes(3).toString('hex')}`;
  const tool = await kafkaTool('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', broker.brokers.join(','), '--topic', prefix + PERF_TOPIC, '--group', group, '--messages', String(messages), '--timeout', '30000', '--consumer.config', config]);
  const summary = parseConsumerPerformance(tool.stdout);
  if (summary.messages < messages) throw new Error(`ConsumerPerformance read ${summary.messages} of ${messages} records`);
  return { summary, cpuMs: tool.cpuMs };
}

/**
 * The records on a topic (the sum of its partitions' end offsets) every SAMPLE_INTERVAL_MS until stopped:
 * the ceiling producer's steady rate, from the broker's side, without its JVM's start-up and JIT warm-up.
 */
function sampleTopicCount(admin: Admin, topic: string): { stop(): Promise<CountSample[]> } {
  const samples: CountSample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      const offsets = await admin.fetchTopicOffsets(topic);
      samples.push({ atMs: (t + performance.now()) / 2, count: offsets.reduce((n, o) => n + Number(o.high), 0) });
      await new Promise((r) => setTimeout(r, SAMPLE_INTERVAL_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

// ---- our client (kafkajs as the services use it) ---------------------------------------------------

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A payment.succeeded.v1 event as order-payment's outbox relay publishes it (valid for its schema and ce_source). */
function paymentSucceeded(i: number): OutgoingEvent {
  const orderId = `ORD-2026120722-${i.toString().padStart(10, '0')}`;
  return {
    id: randomUUID(),
    topic: CLIENT_TOPIC,
    key: orderId,
    source: '/paystream/order-payment',
    time: new Date().toISOString(),
    traceparent: `00-${hex(16)}-${hex(8)}-01`,
    payload: {
      paymentId: randomUUID(),
      orderId,
      merchantId: `merchant-${(i % 97).toString().padStart(6, '0')}`,
      userId: `shopper-${(i % 5003).toString().padStart(8, '0')}`,
      amountMinor: String(100 + ((i * 7919) % 500_000)),
      currency: 'CNY',
      channel: CHANNELS[i % CHANNELS.length]!,
      channelTradeNo: `2026120722001${(4_000_000_000_000_000 + i).toString()}`,
      succeededAt: new Date().toISOString(),
    },
  };
}

function eventRecordBytes(e: OutgoingEvent): number {
  const headers = Object.fromEntries(Object.entries(eventHeaders(e)).map(([k, v]) => [k, String(v)]));
  return recordBytes({ key: e.key, value: JSON.stringify(e.payload), headers });
}

let eventSeq = 0;
const events = (n: number) => Array.from({ length: n }, () => paymentSucceeded(eventSeq++));
const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** A round's EventProducer on one broker, and what went to the round's topics there. */
interface Client {
  settings: KafkaSettings;
  producer: EventProducer;
  produced: number;
  perfRecords: number;
}

async function publishAll(producer: EventProducer, batches: OutgoingEvent[][], latencies?: number[]): Promise<void> {
  for (const batch of batches) {
    const t0 = performance.now();
    await producer.publish(batch);
    latencies?.push(performance.now() - t0);
  }
}

/** Reads the client topic back in an EventConsumer group (as risk), timing from the warmupMessages-th message to the last. */
async function consumeAll(broker: Broker, prefix: string, total: number, warmupMessages: number, pids: Record<string, number>): Promise<{ eventsPerSec: number; joinMs: number; cpu: CpuSplit }> {
  const settings = broker.settings(CONSUMER_PRINCIPAL, 'bench-risk', prefix);
  const kafka = createKafka(settings, logger);
  let seen = 0;
  let from: Snapshot | undefined;
  let to: Snapshot | undefined;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const consumer = new EventConsumer(kafka, {
    groupId: 'paystream.risk',
    handlers: new Map([
      [
        CLIENT_TOPIC,
        async () => {
          seen += 1;
          if (seen === warmupMessages) from = snapshot(pids);
          if (seen === total) {
            to = snapshot(pids);
            done();
          }
        },
      ],
    ]),
    settings,
    producer: new EventProducer(kafka, settings), // only for dead letters, which valid events never are
    logger,
    metrics: new MessagingMetrics(new Registry()),
  });
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.start();
    const joinMs = performance.now() - t0;
    await Promise.race([finished, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the consumer read ${seen} of ${total} events within ${CONSUME_TIMEOUT_MS} ms`)), CONSUME_TIMEOUT_MS)))]);
    const cpu = split(from!, to!);
    return { eventsPerSec: ((total - warmupMessages) * 1000) / cpu.wallMs, joinMs, cpu };
  } finally {
    clearTimeout(timer);
    await consumer.stop();
  }
}

// ---- the run ---------------------------------------------------------------------------------------

/** What one round measured on one broker. */
interface ModeResult {
  ceilingProduce?: { summary: ProducerPerformanceSummary; steadyPerSec: number | null; cpu: CpuSplit };
  ceilingConsume?: { summary: ConsumerPerformanceSummary; cpu: CpuSplit };
  clientProduce?: { events: number; eventsPerSec: number; batchP50Ms: number; batchP99Ms: number; cpu: CpuSplit };
  clientSingle?: { publishes: number; p50Ms: number; p99Ms: number; cpu: CpuSplit };
  clientConsume?: { events: number; eventsPerSec: number; joinMs: number; cpu: CpuSplit };
  connect?: { connects: number; medianMs: number; p90Ms: number; cpu: CpuSplit };
}
type Round = Record<Mode, ModeResult>;

/** The round's ACLs (secure broker, as the super user) and topics, and the offsets topic, on one broker. */
async function prepareRound(broker: Broker, prefix: string): Promise<void> {
  const settings = broker.settings(BROKER_PRINCIPAL, 'bench-admin', prefix);
  const kafka = createKafka(settings, logger);
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (broker.mode === 'sasl_ssl') await applyAcls(admin, aclPlan(prefix));
    await ensureTopics(kafka, settings, [CLIENT_TOPIC, PERF_TOPIC]);
    await ensureGroupCoordinator(admin);
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  for (const [what, path] of [
    ['infra/kafka/libs (bash infra/kafka/kafka.sh fetch)', join(BROKER_LIBS, '.complete')],
    ['the kafka-tools jar (bash bench/kafka-security.sh fetches it)', TOOLS_LIBS],
  ] as const) {
    if (!existsSync(path) || (path === TOOLS_LIBS && !readdirSync(path).some((f) => f.startsWith('kafka-tools-') && f.endsWith('.jar')))) throw new Error(`missing ${what}: ${path}`);
  }
  const loadBefore = loadavg();
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const say = (line: string) => process.stdout.write(`[kafka-bench] ${line}\n`);
  say(`${cpus().length} cpus, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; starting a plaintext and a sasl_ssl broker under ${work}`);

  const t0 = performance.now();
  const brokerList = await Promise.all(MODES.map((m) => startBroker(m)));
  const brokers = Object.fromEntries(brokerList.map((b) => [b.mode, b])) as Record<Mode, Broker>;
  say(`brokers up in ${((performance.now() - t0) / 1000).toFixed(1)} s (plaintext ${brokers.plaintext.brokers[0]} pid ${brokers.plaintext.pid}, sasl_ssl ${brokers.sasl_ssl.brokers[0]} pid ${brokers.sasl_ssl.pid})`);
  const pidsFor = (mode: Mode) => ({ broker: brokers[mode].pid, idleBroker: brokers[mode === 'plaintext' ? 'sasl_ssl' : 'plaintext'].pid, node: process.pid });

  // records of the same size as our events, for the perf tools: realistic payloads padded to the bytes an event carries
  const sample = events(200);
  const bytesPerRecord = Math.round(sample.reduce((sum, e) => sum + eventRecordBytes(e), 0) / sample.length);
  const payloadFile = join(work, 'payloads.txt');
  writeFileSync(payloadFile, `${sample.map((e) => padJsonTo(e.payload as Record<string, unknown>, bytesPerRecord)).join('\n')}\n`);

  const rounds: Round[] = [];
  for (let r = 1; r <= PARAMS.rounds; r++) {
    const prefix = `${RUN_PREFIX}r${r}.`;
    // alternating order (plaintext first, then secure first, ...) so a drift in the machine's load favours neither
    const order: Mode[] = r % 2 === 1 ? MODES : [...MODES].reverse();
    const round = { plaintext: {}, sasl_ssl: {} } as Round;
    const clients = {} as Record<Mode, Client>;
    const phase = async (name: string, body: (broker: Broker, pids: Record<string, number>, client: Client) => Promise<void>) => {
      const took: string[] = [];
      for (const mode of order) {
        const t = performance.now();
        await body(brokers[mode], pidsFor(mode), clients[mode]);
        took.push(`${mode} ${((performance.now() - t) / 1000).toFixed(1)} s`);
      }
      say(`round ${r}/${PARAMS.rounds} ${name}: ${took.join(', ')}`);
    };

    for (const broker of brokerList) await prepareRound(broker, prefix);
    // warm-up, not timed: the broker's JIT and page cache, our client's code and TLS; the first round warms up
    // the perf tools' path and the connections as well. The consumer later skips these events' share.
    await phase('warm-up', async (broker) => {
      let perfRecords = 0;
      if (r === 1) {
        await producerPerformance(broker, prefix, PARAMS.perfWarmupRecords, payloadFile);
        perfRecords = PARAMS.perfWarmupRecords;
      }
      const settings = broker.settings(PRODUCER_PRINCIPAL, 'bench-order-payment', prefix);
      const producer = new EventProducer(createKafka(settings, logger), settings);
      await producer.connect();
      await publishAll(producer, chunks(events(PARAMS.warmupEvents), PARAMS.batch));
      await publishAll(producer, chunks(events(PARAMS.singleWarmups), 1));
      clients[broker.mode] = { settings, producer, produced: PARAMS.warmupEvents + PARAMS.singleWarmups, perfRecords };
      if (r === 1) {
        for (let i = 0; i < PARAMS.connectWarmups; i++) {
          const p = new EventProducer(createKafka({ ...settings, clientId: `bench-connect-warmup-${i}` }, logger), settings);
          await p.connect();
          await p.disconnect();
        }
      }
    });

    await phase('ceiling: ProducerPerformance', async (broker, pids, client) => {
      const admin = createKafka(broker.settings(BROKER_PRINCIPAL, 'bench-sampler', prefix), logger).admin();
      await admin.connect();
      try {
        const sampler = sampleTopicCount(admin, prefix + PERF_TOPIC);
        const before = snapshot(pids);
        const { summary, cpuMs: toolMs } = await producerPerformance(broker, prefix, PARAMS.perfRecords, payloadFile);
        const cpu = split(before, snapshot(pids), toolMs);
        const samples = (await sampler.stop()).map((x) => ({ atMs: x.atMs, count: x.count - client.perfRecords }));
        const steadyPerSec = steadyRate(samples, STEADY_FROM * PARAMS.perfRecords, STEADY_TO * PARAMS.perfRecords);
        round[broker.mode].ceilingProduce = { summary, steadyPerSec, cpu };
        client.perfRecords += PARAMS.perfRecords;
      } finally {
        await admin.disconnect();
      }
    });

    await phase('ceiling: ConsumerPerformance', async (broker, pids, client) => {
      const before = snapshot(pids);
      const { summary, cpuMs: toolMs } = await consumerPerformance(broker, prefix, client.perfRecords);
      round[broker.mode].ceilingConsume = { summary, cpu: split(before, snapshot(pids), toolMs) };
    });

    await phase(`EventProducer, batches of ${PARAMS.batch}`, async (broker, pids, client) => {
      const batches = chunks(events(PARAMS.events), PARAMS.batch); // made before timing: the relay reads them from its table
      const latencies: number[] = [];
      const before = snapshot(pids);
      await publishAll(client.producer, batches, latencies);
      const cpu = split(before, snapshot(pids));
      client.produced += PARAMS.events;
      round[broker.mode].clientProduce = { events: PARAMS.events, eventsPerSec: (PARAMS.events * 1000) / cpu.wallMs, batchP50Ms: percentile(latencies, 50), batchP99Ms: percentile(latencies, 99), cpu };
    });

    await phase('EventProducer, one event per publish', async (broker, pids, client) => {
      const batches = chunks(events(PARAMS.singles), 1);
      const latencies: number[] = [];
      const before = snapshot(pids);
      await publishAll(client.producer, batches, latencies);
      const cpu = split(before, snapshot(pids));
      client.produced += PARAMS.singles;
      round[broker.mode].clientSingle = { publishes: PARAMS.singles, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpu };
      await client.producer.disconnect();
    });

    await phase('EventConsumer group', async (broker, pids, client) => {
      // the first warmupEvents read (group join, first fetches, JIT) are not timed
      const consumed = await consumeAll(broker, prefix, client.produced, PARAMS.warmupEvents, pids);
      round[broker.mode].clientConsume = { events: client.produced - PARAMS.warmupEvents, ...consumed };
    });

    await phase('connect a new producer', async (broker, pids, client) => {
      const times: number[] = [];
      const before = snapshot(pids);
      for (let i = 0; i < PARAMS.connects; i++) {
        const producer = new EventProducer(createKafka({ ...client.settings, clientId: `bench-connect-${i}` }, logger), client.settings);
        const t = performance.now();
        await producer.connect();
        times.push(performance.now() - t);
        await producer.disconnect();
      }
      round[broker.mode].connect = { connects: PARAMS.connects, medianMs: percentile(times, 50), p90Ms: percentile(times, 90), cpu: split(before, snapshot(pids)) };
    });
    rounds.push(round);
  }

  const report = buildReport(rounds, bytesPerRecord);
  printReport(report, loadBefore);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${stamp}-kafka-security.json`);
  const javaVersion = (await run('java', ['-version'])).stderr.split('\n')[0];
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadBefore, loadAfter: loadavg(), node: process.version, java: javaVersion, kafka: readdirSync(BROKER_LIBS).find((f) => f.startsWith('kafka-clients-'))?.replace(/\.jar$/, '') };
  writeFileSync(file, `${JSON.stringify({ machine, params: { ...PARAMS, bytesPerRecord }, ...report, rounds }, null, 2)}\n`);
  say(`written ${file}`);
}

// ---- the report ------------------------------------------------------------------------------------

interface Figure {
  figure: string;
  unit: string;
  /** Medians over the rounds. */
  plaintext: number | null;
  secure: number | null;
  /** The median of each round's secure / plaintext (the two measured minutes apart), and its spread over the rounds. */
  ratio: number | null;
  ratioMin: number | null;
  ratioMax: number | null;
  perRound: { plaintext: number | null; secure: number | null }[];
}

const perItemUs = (ms: number, items: number) => (ms * 1000) / items;
const medianOrNull = (values: (number | null)[]) => {
  const present = values.filter((v): v is number => v !== null);
  return present.length > 0 ? median(present) : null;
};

const FIGURES: [string, string, (r: ModeResult) => number | undefined][] = [
  [`ceiling produce, steady (${STEADY_FROM * 100}-${STEADY_TO * 100}% of records)`, 'records/s', (r) => r.ceilingProduce?.steadyPerSec ?? undefined],
  ['ceiling produce, the tool\'s whole run', 'records/s', (r) => r.ceilingProduce?.summary.recordsPerSec],
  ['ceiling produce, the tool\'s whole run', 'MB/s', (r) => r.ceilingProduce?.summary.mbPerSec],
  ['ceiling produce latency p50 (saturated)', 'ms', (r) => r.ceilingProduce?.summary.p50Ms],
  ['ceiling produce latency p99 (saturated)', 'ms', (r) => r.ceilingProduce?.summary.p99Ms],
  ['ceiling produce: broker CPU per record', 'µs', (r) => r.ceilingProduce && perItemUs(r.ceilingProduce.cpu.brokerMs, r.ceilingProduce.summary.records)],
  ['ceiling produce: tool JVM CPU per record', 'µs', (r) => r.ceilingProduce && perItemUs(r.ceilingProduce.cpu.perfToolMs, r.ceilingProduce.summary.records)],
  ['ceiling consume (ConsumerPerformance fetch)', 'records/s', (r) => r.ceilingConsume?.summary.fetchMsgPerSec],
  ['ceiling consume: broker CPU per record', 'µs', (r) => r.ceilingConsume && perItemUs(r.ceilingConsume.cpu.brokerMs, r.ceilingConsume.summary.messages)],
  ['ceiling consume: tool JVM CPU per record', 'µs', (r) => r.ceilingConsume && perItemUs(r.ceilingConsume.cpu.perfToolMs, r.ceilingConsume.summary.messages)],
  ['EventProducer, relay-size batches', 'events/s', (r) => r.clientProduce?.eventsPerSec],
  ['EventProducer batch publish p50', 'ms', (r) => r.clientProduce?.batchP50Ms],
  ['EventProducer batch publish p99', 'ms', (r) => r.clientProduce?.batchP99Ms],
  ['EventProducer: broker CPU per event', 'µs', (r) => r.clientProduce && perItemUs(r.clientProduce.cpu.brokerMs, r.clientProduce.events)],
  ['EventProducer: node CPU per event', 'µs', (r) => r.clientProduce && perItemUs(r.clientProduce.cpu.nodeMs, r.clientProduce.events)],
  ['EventProducer / ceiling produce (steady)', 'x', (r) => r.clientProduce && r.ceilingProduce && r.clientProduce.eventsPerSec / (r.ceilingProduce.steadyPerSec ?? r.ceilingProduce.summary.recordsPerSec)],
  ['one-event publish p50', 'ms', (r) => r.clientSingle?.p50Ms],
  ['one-event publish p99', 'ms', (r) => r.clientSingle?.p99Ms],
  ['EventConsumer group (no-op handler)', 'events/s', (r) => r.clientConsume?.eventsPerSec],
  ['EventConsumer: broker CPU per event', 'µs', (r) => r.clientConsume && perItemUs(r.clientConsume.cpu.brokerMs, r.clientConsume.events)],
  ['EventConsumer: node CPU per event', 'µs', (r) => r.clientConsume && perItemUs(r.clientConsume.cpu.nodeMs, r.clientConsume.events)],
  ['EventConsumer / ceiling consume', 'x', (r) => r.clientConsume && r.ceilingConsume && r.clientConsume.eventsPerSec / r.ceilingConsume.summary.fetchMsgPerSec],
  ['EventConsumer start (connect + join)', 'ms', (r) => r.clientConsume?.joinMs],
  ['new producer connect, median', 'ms', (r) => r.connect?.medianMs],
  ['new producer connect, p90', 'ms', (r) => r.connect?.p90Ms],
  ['connect: node CPU per connect', 'ms', (r) => r.connect && r.connect.cpu.nodeMs / r.connect.connects],
  ['connect: broker CPU per connect', 'ms', (r) => r.connect && r.connect.cpu.brokerMs / r.connect.connects],
];

const PHASES: [string, (r: ModeResult) => CpuSplit | undefined][] = [
  ['ceiling produce', (r) => r.ceilingProduce?.cpu],
  ['ceiling consume', (r) => r.ceilingConsume?.cpu],
  ['EventProducer batches', (r) => r.clientProduce?.cpu],
  ['one-event publishes', (r) => r.clientSingle?.cpu],
  ['EventConsumer', (r) => r.clientConsume?.cpu],
  ['connects', (r) => r.connect?.cpu],
];

function buildReport(rounds: Round[], bytesPerRecord: number): { bytesPerRecord: number; figures: Figure[]; cpu: Record<string, Record<Mode, CpuSplit>> } {
  const figures = FIGURES.map(([figure, unit, pick]): Figure => {
    const perRound = rounds.map((round) => ({ plaintext: pick(round.plaintext) ?? null, secure: pick(round.sasl_ssl) ?? null }));
    const ratios = perRound.map((v) => ratio(v.secure, v.plaintext)).filter((v): v is number => v !== null);
    return {
      figure,
      unit,
      plaintext: medianOrNull(perRound.map((v) => v.plaintext)),
      secure: medianOrNull(perRound.map((v) => v.secure)),
      ratio: ratios.length > 0 ? median(ratios) : null,
      ratioMin: ratios.length > 0 ? Math.min(...ratios) : null,
      ratioMax: ratios.length > 0 ? Math.max(...ratios) : null,
      perRound,
    };
  });
  // the CPU split of each phase, summed over the rounds
  const zero = (): CpuSplit => ({ wallMs: 0, brokerMs: 0, nodeMs: 0, perfToolMs: 0, idleBrokerMs: 0, othersMs: 0 });
  const cpu: Record<string, Record<Mode, CpuSplit>> = {};
  for (const [name, pick] of PHASES) {
    cpu[name] = { plaintext: zero(), sasl_ssl: zero() };
    for (const round of rounds) {
      for (const mode of MODES) {
        const c = pick(round[mode]);
        if (!c) continue;
        for (const k of Object.keys(c) as (keyof CpuSplit)[]) cpu[name]![mode][k] += c[k];
      }
    }
  }
  return { bytesPerRecord, figures, cpu };
}

function fmt(v: number | null, digits?: number): string {
  if (v === null) return '-';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function printReport(report: ReturnType<typeof buildReport>, loadBefore: number[]): void {
  const out: string[] = [];
  out.push(
    '',
    `Kafka plaintext vs SASL_SSL (TLS + SCRAM-SHA-512 + ACLs) on this machine (${cpus().length} cpus, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')} -> ${loadavg().map((l) => l.toFixed(2)).join(' ')})`,
    `${PARAMS.rounds} round(s), medians; records of ${report.bytesPerRecord} bytes (key + JSON value + CloudEvents headers); ratio: median of the rounds' sasl_ssl / plaintext [min-max]`,
    '',
    `${'figure'.padEnd(48)} ${'unit'.padEnd(10)} ${'plaintext'.padStart(10)} ${'sasl_ssl'.padStart(10)} ${'ssl/plain'.padStart(10)}  spread`,
  );
  for (const f of report.figures) {
    const spread = PARAMS.rounds > 1 ? ` [${fmt(f.ratioMin, 2)}-${fmt(f.ratioMax, 2)}]` : '';
    out.push(`${f.figure.padEnd(48)} ${f.unit.padEnd(10)} ${fmt(f.plaintext).padStart(10)} ${fmt(f.secure).padStart(10)} ${fmt(f.ratio, 2).padStart(10)} ${spread}`);
  }
  out.push('', 'CPU seconds by process per phase (all rounds): the broker under test, this node process, the perf tool JVM, the idle bench broker, the rest of the machine; wall seconds');
  for (const [name, modes] of Object.entries(report.cpu)) {
    for (const mode of MODES) {
      const c = modes[mode];
      const s = (ms: number) => (ms / 1000).toFixed(2).padStart(6);
      out.push(`${name.padEnd(22)} ${mode.padEnd(9)} broker ${s(c.brokerMs)}  node ${s(c.nodeMs)}  tool ${s(c.perfToolMs)}  idle ${s(c.idleBrokerMs)}  others ${s(c.othersMs)}  wall ${s(c.wallMs)}  (others: ${(c.othersMs / Math.max(1, c.wallMs)).toFixed(2)} cores)`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n\n`);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write(`[kafka-bench] ${signal}: stopping the bench's brokers\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .catch((error: unknown) => {
    if (!interrupted) process.stderr.write(`[kafka-bench] failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup(); // the same clean-up an interruption started, if one did
    // kafkajs may keep timers of clients given up on: the brokers are gone, so leave now
    process.exit(interrupted ? 130 : (process.exitCode ?? 0));
  });
