import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import type { RiskAssessmentRequested } from '@paystream/contracts';
import {
  IdentityKeyRing,
  IdentityRepository,
  LimitReservationRepository,
  RISK_MIGRATIONS,
  RiskAttemptRepository,
  RiskDecisionRepository,
  RiskRuleSetRepository,
} from '@paystream/risk/data-access';
import { DEFAULT_RULE_SET, type Assessment, type DailyCaps, type RuleDefinition } from '@paystream/risk/domain';
import { inTransaction, openDatabase, type EntityManager } from '@paystream/shared/persistence';
import { dropSchemas, inConcurrentTransactions, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { PaymentAssessor } from './payment-assessor';

/** Enough connections that concurrent assessments really contend, within Postgres' 100. */
const POOL_SIZE = 20;
const CONCURRENT_PAYMENTS = 50;
const VELOCITY_CARD_MAX = 10;
const VELOCITY_USER_MAX = 5;
const CAPS: Required<DailyCaps> = { merchantDailyMinor: 5_000_00n, cardDailyMinor: 1_000_00n };
const SEQUENTIAL_ASSESSMENTS = 200;

const card = () => `tok_${randomBytes(16).toString('hex')}`;
const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

describe('payment assessment on the real database: shopper signals, attempt history, caps', () => {
  const schema = uniqueId('risk_assess_');
  const stores = {
    decisions: new RiskDecisionRepository(),
    identities: new IdentityRepository(new IdentityKeyRing([{ id: 'k1', key: randomBytes(32) }])),
    limits: new LimitReservationRepository(),
    ruleSets: new RiskRuleSetRepository(),
    attempts: new RiskAttemptRepository(),
  };
  const assessor = new PaymentAssessor(stores, CAPS);
  let ds: DataSource;
  let version = 1;

  const tx = <T>(fn: (t: EntityManager) => Promise<T>) => inTransaction(ds, fn);
  const request = (over: Partial<RiskAssessmentRequested> = {}): RiskAssessmentRequested => {
    const paymentId = randomUUID();
    return { paymentId, orderId: `o-${paymentId.slice(0, 8)}`, merchantId: uniqueId('m'), userId: uniqueId('u'), amountMinor: '1000', currency: 'CNY', requestedAt: new Date().toISOString(), ...over };
  };
  const assess = (r: RiskAssessmentRequested) => tx((t) => assessor.assess(t, r));
  const assessAll = async (rs: RiskAssessmentRequested[]) => {
    const out: Assessment[] = [];
    for (const r of rs) out.push(await assess(r));
    return out;
  };
  const publish = async (...rules: RuleDefinition[]) => {
    const published = await tx((t) => stores.ruleSets.publish(t, { ruleSet: { version: version + 1, rules }, createdBy: 'spec', reason: 'spec', expectedVersion: version }));
    expect(published.ok).toBe(true);
    version++;
  };

  const concurrently = <T>(tasks: ((t: EntityManager) => Promise<T>)[]) => inConcurrentTransactions(tx, POOL_SIZE, tasks);

  beforeAll(async () => {
    ds = await openDatabase({ url: testDatabaseUrl(), schema, migrations: RISK_MIGRATIONS, poolSize: POOL_SIZE, applicationName: 'paystream-risk-assess-spec' });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('decides a payment without signals as before under the default rules, and records the attempt', async () => {
    const r = request();
    expect(await assess(r)).toEqual({ decision: 'approve', score: 0, reasons: [] });
    expect(await tx((t) => stores.attempts.find(t, r.paymentId))).toEqual({ outcome: 'approved', cardToken: null, deviceId: null, ip: null });
    // a failure later moves it to failed, once; a rejected attempt stays declined
    expect(await tx((t) => stores.attempts.markFailed(t, r.paymentId))).toBe(true);
    expect(await tx((t) => stores.attempts.markFailed(t, r.paymentId))).toBe(false);
    const over = request({ amountMinor: '200001' });
    expect(await assess(over)).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_IDENTITY_UNVERIFIED' } });
    expect(await tx((t) => stores.attempts.find(t, over.paymentId))).toMatchObject({ outcome: 'declined' });
    expect(await tx((t) => stores.attempts.markFailed(t, over.paymentId))).toBe(false);
  });

  it('records the signals, an IP address in one canonical form so one address counts once', async () => {
    const r = request({ cardToken: card(), deviceId: 'dev-A1', ipAddress: '2001:0DB8:0:0::7' });
    await assess(r);
    expect(await tx((t) => stores.attempts.find(t, r.paymentId))).toEqual({ outcome: 'approved', cardToken: r.cardToken, deviceId: 'dev-A1', ip: '2001:db8::7' });
  });

  it(`lets exactly ${VELOCITY_CARD_MAX} of ${CONCURRENT_PAYMENTS} concurrent payments on one card through its velocity rule`, async () => {
    await publish({ kind: 'velocity', id: 'velocity-card', enabled: true, action: 'reject', score: 900, dimension: 'cardToken', maxCount: VELOCITY_CARD_MAX, windowSeconds: 60 });
    const cardToken = card();
    const userId = uniqueId('u');
    const started = performance.now();
    const results = await concurrently(Array.from({ length: CONCURRENT_PAYMENTS }, () => (t: EntityManager) => assessor.assess(t, request({ userId, cardToken, amountMinor: '1000' }))));
    const elapsedMs = performance.now() - started;
    const passed = results.filter((a) => a.decision === 'approve').length;
    console.log(`velocity: ${CONCURRENT_PAYMENTS} concurrent payments on one card, at most ${VELOCITY_CARD_MAX} a minute: ${passed} passed, ${CONCURRENT_PAYMENTS - passed} rejected, in ${elapsedMs.toFixed(0)} ms`);
    expect(passed).toBe(VELOCITY_CARD_MAX);
    for (const a of results.filter((x) => x.decision !== 'approve')) expect(a).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_VELOCITY' }, reasons: [{ ruleId: 'velocity-card' }] });
    const [row] = await ds.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE outcome = 'approved')::int AS approved FROM risk_attempt WHERE card_token = $1`, [cardToken]);
    expect(row).toEqual({ n: CONCURRENT_PAYMENTS, approved: VELOCITY_CARD_MAX });
    // the rejections hold nothing: only the approved payments count against the card's cap
    expect(await tx((t) => stores.limits.capUsage(t, 'card', cardToken, new Date()))).toBe(BigInt(VELOCITY_CARD_MAX) * 1000n);
  });

  it(`lets exactly ${VELOCITY_USER_MAX} of ${CONCURRENT_PAYMENTS} concurrent payments of one user through a rejecting velocity-user rule`, async () => {
    await publish({ kind: 'velocity-user', id: 'velocity-user', enabled: true, action: 'reject', score: 900, maxCount: VELOCITY_USER_MAX, windowSeconds: 60 });
    const [merchantId, userId] = [uniqueId('m'), uniqueId('u')];
    // as the consumer does: the decision is stored in the assessment's transaction, and the next one counts it
    const decide = (r: RiskAssessmentRequested) => async (t: EntityManager) => {
      const assessed = await assessor.assess(t, r);
      await stores.decisions.insertIfAbsent(t, { ...r, amountMinor: BigInt(r.amountMinor), ...assessed });
      return assessed;
    };
    const results = await concurrently(Array.from({ length: CONCURRENT_PAYMENTS }, () => decide(request({ merchantId, userId, amountMinor: '1000' }))));
    expect(results.filter((a) => a.decision === 'approve')).toHaveLength(VELOCITY_USER_MAX);
    for (const a of results.filter((x) => x.decision !== 'approve')) expect(a).toMatchObject({ rejectReason: { code: 'RISK_VELOCITY' }, reasons: [{ ruleId: 'velocity-user' }] });
  });

  it(`lets exactly as many of ${CONCURRENT_PAYMENTS} concurrent payments of different users on one card through as its daily cap holds`, async () => {
    await publish();
    const cardToken = card();
    const results = await concurrently(Array.from({ length: CONCURRENT_PAYMENTS }, () => (t: EntityManager) => assessor.assess(t, request({ cardToken, amountMinor: '15000' }))));
    const fit = Number(CAPS.cardDailyMinor / 15_000n);
    const passed = results.filter((a) => a.decision === 'approve').length;
    console.log(`card cap: ${CONCURRENT_PAYMENTS} concurrent payments of CNY 150 by different users on one card, cap CNY 1,000: ${passed} passed (fit ${fit})`);
    expect(passed).toBe(fit);
    for (const a of results.filter((x) => x.decision !== 'approve')) {
      expect(a).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_DAILY_LIMIT_EXCEEDED', message: expect.stringContaining('card daily cap') }, reasons: [{ ruleId: 'cap-card-daily' }] });
    }
  });

  it('rejects over a merchant\'s daily cap naming it, and a failure gives the cap back', async () => {
    const merchantId = uniqueId('m');
    const [a, b, c] = await assessAll([request({ merchantId, amountMinor: '200000' }), request({ merchantId, amountMinor: '200000' }), request({ merchantId, amountMinor: '100001' })]);
    expect([a!.decision, b!.decision]).toEqual(['approve', 'approve']);
    expect(c).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_DAILY_LIMIT_EXCEEDED' }, reasons: [{ ruleId: 'cap-merchant-daily', detail: expect.stringContaining(`merchant ${merchantId}`) }] });
    const exactly = request({ merchantId, amountMinor: '100000' });
    expect((await assess(exactly)).decision).toBe('approve');
    expect(await tx((t) => stores.limits.release(t, exactly.paymentId))).toBe(true);
    expect((await assess(request({ merchantId, amountMinor: '100000' }))).decision).toBe('approve');
  });

  it('rejects card testing: the fourth small attempt on a card, and a card with more than three declined attempts', async () => {
    await publish({ kind: 'card-testing', id: 'card-testing', enabled: true, action: 'reject', score: 950, dimension: 'cardToken', windowSeconds: 600, smallAmountMaxMinor: '500', maxSmallCount: 3, maxDeclinedCount: 3 });
    const tester = card();
    const small = await assessAll([1, 2, 3, 4].map(() => request({ cardToken: tester, amountMinor: '500' })));
    expect(small.map((a) => a.decision)).toEqual(['approve', 'approve', 'approve', 'reject']);
    expect(small[3]).toMatchObject({ rejectReason: { code: 'RISK_ANOMALY' }, reasons: [{ ruleId: 'card-testing' }] });
    expect((await assess(request({ cardToken: tester, amountMinor: '501' }))).decision).toBe('approve'); // not small

    const stolen = card();
    const tries = [1, 2, 3, 4].map(() => request({ cardToken: stolen, amountMinor: '9900' }));
    for (const r of tries) {
      expect((await assess(r)).decision).toBe('approve');
      await tx((t) => stores.attempts.markFailed(t, r.paymentId)); // the issuer declined it
      if (r === tries[2]) expect((await assess(request({ cardToken: stolen, amountMinor: '9900' }))).decision).toBe('approve'); // 3 declined: not more than 3
    }
    expect(await assess(request({ cardToken: stolen, amountMinor: '9900' }))).toMatchObject({ decision: 'reject', reasons: [{ ruleId: 'card-testing', detail: expect.stringContaining('4 declined') }] });
  });

  it('rejects a device shared by more users than allowed, and a card likewise', async () => {
    await publish(
      { kind: 'shared-device', id: 'shared-device', enabled: true, action: 'reject', score: 900, maxUsers: 3, windowSeconds: 86_400 },
      { kind: 'shared-card', id: 'shared-card', enabled: true, action: 'reject', score: 900, maxUsers: 2, windowSeconds: 86_400 },
    );
    const deviceId = uniqueId('farm');
    const users = [1, 2, 3, 4].map(() => uniqueId('u'));
    const onDevice = await assessAll(users.map((userId) => request({ userId, deviceId })));
    expect(onDevice.map((a) => a.decision)).toEqual(['approve', 'approve', 'approve', 'reject']);
    expect(onDevice[3]).toMatchObject({ rejectReason: { code: 'RISK_ANOMALY' }, reasons: [{ ruleId: 'shared-device' }] });
    // the first user again: the device has still been used by 4 users (a rejected attempt counts too), more than 3
    expect((await assess(request({ userId: users[0]!, deviceId }))).decision).toBe('reject');
    const shared = card();
    const onCard = await assessAll([1, 2, 3].map(() => request({ cardToken: shared })));
    expect(onCard.map((a) => a.decision)).toEqual(['approve', 'approve', 'reject']);
    expect(onCard[2]).toMatchObject({ reasons: [{ ruleId: 'shared-card' }] });
  });

  it('holds a large payment from a device new to a known user for review, not one from a device they used', async () => {
    await publish({ kind: 'new-device-large-amount', id: 'new-device-large-amount', enabled: true, action: 'review', score: 400, minAmountMinor: '100000', minUserAttempts: 1 });
    const shopper = { merchantId: uniqueId('m'), userId: uniqueId('u') };
    expect((await assess(request({ ...shopper, deviceId: 'phone-1', amountMinor: '150000' }))).decision).toBe('approve'); // a first payment: nothing to compare with
    expect((await assess(request({ ...shopper, deviceId: 'phone-1', amountMinor: '150000' }))).decision).toBe('approve');
    expect(await assess(request({ ...shopper, deviceId: 'laptop-9', amountMinor: '100000' }))).toMatchObject({ decision: 'review', score: 400, reasons: [{ ruleId: 'new-device-large-amount' }] });
    expect((await assess(request({ ...shopper, deviceId: 'tablet-3', amountMinor: '99999' }))).decision).toBe('approve');
  });

  it('rejects a blocklisted card, device or IP, and lets an allowlisted device past velocity', async () => {
    const blocked = card();
    await publish(
      { kind: 'blocklist', id: 'blocked-cards', enabled: true, action: 'reject', score: 999, field: 'cardToken', values: [blocked] },
      { kind: 'blocklist', id: 'blocked-devices', enabled: true, action: 'reject', score: 999, field: 'deviceId', values: ['dev-evil'] },
      { kind: 'blocklist', id: 'blocked-ips', enabled: true, action: 'reject', score: 999, field: 'ip', values: ['198.51.100.66'] },
      { kind: 'velocity', id: 'velocity-device', enabled: true, action: 'reject', score: 900, dimension: 'deviceId', maxCount: 1, windowSeconds: 60 },
      { kind: 'allowlist', id: 'trusted-devices', enabled: true, field: 'deviceId', values: ['kiosk-1'] },
    );
    for (const [r, rule] of [
      [request({ cardToken: blocked }), 'blocked-cards'],
      [request({ deviceId: 'dev-evil' }), 'blocked-devices'],
      [request({ ipAddress: '198.51.100.66' }), 'blocked-ips'],
    ] as const) {
      expect(await assess(r)).toMatchObject({ decision: 'reject', rejectReason: { code: 'RISK_BLOCKLISTED' }, reasons: [{ ruleId: rule }] });
    }
    expect((await assessAll([1, 2].map(() => request({ deviceId: 'dev-busy' })))).map((a) => a.decision)).toEqual(['approve', 'reject']);
    expect((await assessAll([1, 2, 3].map(() => request({ deviceId: 'kiosk-1' })))).map((a) => a.decision)).toEqual(['approve', 'approve', 'approve']);
  });

  describe('a user id is its merchant\'s: two merchants\' same user id are two shoppers', () => {
    /** As the consumer does: the decision stored in the assessment's transaction (velocity-user counts stored decisions). */
    const decide = (r: RiskAssessmentRequested) =>
      tx(async (t) => {
        const assessed = await assessor.assess(t, r);
        await stores.decisions.insertIfAbsent(t, { ...r, amountMinor: BigInt(r.amountMinor), ...assessed });
        return assessed;
      });
    const shared = () => ({ userId: uniqueId('u'), a: uniqueId('m-a'), b: uniqueId('m-b') });

    it('gives each merchant\'s user its own full daily limit, and the same merchant\'s user still hits it', async () => {
      await publish();
      const { userId, a, b } = shared();
      // level none (neither merchant registered the user): CNY 2,000 a payment, CNY 5,000 a day
      const day = (merchantId: string) => ['200000', '200000', '100000', '100'].map((amountMinor) => request({ merchantId, userId, amountMinor }));
      const atA = await assessAll(day(a));
      expect(atA.map((x) => x.decision)).toEqual(['approve', 'approve', 'approve', 'reject']);
      expect(atA[3]).toMatchObject({ rejectReason: { code: 'RISK_DAILY_LIMIT_EXCEEDED' }, reasons: [{ ruleId: 'limit-daily', detail: expect.stringContaining('500000 of the daily limit 500000 used') }] });
      // merchant b's user of the same id has used nothing: its whole CNY 5,000, and then its own limit
      const atB = await assessAll(day(b));
      expect(atB.map((x) => x.decision)).toEqual(['approve', 'approve', 'approve', 'reject']);
      expect(atB[3]).toMatchObject({ reasons: [{ ruleId: 'limit-daily' }] });
      // a's user is still at its limit
      expect(await assess(request({ merchantId: a, userId, amountMinor: '1' }))).toMatchObject({ decision: 'reject', reasons: [{ ruleId: 'limit-daily' }] });
    });

    it('counts a user\'s velocity at its merchant only', async () => {
      await publish({ kind: 'velocity-user', id: 'velocity-user', enabled: true, action: 'reject', score: 900, maxCount: 2, windowSeconds: 60 });
      const { userId, a, b } = shared();
      const atA = [];
      for (let i = 0; i < 3; i++) atA.push(await decide(request({ merchantId: a, userId })));
      expect(atA.map((x) => x.decision)).toEqual(['approve', 'approve', 'reject']);
      expect(atA[2]).toMatchObject({ rejectReason: { code: 'RISK_VELOCITY' } });
      expect((await decide(request({ merchantId: b, userId }))).decision).toBe('approve');
    });

    it('reads a user\'s history and devices at its merchant only', async () => {
      await publish(
        ...DEFAULT_RULE_SET.rules.filter((r) => r.kind === 'amount-above-history'),
        { kind: 'new-device-large-amount', id: 'new-device-large-amount', enabled: true, action: 'review', score: 400, minAmountMinor: '100000', minUserAttempts: 1 },
      );
      const { userId, a, b } = shared();
      // at a: three CNY 100 payments that went through, from the user's phone
      for (let i = 0; i < 3; i++) {
        const r = request({ merchantId: a, userId, deviceId: 'phone-a', amountMinor: '10000' });
        expect((await assess(r)).decision).toBe('approve');
        expect(await tx((t) => stores.limits.commit(t, r.paymentId))).toBe(true);
      }
      // CNY 1,500 is far above a's user's history, and from a device that user never paid from
      expect(await assess(request({ merchantId: a, userId, deviceId: 'laptop-b', amountMinor: '150000' }))).toMatchObject({
        decision: 'review',
        reasons: [{ ruleId: 'amount-above-history' }, { ruleId: 'new-device-large-amount' }],
      });
      // b's user of the same id has no history nor devices at b: nothing to compare with
      expect(await assess(request({ merchantId: b, userId, deviceId: 'laptop-b', amountMinor: '150000' }))).toEqual({ decision: 'approve', score: 0, reasons: [] });
    });

    it('counts two merchants\' users of one id as two users on a shared card', async () => {
      await publish({ kind: 'shared-card', id: 'shared-card', enabled: true, action: 'reject', score: 900, maxUsers: 1, windowSeconds: 86_400 });
      const { userId, a, b } = shared();
      const cardToken = card();
      expect((await assess(request({ merchantId: a, userId, cardToken }))).decision).toBe('approve');
      expect((await assess(request({ merchantId: a, userId, cardToken }))).decision).toBe('approve');
      expect(await assess(request({ merchantId: b, userId, cardToken }))).toMatchObject({ decision: 'reject', reasons: [{ ruleId: 'shared-card', detail: expect.stringContaining('2 users') }] });
    });
  });

  it(`measures ${SEQUENTIAL_ASSESSMENTS} assessments with the default rules and every signal`, async () => {
    await publish(...DEFAULT_RULE_SET.rules);
    const ms: number[] = [];
    for (let i = 0; i < SEQUENTIAL_ASSESSMENTS; i++) {
      const r = request({ userId: `u-bench-${i % 40}`, merchantId: 'm-bench', cardToken: `tok_${(i % 40).toString(16).padStart(32, '0')}`, deviceId: `dev-${i % 40}`, ipAddress: `203.0.113.${i % 40}`, amountMinor: String(1_000 + i) });
      const started = performance.now();
      const a = await assess(r);
      ms.push(performance.now() - started);
      expect(a.decision).toBe('approve');
    }
    ms.sort((a, b) => a - b);
    console.log(`assessment latency over ${SEQUENTIAL_ASSESSMENTS} (default rules, card + device + IP, own transaction): p50 ${percentile(ms, 0.5).toFixed(2)} ms, p99 ${percentile(ms, 0.99).toFixed(2)} ms`);
  });
});
