/**
 * The pure parts of bench/bench.ts (npm run bench): the steady window and its rate, the ratio R, CPU of a
 * set of processes between two /proc readings, per-payment figures, pgbench's summary and the pid on a port.
 * /proc/<pid>/stat parsing, percentiles and the Kafka perf tools' summaries are kafka-security-stats'.
 */
import { cpuMs, type ProcCpu } from './kafka-security-stats';

/** A span of time (performance.now() milliseconds), from inclusive, to exclusive. */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/**
 * The middle of a sending period, between the fractions `from` and `to` of it (e.g. 0.25-0.75): the
 * stack's start-up of a step (warming caches, the first rebalance's effects) and its drain are left out.
 */
export function middleWindow(startMs: number, endMs: number, from: number, to: number): TimeWindow {
  if (!(endMs > startMs)) throw new Error(`the sending period must end after it starts (${startMs}..${endMs})`);
  if (!(from >= 0 && to <= 1 && to > from)) throw new Error(`the window must be 0 <= from < to <= 1, not ${from}..${to}`);
  const span = endMs - startMs;
  return { fromMs: startMs + span * from, toMs: startMs + span * to };
}

/** Events per second with their time inside the window: what completed there, whenever it was sent. */
export function ratePerSecondIn(times: readonly number[], window: TimeWindow): number {
  const n = times.filter((t) => t >= window.fromMs && t < window.toMs).length;
  return (n * 1000) / (window.toMs - window.fromMs);
}

/**
 * R = payments/s x durable steps per payment / pgbench step txn/s: the share of what the database can commit
 * (as one inbox + state + outbox transaction) that the stack's payments use. Null when a figure is missing.
 */
export function ratioR(paymentsPerSec: number | null, stepsPerPayment: number | null, stepTxnPerSec: number | null): number | null {
  if (paymentsPerSec === null || stepsPerPayment === null || stepTxnPerSec === null || !(stepTxnPerSec > 0)) return null;
  return (paymentsPerSec * stepsPerPayment) / stepTxnPerSec;
}

/**
 * The CPU milliseconds a set of processes (by pid) spent between two readings: a process seen in both by
 * its delta, one new in the second from zero (it started in between). A process gone by the second reading
 * is counted in `exited`: what it spent since the first is not seen (a Postgres backend that ended).
 */
export function groupCpuMs(before: ReadonlyMap<number, ProcCpu>, after: ReadonlyMap<number, ProcCpu>, clkTck: number): { ms: number; processes: number; exited: number } {
  let ms = 0;
  for (const [pid, now] of after) ms += cpuMs(before.get(pid) ?? { utimeTicks: 0, stimeTicks: 0 }, now, clkTck);
  const exited = [...before.keys()].filter((pid) => !after.has(pid)).length;
  return { ms, processes: after.size, exited };
}

/** total / payments, or null without payments. */
export function perPayment(total: number, payments: number): number | null {
  return payments > 0 ? total / payments : null;
}

/** The transactions per second of a pgbench run, without its connections' set-up (the old and the new wording). */
export function parsePgbenchTps(stdout: string): number {
  const without = /^tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)$/m.exec(stdout);
  if (!without) throw new Error(`no tps in pgbench's output: ${stdout.slice(-300)}`);
  return Number(without[1]);
}

/** The pid of the process listening on a TCP port, from `ss -Hltnp` (only the user's own processes show a pid). */
export function pidListeningOn(ssOutput: string, port: number): number | undefined {
  for (const line of ssOutput.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[3];
    if (!local || !local.endsWith(`:${port}`)) continue;
    const pid = /pid=(\d+)/.exec(line);
    if (pid) return Number(pid[1]);
  }
  return undefined;
}
