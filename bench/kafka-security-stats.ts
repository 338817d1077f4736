/**
 * The pure parts of bench/kafka-security.ts: percentiles, CPU readings from /proc and bash `times`, the
 * summaries of Kafka's perf tools, ratios, record sizes. Kept apart so kafka-security-stats.spec.ts can check them.
 */

/** The nearest-rank percentile p (0 < p <= 100) of values (any order; not modified). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], not ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

/** The median of values (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU time of one process so far, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export interface ProcCpu {
  utimeTicks: number;
  stimeTicks: number;
}

/**
 * utime and stime from the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and
 * may hold spaces and parentheses itself, so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcCpu {
  const close = text.lastIndexOf(')');
  const fields = close < 0 ? [] : text.slice(close + 1).trim().split(/\s+/);
  // after the name: state (3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime (14) stime (15)
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  return { utimeTicks: utime, stimeTicks: stime };
}

/** The CPU milliseconds a process spent between two readings, at clkTck ticks per second (getconf CLK_TCK). */
export function cpuMs(before: ProcCpu, after: ProcCpu, clkTck: number): number {
  const ticks = after.utimeTicks + after.stimeTicks - (before.utimeTicks + before.stimeTicks);
  if (ticks < 0) throw new Error('CPU time went backwards: the pid is no longer the process first read');
  return (ticks * 1000) / clkTck;
}

/**
 * The whole machine's busy and total ticks from /proc/stat's first line (user nice system idle iowait irq
 * softirq steal guest guest_nice): busy is all but idle and iowait; guest time is counted in user already.
 */
export function machineBusyTicks(procStat: string): { busy: number; total: number } {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
  return { busy, total: busy + idle! + iowait! };
}

/** The children's user + system CPU milliseconds from bash's `times` builtin (its second line). */
export function parseBashTimes(text: string): number {
  const lines = text.trim().split('\n');
  const children = lines[1]?.match(/^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/);
  if (!children) throw new Error(`not the output of bash times: ${text.slice(0, 80)}`);
  const [, um, us, sm, ss] = children;
  return (Number(um) * 60 + Number(us) + Number(sm) * 60 + Number(ss)) * 1000;
}

/** The summary of org.apache.kafka.tools.ProducerPerformance, with its periodic windows (every 5 s). */
export interface ProducerPerformanceSummary {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  windows: { records: number; recordsPerSec: number }[];
}

const NUMBER = '([\\d.]+)';
const PRODUCER_WINDOW = new RegExp(`^(\\d+) records sent, ${NUMBER} records/sec \\(${NUMBER} MB/sec\\), ${NUMBER} ms avg latency, ${NUMBER} ms max latency\\.$`);
const PRODUCER_SUMMARY = new RegExp(
  `^(\\d+) records sent, ${NUMBER} records/sec \\(${NUMBER} MB/sec\\), ${NUMBER} ms avg latency, ${NUMBER} ms max latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99\\.9th\\.$`,
);

export function parseProducerPerformance(stdout: string): ProducerPerformanceSummary {
  const windows: ProducerPerformanceSummary['windows'] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const summary = line.match(PRODUCER_SUMMARY);
    if (summary) {
      const [records, recordsPerSec, mbPerSec, avgLatencyMs, maxLatencyMs, p50Ms, p95Ms, p99Ms, p999Ms] = summary.slice(1).map(Number) as number[];
      return { records: records!, recordsPerSec: recordsPerSec!, mbPerSec: mbPerSec!, avgLatencyMs: avgLatencyMs!, maxLatencyMs: maxLatencyMs!, p50Ms: p50Ms!, p95Ms: p95Ms!, p99Ms: p99Ms!, p999Ms: p999Ms!, windows };
    }
    const window = line.match(PRODUCER_WINDOW);
    if (window) windows.push({ records: Number(window[1]), recordsPerSec: Number(window[2]) });
  }
  throw new Error(`no ProducerPerformance summary in its output: ${stdout.slice(-300)}`);
}

/** The summary of org.apache.kafka.tools.ConsumerPerformance; fetch.* leaves out the group join (rebalance). */
export interface ConsumerPerformanceSummary {
  messages: number;
  msgPerSec: number;
  rebalanceMs: number;
  fetchMs: number;
  fetchMBPerSec: number;
  fetchMsgPerSec: number;
}

export function parseConsumerPerformance(stdout: string): ConsumerPerformanceSummary {
  const lines = stdout.split('\n').map((l) => l.trim());
  const headerAt = lines.findIndex((l) => l.startsWith('start.time,'));
  const values = headerAt >= 0 ? lines[headerAt + 1]?.split(/,\s*/) : undefined;
  const header = headerAt >= 0 ? lines[headerAt]!.split(/,\s*/) : [];
  if (!values || values.length !== header.length) throw new Error(`no ConsumerPerformance summary in its output: ${stdout.slice(-300)}`);
  const field = (name: string) => {
    const v = Number(values[header.indexOf(name)]);
    if (!Number.isFinite(v)) throw new Error(`ConsumerPerformance summary without ${name}`);
    return v;
  };
  return {
    messages: field('data.consumed.in.nMsg'),
    msgPerSec: field('nMsg.sec'),
    rebalanceMs: field('rebalance.time.ms'),
    fetchMs: field('fetch.time.ms'),
    fetchMBPerSec: field('fetch.MB.sec'),
    fetchMsgPerSec: field('fetch.nMsg.sec'),
  };
}

/** secure / plaintext, or null when either figure is missing or plaintext is 0. */
export function ratio(secure: number | null | undefined, plaintext: number | null | undefined): number | null {
  if (secure === null || secure === undefined || plaintext === null || plaintext === undefined || plaintext === 0) return null;
  return secure / plaintext;
}

/** The bytes a record carries as kafkajs sends it: key, value, and each header's name and value (UTF-8). */
export function recordBytes(message: { key?: string; value: string; headers?: Record<string, string> }): number {
  let bytes = Buffer.byteLength(message.key ?? '') + Buffer.byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** JSON of object with a filler field `_pad` making it exactly `bytes` long (UTF-8); unpadded when it is that long already (or the filler cannot fit). */
export function padJsonTo(object: Record<string, unknown>, bytes: number): string {
  const plain = JSON.stringify(object);
  const overhead = Buffer.byteLength(JSON.stringify({ ...object, _pad: '' }));
  if (Buffer.byteLength(plain) >= bytes || overhead > bytes) return plain;
  return JSON.stringify({ ...object, _pad: 'x'.repeat(bytes - overhead) });
}

/** A count sampled over time (e.g. the records on a topic, from its end offsets). */
export interface CountSample {
  atMs: number;
  count: number;
}

/**
 * Records per second between the first sample at or past `from` and the last one at or below `to` (the
 * samples in time order): the steady part of a run, without a slow start or a tail. Null without two such samples.
 */
export function steadyRate(samples: readonly CountSample[], from: number, to: number): number | null {
  const first = samples.find((s) => s.count >= from);
  const last = [...samples].reverse().find((s) => s.count <= to);
  if (!first || !last || last.atMs <= first.atMs) return null;
  return ((last.count - first.count) * 1000) / (last.atMs - first.atMs);
}

/** How a perf tool logs in to a secure broker: the CA (PEM file) and a principal's SCRAM-SHA-512 password. */
export interface ScramLogin {
  caFile: string;
  principal: string;
  password: string;
}

/**
 * The text of a client property file for Kafka's perf tools: the brokers, for a secure broker (a login given)
 * SASL_SSL with the PEM CA and SCRAM-SHA-512 as the principal, then the extra properties.
 */
export function kafkaClientProperties(brokers: readonly string[], login: ScramLogin | undefined, extra: Record<string, string>): string {
  const lines = [`bootstrap.servers=${brokers.join(',')}`];
  if (login) {
    lines.push(
      'security.protocol=SASL_SSL',
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${login.caFile}`,
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${login.principal}" password="${login.password}";`,
    );
  }
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}=${v}`);
  return `${lines.join('\n')}\n`;
}
