import fc from 'fast-check';
import { assess, singlePaymentLimitRule, SINGLE_PAYMENT_MAX_MINOR, type AssessmentInput } from './risk-rules';
import { DEFAULT_RULE_SET, evaluateRuleSet, validateRuleSet, velocityWindowsOf, type RuleDefinition, type RuleSet, type RuleSignals } from './rule-set';

const input = (over: Partial<AssessmentInput> = {}): AssessmentInput => ({ paymentId: 'p', userId: 'u', merchantId: 'm', amountMinor: 10_000n, currency: 'CNY', ...over });
const signals = (counts: Record<number, number> = {}, history?: RuleSignals['history']): RuleSignals => ({
  recentPaymentsByUser: new Map(Object.entries(counts).map(([w, n]) => [Number(w), n])),
  ...(history ? { history } : {}),
});
const set = (...rules: RuleDefinition[]): RuleSet => ({ version: 2, rules });

const velocity = (over: Partial<Extract<RuleDefinition, { kind: 'velocity-user' }>> = {}): RuleDefinition => ({
  kind: 'velocity-user', id: 'velo', enabled: true, action: 'reject', score: 700, maxCount: 2, windowSeconds: 60, ...over,
});
const blocklist = (over: Partial<Extract<RuleDefinition, { kind: 'blocklist' }>> = {}): RuleDefinition => ({
  kind: 'blocklist', id: 'blocked', enabled: true, action: 'reject', score: 900, field: 'merchantId', values: ['m-bad'], ...over,
});
/** An allowlist of merchant m's users (a user id is its merchant's). */
const allowlist = (values: string[], enabled = true): RuleDefinition => ({ kind: 'allowlist', id: 'vip', enabled, field: 'userId', merchantId: 'm', values });
/** A list of user ids as stored before lists named their merchant. */
const unscoped = (r: RuleDefinition): RuleDefinition => {
  const { merchantId: _merchant, ...rest } = r as Extract<RuleDefinition, { kind: 'allowlist' | 'blocklist' }>;
  return rest;
};
const history = (over: Partial<Extract<RuleDefinition, { kind: 'amount-above-history' }>> = {}): RuleDefinition => ({
  kind: 'amount-above-history', id: 'aah', enabled: true, action: 'review', score: 600, multiple: 10, minPayments: 3, minAmountMinor: '100000', ...over,
});

describe('rule set evaluation', () => {
  it.each([
    ['velocity: the 2nd in the window is within 2', set(velocity()), input(), signals({ 60: 1 }), 'approve', undefined],
    ['velocity: the 3rd in the window is more than 2', set(velocity()), input(), signals({ 60: 2 }), 'reject', 'RISK_VELOCITY'],
    ['velocity as review', set(velocity({ action: 'review' })), input(), signals({ 60: 5 }), 'review', undefined],
    ['velocity disabled', set(velocity({ enabled: false })), input(), signals(), 'approve', undefined],
    ['blocklisted merchant', set(blocklist()), input({ merchantId: 'm-bad' }), signals(), 'reject', 'RISK_BLOCKLISTED'],
    ['another merchant', set(blocklist()), input({ merchantId: 'm-ok' }), signals(), 'approve', undefined],
    ['blocklisted user', set(blocklist({ field: 'userId', merchantId: 'm', values: ['u'] })), input(), signals(), 'reject', 'RISK_BLOCKLISTED'],
    ['another merchant\'s user of a blocklisted id', set(blocklist({ field: 'userId', merchantId: 'm', values: ['u'] })), input({ merchantId: 'm2' }), signals(), 'approve', undefined],
    ['a stored user blocklist naming no merchant still blocks the id at every merchant', set(unscoped(blocklist({ field: 'userId', values: ['u'] }))), input({ merchantId: 'm2' }), signals(), 'reject', 'RISK_BLOCKLISTED'],
    ['blocklist as review', set(blocklist({ action: 'review' })), input({ merchantId: 'm-bad' }), signals(), 'review', undefined],
    ['allowlisted user skips the blocklist', set(allowlist(['u']), blocklist({ field: 'userId', merchantId: 'm', values: ['u'] })), input(), signals(), 'approve', undefined],
    ['allowlisted user skips velocity', set(velocity(), allowlist(['u'])), input(), signals({ 60: 50 }), 'approve', undefined],
    ['another merchant\'s user of an allowlisted id does not', set(velocity(), allowlist(['u'])), input({ merchantId: 'm2' }), signals({ 60: 50 }), 'reject', 'RISK_VELOCITY'],
    ['a stored user allowlist naming no merchant allows nobody', set(velocity(), unscoped(allowlist(['u']))), input(), signals({ 60: 50 }), 'reject', 'RISK_VELOCITY'],
    ['a disabled allowlist does not', set(velocity(), allowlist(['u'], false)), input(), signals({ 60: 50 }), 'reject', 'RISK_VELOCITY'],
    ['history: far above', set(history()), input({ amountMinor: 100_001n }), signals({}, { count: 3, totalMinor: 30_000n }), 'review', undefined],
    ['history: within the multiple', set(history()), input({ amountMinor: 100_000n }), signals({}, { count: 3, totalMinor: 30_000n }), 'approve', undefined],
    ['history: too little of it', set(history({ minPayments: 4 })), input({ amountMinor: 900_000n }), signals({}, { count: 3, totalMinor: 30n }), 'approve', undefined],
    ['history: a small amount', set(history({ minAmountMinor: '1000000' })), input({ amountMinor: 900_000n }), signals({}, { count: 3, totalMinor: 30n }), 'approve', undefined],
    ['history as reject', set(history({ action: 'reject', multiple: 2 })), input({ amountMinor: 100_000n }), signals({}, { count: 3, totalMinor: 30_000n }), 'reject', 'RISK_ANOMALY'],
  ] as const)('%s -> %s', (_label, ruleSet, i, s, decision, code) => {
    const a = evaluateRuleSet(ruleSet, i, s);
    expect(a.decision).toBe(decision);
    expect(a.rejectReason?.code).toBe(code);
    if (decision !== 'approve') expect(a.reasons).toHaveLength(1);
    if (decision === 'review') expect(a.score).toBe((ruleSet.rules[0] as { score: number }).score);
  });

  it('keeps the fixed limit rule ahead of the rule set, even for an allowlisted user', () => {
    const a = evaluateRuleSet(set(allowlist(['u'])), input({ amountMinor: SINGLE_PAYMENT_MAX_MINOR + 1n }), signals(), [singlePaymentLimitRule]);
    expect(a).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_SINGLE_LIMIT_EXCEEDED' }, reasons: [{ ruleId: 'single-limit' }] });
  });

  it('asks for a count per enabled velocity window, and refuses to guess a missing one', () => {
    expect(velocityWindowsOf(set(velocity({ windowSeconds: 600 }), velocity({ id: 'b', windowSeconds: 60 }), velocity({ id: 'c', windowSeconds: 60 }), velocity({ id: 'd', windowSeconds: 5, enabled: false })))).toEqual([60, 600]);
    expect(() => evaluateRuleSet(set(velocity()), input(), signals())).toThrow(/no payment count/);
  });

  it('the default rule set decides as the built-in rules do', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: SINGLE_PAYMENT_MAX_MINOR }),
        fc.option(fc.record({ count: fc.integer({ min: 0, max: 50 }), totalMinor: fc.bigInt({ min: 0n, max: 10_000_000n }) }), { nil: undefined }),
        fc.integer({ min: 0, max: 99 }),
        (amountMinor, h, recent) => {
          const i = input({ amountMinor, ...(h ? { history: h } : {}) });
          expect(evaluateRuleSet(DEFAULT_RULE_SET, i, signals({ 60: recent }), [singlePaymentLimitRule])).toEqual(assess(i));
        },
      ),
    );
  });

  const anyRule = fc.oneof(
    fc.record({ action: fc.constantFrom('review', 'reject' as const), maxCount: fc.integer({ min: 1, max: 5 }) }).map(({ action, maxCount }) => velocity({ action, maxCount })),
    fc.record({ action: fc.constantFrom('review', 'reject' as const), field: fc.constantFrom('userId', 'merchantId' as const) }).map(({ action, field }) => blocklist({ id: 'bl', action, field, ...(field === 'userId' ? { merchantId: 'm' } : {}), values: ['u', 'm'] })),
    fc.constantFrom('review', 'reject' as const).map((action) => history({ action, multiple: 1, minAmountMinor: '0', minPayments: 1 })),
  );

  it('never rejects an allowlisted user by an anomaly rule', () => {
    fc.assert(
      fc.property(fc.array(anyRule, { maxLength: 5 }), fc.integer({ min: 0, max: 10 }), (rules, recent) => {
        const ruleSet = set(...rules.map((r, n) => ({ ...r, id: `r${n}` })), allowlist(['u']));
        const a = evaluateRuleSet(ruleSet, input({ history: { count: 5, totalMinor: 1n } }), signals({ 60: recent }));
        expect(a).toEqual({ decision: 'approve', score: 0, reasons: [] });
      }),
    );
  });

  it('a reject rule that fires rejects with its code, whatever else fires', () => {
    fc.assert(
      fc.property(fc.array(anyRule, { maxLength: 5 }), fc.integer({ min: 0, max: 10 }), (rules, recent) => {
        const ruleSet = set(blocklist({ id: 'first', field: 'merchantId', values: ['m'] }), ...rules.map((r, n) => ({ ...r, id: `r${n}` })));
        const a = evaluateRuleSet(ruleSet, input({ history: { count: 5, totalMinor: 1n } }), signals({ 60: recent }));
        expect(a).toMatchObject({ decision: 'reject', score: 1000, rejectReason: { code: 'RISK_BLOCKLISTED' } });
        expect(a.reasons[0]?.ruleId).toBe('first');
      }),
    );
  });
});

describe('rule set validation', () => {
  it('accepts the default rule set', () => {
    expect(validateRuleSet(DEFAULT_RULE_SET)).toEqual({ ok: true, ruleSet: DEFAULT_RULE_SET });
  });

  it.each([
    ['a duplicate id', set(velocity(), blocklist({ id: 'velo' })), /duplicate rule id velo/],
    ['a zero window', set(velocity({ windowSeconds: 0 })), /rules\.0\.windowSeconds/],
    ['a window over a day', set(velocity({ windowSeconds: 86_401 })), /rules\.0\.windowSeconds/],
    ['a zero count', set(velocity({ maxCount: 0 })), /rules\.0\.maxCount/],
    ['a fractional count', set(velocity({ maxCount: 1.5 })), /rules\.0\.maxCount/],
    ['a score of 1000', set(velocity({ score: 1000 })), /rules\.0\.score/],
    ['money with a fraction', set(history({ minAmountMinor: '10.50' })), /rules\.0\.minAmountMinor/],
    ['money as a number', set({ ...history(), minAmountMinor: 100 } as never), /rules\.0\.minAmountMinor/],
    ['negative money', set(history({ minAmountMinor: '-1' })), /rules\.0\.minAmountMinor/],
    ['an empty blocklist', set(blocklist({ values: [] })), /rules\.0\.values/],
    ['a blocklist on an unknown field', set({ ...blocklist(), field: 'email' } as never), /rules\.0\.field/],
    ['an unknown kind', set({ kind: 'geo', id: 'x' } as never), /rules\.0/],
    ['an id that is not a slug', set(velocity({ id: 'Velo City' })), /rules\.0\.id/],
    ['an unknown parameter', set({ ...velocity(), burst: 3 } as never), /rules\.0/],
    ['no version', { rules: [] }, /version/],
    ['a card number in a card blocklist, without repeating it', set(blocklist({ field: 'cardToken', values: ['6225880137453008'] })), /^(?![^]*6225880137453008)rules\.0\.values\.0: not a card token/],
    ['an IPv6 address not in canonical form', set(blocklist({ field: 'ip', values: ['203.0.113.7', '2001:0DB8:0:0::7'] })), /rules\.0\.values\.1: .* write it 2001:db8::7/],
    ['an IPv4-mapped address', set(allowlist(['x']), { kind: 'allowlist', id: 'ips', enabled: true, field: 'ip', values: ['::ffff:203.0.113.7'] }), /rules\.1\.values\.0: .* write it 203\.0\.113\.7/],
    ['a user id with spaces', set(allowlist(['u 1'])), /rules\.0\.values\.0: not a userId/],
    ['a user list naming no merchant', set(velocity(), unscoped(blocklist({ field: 'userId', values: ['u'] }))), /rules\.1\.merchantId: a user id is its merchant's/],
    ['a user list naming a merchant that is no id', set(blocklist({ field: 'userId', merchantId: 'm 1', values: ['u'] })), /rules\.0\.merchantId/],
    ['a merchant on a list of cards', set(blocklist({ field: 'deviceId', merchantId: 'm', values: ['dev-1'] })), /rules\.0\.merchantId: only a list of user ids names a merchant/],
    ['something that is no IP', set(blocklist({ field: 'ip', values: ['10.0.0.300'] })), /rules\.0\.values\.0: not an IP address/],
  ])('refuses %s', (_label, doc, problem) => {
    const v = validateRuleSet(doc);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.problems.join('\n')).toMatch(problem);
  });

  it('reads a stored version whose list values predate the value checks, or whose user list names no merchant', () => {
    const stored = set(blocklist({ field: 'ip', values: ['2001:0DB8::7'] }), unscoped(allowlist(['u'])));
    expect(validateRuleSet(stored).ok).toBe(false);
    expect(validateRuleSet(stored, { listValues: false })).toEqual({ ok: true, ruleSet: stored });
  });
});
