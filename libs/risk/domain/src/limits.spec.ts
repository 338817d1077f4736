import fc from 'fast-check';
import {
  checkSingleLimit,
  assertLimitsConfig,
  DEFAULT_LIMITS_BY_LEVEL,
  limitPeriodsAt,
  limitsConfigProblems,
  periodLimitsOf,
  shanghaiCalendarDay,
  singleLimitExceeded,
  VERIFICATION_LEVELS,
  type LimitsByLevel,
} from './limits';
import { SINGLE_PAYMENT_MAX_MINOR } from './risk-rules';

const cny = (yuan: number) => BigInt(yuan) * 100n;

describe('limits by verification level', () => {
  it.each([
    { level: 'none', single: cny(2_000), daily: cny(5_000), yearly: undefined },
    { level: 'basic', single: cny(20_000), daily: cny(50_000), yearly: cny(200_000) },
    { level: 'full', single: cny(50_000), daily: cny(200_000), yearly: cny(1_000_000) },
  ] as const)('$level: single $single, daily $daily, yearly $yearly (fen)', ({ level, single, daily, yearly }) => {
    expect(DEFAULT_LIMITS_BY_LEVEL[level]).toEqual({ singleMinor: single, dailyMinor: daily, ...(yearly ? { yearlyMinor: yearly } : {}) });
    expect(periodLimitsOf(level)).toEqual({ dailyMinor: daily, ...(yearly ? { yearlyMinor: yearly } : {}) });
  });

  it('are sound and never above the platform-wide single-payment limit', () => {
    expect(limitsConfigProblems(DEFAULT_LIMITS_BY_LEVEL)).toEqual([]);
    for (const level of VERIFICATION_LEVELS) expect(DEFAULT_LIMITS_BY_LEVEL[level].singleMinor).toBeLessThanOrEqual(SINGLE_PAYMENT_MAX_MINOR);
  });

  it.each([
    ['none', cny(2_000), false],
    ['none', cny(2_000) + 1n, true],
    ['basic', cny(20_000), false],
    ['basic', cny(20_000) + 1n, true],
    ['full', cny(50_000), false],
    ['full', cny(50_000) + 1n, true],
  ] as const)('single limit of %s at %s fen: exceeded %s', (level, amount, exceeded) => {
    expect(singleLimitExceeded(level, amount)).toBe(exceeded);
  });

  it('takes a configured table instead of the defaults', () => {
    const limits: LimitsByLevel = { ...DEFAULT_LIMITS_BY_LEVEL, none: { singleMinor: 100n, dailyMinor: 100n } };
    expect(singleLimitExceeded('none', 101n, limits)).toBe(true);
    expect(singleLimitExceeded('none', 101n)).toBe(false);
    expect(periodLimitsOf('none', limits)).toEqual({ dailyMinor: 100n });
  });

  it('lists every problem of an unsound configuration, and refuses it', () => {
    const bad: LimitsByLevel = {
      none: { singleMinor: 0n, dailyMinor: cny(5_000) },
      basic: { singleMinor: cny(60_000), dailyMinor: cny(50_000), yearlyMinor: cny(40_000) },
      full: { singleMinor: cny(50_000), dailyMinor: cny(200_000), yearlyMinor: cny(1_000_000) },
    };
    expect(limitsConfigProblems(bad)).toEqual([
      'none.singleMinor must be a positive bigint of minor units',
      'basic.singleMinor exceeds basic.dailyMinor',
      'basic.yearlyMinor is below a shorter-period limit',
      'full.singleMinor is below basic.singleMinor',
    ]);
    expect(() => assertLimitsConfig(bad)).toThrow(/^invalid risk limits: none\.singleMinor/);
    expect(assertLimitsConfig(DEFAULT_LIMITS_BY_LEVEL)).toBe(DEFAULT_LIMITS_BY_LEVEL);
  });
});

describe('limit periods on the Asia/Shanghai calendar', () => {
  it.each([
    ['2025-12-31T15:59:59.999Z', '2025-12-31', 2025],
    ['2025-12-31T16:00:00.000Z', '2026-01-01', 2026],
    ['2024-02-28T16:00:00.000Z', '2024-02-29', 2024],
    ['2025-06-01T00:00:00.000Z', '2025-06-01', 2025],
    ['2025-06-01T23:59:59.000+08:00', '2025-06-01', 2025],
  ])('%s falls on %s', (iso, day, year) => {
    expect(shanghaiCalendarDay(new Date(iso))).toBe(day);
    expect(limitPeriodsAt(new Date(iso))).toEqual({ day, year });
  });

  it('refuses an invalid instant', () => {
    expect(() => limitPeriodsAt(new Date('nope'))).toThrow(RangeError);
  });

  it('agrees with the time-zone database since China stopped daylight saving', () => {
    const tzdb = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
    fc.assert(
      fc.property(fc.date({ min: new Date('1992-01-01T00:00:00Z'), max: new Date('2199-12-31T00:00:00Z'), noInvalidDate: true }), (at) => {
        expect(shanghaiCalendarDay(at)).toBe(tzdb.format(at));
      }),
    );
  });
});

describe('the single-payment limit by verification level', () => {
  it.each([
    ['none', 2_000_00n, { ok: true }],
    ['none', 2_000_01n, { ok: false, code: 'RISK_IDENTITY_UNVERIFIED' }],
    ['basic', 20_000_01n, { ok: false, code: 'RISK_IDENTITY_UNVERIFIED' }],
    ['full', 50_000_00n, { ok: true }],
    ['full', 50_000_01n, { ok: false, code: 'RISK_SINGLE_LIMIT_EXCEEDED' }],
    ['none', 60_000_00n, { ok: false, code: 'RISK_SINGLE_LIMIT_EXCEEDED' }],
  ] as const)('level %s, %s fen -> %j', (level, amount, expected) => {
    expect(checkSingleLimit(level, amount)).toMatchObject(expected);
  });
});
