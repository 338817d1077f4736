import fc from 'fast-check';
import {
  holdsLimit,
  LimitReservationModel,
  RESERVATION_STATUSES,
  reservationStatusesLeadingTo,
  reservationTransitions,
  type ReserveRequest,
} from './limit-reservation';
import type { PeriodLimits } from './limits';

const NOON_BEIJING = new Date('2025-11-25T04:00:00Z');
const NEXT_DAY = new Date('2025-11-26T04:00:00Z');
const NEXT_YEAR = new Date('2026-01-02T04:00:00Z');
const reserve = (paymentId: string, amountMinor: bigint, limits: PeriodLimits, patch: Partial<ReserveRequest> = {}): ReserveRequest => ({
  paymentId,
  merchantId: 'm1',
  userId: 'u1',
  amountMinor,
  currency: 'CNY',
  at: NOON_BEIJING,
  limits,
  ...patch,
});

describe('reservation state table', () => {
  it('only moves forward', () => {
    expect(reservationTransitions).toEqual({ RESERVED: ['COMMITTED', 'RELEASED'], COMMITTED: ['RELEASED'], RELEASED: [] });
    expect(Object.keys(reservationTransitions)).toEqual([...RESERVATION_STATUSES]);
    expect(reservationStatusesLeadingTo('COMMITTED')).toEqual(['RESERVED']);
    expect(reservationStatusesLeadingTo('RELEASED')).toEqual(['RESERVED', 'COMMITTED']);
    expect(reservationStatusesLeadingTo('RESERVED')).toEqual([]);
  });

  it.each([
    ['RESERVED', true],
    ['COMMITTED', true],
    ['RELEASED', false],
  ] as const)('%s holds the limit: %s', (status, held) => {
    expect(holdsLimit(status)).toBe(held);
  });
});

describe('limit reservation model', () => {
  const limits = { dailyMinor: 1_000n, yearlyMinor: 2_500n };

  it('holds up to the daily limit, then says by how much the day is used', () => {
    const m = new LimitReservationModel();
    expect(m.reserve(reserve('p1', 600n, limits))).toEqual({ ok: true });
    expect(m.reserve(reserve('p2', 400n, limits))).toEqual({ ok: true });
    expect(m.reserve(reserve('p3', 1n, limits))).toEqual({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: 1_000n, limitMinor: 1_000n });
    expect(m.usage('m1', 'u1', NOON_BEIJING)).toEqual({ day: '2025-11-25', year: 2025, dailyUsedMinor: 1_000n, yearlyUsedMinor: 1_000n });
    expect(m.status('p3')).toBeUndefined();
  });

  it('counts the year across days and checks it after the day', () => {
    const m = new LimitReservationModel();
    expect(m.reserve(reserve('p1', 1_000n, limits))).toEqual({ ok: true });
    expect(m.reserve(reserve('p2', 1_000n, limits, { at: NEXT_DAY }))).toEqual({ ok: true });
    const third = new Date('2025-11-27T04:00:00Z');
    expect(m.reserve(reserve('p3', 600n, limits, { at: third }))).toEqual({ ok: false, code: 'RISK_YEARLY_LIMIT_EXCEEDED', usedMinor: 2_000n, limitMinor: 2_500n });
    // a failed year leaves the day untouched
    expect(m.usage('m1', 'u1', third)).toMatchObject({ dailyUsedMinor: 0n, yearlyUsedMinor: 2_000n });
    expect(m.reserve(reserve('p4', 600n, limits, { at: NEXT_YEAR }))).toEqual({ ok: true });
  });

  it('counts a repeated reserve once, gives back once, and never reserves a released payment again', () => {
    const m = new LimitReservationModel();
    expect(m.reserve(reserve('p1', 700n, limits))).toEqual({ ok: true });
    expect(m.reserve(reserve('p1', 700n, limits))).toEqual({ ok: true });
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(700n);
    expect(m.commit('p1')).toBe(true);
    expect(m.commit('p1')).toBe(false);
    expect(m.release('p1')).toBe(true);
    expect(m.release('p1')).toBe(false);
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(0n);
    expect(m.reserve(reserve('p1', 700n, limits))).toEqual({ ok: true });
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(0n);
    expect(m.commit('p1')).toBe(false);
  });

  it('keeps the hold through partial refunds and releases it once they add up to the whole, one refund per refundId', () => {
    const m = new LimitReservationModel();
    expect(m.reserve(reserve('p1', 700n, limits))).toEqual({ ok: true });
    expect(m.commit('p1')).toBe(true);
    expect(m.refund('p1', 'r1', 300n)).toBe('held');
    expect(m.refund('p1', 'r1', 300n)).toBe('held'); // told again: counted once
    expect(m.refundedMinor('p1')).toBe(300n);
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(700n);
    expect(m.refund('p1', 'r2', 400n)).toBe('released');
    expect(m.status('p1')).toBe('RELEASED');
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(0n);
    expect(m.refund('p1', 'r3', 1n)).toBe('held'); // released before: nothing more to give back
    expect(m.refund('nope', 'r4', 1n)).toBe('none');
    expect(m.refundedMinor('nope')).toBe(0n);
  });

  it('keeps a refundId with the payment it was first told for', () => {
    const m = new LimitReservationModel();
    m.reserve(reserve('p1', 500n, limits));
    m.reserve(reserve('p2', 500n, limits));
    expect(m.refund('p1', 'r1', 500n)).toBe('released');
    expect(m.refund('p2', 'r1', 500n)).toBe('held');
    expect(m.status('p2')).toBe('RESERVED');
    expect(m.refundedMinor('p2')).toBe(0n);
  });

  it('leaves a RELEASED placeholder for a failure told before the decision, so the later reserve holds nothing', () => {
    const m = new LimitReservationModel();
    const failure = { paymentId: 'p1', merchantId: 'm1', userId: 'u1', amountMinor: 700n, currency: 'CNY', at: NOON_BEIJING };
    expect(m.releaseOrForestall(failure)).toBe('forestalled');
    expect(m.status('p1')).toBe('RELEASED');
    expect(m.reserve(reserve('p1', 700n, limits))).toEqual({ ok: true });
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(0n);
    expect(m.releaseOrForestall(failure)).toBe('none');
    expect(m.reserve(reserve('p2', 700n, limits))).toEqual({ ok: true });
    expect(m.releaseOrForestall({ ...failure, paymentId: 'p2' })).toBe('released');
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(0n);
  });

  it('gives each merchant\'s user of one id its own day and year: user ids are chosen by each merchant', () => {
    const m = new LimitReservationModel();
    expect(m.reserve(reserve('p1', 1_000n, limits))).toEqual({ ok: true });
    expect(m.reserve(reserve('p2', 1n, limits))).toMatchObject({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED' });
    expect(m.reserve(reserve('p3', 1_000n, limits, { merchantId: 'm2' }))).toEqual({ ok: true });
    expect(m.usage('m1', 'u1', NOON_BEIJING)).toMatchObject({ dailyUsedMinor: 1_000n, yearlyUsedMinor: 1_000n });
    expect(m.usage('m2', 'u1', NOON_BEIJING)).toMatchObject({ dailyUsedMinor: 1_000n, yearlyUsedMinor: 1_000n });
    expect(m.release('p3')).toBe(true);
    expect(m.usage('m1', 'u1', NOON_BEIJING).dailyUsedMinor).toBe(1_000n);
  });

  it('counts without checking where a limit is not set', () => {
    const m = new LimitReservationModel();
    expect(m.reserve(reserve('p1', 10_000n, {}))).toEqual({ ok: true });
    expect(m.usage('m1', 'u1', NOON_BEIJING)).toMatchObject({ dailyUsedMinor: 10_000n, yearlyUsedMinor: 10_000n });
  });

  it('refuses what can never be reserved', () => {
    const m = new LimitReservationModel();
    expect(() => m.reserve(reserve('p1', 0n, limits))).toThrow('positive');
    expect(() => m.reserve(reserve('p1', 1n, limits, { currency: 'USD' }))).toThrow('CNY');
  });

  const USERS = ['u1', 'u2'];
  const PAYMENTS = 12;
  /** Fewer refund ids than payments, so a refund is told again, and for another payment. */
  const REFUND_IDS = 8;
  const INSTANTS = [NOON_BEIJING, new Date('2025-11-25T15:59:59Z'), NEXT_DAY, NEXT_YEAR];
  const operation = fc.oneof(
    fc.record({
      kind: fc.constant('reserve' as const),
      payment: fc.nat(PAYMENTS - 1),
      user: fc.nat(USERS.length - 1),
      instant: fc.nat(INSTANTS.length - 1),
      amountMinor: fc.bigInt({ min: 1n, max: 600n }),
    }),
    fc.record({ kind: fc.constant('commit' as const), payment: fc.nat(PAYMENTS - 1) }),
    fc.record({ kind: fc.constant('release' as const), payment: fc.nat(PAYMENTS - 1) }),
    fc.record({ kind: fc.constant('refund' as const), payment: fc.nat(PAYMENTS - 1), refund: fc.nat(REFUND_IDS - 1), amountMinor: fc.bigInt({ min: 1n, max: 400n }) }),
    fc.record({ kind: fc.constant('fail' as const), payment: fc.nat(PAYMENTS - 1), user: fc.nat(USERS.length - 1), instant: fc.nat(INSTANTS.length - 1), amountMinor: fc.bigInt({ min: 1n, max: 600n }) }),
  );
  const periodLimits = fc.record({ dailyMinor: fc.option(fc.bigInt({ min: 1n, max: 1_500n }), { nil: undefined }), yearlyMinor: fc.option(fc.bigInt({ min: 1n, max: 3_000n }), { nil: undefined }) });

  it('keeps usage equal to the active reservations, and within the limits, under any interleaving', () => {
    fc.assert(
      fc.property(periodLimits, fc.array(operation, { maxLength: 80 }), (limits, operations) => {
        const m = new LimitReservationModel();
        const released = new Set<string>();
        for (const op of operations) {
          const paymentId = `p${op.payment}`;
          if (op.kind === 'reserve') {
            const before = m.status(paymentId);
            const at = INSTANTS[op.instant]!;
            const userId = USERS[op.user]!;
            const usageBefore = m.usage('m1', userId, at);
            const result = m.reserve({ paymentId, merchantId: 'm1', userId, amountMinor: op.amountMinor, currency: 'CNY', at, limits });
            if (before !== undefined) expect(result).toEqual({ ok: true });
            else if (result.ok) expect(m.status(paymentId)).toBe('RESERVED');
            else {
              // rejected exactly when the amount does not fit: the day is judged first
              const dayOver = limits.dailyMinor !== undefined && usageBefore.dailyUsedMinor + op.amountMinor > limits.dailyMinor;
              expect(result.code).toBe(dayOver ? 'RISK_DAILY_LIMIT_EXCEEDED' : 'RISK_YEARLY_LIMIT_EXCEEDED');
              expect(result.usedMinor + op.amountMinor).toBeGreaterThan(result.limitMinor);
              expect(m.usage('m1', userId, at)).toEqual(usageBefore);
            }
          } else if (op.kind === 'commit') {
            const before = m.status(paymentId);
            expect(m.commit(paymentId)).toBe(before === 'RESERVED');
          } else if (op.kind === 'release') {
            const moved = m.release(paymentId);
            expect(moved).toBe(m.status(paymentId) === 'RELEASED' && !released.has(paymentId));
            if (moved) released.add(paymentId);
          } else if (op.kind === 'refund') {
            const before = m.status(paymentId);
            const outcome = m.refund(paymentId, `r${op.refund}`, op.amountMinor);
            expect(outcome === 'none').toBe(before === undefined);
            // released exactly once: when the refunds first add up to the whole of a hold still held
            expect(outcome === 'released').toBe(before !== undefined && !released.has(paymentId) && m.refundedMinor(paymentId) >= m.reservedMinor(paymentId)!);
            if (outcome === 'released') released.add(paymentId);
          } else {
            const before = m.status(paymentId);
            const outcome = m.releaseOrForestall({ paymentId, merchantId: 'm1', userId: USERS[op.user]!, amountMinor: op.amountMinor, currency: 'CNY', at: INSTANTS[op.instant]! });
            expect(outcome).toBe(before === undefined ? 'forestalled' : released.has(paymentId) ? 'none' : 'released');
            expect(m.status(paymentId)).toBe('RELEASED');
            released.add(paymentId);
          }
          for (let p = 0; p < PAYMENTS; p++) {
            const reserved = m.reservedMinor(`p${p}`);
            // refunds adding up to the whole never leave a hold behind
            if (reserved !== undefined && m.refundedMinor(`p${p}`) >= reserved) expect(m.status(`p${p}`)).toBe('RELEASED');
          }
          for (const userId of USERS) {
            for (const at of INSTANTS) {
              const usage = m.usage('m1', userId, at);
              const held = m.heldMinor('m1', userId, at);
              expect(usage.dailyUsedMinor).toBe(held.daily);
              expect(usage.yearlyUsedMinor).toBe(held.yearly);
              if (limits.dailyMinor !== undefined) expect(usage.dailyUsedMinor).toBeLessThanOrEqual(limits.dailyMinor);
              if (limits.yearlyMinor !== undefined) expect(usage.yearlyUsedMinor).toBeLessThanOrEqual(limits.yearlyMinor);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds a merchant\'s and a card\'s day beside the user\'s limits, naming the cap that overflows', () => {
    const m = new LimitReservationModel();
    const caps = { merchantDailyMinor: 1_000n, cardDailyMinor: 500n };
    const req = (paymentId: string, amountMinor: bigint, patch: Partial<ReserveRequest> = {}) => reserve(paymentId, amountMinor, {}, { merchantId: 'm1', cardToken: 'c1', caps, ...patch });
    expect(m.reserve(req('p1', 500n))).toEqual({ ok: true });
    expect(m.reserve(req('p2', 1n, { userId: 'u2' }))).toEqual({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: 500n, limitMinor: 500n, cap: 'card' });
    expect(m.reserve(req('p3', 500n, { userId: 'u2', cardToken: 'c2' }))).toEqual({ ok: true });
    expect(m.reserve(req('p4', 1n, { userId: 'u3', cardToken: 'c3' }))).toEqual({ ok: false, code: 'RISK_DAILY_LIMIT_EXCEEDED', usedMinor: 1_000n, limitMinor: 1_000n, cap: 'merchant' });
    // the user's own limit is judged first
    expect(m.reserve(req('p5', 2_000n, { limits: { dailyMinor: 1_000n }, cardToken: 'c4' }))).toMatchObject({ ok: false, usedMinor: 500n, limitMinor: 1_000n });
    expect(m.reserve(req('p5', 2_000n, { limits: { dailyMinor: 1_000n }, cardToken: 'c4' }))).not.toHaveProperty('cap');
    // a card's cap is per Beijing day; another merchant is not touched by m1's cap
    expect(m.reserve(req('p6', 500n, { at: NEXT_DAY }))).toEqual({ ok: true });
    expect(m.reserve(req('p7', 900n, { merchantId: 'm2', cardToken: undefined }))).toEqual({ ok: true });
    expect(m.capUsage('merchant', 'm1', NOON_BEIJING)).toBe(1_000n);
    expect(m.capUsage('card', 'c1', NOON_BEIJING)).toBe(500n);
    expect(m.release('p1')).toBe(true);
    expect(m.capUsage('merchant', 'm1', NOON_BEIJING)).toBe(500n);
    expect(m.capUsage('card', 'c1', NOON_BEIJING)).toBe(0n);
    expect(m.reserve(req('p8', 500n, { userId: 'u9' }))).toEqual({ ok: true });
  });

  const MERCHANTS = ['m1', 'm2'];
  const CARDS = ['c1', 'c2'];
  const capped = fc.record({
    kind: fc.constant('reserve' as const),
    payment: fc.nat(PAYMENTS - 1),
    user: fc.nat(USERS.length - 1),
    merchant: fc.nat(MERCHANTS.length - 1),
    card: fc.option(fc.nat(CARDS.length - 1), { nil: undefined }),
    instant: fc.nat(INSTANTS.length - 1),
    amountMinor: fc.bigInt({ min: 1n, max: 600n }),
  });
  const cappedOperation = fc.oneof(capped, fc.record({ kind: fc.constant('commit' as const), payment: fc.nat(PAYMENTS - 1) }), fc.record({ kind: fc.constant('release' as const), payment: fc.nat(PAYMENTS - 1) }));
  const dailyCaps = fc.record({ merchantDailyMinor: fc.option(fc.bigInt({ min: 1n, max: 2_000n }), { nil: undefined }), cardDailyMinor: fc.option(fc.bigInt({ min: 1n, max: 1_000n }), { nil: undefined }) });

  it('keeps every user, merchant and card counter equal to its active reservations, and within its limit, under any interleaving', () => {
    fc.assert(
      fc.property(periodLimits, dailyCaps, fc.array(cappedOperation, { maxLength: 80 }), (limits, caps, operations) => {
        const m = new LimitReservationModel();
        for (const op of operations) {
          const paymentId = `p${op.payment}`;
          if (op.kind === 'reserve') {
            const at = INSTANTS[op.instant]!;
            const merchantId = MERCHANTS[op.merchant]!;
            const cardToken = op.card === undefined ? undefined : CARDS[op.card]!;
            const before = { user: m.usage(merchantId, USERS[op.user]!, at), merchant: m.capUsage('merchant', merchantId, at), card: cardToken ? m.capUsage('card', cardToken, at) : 0n, status: m.status(paymentId) };
            const result = m.reserve({ paymentId, userId: USERS[op.user]!, merchantId, ...(cardToken ? { cardToken } : {}), amountMinor: op.amountMinor, currency: 'CNY', at, limits, caps });
            if (!result.ok) {
              expect(before.status).toBeUndefined();
              // rejected exactly when the amount overflows the counter named, and nothing was counted
              const used = result.cap === 'merchant' ? before.merchant : result.cap === 'card' ? before.card : result.code === 'RISK_DAILY_LIMIT_EXCEEDED' ? before.user.dailyUsedMinor : before.user.yearlyUsedMinor;
              expect(result.usedMinor).toBe(used);
              expect(used + op.amountMinor).toBeGreaterThan(result.limitMinor);
              expect(m.capUsage('merchant', merchantId, at)).toBe(before.merchant);
              if (cardToken) expect(m.capUsage('card', cardToken, at)).toBe(before.card);
            }
          } else if (op.kind === 'commit') m.commit(paymentId);
          else m.release(paymentId);
          for (const at of INSTANTS) {
            for (const merchantId of MERCHANTS) {
              const used = m.capUsage('merchant', merchantId, at);
              expect(used).toBe(m.capHeldMinor('merchant', merchantId, at));
              if (caps.merchantDailyMinor !== undefined) expect(used).toBeLessThanOrEqual(caps.merchantDailyMinor);
            }
            for (const cardToken of CARDS) {
              const used = m.capUsage('card', cardToken, at);
              expect(used).toBe(m.capHeldMinor('card', cardToken, at));
              if (caps.cardDailyMinor !== undefined) expect(used).toBeLessThanOrEqual(caps.cardDailyMinor);
            }
            // a user id is its merchant's: each merchant's user of an id has counters of its own
            for (const merchantId of MERCHANTS) {
              for (const userId of USERS) {
                const usage = m.usage(merchantId, userId, at);
                const held = m.heldMinor(merchantId, userId, at);
                expect([usage.dailyUsedMinor, usage.yearlyUsedMinor]).toEqual([held.daily, held.yearly]);
                if (limits.dailyMinor !== undefined) expect(usage.dailyUsedMinor).toBeLessThanOrEqual(limits.dailyMinor);
                if (limits.yearlyMinor !== undefined) expect(usage.yearlyUsedMinor).toBeLessThanOrEqual(limits.yearlyMinor);
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
