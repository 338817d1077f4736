/**
 * The chaos run's fault schedule, drawn from its seed: which process is killed or paused when and for
 * how long, when the channel emulator misbehaves and how, and when a client sends the same thing twice.
 * Pure: the same seed and options give the same schedule, so a failing run is reproduced by its seed.
 */

/** The services the chaos stack runs as replicas (the emulator is the outside world, ops only watches). */
export const REPLICATED_SERVICES = ['order-payment', 'risk', 'channel-gateway', 'settlement'] as const;
export type ReplicatedService = (typeof REPLICATED_SERVICES)[number];

/** Faults that stop or break a process: at most one of these at a time. */
export const PROCESS_FAULT_KINDS = ['replica-kill', 'replica-pause', 'broker-kill', 'broker-pause', 'postgres-kill', 'postgres-cut'] as const;
export type ProcessFaultKind = (typeof PROCESS_FAULT_KINDS)[number];
/** Misbehaviour of a client: the same payment request twice at once, the same order published twice. */
export const CLIENT_FAULT_KINDS = ['concurrent-idempotent-payment', 'duplicate-order-event'] as const;
export type ClientFaultKind = (typeof CLIENT_FAULT_KINDS)[number];
export type FaultKind = ProcessFaultKind | 'emulator-faults' | ClientFaultKind;

/** The emulator's fault kinds (PUT /sandbox/faults, the shared contract). */
export const EMULATOR_FAULT_KINDS = ['slow', 'http-5xx', 'timeout-after-acting', 'drop-notifications', 'duplicate-notifications', 'reorder-notifications', 'replay-old-notification'] as const;
export type EmulatorFaultKind = (typeof EMULATOR_FAULT_KINDS)[number];
export const EMULATOR_CHANNEL_TARGETS = ['alipay', 'wechatpay', 'unionpay'] as const;
export type EmulatorTarget = (typeof EMULATOR_CHANNEL_TARGETS)[number] | 'bank';

export interface EmulatorFault {
  kind: EmulatorFaultKind;
  targets: EmulatorTarget[];
  probability: number;
  delayMs?: number;
  hangMs?: number;
}

interface Timed {
  /** Milliseconds after the traffic started. */
  atMs: number;
  /** When the schedule has it healed (atMs for an instant fault). */
  endMs: number;
}

export type FaultEvent = Timed &
  (
    | { kind: 'replica-kill'; service: ReplicatedService; replica: number; restartAfterMs: number }
    | { kind: 'replica-pause'; service: ReplicatedService; replica: number; durationMs: number }
    | { kind: 'broker-kill'; broker: number; restartAfterMs: number }
    | { kind: 'broker-pause'; broker: number; durationMs: number }
    | { kind: 'postgres-kill'; restartAfterMs: number }
    | { kind: 'postgres-cut' }
    | { kind: 'emulator-faults'; durationMs: number; seed: number; faults: EmulatorFault[] }
    | { kind: 'concurrent-idempotent-payment' }
    | { kind: 'duplicate-order-event' }
  );

export interface ScheduleOptions {
  replicas: number;
  brokers: number;
  /** Emulator fault windows (PUT /sandbox/faults); off when the emulator cannot take them. */
  emulatorFaults?: boolean;
  clientFaults?: boolean;
}

/** The share of the run at its end with no fault, so the stack is seen working again before the drain. */
export const FAULT_FREE_TAIL_SHARE = 0.2;
/** No fault in the first seconds: the traffic and the consumer groups settle first. */
export const FAULT_WARMUP_MS = 5_000;
/** Pause between one process fault's planned end and the next one's start (the stack recovers in between). */
export const PROCESS_FAULT_GAP_MS_MIN = 3_000;
export const PROCESS_FAULT_GAP_MS_MAX = 10_000;
/** A replica killed is restarted after this long (as a supervisor would), in ms. */
export const REPLICA_RESTART_AFTER_MS = [1_000, 5_000] as const;
export const REPLICA_PAUSE_MS = [2_000, 15_000] as const;
export const BROKER_RESTART_AFTER_MS = [1_000, 5_000] as const;
export const BROKER_PAUSE_MS = [5_000, 30_000] as const;
export const POSTGRES_RESTART_AFTER_MS = [1_000, 5_000] as const;
export const EMULATOR_WINDOW_MS = [5_000, 20_000] as const;
export const EMULATOR_WINDOW_GAP_MS = [2_000, 10_000] as const;
/** How long a timeout-after-acting answer hangs: beyond the gateway's charge timeout. */
export const EMULATOR_HANG_MS = 15_000;
/** Client faults: one every this many ms on average. */
export const CLIENT_FAULT_INTERVAL_MS = [3_000, 12_000] as const;

/** Relative odds of each process fault (replicas die most often; the shared infrastructure less). */
const PROCESS_FAULT_WEIGHTS: Readonly<Record<ProcessFaultKind, number>> = {
  'replica-kill': 4,
  'replica-pause': 3,
  'broker-kill': 2,
  'broker-pause': 2,
  'postgres-kill': 2,
  'postgres-cut': 2,
};

/** A small seeded PRNG (mulberry32): the same seed, the same draws, on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed of its own for one use of the run seed (the emulator's, the traffic's), so they do not share draws. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

type Rng = () => number;
const between = (rng: Rng, [lo, hi]: readonly [number, number]) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
function weighted<K extends string>(rng: Rng, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  let r = rng() * entries.reduce((a, [, w]) => a + w, 0);
  for (const [k, w] of entries) {
    if ((r -= w) < 0) return k;
  }
  return entries[entries.length - 1]![0];
}
function subset<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = xs.filter(() => rng() < 0.5);
  return out.length ? out : [pick(rng, xs)];
}

/** When faults must have ended: the last FAULT_FREE_TAIL_SHARE of the run is fault-free. */
export function faultWindowEndMs(minutes: number): number {
  return Math.floor(minutes * 60_000 * (1 - FAULT_FREE_TAIL_SHARE));
}

/** The run's faults in time order (ties broken by kind): see the module comment. */
export function planFaults(seed: number, minutes: number, options: ScheduleOptions): FaultEvent[] {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  if (!(minutes > 0)) throw new RangeError(`minutes must be positive, got ${minutes}`);
  const end = faultWindowEndMs(minutes);
  const events: FaultEvent[] = [...processFaults(seededRandom(deriveSeed(seed, 'process')), end, options)];
  if (options.emulatorFaults !== false) events.push(...emulatorWindows(seededRandom(deriveSeed(seed, 'emulator')), seed, end));
  if (options.clientFaults !== false) events.push(...clientFaults(seededRandom(deriveSeed(seed, 'client')), end));
  return events.sort((a, b) => a.atMs - b.atMs || a.kind.localeCompare(b.kind));
}

function processFaults(rng: Rng, end: number, options: ScheduleOptions): FaultEvent[] {
  const out: FaultEvent[] = [];
  let t = FAULT_WARMUP_MS + between(rng, [0, PROCESS_FAULT_GAP_MS_MIN]);
  for (;;) {
    const kind = weighted(rng, PROCESS_FAULT_WEIGHTS);
    const e = processFault(rng, kind, t, options);
    if (e.endMs > end) {
      // a long fault that does not fit any more: try once more with a short one, then stop
      const short = processFault(rng, 'replica-kill', t, options);
      if (short.endMs <= end) out.push(short);
      return out;
    }
    out.push(e);
    t = e.endMs + between(rng, [PROCESS_FAULT_GAP_MS_MIN, PROCESS_FAULT_GAP_MS_MAX]);
  }
}

function processFault(rng: Rng, kind: ProcessFaultKind, atMs: number, { replicas, brokers }: ScheduleOptions): FaultEvent {
  const replica = () => ({ service: pick(rng, REPLICATED_SERVICES), replica: Math.floor(rng() * replicas) });
  const broker = () => 1 + Math.floor(rng() * brokers);
  switch (kind) {
    case 'replica-kill': {
      const restartAfterMs = between(rng, REPLICA_RESTART_AFTER_MS);
      return { kind, atMs, endMs: atMs + restartAfterMs, ...replica(), restartAfterMs };
    }
    case 'replica-pause': {
      const durationMs = between(rng, REPLICA_PAUSE_MS);
      return { kind, atMs, endMs: atMs + durationMs, ...replica(), durationMs };
    }
    case 'broker-kill': {
      const restartAfterMs = between(rng, BROKER_RESTART_AFTER_MS);
      return { kind, atMs, endMs: atMs + restartAfterMs, broker: broker(), restartAfterMs };
    }
    case 'broker-pause': {
      const durationMs = between(rng, BROKER_PAUSE_MS);
      return { kind, atMs, endMs: atMs + durationMs, broker: broker(), durationMs };
    }
    case 'postgres-kill': {
      const restartAfterMs = between(rng, POSTGRES_RESTART_AFTER_MS);
      return { kind, atMs, endMs: atMs + restartAfterMs, restartAfterMs };
    }
    case 'postgres-cut':
      return { kind, atMs, endMs: atMs };
  }
}

function emulatorWindows(rng: Rng, runSeed: number, end: number): FaultEvent[] {
  const out: FaultEvent[] = [];
  let t = FAULT_WARMUP_MS + between(rng, EMULATOR_WINDOW_GAP_MS);
  for (let i = 0; ; i++) {
    const durationMs = between(rng, EMULATOR_WINDOW_MS);
    if (t + durationMs > end) return out;
    const kinds = subset(rng, EMULATOR_FAULT_KINDS);
    const faults = kinds.map((kind): EmulatorFault => {
      const targets = subset<EmulatorTarget>(rng, kind === 'slow' || kind === 'http-5xx' || kind === 'timeout-after-acting' ? [...EMULATOR_CHANNEL_TARGETS, 'bank'] : EMULATOR_CHANNEL_TARGETS);
      // probabilities in tenths: printable, and the same on every machine
      const probability = between(rng, [1, 5]) / 10;
      if (kind === 'slow') return { kind, targets, probability, delayMs: between(rng, [500, 3_000]) };
      if (kind === 'timeout-after-acting') return { kind, targets, probability, hangMs: EMULATOR_HANG_MS };
      return { kind, targets, probability };
    });
    out.push({ kind: 'emulator-faults', atMs: t, endMs: t + durationMs, durationMs, seed: deriveSeed(runSeed, `emulator-${i}`), faults });
    t += durationMs + between(rng, EMULATOR_WINDOW_GAP_MS);
  }
}

function clientFaults(rng: Rng, end: number): FaultEvent[] {
  const out: FaultEvent[] = [];
  for (let t = FAULT_WARMUP_MS + between(rng, CLIENT_FAULT_INTERVAL_MS); t <= end; t += between(rng, CLIENT_FAULT_INTERVAL_MS)) {
    out.push({ kind: pick(rng, CLIENT_FAULT_KINDS), atMs: t, endMs: t });
  }
  return out;
}

/** Whether a fault stops or breaks a process (these never overlap). */
export function isProcessFault(e: FaultEvent): boolean {
  return (PROCESS_FAULT_KINDS as readonly string[]).includes(e.kind);
}

/** One line per fault, for the run's log and report. */
export function describeFault(e: FaultEvent): string {
  const at = `t+${(e.atMs / 1000).toFixed(1)}s`;
  switch (e.kind) {
    case 'replica-kill':
      return `${at} SIGKILL ${e.service}#${e.replica}, restart after ${e.restartAfterMs} ms`;
    case 'replica-pause':
      return `${at} SIGSTOP ${e.service}#${e.replica} for ${e.durationMs} ms`;
    case 'broker-kill':
      return `${at} SIGKILL broker ${e.broker}, restart after ${e.restartAfterMs} ms`;
    case 'broker-pause':
      return `${at} SIGSTOP broker ${e.broker} for ${e.durationMs} ms`;
    case 'postgres-kill':
      return `${at} SIGKILL postgres, restart after ${e.restartAfterMs} ms`;
    case 'postgres-cut':
      return `${at} cut every postgres connection`;
    case 'emulator-faults':
      return `${at} emulator faults for ${e.durationMs} ms (seed ${e.seed}): ${e.faults.map((f) => `${f.kind}@${f.targets.join('+')}:${f.probability}`).join(' ')}`;
    default:
      return `${at} client: ${e.kind}`;
  }
}
