import { attemptQueryKey, type AttemptCounts } from './attempt-signals';
import type { AssessmentInput } from './risk-rules';
import {
  attemptLockKeysOf,
  attemptQueriesOf,
  DEFAULT_RULE_SET,
  DEFAULT_SIGNAL_RULES,
  evaluateRuleSet,
  needsUserDeviceHistory,
  validateRuleSet,
  type RuleDefinition,
  type RuleSet,
  type RuleSignals,
} from './rule-set';

const CARD = `tok_${'c'.repeat(32)}`;
const input = (over: Partial<AssessmentInput> = {}): AssessmentInput => ({
  paymentId: 'p', userId: 'u', merchantId: 'm', amountMinor: 10_000n, currency: 'CNY', cardToken: CARD, deviceId: 'dev-1', ip: '203.0.113.7', ...over,
});
const set = (...rules: RuleDefinition[]): RuleSet => ({ version: 2, rules });
const none: AttemptCounts = { attempts: 0, smallAttempts: 0, declinedAttempts: 0, otherUsers: 0 };
/** Signals answering every query the rule set asks for with the same counts. */
const signalsFor = (ruleSet: RuleSet, i: AssessmentInput, counts: Partial<AttemptCounts>, userDevice?: RuleSignals['userDevice']): RuleSignals => ({
  recentPaymentsByUser: new Map(),
  attempts: new Map(attemptQueriesOf(ruleSet, i).map((q) => [attemptQueryKey(q), { ...none, ...counts }])),
  ...(userDevice ? { userDevice } : {}),
});

const velocity = (over: Partial<Extract<RuleDefinition, { kind: 'velocity' }>> = {}): RuleDefinition => ({
  kind: 'velocity', id: 'v', enabled: true, action: 'reject', score: 900, dimension: 'cardToken', maxCount: 3, windowSeconds: 60, ...over,
});
const cardTesting = (over: Partial<Extract<RuleDefinition, { kind: 'card-testing' }>> = {}): RuleDefinition => ({
  kind: 'card-testing', id: 'ct', enabled: true, action: 'reject', score: 950, dimension: 'cardToken', windowSeconds: 600, smallAmountMaxMinor: '500', maxSmallCount: 3, maxDeclinedCount: 2, ...over,
});
const newDevice = (over: Partial<Extract<RuleDefinition, { kind: 'new-device-large-amount' }>> = {}): RuleDefinition => ({
  kind: 'new-device-large-amount', id: 'nd', enabled: true, action: 'review', score: 400, minAmountMinor: '1000000', minUserAttempts: 1, ...over,
});
const shared = (kind: 'shared-device' | 'shared-card', over: Partial<Extract<RuleDefinition, { kind: 'shared-device' }>> = {}): RuleDefinition =>
  ({ kind, id: 'sh', enabled: true, action: 'reject', score: 900, maxUsers: 3, windowSeconds: 86_400, ...over }) as RuleDefinition;
const list = (kind: 'blocklist' | 'allowlist', field: 'cardToken' | 'deviceId' | 'ip', values: string[]): RuleDefinition =>
  (kind === 'blocklist' ? { kind, id: 'bl', enabled: true, action: 'reject', score: 900, field, values } : { kind, id: 'al', enabled: true, field, values }) as RuleDefinition;

describe('rules on shopper signals, at their boundaries', () => {
  it.each([
    // velocity: more than maxCount counting this one
    ['velocity card: 3rd attempt of 3', set(velocity()), input(), { attempts: 2 }, 'approve', undefined],
    ['velocity card: 4th attempt of 3', set(velocity()), input(), { attempts: 3 }, 'reject', 'RISK_VELOCITY'],
    ['velocity device: 4th attempt', set(velocity({ dimension: 'deviceId' })), input(), { attempts: 3 }, 'reject', 'RISK_VELOCITY'],
    ['velocity ip as review', set(velocity({ dimension: 'ip', action: 'review', score: 500 })), input(), { attempts: 3 }, 'review', undefined],
    ['velocity without the signal', set(velocity()), input({ cardToken: undefined }), { attempts: 99 }, 'approve', undefined],
    ['velocity disabled', set(velocity({ enabled: false })), input(), { attempts: 99 }, 'approve', undefined],
    // card testing: small attempts (counting this one when small), declined attempts before it
    ['card testing: 3rd small attempt', set(cardTesting()), input({ amountMinor: 500n }), { smallAttempts: 2 }, 'approve', undefined],
    ['card testing: 4th small attempt', set(cardTesting()), input({ amountMinor: 500n }), { smallAttempts: 3 }, 'reject', 'RISK_ANOMALY'],
    ['card testing: a larger amount after small ones', set(cardTesting()), input({ amountMinor: 501n }), { smallAttempts: 9 }, 'approve', undefined],
    ['card testing: 2 declined before', set(cardTesting()), input(), { declinedAttempts: 2 }, 'approve', undefined],
    ['card testing: 3 declined before', set(cardTesting()), input(), { declinedAttempts: 3 }, 'reject', 'RISK_ANOMALY'],
    ['card testing on a device', set(cardTesting({ dimension: 'deviceId' })), input({ cardToken: undefined, amountMinor: 100n }), { smallAttempts: 3 }, 'reject', 'RISK_ANOMALY'],
    ['card testing without the card', set(cardTesting()), input({ cardToken: undefined, amountMinor: 100n }), { smallAttempts: 9 }, 'approve', undefined],
    // shared device / card: more than maxUsers distinct users, counting this one
    ['shared device: 3rd user of 3', set(shared('shared-device')), input(), { otherUsers: 2 }, 'approve', undefined],
    ['shared device: 4th user of 3', set(shared('shared-device')), input(), { otherUsers: 3 }, 'reject', 'RISK_ANOMALY'],
    ['shared card: 4th user of 3', set(shared('shared-card')), input(), { otherUsers: 3 }, 'reject', 'RISK_ANOMALY'],
    ['shared card as review', set(shared('shared-card', { action: 'review', score: 300 })), input(), { otherUsers: 3 }, 'review', undefined],
    // lists on signals
    ['blocklisted card', set(list('blocklist', 'cardToken', [CARD])), input(), {}, 'reject', 'RISK_BLOCKLISTED'],
    ['blocklisted device', set(list('blocklist', 'deviceId', ['dev-1'])), input(), {}, 'reject', 'RISK_BLOCKLISTED'],
    ['blocklisted ip', set(list('blocklist', 'ip', ['203.0.113.7'])), input(), {}, 'reject', 'RISK_BLOCKLISTED'],
    ['another ip', set(list('blocklist', 'ip', ['203.0.113.8'])), input(), {}, 'approve', undefined],
    ['a device blocklist and no device', set(list('blocklist', 'deviceId', ['dev-1'])), input({ deviceId: undefined }), {}, 'approve', undefined],
    ['an allowlisted device skips velocity', set(velocity(), list('allowlist', 'deviceId', ['dev-1'])), input(), { attempts: 50 }, 'approve', undefined],
  ] as const)('%s -> %s', (_label, ruleSet, i, counts, decision, code) => {
    const a = evaluateRuleSet(ruleSet, i, signalsFor(ruleSet, i, counts));
    expect(a.decision).toBe(decision);
    expect(a.rejectReason?.code).toBe(code);
    if (decision !== 'approve') expect(a.reasons.map((r) => r.ruleId)).toEqual([ruleSet.rules[0]!.id]);
  });

  it.each([
    ['a new device, at the threshold, for a known user', input({ amountMinor: 1_000_000n }), { userAttempts: 1, onDevice: 0 }, 'review'],
    ['a new device, one fen under the threshold', input({ amountMinor: 999_999n }), { userAttempts: 1, onDevice: 0 }, 'approve'],
    ['a device the user paid from before', input({ amountMinor: 9_000_000n }), { userAttempts: 5, onDevice: 1 }, 'approve'],
    ['a first payment ever (no devices to compare with)', input({ amountMinor: 9_000_000n }), { userAttempts: 0, onDevice: 0 }, 'approve'],
    ['no device sent', input({ amountMinor: 9_000_000n, deviceId: undefined }), undefined, 'approve'],
  ] as const)('new device, large amount: %s -> %s', (_label, i, userDevice, decision) => {
    const ruleSet = set(newDevice());
    expect(needsUserDeviceHistory(ruleSet, i)).toBe(userDevice !== undefined && i.amountMinor >= 1_000_000n);
    const a = evaluateRuleSet(ruleSet, i, signalsFor(ruleSet, i, {}, userDevice));
    expect(a.decision).toBe(decision);
    if (decision === 'review') expect(a).toMatchObject({ score: 400, reasons: [{ ruleId: 'nd' }] });
  });

  it('counts a first payment ever as a new device when minUserAttempts is 0', () => {
    const ruleSet = set(newDevice({ minUserAttempts: 0, action: 'reject' }));
    const i = input({ amountMinor: 1_000_000n });
    expect(evaluateRuleSet(ruleSet, i, signalsFor(ruleSet, i, {}, { userAttempts: 0, onDevice: 0 }))).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_ANOMALY' } });
  });

  it('asks one query per signal and window, only for signals sent, and locks them in one order', () => {
    const ruleSet = set(velocity(), velocity({ id: 'v2', maxCount: 9 }), cardTesting(), shared('shared-card'), velocity({ id: 'v3', dimension: 'ip' }), shared('shared-device', { id: 'sd', windowSeconds: 60 }));
    const queries = attemptQueriesOf(ruleSet, input());
    expect(queries.map(attemptQueryKey).sort()).toEqual(['cardToken/600/500', 'cardToken/60/-', 'cardToken/86400/-', 'deviceId/60/-', 'ip/60/-'].sort());
    expect(attemptLockKeysOf(ruleSet, input())).toEqual([`cardToken:${CARD}`, 'deviceId:dev-1', 'ip:203.0.113.7']);
    // a velocity-user rule counts the merchant's user's payments: that user is locked too, in the same order
    expect(attemptLockKeysOf(DEFAULT_RULE_SET, input())).toContain('userId:["m","u"]');
    // another merchant's user of the same id is another lock
    expect(attemptLockKeysOf(DEFAULT_RULE_SET, input({ merchantId: 'm2' }))).toContain('userId:["m2","u"]');
    expect(attemptLockKeysOf(set({ kind: 'velocity-user', id: 'vu', enabled: false, action: 'reject', score: 900, maxCount: 1, windowSeconds: 60 }), input())).toEqual([]);
    expect(attemptQueriesOf(ruleSet, input({ cardToken: undefined, deviceId: undefined, ip: undefined }))).toEqual([]);
    expect(attemptQueriesOf(set(velocity(), list('allowlist', 'cardToken', [CARD])), input())).toEqual([]);
  });

  it('refuses to decide on a count nobody fetched', () => {
    expect(() => evaluateRuleSet(set(velocity()), input(), { recentPaymentsByUser: new Map() })).toThrow(/no attempt counts/);
    expect(() => evaluateRuleSet(set(newDevice()), input({ amountMinor: 2_000_000n }), { recentPaymentsByUser: new Map() })).toThrow(/no device history/);
  });

  it('by default, lets a payment without signals through exactly as before, and an honest card shopper too', () => {
    const plain = input({ cardToken: undefined, deviceId: undefined, ip: undefined });
    expect(attemptQueriesOf(DEFAULT_RULE_SET, plain)).toEqual([]);
    expect(evaluateRuleSet(DEFAULT_RULE_SET, plain, { recentPaymentsByUser: new Map([[60, 0]]) })).toEqual({ decision: 'approve', score: 0, reasons: [] });
    const honest = signalsFor(DEFAULT_RULE_SET, input(), { attempts: 2, smallAttempts: 1, declinedAttempts: 1, otherUsers: 1 }, { userAttempts: 3, onDevice: 3 });
    expect(evaluateRuleSet(DEFAULT_RULE_SET, input(), { ...honest, recentPaymentsByUser: new Map([[60, 2]]) })).toEqual({ decision: 'approve', score: 0, reasons: [] });
    expect(validateRuleSet({ version: 2, rules: DEFAULT_SIGNAL_RULES }).ok).toBe(true);
  });
});

describe('validation of the rules on shopper signals', () => {
  it.each([
    ['velocity on an unknown dimension', set({ ...velocity(), dimension: 'email' } as never), /rules\.0\.dimension/],
    ['velocity with a zero count', set(velocity({ maxCount: 0 })), /rules\.0\.maxCount/],
    ['card testing on an IP', set({ ...cardTesting(), dimension: 'ip' } as never), /rules\.0\.dimension/],
    ['card testing with a fractional small amount', set(cardTesting({ smallAmountMaxMinor: '5.00' })), /rules\.0\.smallAmountMaxMinor/],
    ['card testing over a day', set(cardTesting({ windowSeconds: 86_401 })), /rules\.0\.windowSeconds/],
    ['a new-device rule with negative attempts', set(newDevice({ minUserAttempts: -1 })), /rules\.0\.minUserAttempts/],
    ['a shared-card rule with no users', set(shared('shared-card', { maxUsers: 0 })), /rules\.0\.maxUsers/],
    ['a shared-device rule with a dimension', set({ ...shared('shared-device'), dimension: 'deviceId' } as never), /rules\.0/],
    ['an allowlist of merchants', set({ kind: 'allowlist', id: 'al', enabled: true, field: 'merchantId', values: ['m'] } as never), /rules\.0\.field/],
  ])('refuses %s', (_label, doc, problem) => {
    const v = validateRuleSet(doc);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.problems.join('\n')).toMatch(problem);
  });
});
