import { RateLimiter, type RateCheck } from './rate-limiter';
import { msToFill, msUntilToken, refilled } from './token-bucket';

const limit = { ratePerS: 2, burst: 3 };

describe('token bucket', () => {
  it('starts full, refills at its rate and never above its burst', () => {
    expect(refilled(undefined, limit, 1_000)).toEqual({ tokens: 3, atMs: 1_000 });
    expect(refilled({ tokens: 0, atMs: 1_000 }, limit, 1_250)).toEqual({ tokens: 0.5, atMs: 1_250 });
    expect(refilled({ tokens: 0, atMs: 1_000 }, limit, 60_000).tokens).toBe(3);
    // a clock that stepped back refills nothing and loses nothing
    expect(refilled({ tokens: 1, atMs: 5_000 }, limit, 4_000)).toEqual({ tokens: 1, atMs: 5_000 });
  });

  it('says how long until the next whole token, and how long an idle bucket takes to be full again', () => {
    expect(msUntilToken({ tokens: 1, atMs: 0 }, limit)).toBe(0);
    expect(msUntilToken({ tokens: 0.5, atMs: 0 }, limit)).toBe(250);
    expect(msToFill(limit)).toBe(1_500);
  });
});

describe('rate limiter', () => {
  let now = 0;
  const clock = () => now;
  const check = (key: string, l = limit): RateCheck => ({ key, limit: l });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('admits the burst, refuses the next with the wait until a token is back, and admits again after it', () => {
    const limiter = new RateLimiter(100, clock);
    for (let i = 0; i < 3; i++) expect(limiter.admit([check('a')])).toEqual({ admitted: true });
    expect(limiter.admit([check('a')])).toEqual({ admitted: false, retryAfterMs: 500, refused: check('a') });
    // another key has its own bucket
    expect(limiter.admit([check('b')]).admitted).toBe(true);
    now += 499;
    expect(limiter.admit([check('a')]).admitted).toBe(false);
    now += 1;
    expect(limiter.admit([check('a')]).admitted).toBe(true);
    expect(limiter.admit([check('a')]).admitted).toBe(false);
  });

  it('takes from every bucket a request names, or from none when one of them is empty', () => {
    const limiter = new RateLimiter(100, clock);
    const strict = { ratePerS: 1, burst: 1 };
    expect(limiter.admit([check('wide'), check('narrow', strict)]).admitted).toBe(true);
    // the narrow bucket refuses: the wide one keeps its tokens (2 left, not 1)
    expect(limiter.admit([check('wide'), check('narrow', strict)])).toMatchObject({ admitted: false, retryAfterMs: 1_000, refused: { key: 'narrow' } });
    expect(limiter.admit([check('wide')]).admitted).toBe(true);
    expect(limiter.admit([check('wide')]).admitted).toBe(true);
    expect(limiter.admit([check('wide')]).admitted).toBe(false);
  });

  it('gives a token back on refund, never above the burst', () => {
    const limiter = new RateLimiter(100, clock);
    for (let i = 0; i < 3; i++) limiter.admit([check('a')]);
    limiter.refund([check('a')]);
    expect(limiter.admit([check('a')]).admitted).toBe(true);
    expect(limiter.admit([check('a')]).admitted).toBe(false);
    limiter.refund([check('fresh')]);
    limiter.refund([check('b')]);
    for (let i = 0; i < 3; i++) expect(limiter.admit([check('b')]).admitted).toBe(true);
    expect(limiter.admit([check('b')]).admitted).toBe(false);
  });

  it('forgets idle buckets as new ones come, and never holds more than its maximum', () => {
    const limiter = new RateLimiter(50, clock);
    for (let i = 0; i < 40; i++) limiter.admit([check(`idle-${i}`)]);
    expect(limiter.size).toBe(40);
    // long after they were full again, newcomers sweep them away two by two
    now += msToFill(limit);
    for (let i = 0; i < 20; i++) limiter.admit([check(`new-${i}`)]);
    expect(limiter.size).toBe(20);
    // a flood of distinct keys within one refill time: the least recently used go first
    for (let i = 0; i < 1_000; i++) limiter.admit([check(`flood-${i}`)]);
    expect(limiter.size).toBe(50);
    for (let i = 0; i < 3; i++) expect(limiter.admit([check('flood-999')]).admitted).toBe(i < 2);
  });
});
