import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { LimitReservationModel, periodLimitsOf, type PeriodLimits, type ReserveResult } from '@paystream/risk/domain';
import { inTransaction, openDatabase, type EntityManager } from '@paystream/shared/persistence';
import { dropSchemas, inConcurrentTransactions, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { LimitReservationRepository } from './limit-reservation.repository';
import { RISK_MIGRATIONS } from './risk-tables.migration';

/** Enough connections that the concurrent reservations really contend, within Postgres' 100. */
const POOL_SIZE = 20;
const CONCURRENT_RESERVATIONS = 50;
const CNY_150_MINOR = 150_00n;
/** Noon in Beijing. */
const AT = new Date('2025-11-25T04:00:00Z');
const UNVERIFIED = periodLimitsOf('none');
/** The merchant whose users the cases reserve for, unless they name another. */
const MERCHANT = 'm-spec';
/** The model-vs-Postgres property: runs, and operations per run at most. */
const MODEL_RUNS = 100;
/** How long the model comparison may take: 100 sequences on the real database, several times Jest's default on a loaded 2-core CI box. */
const MODEL_TIMEOUT_MS = 240_000;
const MODEL_STEPS_MAX = 60;

describe('limit reservations on the real database', () => {
  const schema = uniqueId('risk_limits_');
  const limits = new LimitReservationRepository();
  let ds: DataSource;

  const tx = <T>(fn: (tx: EntityManager) => Promise<T>) => inTransaction(ds, fn);
  const reserve = (userId: string, amountMinor: bigint, periodLimits: PeriodLimits = UNVERIFIED, paymentId: string = randomUUID(), at = AT, merchantId = MERCHANT) =>
    tx((t) => limits.reserve(t, { paymentId, merchantId, userId, amountMinor, currency: 'CNY', at, limits: periodLimits })).then((result) => ({ paymentId, result }));
  const usage = (userId: string, at = AT, merchantId = MERCHANT) => tx((t) => limits.usage(t, merchantId, userId, at));
  /** The refunds limit_refund holds for a payment, summed (one row per refundId). */
  const refundedMinor = async (paymentId: string) =>
    BigInt(((await ds.query(`SELECT coalesce(sum(amount_minor), 0)::text AS total FROM limit_refund WHERE payment_id = $1`, [paymentId])) as { total: string }[])[0]!.total);

  const concurrently = <T>(tasks: ((t: EntityManager) => Promise<T>)[]) => inConcurrentTransactions(tx, POOL_SIZE, tasks);

  /**
   * Counters (a merchant's user's day and year, a merchant's and a card's day) that disagree with the
   * reservations holding them (there should be none, ever). '' stands for a cap's merchant (none) in the join.
   */
  const drift = () =>
    ds.query(`
      WITH active AS (SELECT * FROM limit_reservation WHERE status IN ('RESERVED', 'COMMITTED')),
      held AS (
        SELECT 'user' AS scope, merchant_id AS owner, user_id AS subject_id, 'day' AS period_kind, to_char(day, 'YYYY-MM-DD') AS period_key, sum(amount_minor) AS held_minor FROM active GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT 'user', merchant_id, user_id, 'year', year::text, sum(amount_minor) FROM active GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT 'merchant', '', merchant_id, 'day', to_char(day, 'YYYY-MM-DD'), sum(amount_minor) FROM active WHERE holds_merchant_cap GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT 'card', '', card_token, 'day', to_char(day, 'YYYY-MM-DD'), sum(amount_minor) FROM active WHERE card_token IS NOT NULL GROUP BY 1, 2, 3, 4, 5),
      used AS (SELECT scope, coalesce(merchant_id, '') AS owner, subject_id, period_kind, period_key, used_minor FROM limit_usage)
      SELECT scope, owner, subject_id, period_kind, period_key, coalesce(u.used_minor, 0)::text AS used, coalesce(h.held_minor, 0)::text AS held
        FROM used u FULL JOIN held h USING (scope, owner, subject_id, period_kind, period_key)
       WHERE coalesce(u.used_minor, 0) <> coalesce(h.held_minor, 0)`);

  beforeAll(async () => {
    ds = await openDatabase({ url: testDatabaseUrl(), schema, migrations: RISK_MIGRATIONS, poolSize: POOL_SIZE, applicationName: 'paystream-risk-limits-spec' });
  });

  afterEach(async () => {
    expect(await drift()).toEqual([]);
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(testDatabaseUrl(), [schema]);
  });

  it('holds, commits and releases a payment, moving only forward', async () => {
    const userId = uniqueId('u');
    const { paymentId, result } = await reserve(userId, 1_234_56n);
    expect(result).toEqual({ ok: true });
    const held = await tx((t) => limits.find(t, paymentId));
    expect(held).toMatchObject({ paymentId, merchantId: MERCHANT, userId, cardToken: null, amountMinor: 1_234_56n, currency: 'CNY', day: '2025-11-25', year: 2025, status: 'RESERVED' });
    expect(await usage(userId)).toEqual({ day: '2025-11-25', year: 2025, dailyUsedMinor: 1_234_56n, yearlyUsedMinor: 1_234_56n });

    expect(await tx((t) => limits.commit(t, paymentId))).toBe(true);
    expect(await tx((t) => limits.commit(t, paymentId))).toBe(false);
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 1_234_56n, yearlyUsedMinor: 1_234_56n });

    expect(await tx((t) => limits.release(t, paymentId))).toBe(true);
    expect(await tx((t) => limits.release(t, paymentId))).toBe(false);
    expect(await tx((t) => limits.commit(t, paymentId))).toBe(false);
    expect((await tx((t) => limits.find(t, paymentId)))?.status).toBe('RELEASED');
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 0n, yearlyUsedMinor: 0n });
  });

  it('releases once partial refunds add up to the amount, counting a refund told twice once', async () => {
    const userId = uniqueId('u');
    const { paymentId } = await reserve(userId, 1_000_00n);
    expect(await tx((t) => limits.commit(t, paymentId))).toBe(true);
    const [first, second] = [randomUUID(), randomUUID()];
    expect(await tx((t) => limits.refund(t, paymentId, first, 600_00n))).toBe('held');
    expect(await tx((t) => limits.refund(t, paymentId, first, 600_00n))).toBe('held');
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 1_000_00n });
    expect(await tx((t) => limits.refund(t, paymentId, second, 400_00n))).toBe('released');
    expect(await tx((t) => limits.refund(t, paymentId, second, 400_00n))).toBe('held');
    expect((await tx((t) => limits.find(t, paymentId)))?.status).toBe('RELEASED');
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 0n, yearlyUsedMinor: 0n });
    expect(await tx((t) => limits.refund(t, randomUUID(), randomUUID(), 1n))).toBe('none');
  });

  it('forestalls a reservation when the failure is told first, and releases one that was reserved meanwhile', async () => {
    const userId = uniqueId('u');
    const failure = (paymentId: string) => ({ paymentId, merchantId: MERCHANT, userId, amountMinor: 1_000_00n, currency: 'CNY', at: AT });
    const early = randomUUID();
    expect(await tx((t) => limits.releaseOrForestall(t, failure(early)))).toBe('forestalled');
    expect(await tx((t) => limits.releaseOrForestall(t, failure(early)))).toBe('none');
    // the decision comes after: its reserve finds the placeholder and holds nothing
    expect((await reserve(userId, 1_000_00n, UNVERIFIED, early)).result).toEqual({ ok: true });
    expect((await tx((t) => limits.find(t, early)))?.status).toBe('RELEASED');
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 0n, yearlyUsedMinor: 0n });

    // a reserve in flight while the failure is told: the failure waits for it, then releases it
    const racing = randomUUID();
    let reserved!: () => void;
    const reservedSignal = new Promise<void>((res) => (reserved = res));
    let finish!: () => void;
    const finishSignal = new Promise<void>((res) => (finish = res));
    const reserving = tx(async (t) => {
      await limits.reserve(t, { paymentId: racing, merchantId: MERCHANT, userId, amountMinor: 1_000_00n, currency: 'CNY', at: AT, limits: UNVERIFIED });
      reserved();
      await finishSignal;
    });
    await reservedSignal;
    const failing = tx((t) => limits.releaseOrForestall(t, failure(racing)));
    await new Promise((res) => setTimeout(res, 200));
    finish();
    await reserving;
    expect(await failing).toBe('released');
    expect((await tx((t) => limits.find(t, racing)))?.status).toBe('RELEASED');
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 0n, yearlyUsedMinor: 0n });
  });

  it('counts on the Beijing day: 23:59 and 00:00 Beijing time fall on different days of different years', async () => {
    const userId = uniqueId('u');
    const lastMinute = new Date('2025-12-31T15:59:00Z');
    const firstMinute = new Date('2025-12-31T16:00:00Z');
    await reserve(userId, 100n, UNVERIFIED, randomUUID(), lastMinute);
    await reserve(userId, 200n, UNVERIFIED, randomUUID(), firstMinute);
    expect(await usage(userId, lastMinute)).toEqual({ day: '2025-12-31', year: 2025, dailyUsedMinor: 100n, yearlyUsedMinor: 100n });
    expect(await usage(userId, firstMinute)).toEqual({ day: '2026-01-01', year: 2026, dailyUsedMinor: 200n, yearlyUsedMinor: 200n });
  });

  it('rejects over the daily limit leaving nothing behind, and the caller may still commit its transaction', async () => {
    const userId = uniqueId('u');
    const rejectedId = randomUUID();
    const results = await tx(async (t) => {
      const first = await limits.reserve(t, { paymentId: randomUUID(), merchantId: MERCHANT, userId, amountMinor: 4_000_00n, currency: 'CNY', at: AT, limits: UNVERIFIED });
      const second = await limits.reserve(t, { paymentId: rejectedId, merchantId: MERCHANT, userId, amountMinor: 1_000_01n, currency: 'CNY', at: AT, limits: UNVERIFIED });
      // the transaction is still usable after the undone reservation
      await t.query('SELECT 1');
      return [first, second];
    });
    expect(results).toEqual([{ ok: true }, { ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: 4_000_00n, limitMinor: 5_000_00n }]);
    expect(await tx((t) => limits.find(t, rejectedId))).toBeUndefined();
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 4_000_00n, yearlyUsedMinor: 4_000_00n });
    // exactly up to the limit fits
    expect((await reserve(userId, 1_000_00n)).result).toEqual({ ok: true });
    expect((await reserve(userId, 1n)).result).toMatchObject({ ok: false, usedMinor: 5_000_00n });
  });

  it('checks the first reservation of a period against the limit too, creating no counter', async () => {
    const userId = uniqueId('u');
    expect((await reserve(userId, 5_000_01n)).result).toEqual({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: 0n, limitMinor: 5_000_00n });
    expect(await ds.query(`SELECT * FROM limit_usage WHERE subject_id = $1`, [userId])).toEqual([]);
  });

  it('counts nothing when the year overflows after the day passed', async () => {
    const userId = uniqueId('u');
    const tight = { dailyMinor: 1_000n, yearlyMinor: 1_500n };
    const nextDay = new Date('2025-11-26T04:00:00Z');
    expect((await reserve(userId, 1_000n, tight)).result).toEqual({ ok: true });
    const { paymentId, result } = await reserve(userId, 600n, tight, randomUUID(), nextDay);
    expect(result).toEqual({ ok: false, code: 'RISK_YEARLY_LIMIT_EXCEEDED', usedMinor: 1_000n, limitMinor: 1_500n });
    expect(await usage(userId, nextDay)).toMatchObject({ dailyUsedMinor: 0n, yearlyUsedMinor: 1_000n });
    expect(await tx((t) => limits.find(t, paymentId))).toBeUndefined();
  });

  it('counts where no limit is set, so a later level sees the true usage', async () => {
    const userId = uniqueId('u');
    expect((await reserve(userId, 9_000_00n, {})).result).toEqual({ ok: true });
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 9_000_00n, yearlyUsedMinor: 9_000_00n });
    expect((await reserve(userId, 1n)).result).toMatchObject({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: 9_000_00n });
  });

  it('refuses to work outside a transaction, or on amounts no limit can hold', async () => {
    const request = { paymentId: randomUUID(), merchantId: MERCHANT, userId: 'u', amountMinor: 1n, currency: 'CNY', at: AT, limits: UNVERIFIED };
    await expect(limits.reserve(ds.manager, request)).rejects.toThrow('inside a transaction');
    await expect(limits.release(ds.manager, request.paymentId)).rejects.toThrow('inside a transaction');
    await expect(tx((t) => limits.reserve(t, { ...request, amountMinor: 0n }))).rejects.toThrow('positive');
    await expect(tx((t) => limits.reserve(t, { ...request, currency: 'USD' }))).rejects.toThrow('CNY');
  });

  it(`lets exactly the reservations that fit through when ${CONCURRENT_RESERVATIONS} race for one daily limit`, async () => {
    const userId = uniqueId('u');
    const dailyMinor = UNVERIFIED.dailyMinor!;
    const fit = Number(dailyMinor / CNY_150_MINOR); // 33 x CNY 150 = CNY 4,950 of CNY 5,000
    const paymentIds = Array.from({ length: CONCURRENT_RESERVATIONS }, () => randomUUID());

    const started = performance.now();
    const results = await concurrently(paymentIds.map((paymentId) => (t) => limits.reserve(t, { paymentId, merchantId: MERCHANT, userId, amountMinor: CNY_150_MINOR, currency: 'CNY', at: AT, limits: UNVERIFIED })));
    const elapsedMs = performance.now() - started;
    console.log(`${CONCURRENT_RESERVATIONS} concurrent reservations on a pool of ${POOL_SIZE}: ${results.filter((r) => r.ok).length} passed in ${elapsedMs.toFixed(1)} ms`);

    const passed = paymentIds.filter((_, i) => results[i]!.ok);
    expect(passed).toHaveLength(fit);
    const passedMinor = BigInt(passed.length) * CNY_150_MINOR;
    expect(passedMinor).toBeLessThanOrEqual(dailyMinor);
    for (const r of results.filter((r): r is Extract<ReserveResult, { ok: false }> => !r.ok)) {
      // a rejection only ever saw the day after all 33 were counted: nothing less could overflow it
      expect(r).toEqual({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: passedMinor, limitMinor: dailyMinor });
    }
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: passedMinor, yearlyUsedMinor: passedMinor });
    const [stored] = await ds.query(`SELECT count(*)::int AS n, sum(amount_minor)::text AS total FROM limit_reservation WHERE user_id = $1 AND status = 'RESERVED'`, [userId]);
    expect(stored).toEqual({ n: fit, total: passedMinor.toString() });

    // releasing 5 frees exactly 5 x CNY 150: of 10 new racers, exactly 5 get through
    const releasedIds = passed.slice(0, 5);
    expect(await concurrently(releasedIds.map((id) => (t) => limits.release(t, id)))).toEqual([true, true, true, true, true]);
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: passedMinor - 5n * CNY_150_MINOR });
    const again = await concurrently(Array.from({ length: 10 }, () => (t: EntityManager) => limits.reserve(t, { paymentId: randomUUID(), merchantId: MERCHANT, userId, amountMinor: CNY_150_MINOR, currency: 'CNY', at: AT, limits: UNVERIFIED })));
    expect(again.filter((r) => r.ok)).toHaveLength(5);
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: passedMinor });

    // the same payment reserved 10 times at once counts once; released 10 times at once gives back once
    const held = passed[10]!;
    const repeats = await concurrently(Array.from({ length: 10 }, () => (t: EntityManager) => limits.reserve(t, { paymentId: held, merchantId: MERCHANT, userId, amountMinor: CNY_150_MINOR, currency: 'CNY', at: AT, limits: UNVERIFIED })));
    expect(repeats).toEqual(Array.from({ length: 10 }, () => ({ ok: true })));
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: passedMinor });
    const releases = await concurrently(Array.from({ length: 10 }, () => (t: EntityManager) => limits.release(t, held)));
    expect(releases.filter(Boolean)).toHaveLength(1);
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: passedMinor - CNY_150_MINOR });
  });

  it(`holds a card's and a merchant's daily cap exactly when ${CONCURRENT_RESERVATIONS} payments of different users race for them`, async () => {
    const cardToken = uniqueId('card');
    const merchantId = uniqueId('mer');
    const caps = { cardDailyMinor: 1_000_00n, merchantDailyMinor: 5_000_00n };
    const reserveOn = (patch: { cardToken?: string; merchantId: string }) => (t: EntityManager) =>
      limits.reserve(t, { paymentId: randomUUID(), userId: uniqueId('u'), amountMinor: CNY_150_MINOR, currency: 'CNY', at: AT, limits: UNVERIFIED, caps, ...patch });
    // CNY 1,000 a card: 6 x CNY 150 fit, whoever the users are
    const onCard = await concurrently(Array.from({ length: CONCURRENT_RESERVATIONS }, () => reserveOn({ cardToken, merchantId: uniqueId('mer') })));
    const cardFit = Number(caps.cardDailyMinor / CNY_150_MINOR);
    console.log(`${CONCURRENT_RESERVATIONS} concurrent payments on one card, cap CNY 1,000 at CNY 150 each: ${onCard.filter((r) => r.ok).length} passed (fit ${cardFit})`);
    expect(onCard.filter((r) => r.ok)).toHaveLength(cardFit);
    for (const r of onCard.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: BigInt(cardFit) * CNY_150_MINOR, limitMinor: caps.cardDailyMinor, cap: 'card' });
    expect(await tx((t) => limits.capUsage(t, 'card', cardToken, AT))).toBe(BigInt(cardFit) * CNY_150_MINOR);
    // CNY 5,000 a merchant: 33 x CNY 150 fit
    const onMerchant = await concurrently(Array.from({ length: CONCURRENT_RESERVATIONS }, () => reserveOn({ merchantId })));
    expect(onMerchant.filter((r) => r.ok)).toHaveLength(Number(caps.merchantDailyMinor / CNY_150_MINOR));
    expect(onMerchant.filter((r) => !r.ok).every((r) => !r.ok && r.cap === 'merchant')).toBe(true);
    expect(await tx((t) => limits.capUsage(t, 'merchant', merchantId, AT))).toBe(33n * CNY_150_MINOR);
  });

  it(`gives one user id at two merchants a daily limit each when ${CONCURRENT_RESERVATIONS} payments at each race, and a release gives back to its own merchant's user`, async () => {
    const userId = uniqueId('u');
    const [a, b] = [uniqueId('mer-a'), uniqueId('mer-b')];
    const dailyMinor = UNVERIFIED.dailyMinor!;
    const fit = Number(dailyMinor / CNY_150_MINOR);
    const at = (merchantId: string) => Array.from({ length: CONCURRENT_RESERVATIONS }, () => (t: EntityManager) => limits.reserve(t, { paymentId: randomUUID(), merchantId, userId, amountMinor: CNY_150_MINOR, currency: 'CNY', at: AT, limits: UNVERIFIED }));
    const results = await concurrently([...at(a), ...at(b)]);
    expect([results.slice(0, CONCURRENT_RESERVATIONS).filter((r) => r.ok).length, results.slice(CONCURRENT_RESERVATIONS).filter((r) => r.ok).length]).toEqual([fit, fit]);
    const used = BigInt(fit) * CNY_150_MINOR;
    expect(await usage(userId, AT, a)).toMatchObject({ dailyUsedMinor: used, yearlyUsedMinor: used });
    expect(await usage(userId, AT, b)).toMatchObject({ dailyUsedMinor: used, yearlyUsedMinor: used });
    const [one] = await ds.query(`SELECT payment_id FROM limit_reservation WHERE merchant_id = $1 AND user_id = $2 AND status = 'RESERVED' LIMIT 1`, [b, userId]);
    expect(await tx((t) => limits.release(t, one.payment_id))).toBe(true);
    expect((await usage(userId, AT, a)).dailyUsedMinor).toBe(used);
    expect((await usage(userId, AT, b)).dailyUsedMinor).toBe(used - CNY_150_MINOR);
    expect((await reserve(userId, CNY_150_MINOR, UNVERIFIED, randomUUID(), AT, a)).result).toMatchObject({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: used });
    expect((await reserve(userId, CNY_150_MINOR, UNVERIFIED, randomUUID(), AT, b)).result).toEqual({ ok: true });
  });

  it('counts a payment once when its first reservations race each other', async () => {
    const userId = uniqueId('u');
    const paymentId = randomUUID();
    const results = await concurrently(Array.from({ length: 10 }, () => (t: EntityManager) => limits.reserve(t, { paymentId, merchantId: MERCHANT, userId, amountMinor: 700n, currency: 'CNY', at: AT, limits: UNVERIFIED })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await usage(userId)).toMatchObject({ dailyUsedMinor: 700n, yearlyUsedMinor: 700n });
  });

  it('holds the yearly limit across days under concurrency', async () => {
    const userId = uniqueId('u');
    const yearly = { yearlyMinor: 1_000_00n };
    // 30 payments of CNY 50 on 30 different days of 2025 against CNY 1,000 a year: exactly 20 fit
    const results = await concurrently(
      Array.from({ length: 30 }, (_, i) => (t: EntityManager) =>
        limits.reserve(t, { paymentId: randomUUID(), merchantId: MERCHANT, userId, amountMinor: 50_00n, currency: 'CNY', at: new Date(Date.UTC(2025, 0, 1 + i * 7, 4)), limits: yearly }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(20);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'RISK_YEARLY_LIMIT_EXCEEDED' && r.usedMinor === 1_000_00n)).toBe(true);
    expect((await usage(userId)).yearlyUsedMinor).toBe(1_000_00n);
  });

  it('does what the reference model does, for any sequence of reserve, commit, release, refunds (partial, whole, told again) and failures told before the decision', async () => {
    const PAYMENTS = 6;
    /** Fewer refund ids than payments: a refund is told again, and sometimes for another payment. */
    const REFUND_IDS = 4;
    const instants = [AT, new Date('2025-11-25T15:59:59Z'), new Date('2025-11-26T04:00:00Z'), new Date('2026-01-01T04:00:00Z')];
    // weighted so that holds exist often enough for commits, refunds and failures to find them
    const operation = fc.oneof(
      { weight: 4, arbitrary: fc.record({
        kind: fc.constant('reserve' as const),
        payment: fc.nat(PAYMENTS - 1),
        user: fc.nat(1),
        merchant: fc.nat(1),
        card: fc.option(fc.nat(1), { nil: undefined }),
        instant: fc.nat(instants.length - 1),
        amountMinor: fc.bigInt({ min: 1n, max: 600n }),
      }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), payment: fc.nat(PAYMENTS - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), payment: fc.nat(PAYMENTS - 1) }) },
      // 'rest': what is left of the hold (or 1 when nothing is), so refunds also add up to exactly the whole
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('refund' as const), payment: fc.nat(PAYMENTS - 1), refund: fc.nat(REFUND_IDS - 1), amountMinor: fc.oneof(fc.constant('rest' as const), fc.bigInt({ min: 1n, max: 400n })) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), payment: fc.nat(PAYMENTS - 1), merchant: fc.nat(1), user: fc.nat(1), instant: fc.nat(instants.length - 1), amountMinor: fc.bigInt({ min: 1n, max: 600n }) }) },
    );
    const periodLimits = fc.record({ dailyMinor: fc.option(fc.bigInt({ min: 1n, max: 1_500n }), { nil: undefined }), yearlyMinor: fc.option(fc.bigInt({ min: 1n, max: 3_000n }), { nil: undefined }) });
    const caps = fc.record({ merchantDailyMinor: fc.option(fc.bigInt({ min: 1n, max: 1_500n }), { nil: undefined }), cardDailyMinor: fc.option(fc.bigInt({ min: 1n, max: 1_000n }), { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(periodLimits, caps, fc.array(operation, { minLength: 1, maxLength: MODEL_STEPS_MAX, size: 'max' }), async (periodLimits, caps, operations) => {
        // fresh users, merchants, cards and payments per run, so runs share the database without seeing each other;
        // every user id at both merchants, which must never share its counters
        const users = [uniqueId('u'), uniqueId('u')];
        const merchants = [uniqueId('mer'), uniqueId('mer')];
        const cards = [uniqueId('card'), uniqueId('card')];
        const payments = Array.from({ length: PAYMENTS }, () => randomUUID());
        const refundIds = Array.from({ length: REFUND_IDS }, () => randomUUID());
        const model = new LimitReservationModel();
        for (const op of operations) {
          const paymentId = payments[op.payment]!;
          if (op.kind === 'reserve') {
            const request = {
              paymentId,
              merchantId: merchants[op.merchant]!,
              userId: users[op.user]!,
              ...(op.card !== undefined ? { cardToken: cards[op.card]! } : {}),
              amountMinor: op.amountMinor,
              currency: 'CNY',
              at: instants[op.instant]!,
              limits: periodLimits,
              caps,
            };
            expect(await tx((t) => limits.reserve(t, request))).toEqual(model.reserve(request));
          } else if (op.kind === 'commit') {
            expect(await tx((t) => limits.commit(t, paymentId))).toBe(model.commit(paymentId));
          } else if (op.kind === 'release') {
            expect(await tx((t) => limits.release(t, paymentId))).toBe(model.release(paymentId));
          } else if (op.kind === 'refund') {
            const rest = (model.reservedMinor(paymentId) ?? 0n) - model.refundedMinor(paymentId);
            const amountMinor = op.amountMinor === 'rest' ? (rest > 0n ? rest : 1n) : op.amountMinor;
            const refundId = refundIds[op.refund]!;
            expect(await tx((t) => limits.refund(t, paymentId, refundId, amountMinor))).toBe(model.refund(paymentId, refundId, amountMinor));
          } else {
            const failure = { paymentId, merchantId: merchants[op.merchant]!, userId: users[op.user]!, amountMinor: op.amountMinor, currency: 'CNY', at: instants[op.instant]! };
            expect(await tx((t) => limits.releaseOrForestall(t, failure))).toBe(model.releaseOrForestall(failure));
          }
          const stored = await tx((t) => limits.find(t, paymentId));
          expect(stored?.status).toBe(model.status(paymentId));
          expect(stored?.amountMinor).toBe(model.reservedMinor(paymentId));
          expect(await refundedMinor(paymentId)).toBe(model.refundedMinor(paymentId));
        }
        for (const at of instants) {
          for (const merchantId of merchants) for (const userId of users) expect(await usage(userId, at, merchantId)).toEqual(model.usage(merchantId, userId, at));
          for (const id of merchants) expect(await tx((t) => limits.capUsage(t, 'merchant', id, at))).toBe(model.capUsage('merchant', id, at));
          for (const id of cards) expect(await tx((t) => limits.capUsage(t, 'card', id, at))).toBe(model.capUsage('card', id, at));
        }
      }),
      { numRuns: MODEL_RUNS },
    );
  }, MODEL_TIMEOUT_MS);
});
