import { retryAfterMs } from './retry-after';

describe('retryAfterMs', () => {
  it.each<[number, string | null, number | undefined]>([
    [429, '2', 2_000],
    [429, ' 1 ', 1_000],
    [429, null, undefined], // a 429 without Retry-After (RISK_VELOCITY: a risk decision) is an answer
    [429, 'Wed, 21 Oct 2015 07:28:00 GMT', undefined],
    [503, '5', undefined],
    [201, null, undefined],
  ])('status %i with Retry-After %p waits %p ms', (status, header, ms) => {
    expect(retryAfterMs(status, header)).toBe(ms);
  });
});
