import { FAULT_KINDS, FAULT_SET_INVALID, FAULT_TARGETS, FaultPlan, mulberry32, parseFaultSet, SandboxFaults, type FaultKind, type FaultSet, type FaultTarget } from './fault-plan';

/** The contract's example set. */
const EXAMPLE = {
  seed: 42,
  faults: [
    { kind: 'slow', targets: ['alipay', 'wechatpay', 'unionpay', 'bank'], probability: 0.3, delayMs: 2000 },
    { kind: 'http-5xx', targets: ['alipay'], probability: 0.2 },
    { kind: 'timeout-after-acting', targets: ['wechatpay', 'bank'], probability: 0.2, hangMs: 15000 },
    { kind: 'drop-notifications', targets: ['alipay', 'wechatpay', 'unionpay'], probability: 0.5 },
    { kind: 'duplicate-notifications', targets: ['alipay', 'wechatpay', 'unionpay'], probability: 0.5 },
    { kind: 'reorder-notifications', targets: ['alipay', 'wechatpay', 'unionpay'], probability: 0.5 },
    { kind: 'replay-old-notification', targets: ['alipay', 'wechatpay', 'unionpay'], probability: 0.2 },
  ],
};

const set = (body: unknown): FaultSet => {
  const parsed = parseFaultSet(body);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

/** A fixed call sequence over every kind and target the example covers. */
const SEQUENCE: [FaultKind, FaultTarget][] = Array.from({ length: 300 }, (_, i) => [FAULT_KINDS[i % FAULT_KINDS.length]!, FAULT_TARGETS[(i * 7) % FAULT_TARGETS.length]!]);
const run = (plan: FaultPlan) => SEQUENCE.map(([kind, target]) => plan.decide(kind, target));

describe('the fault set (PUT /sandbox/faults body)', () => {
  it('takes the contract example as it stands', () => {
    expect(parseFaultSet(EXAMPLE)).toEqual({ ok: true, value: EXAMPLE });
  });

  it.each([
    ['no seed', { faults: [] }, /seed/],
    ['a negative seed', { seed: -1, faults: [] }, /seed/],
    ['a fractional seed', { seed: 1.5, faults: [] }, /seed/],
    ['a seed beyond 32 bits', { seed: 2 ** 32, faults: [] }, /seed/],
    ['no faults array', { seed: 1 }, /faults/],
    ['an unknown kind', { seed: 1, faults: [{ kind: 'explode', targets: ['alipay'], probability: 1 }] }, /faults\.0\.kind/],
    ['an unknown target', { seed: 1, faults: [{ kind: 'http-5xx', targets: ['paypal'], probability: 1 }] }, /faults\.0\.targets\.0/],
    ['no targets', { seed: 1, faults: [{ kind: 'http-5xx', targets: [], probability: 1 }] }, /faults\.0\.targets/],
    ['the bank for notifications', { seed: 1, faults: [{ kind: 'drop-notifications', targets: ['bank'], probability: 1 }] }, /faults\.0\.targets\.0/],
    ['a probability above 1', { seed: 1, faults: [{ kind: 'http-5xx', targets: ['alipay'], probability: 1.5 }] }, /faults\.0\.probability/],
    ['a negative probability', { seed: 1, faults: [{ kind: 'http-5xx', targets: ['alipay'], probability: -0.1 }] }, /faults\.0\.probability/],
    ['slow without delayMs', { seed: 1, faults: [{ kind: 'slow', targets: ['alipay'], probability: 1 }] }, /faults\.0\.delayMs/],
    ['slow beyond its limit', { seed: 1, faults: [{ kind: 'slow', targets: ['alipay'], probability: 1, delayMs: 10_000_000 }] }, /faults\.0\.delayMs/],
    ['timeout-after-acting without hangMs', { seed: 1, faults: [{ kind: 'timeout-after-acting', targets: ['bank'], probability: 1 }] }, /faults\.0\.hangMs/],
    ['a misspelt parameter', { seed: 1, faults: [{ kind: 'http-5xx', targets: ['alipay'], probability: 1, delay: 5 }] }, /faults\.0/],
    ['a kind and target named twice', { seed: 1, faults: [{ kind: 'http-5xx', targets: ['alipay'], probability: 1 }, { kind: 'http-5xx', targets: ['bank', 'alipay'], probability: 0.5 }] }, /http-5xx:alipay is named twice/],
    ['not an object', 'faults please', /\(body\)/],
  ])('refuses %s with FAULT_SET_INVALID', (_, body, message) => {
    const parsed = parseFaultSet(body);
    expect(parsed).toEqual({ ok: false, error: { code: FAULT_SET_INVALID, message: expect.stringMatching(message) } });
  });
});

describe('fault decisions', () => {
  it('draws uniformly from [0, 1)', () => {
    const next = mulberry32(7);
    const draws = Array.from({ length: 10_000 }, next);
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
    // a 32-bit generator over 10,000 draws: each tenth holds about a thousand
    for (let tenth = 0; tenth < 10; tenth++) expect(draws.filter((d) => Math.floor(d * 10) === tenth).length).toBeGreaterThan(900);
  });

  it('decides the same for the same seed and the same call sequence, and otherwise for another seed', () => {
    const a = run(new FaultPlan(set(EXAMPLE)));
    expect(run(new FaultPlan(set(EXAMPLE)))).toEqual(a);
    expect(run(new FaultPlan(set({ ...EXAMPLE, seed: 43 })))).not.toEqual(a);
    // the example's probabilities between 0 and 1 give both answers
    expect(a).toContain(true);
    expect(a).toContain(false);
  });

  it('gives each kind and target its own stream: calls to other targets in between change nothing', () => {
    const alone = new FaultPlan(set(EXAMPLE));
    const interleaved = new FaultPlan(set(EXAMPLE));
    const aloneDecisions = Array.from({ length: 50 }, () => alone.decide('slow', 'alipay'));
    const interleavedDecisions = Array.from({ length: 50 }, (_, i) => {
      for (let j = 0; j < i % 3; j++) interleaved.decide('slow', 'bank');
      return interleaved.decide('slow', 'alipay');
    });
    expect(interleavedDecisions).toEqual(aloneDecisions);
  });

  it.each(FAULT_KINDS.flatMap((kind) => [0, 1].map((probability) => [kind, probability] as const)))('%s with probability %s: %s never, 1 always', (kind, probability) => {
    const targets = kind.endsWith('notifications') || kind.endsWith('notification') ? ['alipay', 'wechatpay', 'unionpay'] : FAULT_TARGETS;
    const fault = { kind, targets, probability, ...(kind === 'slow' ? { delayMs: 1 } : {}), ...(kind === 'timeout-after-acting' ? { hangMs: 1 } : {}) };
    for (const seed of [0, 1, 42, 0xffff_ffff]) {
      const plan = new FaultPlan(set({ seed, faults: [fault] }));
      const decisions = Array.from({ length: 200 }, (_, i) => plan.decide(kind, targets[i % targets.length] as FaultTarget));
      expect(new Set(decisions)).toEqual(new Set([probability === 1]));
    }
  });

  it('hits about as often as the probability says, and counts each hit by kind:target', () => {
    const plan = new FaultPlan(set({ seed: 9, faults: [{ kind: 'http-5xx', targets: ['alipay', 'bank'], probability: 0.3 }] }));
    const hits = Array.from({ length: 10_000 }, () => plan.decide('http-5xx', 'alipay')).filter(Boolean).length;
    expect(hits).toBeGreaterThan(2_700);
    expect(hits).toBeLessThan(3_300);
    plan.decide('http-5xx', 'wechatpay');
    plan.decide('slow', 'alipay');
    expect(plan.appliedCounts()).toEqual({ 'http-5xx:alipay': hits });
  });

  it('never hits a kind or target the set does not name, and draws nothing for it', () => {
    const plan = new FaultPlan(set({ seed: 5, faults: [{ kind: 'slow', targets: ['bank'], probability: 0.5, delayMs: 10 }] }));
    const reference = new FaultPlan(set({ seed: 5, faults: [{ kind: 'slow', targets: ['bank'], probability: 0.5, delayMs: 10 }] }));
    const withOthers = Array.from({ length: 40 }, () => {
      expect(plan.decide('http-5xx', 'bank')).toBe(false);
      expect(plan.decide('slow', 'alipay')).toBe(false);
      return plan.decide('slow', 'bank');
    });
    expect(withOthers).toEqual(Array.from({ length: 40 }, () => reference.decide('slow', 'bank')));
  });

  it('picks an index within bounds', () => {
    const plan = new FaultPlan(set(EXAMPLE));
    const picks = Array.from({ length: 500 }, () => plan.pick('replay-old-notification', 'alipay', 3));
    expect(new Set(picks)).toEqual(new Set([0, 1, 2]));
  });
});

describe('the sandbox fault control', () => {
  it('has no faults until a set is put; clearing stops them but keeps the seed and the counts; a new set counts afresh', () => {
    const faults = new SandboxFaults();
    expect(faults.snapshot()).toEqual({ seed: null, faults: [], applied: {} });
    expect(faults.decide('http-5xx', 'alipay')).toBe(false);
    const always = set({ seed: 3, faults: [{ kind: 'http-5xx', targets: ['alipay'], probability: 1 }] });
    faults.replace(always);
    expect([faults.decide('http-5xx', 'alipay'), faults.decide('http-5xx', 'alipay')]).toEqual([true, true]);
    faults.clear();
    expect(faults.decide('http-5xx', 'alipay')).toBe(false);
    expect(faults.fault('http-5xx', 'alipay')).toBeUndefined();
    expect(faults.snapshot()).toEqual({ seed: 3, faults: [], applied: { 'http-5xx:alipay': 2 } });
    faults.replace({ ...always, seed: 4 });
    expect(faults.snapshot()).toEqual({ seed: 4, faults: always.faults, applied: {} });
  });
});
