import { z } from 'zod';
import { describeIssues } from '@paystream/contracts';

/** Who a fault hits: the three channels and the bank (payouts). */
export const FAULT_TARGETS = ['alipay', 'wechatpay', 'unionpay', 'bank'] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];
/** The bank sends no notifications, so notification faults name channels only. */
const NOTIFYING_TARGETS = ['alipay', 'wechatpay', 'unionpay'] as const;

/** Faults on the calls the gateway and settlement make to the channels and the bank. */
export const CALL_FAULT_KINDS = ['slow', 'http-5xx', 'timeout-after-acting'] as const;
/** Faults on the asynchronous notifications the channels send the gateway. */
export const NOTIFICATION_FAULT_KINDS = ['drop-notifications', 'duplicate-notifications', 'reorder-notifications', 'replay-old-notification'] as const;
export const FAULT_KINDS = [...CALL_FAULT_KINDS, ...NOTIFICATION_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_DELAY_MS_MAX = 120_000;
export const FAULT_HANG_MS_MAX = 600_000;
export const FAULT_SET_FAULTS_MAX = 32;
/** Seeds are unsigned 32-bit integers: the PRNG's whole state. */
export const FAULT_SEED_MAX = 0xffff_ffff;
export const FAULT_SET_INVALID = 'FAULT_SET_INVALID';

const probability = z.number().min(0).max(1);
const callTargets = z.array(z.enum(FAULT_TARGETS)).min(1).max(FAULT_TARGETS.length);
const notifyingTargets = z.array(z.enum(NOTIFYING_TARGETS)).min(1).max(NOTIFYING_TARGETS.length);
const notificationFault = <K extends (typeof NOTIFICATION_FAULT_KINDS)[number]>(kind: K) => z.strictObject({ kind: z.literal(kind), targets: notifyingTargets, probability });

const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('slow'), targets: callTargets, probability, delayMs: z.number().int().min(1).max(FAULT_DELAY_MS_MAX) }),
  z.strictObject({ kind: z.literal('http-5xx'), targets: callTargets, probability }),
  z.strictObject({ kind: z.literal('timeout-after-acting'), targets: callTargets, probability, hangMs: z.number().int().min(1).max(FAULT_HANG_MS_MAX) }),
  notificationFault('drop-notifications'),
  notificationFault('duplicate-notifications'),
  notificationFault('reorder-notifications'),
  notificationFault('replay-old-notification'),
]);

const faultSetSchema = z
  .strictObject({ seed: z.number().int().min(0).max(FAULT_SEED_MAX), faults: z.array(faultSchema).max(FAULT_SET_FAULTS_MAX) })
  .superRefine((set, ctx) => {
    // one fault per kind and target: two would make "how likely" ambiguous
    const seen = new Set<string>();
    set.faults.forEach((f, i) => {
      for (const target of f.targets) {
        const key = faultKey(f.kind, target);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['faults', i, 'targets'], message: `${key} is named twice` });
        seen.add(key);
      }
    });
  });

export type Fault = z.infer<typeof faultSchema>;
export type FaultSet = z.infer<typeof faultSetSchema>;
export type FaultSetError = { code: typeof FAULT_SET_INVALID; message: string };

/** The body of `PUT /sandbox/faults`, validated: the fault set, or FAULT_SET_INVALID naming what is wrong. */
export function parseFaultSet(body: unknown): { ok: true; value: FaultSet } | { ok: false; error: FaultSetError } {
  const parsed = faultSetSchema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: { code: FAULT_SET_INVALID, message: describeIssues(parsed.error.issues, '(body)') } };
}

/** The key the counters use: `<kind>:<target>`. */
export function faultKey(kind: FaultKind, target: FaultTarget): string {
  return `${kind}:${target}`;
}

/** mulberry32: a tiny seeded PRNG (uniform in [0, 1)), enough for reproducible fault decisions. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** FNV-1a over the key, so each kind:target draws from its own stream of the seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A fault set in force: decides, from a PRNG seeded by the set's seed, whether a fault hits a call or
 * notification, and counts the faults applied. Each kind:target has its own stream, so the decisions
 * for one target do not shift when calls to another interleave differently (concurrent requests).
 */
export class FaultPlan {
  private readonly byKey = new Map<string, Fault>();
  private readonly streams = new Map<string, () => number>();
  private readonly applied = new Map<string, number>();

  constructor(readonly set: FaultSet) {
    for (const fault of set.faults) for (const target of fault.targets) this.byKey.set(faultKey(fault.kind, target), fault);
  }

  /** The fault of this kind covering the target, if the set has one (its parameters: delayMs, hangMs). */
  fault<K extends FaultKind>(kind: K, target: FaultTarget): Extract<Fault, { kind: K }> | undefined {
    return this.byKey.get(faultKey(kind, target)) as Extract<Fault, { kind: K }> | undefined;
  }

  /** Whether the fault hits this time; a hit is counted. No fault of that kind for the target: never, and nothing drawn. */
  decide(kind: FaultKind, target: FaultTarget): boolean {
    const fault = this.fault(kind, target);
    if (!fault) return false;
    const key = faultKey(kind, target);
    // draw < p: probability 0 never hits, 1 always (draws are below 1)
    const hit = this.stream(key)() < fault.probability;
    if (hit) this.applied.set(key, (this.applied.get(key) ?? 0) + 1);
    return hit;
  }

  /** A whole number in [0, n) from the kind:target's stream (which old notification to replay). */
  pick(kind: FaultKind, target: FaultTarget, n: number): number {
    return Math.min(n - 1, Math.floor(this.stream(faultKey(kind, target))() * n));
  }

  /** Faults applied so far, by `<kind>:<target>`. */
  appliedCounts(): Record<string, number> {
    return Object.fromEntries([...this.applied].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  private stream(key: string): () => number {
    let next = this.streams.get(key);
    if (!next) {
      next = mulberry32((this.set.seed ^ fnv1a(key)) >>> 0);
      this.streams.set(key, next);
    }
    return next;
  }
}

/**
 * The emulator's fault control: the plan in force (none by default). Clearing stops the faults but keeps
 * the last plan's seed and counters for `GET /sandbox/faults`; a new set starts its counters afresh.
 */
export class SandboxFaults {
  private plan?: FaultPlan;
  private active = false;

  replace(set: FaultSet): void {
    this.plan = new FaultPlan(set);
    this.active = true;
  }

  clear(): void {
    this.active = false;
  }

  decide(kind: FaultKind, target: FaultTarget): boolean {
    return this.active && this.plan!.decide(kind, target);
  }

  fault<K extends FaultKind>(kind: K, target: FaultTarget): Extract<Fault, { kind: K }> | undefined {
    return this.active ? this.plan!.fault(kind, target) : undefined;
  }

  pick(kind: FaultKind, target: FaultTarget, n: number): number {
    return this.plan ? this.plan.pick(kind, target, n) : 0;
  }

  /** `{ seed, faults, applied }`: seed null before any set was put. */
  snapshot(): { seed: number | null; faults: Fault[]; applied: Record<string, number> } {
    return { seed: this.plan?.set.seed ?? null, faults: this.active ? this.plan!.set.faults : [], applied: this.plan?.appliedCounts() ?? {} };
  }
}
