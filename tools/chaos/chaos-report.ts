/** The chaos run's report: what was injected, what the traffic saw, how fast the stack recovered, the verdict. Pure. */
import type { FaultEvent, FaultKind } from './fault-schedule';

/** A fault as it was carried out: when its heal finished, and when the stack looked well again after it. */
export interface InjectedFault {
  event: FaultEvent;
  /** Wall clock (ms since epoch) when the fault was injected, and when it was healed (restart done, SIGCONT sent, faults cleared). */
  injectedAtMs: number;
  healedAtMs?: number;
  /** From the heal to every replica answering /health (ms). */
  healthyAfterMs?: number;
  /** Skipped, with the reason (e.g. the emulator cannot take faults). */
  skipped?: string;
  error?: string;
}

export interface RecoveryStats {
  count: number;
  /** Heal -> all health checks OK (ms): median and max. */
  healthyP50Ms: number | null;
  healthyMaxMs: number | null;
  /** Heal -> the first payment outcome after it (ms): median and max. */
  firstOutcomeP50Ms: number | null;
  firstOutcomeMaxMs: number | null;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]! : null);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);

/** Faults carried out (not skipped) per kind. */
export function faultCounts(faults: readonly InjectedFault[]): Partial<Record<FaultKind, number>> {
  const out: Partial<Record<FaultKind, number>> = {};
  for (const f of faults) if (!f.skipped) out[f.event.kind] = (out[f.event.kind] ?? 0) + 1;
  return out;
}

/**
 * Recovery per fault kind: from each heal to all health checks OK, and to the first payment outcome seen
 * after the heal (`outcomeTimesMs`: when each outcome was seen, any order).
 */
export function recoveryByKind(faults: readonly InjectedFault[], outcomeTimesMs: readonly number[]): Partial<Record<FaultKind, RecoveryStats>> {
  const sorted = [...outcomeTimesMs].sort((a, b) => a - b);
  const firstAfter = (t: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length ? sorted[lo]! - t : undefined;
  };
  const by = new Map<FaultKind, { healthy: number[]; first: number[]; count: number }>();
  for (const f of faults) {
    if (f.skipped || f.healedAtMs === undefined || f.event.atMs === f.event.endMs) continue;
    const s = by.get(f.event.kind) ?? { healthy: [], first: [], count: 0 };
    s.count++;
    if (f.healthyAfterMs !== undefined) s.healthy.push(f.healthyAfterMs);
    const first = firstAfter(f.healedAtMs);
    if (first !== undefined) s.first.push(first);
    by.set(f.event.kind, s);
  }
  return Object.fromEntries(
    [...by].map(([kind, s]) => [kind, { count: s.count, healthyP50Ms: median(s.healthy), healthyMaxMs: max(s.healthy), firstOutcomeP50Ms: median(s.first), firstOutcomeMaxMs: max(s.first) }]),
  );
}

export interface ChaosReport {
  seed: number;
  minutes: number;
  replicas: number;
  brokers: number;
  reproduce: string;
  faults: Partial<Record<FaultKind, number>>;
  faultsSkipped: { kind: FaultKind; reason: string }[];
  faultErrors: { fault: string; error: string }[];
  orders: { requested: number; viaHttp: number; succeeded: number; failed: number; noOutcome: number; heldForReview: number; failedByCode: Record<string, number>; httpUnanswered: number; httpRefused: number; noOutcomeByStatus: Record<string, number> };
  refunds: { requested: number; succeeded: number; failed: number; refused: number; noOutcome: number };
  settlementRuns: { asked: number; answered: number };
  payouts: { completed: number | null; due: number | null };
  clientFaultFindings: string[];
  deliberateDeadLetters: number;
  recovery: Partial<Record<FaultKind, RecoveryStats>>;
  drain: { seconds: number; lagZero: boolean; outboxEmpty: boolean; allOutcomes: boolean };
  verdict: { line: string; exitCode: number };
  logs: string;
}

/** The report as lines for stdout. */
export function reportLines(r: ChaosReport): string[] {
  const kv = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  const ms = (x: number | null) => (x === null ? 'n/a' : `${(x / 1000).toFixed(1)}s`);
  return [
    '',
    `Chaos report (seed ${r.seed}, ${r.minutes} min, ${r.replicas} replicas, ${r.brokers} broker${r.brokers > 1 ? 's' : ''})`,
    `  faults injected      ${kv(r.faults)}`,
    ...(r.faultsSkipped.length ? [`  faults skipped       ${r.faultsSkipped.length}: ${[...new Set(r.faultsSkipped.map((s) => `${s.kind} (${s.reason})`))].join(', ')}`] : []),
    ...r.faultErrors.map((e) => `  fault error          ${e.fault}: ${e.error}`),
    `  orders               ${r.orders.requested} requested (${r.orders.viaHttp} over HTTP): ${r.orders.succeeded} succeeded, ${r.orders.failed} failed, ${r.orders.heldForReview} held for review, ${r.orders.noOutcome} no outcome${r.orders.httpUnanswered ? `, ${r.orders.httpUnanswered} HTTP requests never answered` : ''}${r.orders.httpRefused ? `, ${r.orders.httpRefused} HTTP requests refused (4xx)` : ''}`,
    ...(r.orders.noOutcome ? [`  no outcome, by state ${kv(r.orders.noOutcomeByStatus)}  (NO_PAYMENT: order-payment never recorded the order)`] : []),
    `  failed by code       ${kv(r.orders.failedByCode)}`,
    `  refunds              ${r.refunds.requested} requested: ${r.refunds.succeeded} succeeded, ${r.refunds.failed} failed, ${r.refunds.refused} refused, ${r.refunds.noOutcome} no outcome`,
    `  settlement runs      ${r.settlementRuns.asked} asked, ${r.settlementRuns.answered} answered; payouts ${r.payouts.completed ?? 'n/a'} completed of ${r.payouts.due ?? 'n/a'} due`,
    `  client faults        ${r.clientFaultFindings.length ? r.clientFaultFindings.join('; ') : 'no finding'}`,
    `  dead letters planted ${r.deliberateDeadLetters}`,
    ...Object.entries(r.recovery).map(([k, s]) => `  recovery ${k.padEnd(14)} x${s.count}: healthy p50 ${ms(s.healthyP50Ms)} max ${ms(s.healthyMaxMs)}; first outcome p50 ${ms(s.firstOutcomeP50Ms)} max ${ms(s.firstOutcomeMaxMs)}`),
    `  drain                ${r.drain.seconds.toFixed(0)}s: lag 0 ${r.drain.lagZero}, outbox empty ${r.drain.outboxEmpty}, every order an outcome ${r.drain.allOutcomes}`,
    `  verdict              ${r.verdict.line}`,
    `  logs                 ${r.logs}`,
    `  reproduce            ${r.reproduce}`,
    '',
  ];
}
